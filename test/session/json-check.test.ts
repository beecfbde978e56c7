import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertJsonRoundTrip } from "../../src/session/json-check.js";

const rejects = (value: unknown, message: string, root?: string) =>
  expect(() => assertJsonRoundTrip(value, root)).toThrowError(new TypeError(message));

describe("assertJsonRoundTrip", () => {
  it("accepts anything fc.jsonValue() produces, which JSON gives back unchanged", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assertJsonRoundTrip(value);
      }),
      { numRuns: 200 },
    );
  });

  it("accepts objects as session data under any key, including __proto__ and odd names", () => {
    const data = JSON.parse('{"__proto__": {"a": 1}, "a b": [1, "x", null, true], "": {}}');
    assertJsonRoundTrip(data);
    assertJsonRoundTrip(Object.assign(Object.create(null), { a: 1 }));
    const shared = { n: 1 };
    assertJsonRoundTrip({ a: shared, b: shared, c: [shared, shared] });
    assertJsonRoundTrip({ zero: -0, big: Number.MAX_VALUE, tiny: Number.MIN_VALUE });
    assertJsonRoundTrip({ toJSON: "not a function, so JSON ignores it" });
    assertJsonRoundTrip({ lone: "\ud800" });
  });

  it("rejects Date, Map and Set with their path", () => {
    rejects(
      { user: { createdAt: new Date(0) } },
      "session.user.createdAt: Date (it becomes a string) does not survive JSON",
    );
    rejects({ m: new Map() }, "session.m: Map (it becomes {}) does not survive JSON");
    rejects({ list: [1, new Set([1])] }, "session.list[1]: Set (it becomes {}) does not survive JSON");
  });

  it("rejects BigInt, functions and symbols", () => {
    rejects({ n: 1n }, "session.n: BigInt (JSON.stringify throws) does not survive JSON");
    rejects({ f: () => 1 }, "session.f: function (it is dropped) does not survive JSON");
    rejects({ a: [() => 1] }, "session.a[0]: function (it becomes null) does not survive JSON");
    rejects({ s: Symbol("x") }, "session.s: symbol (it is dropped) does not survive JSON");
  });

  it("rejects undefined in arrays and as a property value", () => {
    rejects(
      { a: [1, undefined] },
      "session.a[1]: undefined in an array (it becomes null) does not survive JSON",
    );
    rejects(
      { a: { b: undefined } },
      "session.a.b: undefined (JSON drops the key; delete the key or store null) does not survive JSON",
    );
  });

  it("rejects NaN and infinities", () => {
    rejects({ x: Number.NaN }, "session.x: NaN (it becomes null) does not survive JSON");
    rejects(
      { x: [Number.POSITIVE_INFINITY] },
      "session.x[0]: Infinity (it becomes null) does not survive JSON",
    );
    rejects({ x: { y: -Infinity } }, "session.x.y: -Infinity (it becomes null) does not survive JSON");
  });

  it("rejects cycles, through objects and arrays", () => {
    const a: Record<string, unknown> = { b: {} };
    (a.b as Record<string, unknown>).back = a;
    rejects(a, "session.b.back: circular reference (JSON.stringify throws) does not survive JSON");
    const list: unknown[] = [1];
    list.push({ list });
    rejects(
      { list },
      "session.list[1].list: circular reference (JSON.stringify throws) does not survive JSON",
    );
  });

  it("rejects class instances, boxed primitives, typed arrays and other prototypes", () => {
    class User {
      name = "ada";
    }
    rejects(
      { u: new User() },
      "session.u: User (its prototype is lost: it comes back as a plain object) does not survive JSON",
    );
    rejects(
      { s: new String("x") },
      "session.s: String (its prototype is lost: it comes back as a plain object) does not survive JSON",
    );
    rejects(
      { b: new Uint8Array(2) },
      "session.b: Uint8Array (its prototype is lost: it comes back as a plain object) does not survive JSON",
    );
    rejects(
      { o: Object.create({ inherited: 1 }) },
      "session.o: Object (its prototype is lost: it comes back as a plain object) does not survive JSON",
    );
    class List extends Array {}
    rejects(
      { l: new List() },
      "session.l: List (an array subclass comes back as a plain Array) does not survive JSON",
    );
  });

  it("rejects toJSON methods, own or inherited", () => {
    rejects(
      { a: { toJSON: () => "x" } },
      "session.a: object with a toJSON method (it comes back as what toJSON returns) does not survive JSON",
    );
    class Money {
      toJSON() {
        return 1;
      }
    }
    rejects(
      { m: new Money() },
      "session.m: Money with a toJSON method (it comes back as what toJSON returns) does not survive JSON",
    );
  });

  it("rejects sparse arrays", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is being tested
    rejects({ a: [1, , 3] }, "session.a[1]: array hole (it becomes null) does not survive JSON");
    rejects({ a: new Array(2) }, "session.a[0]: array hole (it becomes null) does not survive JSON");
  });

  it("rejects symbol keys and non-enumerable properties", () => {
    rejects(
      { o: { [Symbol("k")]: 1 } },
      "session.o[Symbol(k)]: symbol-keyed property (it is dropped) does not survive JSON",
    );
    const hidden = Object.defineProperty({ shown: 1 }, "hidden", { value: 2, enumerable: false });
    rejects({ o: hidden }, "session.o.hidden: non-enumerable property (it is dropped) does not survive JSON");
  });

  it("quotes keys that are not identifiers, and takes the root name from the caller", () => {
    rejects(
      { "a b": { "x-y": [new Date(0)] } },
      'session["a b"]["x-y"][0]: Date (it becomes a string) does not survive JSON',
    );
    rejects(new Date(0), "data: Date (it becomes a string) does not survive JSON", "data");
    rejects(
      undefined,
      "session: undefined (JSON drops the key; delete the key or store null) does not survive JSON",
    );
  });

  it("reports the first offender found by a depth-first walk, wherever it is nested", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(new Date(0), 1n, Number.NaN, new Map()),
        (keys, bad) => {
          let data: unknown = bad;
          for (let i = keys.length - 1; i >= 0; i--) data = { ok: 1, [keys[i]!]: data };
          expect(() => assertJsonRoundTrip(data)).toThrowError(`session.${keys.join(".")}: `);
        },
      ),
    );
  });
});
