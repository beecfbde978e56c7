import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isToken } from "../../src/core/token.js";

// RFC 9110 §5.6.2, written out as the grammar says it.
const GRAMMAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

describe("isToken", () => {
  it("accepts exactly the non-empty strings of tchar", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.stringMatching(GRAMMAR)),
        (text) => {
          expect(isToken(text)).toBe(GRAMMAR.test(text));
        },
      ),
    );
  });

  it("refuses the empty string, separators, controls and non-ASCII", () => {
    for (const bad of ["", "a b", "a;b", 'a"b', "a,b", "a/b", "(a)", "a\u0000", "é", "a\u{1F600}"]) {
      expect(isToken(bad)).toBe(false);
    }
    expect(isToken("x-request-id")).toBe(true);
  });
});
