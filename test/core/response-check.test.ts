import { validateHeaderName, validateHeaderValue } from "node:http";
import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  invalidHeaderValueIndex,
  isResponseBody,
  isValidHeaderName,
  isValidHeaderValue,
  responseProblem,
} from "../../src/core/response-check.js";

const nodeAcceptsName = (name: string): boolean => {
  try {
    validateHeaderName(name);
    return true;
  } catch {
    return false;
  }
};
const nodeAcceptsValue = (value: string): boolean => {
  try {
    validateHeaderValue("x", value);
    return true;
  } catch {
    return false;
  }
};

// Mostly token characters, with separators, controls and non-Latin-1 text mixed in.
const headerChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcXYZ09-_!#$%&'*+.^`|~") },
  { weight: 2, arbitrary: fc.constantFrom(...' \t\r\n\0\x01\x7f\x80\xff:;,"()/<>=?@[]{}\\') },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);
const headerText = fc.string({ unit: headerChar, maxLength: 20 });

describe("isValidHeaderName / isValidHeaderValue", () => {
  it("agree with Node's own header validation on any text", () => {
    fc.assert(
      fc.property(headerText, (text) => {
        expect(isValidHeaderName(text)).toBe(nodeAcceptsName(text));
        expect(isValidHeaderValue(text)).toBe(nodeAcceptsValue(text));
        expect(invalidHeaderValueIndex(text) === -1).toBe(isValidHeaderValue(text));
      }),
      { numRuns: 200 },
    );
  });

  it("accept every token and every field-value", () => {
    const token = fc.string({ unit: fc.constantFrom(..."abcXYZ09-_!#$%&'*+.^`|~"), minLength: 1 });
    const fieldValueCode = fc
      .integer({ min: 0, max: 0xff })
      .filter((c) => c === 9 || (c >= 0x20 && c !== 0x7f));
    fc.assert(fc.property(token, (name) => isValidHeaderName(name)));
    fc.assert(
      fc.property(fc.array(fieldValueCode), (codes) => isValidHeaderValue(String.fromCharCode(...codes))),
    );
  });

  it("reject the empty name, separators and non-ASCII in names", () => {
    for (const name of ["", "a b", "a:b", "a\r\nb", "é", "(x)", "a/b"])
      expect(isValidHeaderName(name)).toBe(false);
  });

  it("reject CR, LF, NUL, other controls and text above U+00FF in values, reporting the index", () => {
    expect(invalidHeaderValueIndex("ab\rc")).toBe(2);
    expect(invalidHeaderValueIndex("a\n")).toBe(1);
    expect(invalidHeaderValueIndex("\0")).toBe(0);
    expect(invalidHeaderValueIndex("a\x01")).toBe(1);
    expect(invalidHeaderValueIndex("a\x7f")).toBe(1);
    expect(invalidHeaderValueIndex("ok€")).toBe(2);
    expect(invalidHeaderValueIndex("tab\tand space and latin-1 é\xff")).toBe(-1);
  });

  it("report the index of the first offending UTF-16 code unit, surrogates and astral text included", () => {
    const firstBad = (text: string): number => {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) return i;
      }
      return -1;
    };
    const unit = fc.oneof(
      headerChar,
      fc.constantFrom("\ud83d", "\ude00", "😀", "\u0100", "\u00ff", "\t"),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (text) => {
        expect(invalidHeaderValueIndex(text)).toBe(firstBad(text));
      }),
      { numRuns: 200 },
    );
    expect(invalidHeaderValueIndex(`${"a".repeat(200)}😀`)).toBe(200);
  });
});

describe("isResponseBody", () => {
  it("accepts every body type in the SPEC", () => {
    async function* gen() {
      yield "a";
    }
    for (const body of [
      undefined,
      null,
      "",
      "text",
      new Uint8Array(2),
      Buffer.from("x"),
      gen(),
      new ReadableStream(),
      Readable.from(["a"]),
    ]) {
      expect(isResponseBody(body)).toBe(true);
    }
  });

  it("rejects anything else", () => {
    for (const body of [0, true, {}, [], ["a"], new ArrayBuffer(2), new Map(), () => "x", Symbol("s"), 1n]) {
      expect(isResponseBody(body)).toBe(false);
    }
  });
});

