import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasValidPercentEncoding } from "../../src/adapters/request-target.js";

describe("hasValidPercentEncoding", () => {
  it("accepts paths whose every % starts two hex digits, in either case", () => {
    for (const ok of ["/", "/a%20b", "/%7e%7E", "/caf%C3%A9/x", "%00"])
      expect(hasValidPercentEncoding(ok)).toBe(true);
  });

  it("accepts escapes that are not UTF-8, which decodeURIComponent still refuses", () => {
    for (const path of ["/%FF", "/%C3", "/%ED%A0%80"]) {
      expect(hasValidPercentEncoding(path)).toBe(true);
      expect(() => decodeURIComponent(path)).toThrow(URIError);
    }
  });

  it("refuses a stray %, a truncated escape or non-hex digits", () => {
    for (const bad of ["/100%", "/a%2", "/%zz", "/%g0", "/%0g", "%", "/ok%20/then%"]) {
      expect(hasValidPercentEncoding(bad)).toBe(false);
    }
  });

  it("agrees with decodeURI on which escapes are well-formed (ASCII octets)", () => {
    const char = fc.constantFrom(..."ab/%0123456789aAfFgz");
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }), (chars) => {
        const text = chars.join("");
        // Any escape below %80 decodes on its own, so decodeURI throws exactly on malformed escapes here.
        const ascii = text.replace(/%[89a-fA-F]([0-9a-fA-F])/g, "%7$1");
        let decodes = true;
        try {
          decodeURI(ascii);
        } catch {
          decodes = false;
        }
        expect(hasValidPercentEncoding(ascii)).toBe(decodes);
      }),
    );
  });
});
