import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changedKeys, mergeChanges, sameData, sessionChanges } from "../../src/session/merge.js";
import type { SessionData } from "../../src/session/store.js";

/** Small sessions over a few keys, so generated sessions share keys and change them in all ways. */
const value = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom("x", "y"),
  fc.constant(null),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
  fc.record({ n: fc.integer({ min: 0, max: 2 }) }),
);
const session = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "__proto__", "constructor"), value, {
  maxKeys: 6,
}) as fc.Arbitrary<SessionData>;

/** The reference: `state` with `next`'s changes relative to `base` put on top. */
function applyOnto(state: SessionData, base: SessionData, next: SessionData): SessionData {
  const out: SessionData = JSON.parse(JSON.stringify(state));
  for (const key of Object.keys(next)) {
    if (!(Object.hasOwn(base, key) && sameData(base[key], next[key]))) {
      Object.defineProperty(out, key, {
        value: next[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  for (const key of Object.keys(base)) if (!Object.hasOwn(next, key)) delete out[key];
  return out;
}

const differs = (x: SessionData, y: SessionData, key: string) =>
  Object.hasOwn(x, key) !== Object.hasOwn(y, key) || (Object.hasOwn(x, key) && !sameData(x[key], y[key]));

describe("sessionChanges and mergeChanges", () => {
  it("finds no change between a session and itself, or an equal copy", () => {
    fc.assert(
      fc.property(session, (base) => {
        const changes = sessionChanges(base, JSON.parse(JSON.stringify(base)));
        expect(changedKeys(changes)).toEqual([]);
      }),
    );
  });

  it("applied to the data it was computed from, gives exactly the handler's session, uncontested", () => {
    fc.assert(
      fc.property(session, session, (base, next) => {
        const { data, contested } = mergeChanges(base, base, sessionChanges(base, next));
        expect(data).toEqual(next);
        expect(contested).toEqual([]);
      }),
    );
  });

  it("keeps both requests' changes, and contests exactly the keys both changed", () => {
    fc.assert(
      fc.property(session, session, session, (base, fresh, next) => {
        const mine = sessionChanges(base, next);
        const { data, contested } = mergeChanges(base, fresh, mine);
        expect(data).toEqual(applyOnto(fresh, base, next));
        const both = changedKeys(mine).filter((key) => differs(base, fresh, key));
        expect(contested).toEqual(both);
        // Keys this request left alone keep the concurrent request's value.
        for (const key of Object.keys(fresh)) {
          if (!changedKeys(mine).includes(key)) expect(data[key]).toEqual(fresh[key]);
        }
      }),
    );
  });

  it("keeps __proto__ and constructor as plain keys", () => {
    const base = {};
    const next = JSON.parse('{"__proto__": {"admin": true}, "constructor": 1}');
    const { data } = mergeChanges(base, { a: 1 }, sessionChanges(base, next));
    expect(Object.keys(data).sort()).toEqual(["__proto__", "a", "constructor"]);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(({} as { admin?: boolean }).admin).toBeUndefined();
  });

  it("compares values by content: an equal rebuilt object is no change", () => {
    const base = { user: { id: 1, roles: ["a"] }, at: new Date(5) };
    const next = { user: { id: 1, roles: ["a"] }, at: new Date(5) };
    expect(changedKeys(sessionChanges(base, next))).toEqual([]);
    expect(changedKeys(sessionChanges(base, { ...next, user: { id: 1, roles: ["b"] } }))).toEqual(["user"]);
  });

  it("counts two increments from the same value as a contested key, even though both wrote 1", () => {
    const base = { count: 0 };
    const { data, contested } = mergeChanges(base, { count: 1 }, sessionChanges(base, { count: 1 }));
    expect(contested).toEqual(["count"]);
    expect(data).toEqual({ count: 1 });
  });

  describe("the flash key", () => {
    it("removes the flash this request consumed, uncontested", () => {
      const base = { user: 1, _flash: "Saved" };
      const { data, contested } = mergeChanges(base, { ...base, n: 2 }, sessionChanges(base, { user: 1 }));
      expect(data).toEqual({ user: 1, n: 2 });
      expect(contested).toEqual([]);
    });

    it("keeps a flash another request set meanwhile (its message is not lost)", () => {
      const base = { _flash: "Saved" };
      const { data, contested } = mergeChanges(base, { _flash: "Deleted" }, sessionChanges(base, {}));
      expect(data).toEqual({ _flash: "Deleted" });
      expect(contested).toEqual([]);
    });

    it("does not contest a flash two requests both consumed", () => {
      const base = { _flash: "Saved", a: 1 };
      const { data, contested } = mergeChanges(base, { a: 1 }, sessionChanges(base, { a: 1 }));
      expect(data).toEqual({ a: 1 });
      expect(contested).toEqual([]);
    });
  });
});
