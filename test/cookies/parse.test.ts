import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCookies, readCookie } from "../../src/cookies/parse.js";
import { serializeCookie } from "../../src/cookies/serialize.js";
import { leastTime } from "../timing.js";

const names = fc.constantFrom("a", "b", "sid", "ring-session", "__proto__", "constructor", "x.y");
const token = fc.string({
  unit: fc.constantFrom(..."abcXYZ019!#$%&'*+-.^_`|~".split("")),
  minLength: 1,
  maxLength: 8,
});
/** Raw cookie-header text with the characters that matter to the parser. */
const headerText = fc.string({
  unit: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom("a", "b", "sid", "=", ";", " ", "\t", "%", "%2", "%41", "%zz", "%C3%A9"),
    },
    { weight: 1, arbitrary: fc.constantFrom("\u00e9", '"', ",", "\\", "%ED%A0%80", "__proto__") },
  ),
  maxLength: 40,
});

describe("parseCookies", () => {
  it("reads name=value pairs separated by ';' with optional spaces", () => {
    expect(parseCookies("a=1; b=2;c=3 ;  d = 4 ")).toEqual({ a: "1", b: "2", c: "3", d: "4" });
    expect(parseCookies(undefined)).toEqual({});
    expect(parseCookies("")).toEqual({});
  });

  it("skips pairs that do not parse", () => {
    expect(parseCookies("novalue; a=1; ;;=nameless; b=2")).toEqual({ a: "1", b: "2" });
  });

  it("keeps everything after the first '=' as the value", () => {
    expect(parseCookies("a=b=c")).toEqual({ a: "b=c" });
  });

  it("percent-decodes values and drops a value whose decoding fails", () => {
    expect(parseCookies("a=hello%20world; b=%E2%82%AC")).toEqual({ a: "hello world", b: "€" });
    expect(parseCookies("a=%zz; b=%E0%A4%A; c=ok")).toEqual({ c: "ok" });
    expect("a" in parseCookies("a=100%")).toBe(false);
  });

  it("lets the first of two same-named cookies win", () => {
    expect(parseCookies("sid=specific; sid=general")).toEqual({ sid: "specific" });
    // When the first pair's value cannot be decoded, the name is absent: a later pair is another path's cookie.
    expect(parseCookies("sid=%zz; sid=second; b=ok")).toEqual({ b: "ok" });
  });

  it("parses a header of many malformed pairs in time linear in it, as fast as well-formed ones", () => {
    const time = (header: string) => leastTime(() => parseCookies(header));
    const bad = Array.from({ length: 700 }, (_, i) => `c${i}=%E0%A4%A`).join("; ");
    const good = Array.from({ length: 700 }, (_, i) => `c${i}=%E0%A4%AA`).join("; ");
    expect(time(bad)).toBeLessThan(time(good) * 6 + 20);
    expect(Object.keys(parseCookies(bad))).toHaveLength(0);
  });

  it("does not let cookie names reach Object.prototype", () => {
    const cookies = parseCookies("__proto__=x; constructor=y; toString=z");
    expect(Object.getOwnPropertyDescriptor(cookies, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(cookies)).not.toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(cookies.constructor).toBe("y");
  });

  it("reads a quoted value with its quotes, as a browser's document.cookie shows it", () => {
    expect({ ...parseCookies('a="b"; c=" d%20"') }).toEqual({ a: '"b"', c: '" d "' });
    expect(readCookie('a="b"', "a")).toBe('"b"');
    // What ringlet writes never looks quoted: a `"` in a value is sent as %22.
    expect(serializeCookie("a", '"b"')).toBe("a=%22b%22");
  });

  it("reads back every cookie that serializeCookie writes (round trip, first wins)", () => {
    // Any well-formed string: the header's own characters, controls, escapes and any code point.
    const value = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({
        unit: fc.constantFrom(
          ";",
          ",",
          '"',
          " ",
          "\t",
          "\r",
          "\n",
          "\0",
          "%",
          "%41",
          "=",
          "\\",
          "é",
          "😀",
          "a",
        ),
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(token, value), { minLength: 1, maxLength: 6 }), (pairs) => {
        const header = pairs.map(([n, v]) => serializeCookie(n, v)).join("; ");
        const expected: Record<string, string> = {};
        for (const [n, v] of pairs) if (!(n in expected)) expected[n] = v;
        expect({ ...parseCookies(header) }).toEqual(expected);
      }),
    );
  });

  it("never throws on arbitrary text and only returns decoded string values", () => {
    fc.assert(
      fc.property(headerText, (header) => {
        const cookies = parseCookies(header);
        for (const [name, value] of Object.entries(cookies)) {
          expect(name).not.toBe("");
          expect(name).not.toMatch(/[;=]/);
          expect(typeof value).toBe("string");
          expect(value).not.toMatch(/^[ \t]|[ \t]$/);
        }
      }),
    );
  });
});

describe("readCookie", () => {
  it("finds one cookie without being fooled by names inside values or longer names", () => {
    expect(readCookie("xsid=1; b=sid=2; sid=3", "sid")).toBe("3");
    expect(readCookie("sid = 4 ; sid=5", "sid")).toBe("4");
    expect(readCookie("a=1", "sid")).toBeUndefined();
    expect(readCookie(undefined, "sid")).toBeUndefined();
    expect(readCookie("sid=%zz; sid=ok", "sid")).toBeUndefined();
    expect(readCookie("a=1; sid=%41%42; sid=ok", "sid")).toBe("AB");
    expect(readCookie("x sid=1", "sid")).toBeUndefined();
  });

  it("reads only the first pair of a repeated name, in time linear in the header", () => {
    const attack = "ring-session=%E0%A4%A; ".repeat(690);
    const honest = `${"other-name=%E0%A4%AA; ".repeat(690)}ring-session=x`;
    const time = (header: string) => leastTime(() => readCookie(header, "ring-session"), { iterations: 200 });
    expect(readCookie(attack, "ring-session")).toBeUndefined();
    expect(time(attack)).toBeLessThan(time(honest) * 6 + 20);
  });

  it("agrees with parseCookies on any header", () => {
    fc.assert(
      fc.property(headerText, names, (header, name) => {
        expect(readCookie(header, name)).toBe(parseCookies(header)[name]);
      }),
      { numRuns: 1000 },
    );
  });
});
