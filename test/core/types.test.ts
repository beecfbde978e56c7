import { describe, expect, it } from "vitest";
import { isThenable } from "../../src/core/types.js";

// Objects with a `then` property on purpose: they are what isThenable must recognise (or not).
const thenable = Object.fromEntries([["then", () => undefined]]) as unknown as Promise<number>;
const notCallable = Object.fromEntries([["then", 1]]);

describe("isThenable", () => {
  it("is true for promises and any object with a then method, false for plain values", () => {
    expect(isThenable(Promise.resolve(1))).toBe(true);
    expect(isThenable(thenable)).toBe(true);
    for (const value of [undefined, null, 0, "then", {}, notCallable, () => 1]) {
      expect(isThenable(value)).toBe(false);
    }
  });
});
