import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cookieAttributesText, encodeCookieValue, serializeCookie } from "../../src/cookies/serialize.js";
import { isToken } from "../../src/core/token.js";

/** Strings rich in the characters that matter to a cookie header (fast to generate, unlike unit "binary"). */
const headerish = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.constantFrom(";", "\r", "\n", "\0", "\t", "\x7f", "%", '"', ",", "\\", "=", "é", "€", "😀", "\ud800"),
  ),
});

describe("serializeCookie", () => {
  it("writes name, value and every attribute in canonical form", () => {
    const line = serializeCookie("sid", "abc", {
      path: "/app",
      domain: "example.com",
      maxAge: 60,
      expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
      secure: true,
      httpOnly: true,
      sameSite: "STRICT" as "strict",
      partitioned: true,
      priority: "High",
    });
    expect(line.split("; ").sort()).toEqual(
      [
        "sid=abc",
        "Path=/app",
        "Domain=example.com",
        "Max-Age=60",
        "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Partitioned",
        "Priority=High",
      ].sort(),
    );
  });

  it("leaves out false flags and undefined attributes", () => {
    expect(serializeCookie("a", "b", { secure: false, httpOnly: false, path: undefined })).toBe("a=b");
    expect(serializeCookie("a", "")).toBe("a=");
  });

  it("canonicalizes sameSite and priority whatever their case", () => {
    for (const [input, out] of [
      ["lax", "Lax"],
      ["LAX", "Lax"],
      ["Strict", "Strict"],
      ["nOnE", "None"],
    ] as const) {
      expect(serializeCookie("a", "b", { sameSite: input as "lax", secure: true })).toContain(
        `SameSite=${out}`,
      );
    }
    expect(serializeCookie("a", "b", { priority: "MEDIUM" as "medium" })).toBe("a=b; Priority=Medium");
  });

  it("writes cookie-octet values unchanged and percent-encodes the rest", () => {
    expect(serializeCookie("k", "AZaz09-_.~!#$&'()*+/:<=>?@[]^`{|}")).toBe(
      "k=AZaz09-_.~!#$&'()*+/:<=>?@[]^`{|}",
    );
    expect(serializeCookie("k", 'a b"c,d\\e%f')).toBe("k=a%20b%22c%2Cd%5Ce%25f");
    expect(serializeCookie("k", "é€😀")).toBe(`k=${encodeURIComponent("é€😀")}`);
  });

  // These were refused before: a value is data, so what would break the header is encoded instead.
  const encoded: [string, string, string][] = [
    ["a ;", "a;Domain=evil", "a%3BDomain=evil"],
    ["a CR", "a\rb", "a%0Db"],
    ["an LF", "a\nSet-Cookie: x=y", "a%0ASet-Cookie:%20x=y"],
    ["a NUL", "a\0", "a%00"],
    ["a DEL", "a\x7f", "a%7F"],
    ["a tab", "a\tb", "a%09b"],
    ["the issue's value", "v;w x", "v%3Bw%20x"],
  ];
  for (const [what, value, wire] of encoded) {
    it(`percent-encodes a value with ${what} instead of refusing it`, () => {
      expect(serializeCookie("sid", value, { path: "/" })).toBe(`sid=${wire}; Path=/`);
      expect(encodeCookieValue("sid", value)).toBe(wire);
    });
  }

  const throws: [string, () => unknown, RegExp][] = [
    ["empty name", () => serializeCookie("", "v"), /Cookie name "" is not an RFC 6265 token/],
    ["name with space", () => serializeCookie("a b", "v"), /Cookie name "a b"/],
    ["name with =", () => serializeCookie("a=b", "v"), /Cookie name "a=b"/],
    ["name with ;", () => serializeCookie("a;b", "v"), /Cookie name "a;b"/],
    ["name with non-ASCII", () => serializeCookie("é", "v"), /Cookie name "é"/],
    ["non-string name", () => serializeCookie(1 as unknown as string, "v"), /Cookie name 1/],
    ["lone surrogate", () => serializeCookie("sid", "a\ud800"), /Cookie "sid": value contains a lone/],
    [
      "non-string value",
      () => serializeCookie("sid", 5 as unknown as string),
      /Cookie "sid": value must be a string/,
    ],
    ["path with ;", () => serializeCookie("sid", "v", { path: "/a;b" }), /Cookie "sid": path must start/],
    ["path with LF", () => serializeCookie("sid", "v", { path: "/a\nb" }), /Cookie "sid": path/],
    [
      "relative path",
      () => serializeCookie("sid", "v", { path: "a" }),
      /Cookie "sid": path must start with "\/"/,
    ],
    ["domain with ;", () => serializeCookie("sid", "v", { domain: "a.com;x" }), /Cookie "sid": domain/],
    ["domain with CRLF", () => serializeCookie("sid", "v", { domain: "a.com\r\n" }), /Cookie "sid": domain/],
    [
      "fractional maxAge",
      () => serializeCookie("sid", "v", { maxAge: 1.5 }),
      /Cookie "sid": maxAge must be an integer/,
    ],
    ["NaN maxAge", () => serializeCookie("sid", "v", { maxAge: Number.NaN }), /Cookie "sid": maxAge/],
    ["Infinity maxAge", () => serializeCookie("sid", "v", { maxAge: Number.POSITIVE_INFINITY }), /maxAge/],
    ["string maxAge", () => serializeCookie("sid", "v", { maxAge: "5" as unknown as number }), /maxAge/],
    ["invalid Date", () => serializeCookie("sid", "v", { expires: new Date(Number.NaN) }), /"sid": expires/],
    ["expires not a Date", () => serializeCookie("sid", "v", { expires: 5 as unknown as Date }), /expires/],
    [
      "secure not boolean",
      () => serializeCookie("sid", "v", { secure: "yes" as unknown as boolean }),
      /"sid": secure/,
    ],
    [
      "httpOnly not boolean",
      () => serializeCookie("sid", "v", { httpOnly: 1 as unknown as boolean }),
      /httpOnly/,
    ],
    [
      "bad sameSite",
      () => serializeCookie("sid", "v", { sameSite: "loose" as "lax" }),
      /"sid": sameSite must be/,
    ],
    [
      "bad priority",
      () => serializeCookie("sid", "v", { priority: "urgent" as "low" }),
      /"sid": priority must be/,
    ],
    [
      "unknown attribute",
      () => serializeCookie("sid", "v", { maxage: 5 } as never),
      /"sid": attribute "maxage" is unknown/,
    ],
    [
      "value as attribute",
      () => serializeCookie("sid", "v", { value: "x" } as never),
      /attribute "value" is unknown/,
    ],
    [
      "sameSite none without secure",
      () => serializeCookie("sid", "v", { sameSite: "none" }),
      /"sid": sameSite "none" requires secure/,
    ],
    [
      "partitioned without secure",
      () => serializeCookie("sid", "v", { partitioned: true }),
      /"sid": partitioned requires/,
    ],
    [
      "__Secure- without secure",
      () => serializeCookie("__Secure-id", "v"),
      /"__Secure-id": secure must be true/,
    ],
    [
      "__secure- lower case",
      () => serializeCookie("__secure-id", "v", { secure: false }),
      /secure must be true/,
    ],
    [
      "__Host- without secure",
      () => serializeCookie("__Host-id", "v", { path: "/" }),
      /"__Host-id": secure must be true/,
    ],
    [
      "__Host- with domain",
      () => serializeCookie("__Host-id", "v", { secure: true, path: "/", domain: "a.com" }),
      /"__Host-id": domain must not be set/,
    ],
    [
      "__Host- without path",
      () => serializeCookie("__Host-id", "v", { secure: true }),
      /"__Host-id": path must be "\/"/,
    ],
    [
      "__Host- other path",
      () => serializeCookie("__Host-id", "v", { secure: true, path: "/a" }),
      /path must be "\/"/,
    ],
  ];
  for (const [what, run, message] of throws) {
    it(`throws a TypeError for ${what}`, () => {
      expect(run).toThrow(TypeError);
      expect(run).toThrow(message);
    });
  }

  it("says where a value breaks the header, without printing the value (cookie values are often tokens)", () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.secret";
    expect(() => serializeCookie("auth", `${token} é\ud800`)).toThrowError(
      new TypeError(
        'Cookie "auth": value contains a lone UTF-16 surrogate at index 29, which has no UTF-8 form',
      ),
    );
    expect(() => serializeCookie("auth", { token } as never)).toThrowError(
      new TypeError('Cookie "auth": value must be a string, got an object'),
    );
  });

  it("accepts valid prefixed cookies", () => {
    expect(serializeCookie("__Secure-id", "v", { secure: true, domain: "a.com", path: "/x" })).toBe(
      "__Secure-id=v; Domain=a.com; Path=/x; Secure",
    );
    expect(serializeCookie("__Host-id", "v", { secure: true, path: "/", httpOnly: true })).toBe(
      "__Host-id=v; Path=/; HttpOnly; Secure",
    );
  });

  it("never lets a header-breaking character through, whatever the input", () => {
    fc.assert(
      fc.property(headerish, headerish, (name, value) => {
        let line: string;
        try {
          line = serializeCookie(name, value, { path: "/" });
        } catch (error) {
          // Only the name (a programmer error) or a value that is not text may be refused.
          expect(error).toBeInstanceOf(TypeError);
          expect(isToken(name) && !/\p{Surrogate}/u.test(value)).toBe(false);
          return;
        }
        expect(line).not.toMatch(/[\x00-\x1f\x7f]/);
        expect(line.split(";").length).toBe(2);
        expect(line).toMatch(/^[\x21-\x7e]+; Path=\/$/);
      }),
    );
  });

  it("compiles attribute text once for reuse", () => {
    expect(cookieAttributesText("sid", { path: "/", httpOnly: true, sameSite: "lax" })).toBe(
      "; Path=/; HttpOnly; SameSite=Lax",
    );
    expect(cookieAttributesText("sid", undefined)).toBe("");
    expect(() => cookieAttributesText("__Host-x", {})).toThrow(/secure must be true/);
  });
});
