import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readSnapshot, snapshot } from "../../src/session/snapshot.js";

function deepFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(deepFrozen);
}

describe("snapshot", () => {
  it("copies and deep-freezes any JSON data, equal to the input and sharing nothing with it", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (data) => {
        const { value, frozen } = snapshot(data);
        expect(frozen).toBe(true);
        expect(value).toEqual(data);
        expect(deepFrozen(value)).toBe(true);
        if (Object.keys(data).length > 0) expect(value).not.toBe(data);
        expect(readSnapshot({ value, frozen })).toBe(value);
      }),
    );
  });

  it("falls back to structuredClone for non-plain values and clones again on read", () => {
    const data = { when: new Date(1), set: new Set([1]) };
    const stored = snapshot(data);
    expect(stored.frozen).toBe(false);
    const a = readSnapshot(stored);
    expect(a).toEqual(data);
    expect(a).not.toBe(readSnapshot(stored));
  });

  it("handles cycles and refuses functions", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    const { value } = snapshot(cyclic);
    expect(value.me).toBe(value);
    expect(() => snapshot({ f: () => 1 })).toThrow();
  });
});
