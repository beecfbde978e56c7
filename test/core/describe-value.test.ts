import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeError, describeKind, describeValue } from "../../src/core/describe-value.js";

describe("describeValue", () => {
  it("names each kind of value with its type", () => {
    const cases: Array<[unknown, string]> = [
      [null, "null"],
      [undefined, "undefined"],
      ["foo", '"foo"'],
      ["a\r\nb", '"a\\r\\nb"'],
      [700, "number 700"],
      [Number.NaN, "number NaN"],
      [10n, "bigint 10"],
      [false, "boolean false"],
      [[1, 2], "an array"],
      [{ a: 1 }, "an object"],
      [Object.create(null), "an object"],
      [new ArrayBuffer(1), "an instance of ArrayBuffer"],
      [() => 1, "function"],
      [Symbol("s"), "symbol"],
    ];
    for (const [value, shown] of cases) expect(describeValue(value)).toBe(shown);
  });

  it("cuts a long string at 60 characters", () => {
    expect(describeValue("x".repeat(100))).toBe(`"${"x".repeat(60)}…"`);
  });

  it("never throws, even for a revoked proxy or a throwing constructor getter (property)", () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const hostile = Object.defineProperty({}, "constructor", {
      get() {
        throw new Error("no");
      },
    });
    expect(describeValue(proxy)).toBe("an object");
    expect(describeValue(hostile)).toBe("an object");
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }),
        (v) => {
          expect(typeof describeValue(v)).toBe("string");
        },
      ),
    );
  });
});

describe("describeKind", () => {
  it("never shows a string's, an object's or a byte array's contents", () => {
    expect(describeKind("hunter2")).toBe("a string");
    expect(describeKind("")).toBe("an empty string");
    expect(describeKind(new Uint8Array(31))).toBe("31 bytes");
    expect(describeKind({ password: "x" })).toBe("an object");
    expect(describeKind(["x"])).toBe("an array");
    expect(describeKind(-1)).toBe("-1");
    expect(describeKind(null)).toBe("null");
    expect(describeKind(undefined)).toBe("undefined");
    expect(describeKind(() => 1)).toBe("a function");
  });
});

describe("describeError", () => {
  it("shows the name, an HTTP status, the message and an Error cause", () => {
    expect(describeError(new TypeError("bad"))).toBe("TypeError: bad");
    const http = Object.assign(new Error("gone", { cause: new Error("socket") }), { status: 503 });
    expect(describeError(http)).toBe("Error (503): gone (cause: socket)");
    expect(describeError("boom")).toBe('non-Error value thrown: "boom"');
    expect(describeError(42)).toBe("non-Error value thrown: number 42");
  });

  it("never throws, even for an error whose getters throw", () => {
    const hostile = new Proxy(new Error("x"), {
      get() {
        throw new Error("no");
      },
    });
    expect(describeError(hostile)).toBe("an error that cannot be described");
  });
});
