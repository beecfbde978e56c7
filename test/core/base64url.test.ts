import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64url, encodeBase64url } from "../../src/core/base64url.js";

describe("base64url", () => {
  it("matches Node's encoder and round-trips any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = encodeBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
        expect(decodeBase64url(text)).toEqual(bytes);
      }),
    );
  });

  it("rejects text outside the alphabet, impossible lengths and non-canonical trailing bits", () => {
    expect(decodeBase64url("ab+d")).toBeUndefined();
    expect(decodeBase64url("ab/d")).toBeUndefined();
    expect(decodeBase64url("abc=")).toBeUndefined();
    expect(decodeBase64url("a")).toBeUndefined();
    expect(decodeBase64url("AB")).toBeUndefined(); // "AA" is the canonical form of one zero byte... with B the low bits are set
    expect(decodeBase64url("AA")).toEqual(new Uint8Array([0]));
    expect(decodeBase64url("é123")).toBeUndefined();
    expect(decodeBase64url("")).toEqual(new Uint8Array(0));
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        const out = decodeBase64url(text);
        if (out !== undefined) expect(encodeBase64url(out)).toBe(text);
      }),
    );
  });
});