describe("responseProblem", () => {
  it("returns undefined for valid responses", () => {
    expect(responseProblem({ status: 200, headers: {} })).toBeUndefined();
    expect(
      responseProblem({
        status: 599,
        headers: { "content-type": "text/plain", "set-cookie": ["a=1", "b=2"], "x-empty": [] },
        body: "hi",
      }),
    ).toBeUndefined();
    expect(responseProblem({ status: 100, headers: Object.create(null), body: null })).toBeUndefined();
  });

  it("names a response that is not an object", () => {
    expect(responseProblem(undefined)).toMatch(/^response must be an object .* got undefined/);
    expect(responseProblem(null)).toMatch(/got null/);
    expect(responseProblem("ok")).toMatch(/got "ok"/);
  });

  it("names a bad status", () => {
    for (const status of [99, 600, 200.5, Number.NaN, "200", undefined, null]) {
      expect(responseProblem({ status, headers: {} })).toMatch(
        /^response\.status must be an integer from 100 to 599, got /,
      );
    }
    expect(responseProblem({ status: 700, headers: {} })).toContain("got number 700");
  });

  it("names headers that are not an object", () => {
    for (const headers of [undefined, null, "x", [], 1]) {
      expect(responseProblem({ status: 200, headers })).toMatch(/^response\.headers must be an object/);
    }
  });

  it("names an invalid header name", () => {
    expect(responseProblem({ status: 200, headers: { "bad name": "x" } })).toBe(
      'response.headers has an invalid name "bad name": a header name must be an RFC 9110 token (§5.6.2)',
    );
    expect(responseProblem({ status: 200, headers: { "": "x" } })).toContain('invalid name ""');
  });

  it("names a header value that is not a string or an array of strings", () => {
    expect(responseProblem({ status: 200, headers: { "x-n": 1 } })).toBe(
      'response.headers["x-n"] must be a string or an array of strings, got number 1',
    );
    expect(responseProblem({ status: 200, headers: { "x-u": undefined } })).toContain("got undefined");
    expect(responseProblem({ status: 200, headers: { "set-cookie": ["a=1", 2] } })).toBe(
      'response.headers["set-cookie"][1] must be a string, got number 2',
    );
  });

  it("names CR, LF and NUL in a header value, as a string or inside an array", () => {
    expect(responseProblem({ status: 200, headers: { "x-a": "1\r\nset-cookie: evil=1" } })).toBe(
      'response.headers["x-a"] contains CR at index 1 (RFC 9110 §5.5 forbids CR, LF and NUL in field values)',
    );
    expect(responseProblem({ status: 200, headers: { "x-a": "a\nb" } })).toContain("contains LF at index 1");
    expect(responseProblem({ status: 200, headers: { "x-a": ["ok", "\0"] } })).toContain(
      'response.headers["x-a"][1] contains NUL at index 0',
    );
    expect(responseProblem({ status: 200, headers: { "x-a": "x\x01" } })).toContain(
      "contains U+0001 at index 1",
    );
    expect(responseProblem({ status: 200, headers: { "x-a": "€" } })).toContain("encode text above U+00FF");
  });

  it("names an unknown body type", () => {
    expect(responseProblem({ status: 200, headers: {}, body: 42 })).toMatch(
      /^response\.body has an unknown type \(number 42\); expected a string, Uint8Array/,
    );
    expect(responseProblem({ status: 200, headers: {}, body: { a: 1 } })).toContain("(an object)");
    expect(responseProblem({ status: 200, headers: {}, body: new ArrayBuffer(1) })).toContain(
      "an instance of ArrayBuffer",
    );
  });

  it("reports the first problem in order: status, headers, body", () => {
    expect(responseProblem({ status: 0, headers: null, body: 1 })).toMatch(/^response\.status/);
    expect(responseProblem({ status: 200, headers: null, body: 1 })).toMatch(/^response\.headers/);
  });

  it("is undefined exactly when every name and value is valid (property)", () => {
    const headers = fc.dictionary(headerText, fc.oneof(headerText, fc.array(headerText, { maxLength: 3 })), {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(headers, (h) => {
        const valid = Object.entries(h).every(
          ([name, value]) =>
            nodeAcceptsName(name) &&
            (typeof value === "string" ? [value] : value).every((v) => nodeAcceptsValue(v)),
        );
        expect(responseProblem({ status: 200, headers: h }) === undefined).toBe(valid);
      }),
      { numRuns: 200 },
    );
  });
});
