import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeValue } from "../../src/core/describe-value.js";

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
