import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SealCache } from "../../../src/session/cookie-store/seal-cache.js";

const json = (n: number) => `{"n":${n}}`;

describe("SealCache", () => {
  it("answers exactly the seals it was given", () => {
    const cache = new SealCache(10);
    cache.remember("AAAAfirst-TAIL5", 1, json(1));
    expect(cache.get("AAAAfirst-TAIL5")).toEqual({ issuedAt: 1, json: json(1) });
    expect(cache.get("BBBBother-TAIL5")).toBeUndefined();
    expect(cache.get("TAIL5")).toBeUndefined();
    expect(cache.get("")).toBeUndefined();
  });

  it("forgets the oldest seal once full, and a seal it is told to forget", () => {
    const cache = new SealCache(3);
    for (const n of [1, 2, 3, 4]) cache.remember(`seal-number-${n}`, n, json(n));
    expect(cache.get("seal-number-1")).toBeUndefined();
    expect([2, 3, 4].map((n) => cache.get(`seal-number-${n}`)?.issuedAt)).toEqual([2, 3, 4]);
    cache.forget("seal-number-3");
    expect(cache.get("seal-number-3")).toBeUndefined();
    cache.forget("never-there"); // changes nothing
    expect([2, 4].map((n) => cache.get(`seal-number-${n}`)?.issuedAt)).toEqual([2, 4]);
  });

  it("remembers nothing with size 0", () => {
    const cache = new SealCache(0);
    cache.remember("anything", 1, json(1));
    expect(cache.get("anything")).toBeUndefined();
  });

  it("agrees with a list of the last `size` distinct seals for any sequence of seals (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        // Short strings from a small alphabet, so that the same seal comes back often.
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 3 }), { maxLength: 60 }),
        (size, seals) => {
          const cache = new SealCache(size);
          let model: [string, number][] = [];
          seals.forEach((sealed, i) => {
            cache.remember(sealed, i, json(i));
            model = [...model.filter(([s]) => s !== sealed), [sealed, i] as [string, number]].slice(-size);
            for (const candidate of new Set(seals)) {
              const expected = model.find(([s]) => s === candidate);
              expect(cache.get(candidate)?.issuedAt).toBe(expected?.[1]);
            }
          });
        },
      ),
    );
  });
});
