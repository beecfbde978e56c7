import { describe, expect, it } from "vitest";
import { isThenable } from "../../src/core/types.js";

// Objects with a `then` property on purpose: they are what isThenable must recognise (or not).
// biome-ignore lint/suspicious/noThenProperty: a hand-made thenable is the point of this test
const thenable = { then: () => undefined } as unknown as Promise<number>;
// biome-ignore lint/suspicious/noThenProperty: a non-callable then is the point of this test
const notCallable = { then: 1 };

describe("isThenable", () => {
  it("is true for promises and any object with a then method, false for plain values", () => {
    expect(isThenable(Promise.resolve(1))).toBe(true);
    expect(isThenable(thenable)).toBe(true);
    for (const value of [undefined, null, 0, "then", {}, notCallable, () => 1]) {
      expect(isThenable(value)).toBe(false);
    }
  });
});
