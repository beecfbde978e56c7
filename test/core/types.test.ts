import { describe, expect, it } from "vitest";
import { isThenable } from "../../src/core/types.js";

describe("isThenable", () => {
  it("is true for promises and any object with a then method, false for plain values", () => {
    expect(isThenable(Promise.resolve(1))).toBe(true);
    expect(isThenable({ then: () => undefined } as unknown as Promise<number>)).toBe(true);
    for (const value of [undefined, null, 0, "then", {}, { then: 1 }, () => 1]) {
      expect(isThenable(value)).toBe(false);
    }
  });
});
