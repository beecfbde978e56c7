import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SealCache } from "../../../src/session/cookie-store/seal-cache.js";

const json = (n: number) => `{"n":${n}}`;
const contents = (n: number) => ({ issuedAt: n, json: json(n) });

describe("SealCache", () => {
  it("answers exactly the seals it was given, and nothing that only shares their last characters", () => {
    const cache = new SealCache(10);
    cache.remember("AAAAfirst-TAIL5", 1, json(1));
    expect(cache.get("AAAAfirst-TAIL5")).toMatchObject(contents(1));
    // Same last five characters (same number), different seal: not served from the cache.
    expect(cache.get("BBBBother-TAIL5")).toBeUndefined();
    expect(cache.get("TAIL5")).toBeUndefined();
    expect(cache.get("")).toBeUndefined();
  });

  it("forgets the oldest seal once full", () => {
    const cache = new SealCache(3);
    for (const n of [1, 2, 3, 4]) cache.remember(`seal-number-${n}`, n, json(n));
    expect(cache.get("seal-number-1")).toBeUndefined();
    expect([2, 3, 4].map((n) => cache.get(`seal-number-${n}`)?.issuedAt)).toEqual([2, 3, 4]);
  });

  it("keeps the newer of two seals that share a number, and evicting the older does not drop it", () => {
    const cache = new SealCache(2);
    cache.remember("old-one-XYZ12", 1, json(1));
    cache.remember("new-one-XYZ12", 2, json(2));
    expect(cache.get("old-one-XYZ12")).toBeUndefined();
    expect(cache.get("new-one-XYZ12")?.issuedAt).toBe(2);
    cache.remember("third-seal-99", 3, json(3)); // evicts "old-one-…", whose number now means the newer seal
    expect(cache.get("new-one-XYZ12")?.issuedAt).toBe(2);
    cache.forget("old-one-XYZ12"); // not there: changes nothing
    expect(cache.get("new-one-XYZ12")?.issuedAt).toBe(2);
    cache.forget("new-one-XYZ12");
    expect(cache.get("new-one-XYZ12")).toBeUndefined();
  });

  it("remembers nothing with size 0", () => {
    const cache = new SealCache(0);
    cache.remember("anything", 1, json(1));
    expect(cache.get("anything")).toBeUndefined();
  });

  it("agrees with a Map of the last `size` seals for any sequence of seals (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        // Short strings from a small alphabet, so that numbers collide often.
        fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 7 }), { maxLength: 60 }),
        (size, seals) => {
          const cache = new SealCache(size);
          const model: [string, number][] = [];
          seals.forEach((sealed, i) => {
            cache.remember(sealed, i, json(i));
            model.push([sealed, i]);
            const window = model.slice(-size);
            for (const candidate of new Set(seals)) {
              const got = cache.get(candidate);
              const last = window.filter(([s]) => s === candidate).at(-1);
              // Never a wrong answer; a seal still in the window may only be missing when a newer seal
              // with the same number displaced it.
              if (got !== undefined) expect(got.issuedAt).toBe(last?.[1]);
            }
            expect(cache.get(sealed)?.issuedAt).toBe(i); // the newest is always there
          });
        },
      ),
    );
  });
});
