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

  it("drops the older half once the newer half is full, and a seal it is told to forget", () => {
    const cache = new SealCache(4);
    for (const n of [1, 2, 3, 4]) cache.remember(`seal-number-${n}`, n, json(n));
    expect([1, 2, 3, 4].map((n) => cache.get(`seal-number-${n}`)?.issuedAt)).toEqual([1, 2, 3, 4]);
    cache.remember("seal-number-5", 5, json(5));
    expect(cache.get("seal-number-1")).toBeUndefined();
    expect(cache.get("seal-number-2")).toBeUndefined();
    expect([3, 4, 5].map((n) => cache.get(`seal-number-${n}`)?.issuedAt)).toEqual([3, 4, 5]);
    cache.forget("seal-number-3");
    expect(cache.get("seal-number-3")).toBeUndefined();
    cache.forget("never-there"); // changes nothing
    expect([4, 5].map((n) => cache.get(`seal-number-${n}`)?.issuedAt)).toEqual([4, 5]);
  });

  it("remembers nothing with size 0", () => {
    const cache = new SealCache(0);
    cache.remember("anything", 1, json(1));
    expect(cache.get("anything")).toBeUndefined();
  });

  it("holds at most `size` seals (rounded up to even), always the newest half, each with its latest contents (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        // Short strings from a small alphabet, so that the same seal comes back often.
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 3 }), { maxLength: 60 }),
        (size, seals) => {
          const cache = new SealCache(size);
          const latest = new Map<string, number>();
          seals.forEach((sealed, i) => {
            cache.remember(sealed, i, json(i));
            latest.set(sealed, i);
            // The distinct seals, most recently remembered first.
            const recent = [...latest].sort((x, y) => y[1] - x[1]).map(([s]) => s);
            const held = recent.filter((s) => cache.get(s) !== undefined);
            expect(held.length).toBeLessThanOrEqual(2 * Math.ceil(size / 2));
            for (const s of recent.slice(0, Math.ceil(size / 2)))
              expect(cache.get(s)?.issuedAt).toBe(latest.get(s));
            for (const s of held)
              expect(cache.get(s)).toEqual({ issuedAt: latest.get(s), json: json(latest.get(s)!) });
            expect(cache.get("never")).toBeUndefined();
          });
        },
      ),
    );
  });
});
