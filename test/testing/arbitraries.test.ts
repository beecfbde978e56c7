import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { wrapCookies } from "../../src/cookies/middleware.js";
import { parseCookies, readCookie } from "../../src/cookies/parse.js";
import { readBytes } from "../../src/core/body.js";
import { isValidHeaderName, isValidHeaderValue } from "../../src/core/response-check.js";
import { lintRequest } from "../../src/middleware/lint.js";
import { assertJsonRoundTrip } from "../../src/session/json-check.js";
import * as arbitraries from "../../src/testing/arbitraries.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RAW_PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const RAW_QUERY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;

describe("request-line arbitraries", () => {
  it("method() gives RFC 9110 tokens", () => {
    fc.assert(fc.property(arbitraries.method(), (m) => TOKEN.test(m)));
  });

  it("path() gives raw paths starting with / and no ?", () => {
    fc.assert(fc.property(arbitraries.path(), (p) => RAW_PATH.test(p)));
  });

  it("queryString() gives raw queries, the empty one and undefined", () => {
    fc.assert(fc.property(arbitraries.queryString(), (q) => q === undefined || RAW_QUERY.test(q)));
    const samples = fc.sample(arbitraries.queryString(), { numRuns: 300, seed: 1 });
    expect(samples).toContain(undefined);
    expect(samples).toContain("");
  });
});

describe("header arbitraries", () => {
  it("headers() gives lower-case token names with valid values and no reserved names", () => {
    fc.assert(
      fc.property(arbitraries.headers(), (headers) => {
        for (const [name, value] of Object.entries(headers)) {
          expect(isValidHeaderName(name) && name === name.toLowerCase()).toBe(true);
          expect(isValidHeaderValue(value)).toBe(true);
          expect(value).not.toMatch(/^[ \t]|[ \t]$/);
          expect(["host", "content-length", "transfer-encoding", "cookie"]).not.toContain(name);
        }
      }),
    );
  });

  it("headers() and cookieHeader() include the name __proto__, kept as an own key", () => {
    const maps = fc.sample(arbitraries.headers(), { numRuns: 300, seed: 5 });
    expect(maps.some((headers) => Object.hasOwn(headers, "__proto__"))).toBe(true);
    const samples = fc.sample(arbitraries.cookieHeader(), { numRuns: 300, seed: 6 });
    const withProto = samples.filter((s) => /(?:^|; )__proto__=/.test(s.header));
    expect(withProto.length).toBeGreaterThan(0);
    for (const { cookies } of withProto) expect(Object.hasOwn(cookies, "__proto__")).toBe(true);
  });

  it("headerLines() repeats names in mixed case, and joinHeaderLines joins them as the SPEC says", () => {
    const samples = fc.sample(arbitraries.headerLines(), { numRuns: 300, seed: 2 });
    const flat = samples.flat();
    expect(flat.some(([name]) => name !== name.toLowerCase())).toBe(true);
    expect(samples.some((lines) => new Set(lines.map(([n]) => n.toLowerCase())).size < lines.length)).toBe(
      true,
    );
    expect(flat.some(([name]) => name.toLowerCase() === "cookie")).toBe(true);
    expect(
      arbitraries.joinHeaderLines([
        ["X-A", "1"],
        ["Cookie", "a=1"],
        ["x-a", "2"],
        ["cookie", "b=2"],
        ["Authorization", "x"],
        ["authorization", "y"],
      ]),
    ).toEqual({ "x-a": "1, 2", cookie: "a=1; b=2", authorization: "x, y" });
    expect(Object.getPrototypeOf(arbitraries.joinHeaderLines([["__proto__", "x"]]))).toBe(Object.prototype);
  });
});

describe("request()", () => {
  it("gives request maps that follow the SPEC", async () => {
    await fc.assert(
      fc.asyncProperty(arbitraries.request(), async (req) => {
        expect(Object.isFrozen(req)).toBe(true);
        expect(TOKEN.test(req.method)).toBe(true);
        expect(RAW_PATH.test(req.uri)).toBe(true);
        expect(req.queryString === undefined || RAW_QUERY.test(req.queryString)).toBe(true);
        expect(["http", "https"]).toContain(req.scheme);
        expect(Number.isInteger(req.serverPort) && req.serverPort >= 1 && req.serverPort <= 65535).toBe(true);
        expect(req.headers.host).toBeTypeOf("string");
        for (const [name, value] of Object.entries(req.headers)) {
          expect(isValidHeaderName(name) && name === name.toLowerCase()).toBe(true);
          expect(isValidHeaderValue(value)).toBe(true);
        }
        if (req.body === undefined) {
          expect(req.headers["content-length"]).toBeUndefined();
        } else {
          const bytes = await readBytes(req);
          expect(String(bytes.length)).toBe(req.headers["content-length"]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("gives request maps that pass lintRequest", () => {
    fc.assert(
      fc.property(arbitraries.request(), (req) => {
        expect(lintRequest(req)).toBe(req);
      }),
      { numRuns: 200 },
    );
  });

  it("honours withBody: false and a list of methods", () => {
    fc.assert(
      fc.property(arbitraries.request({ withBody: false, methods: ["GET", "HEAD"] }), (req) => {
        return req.body === undefined && (req.method === "GET" || req.method === "HEAD");
      }),
    );
  });
});

describe("cookie header arbitraries", () => {
  it("cookieHeader() comes with exactly what the RFC 6265 parser reads from it", () => {
    fc.assert(
      fc.property(arbitraries.cookieHeader(), ({ header, cookies }) => {
        expect(isValidHeaderValue(header)).toBe(true);
        expect({ ...parseCookies(header) }).toEqual(cookies);
        for (const [name, value] of Object.entries(cookies)) expect(readCookie(header, name)).toBe(value);
      }),
      { numRuns: 200 },
    );
  });

  it("cookieHeader() includes repeated names, percent-encoded values and empty values", () => {
    const samples = fc.sample(arbitraries.cookieHeader(), { numRuns: 300, seed: 3 });
    expect(samples.some((s) => s.header.includes("%"))).toBe(true);
    expect(samples.some((s) => Object.keys(s.cookies).length < s.header.split("; ").length)).toBe(true);
    expect(samples.some((s) => Object.values(s.cookies).includes(""))).toBe(true);
  });

  it("malformedCookieHeader() gives legal header bytes that never make the parser throw", () => {
    fc.assert(
      fc.property(arbitraries.malformedCookieHeader(), cookieNameOrJunk(), (header, name) => {
        expect([...header].every((c) => c === "\t" || (c >= " " && c !== "\x7f" && c <= "\u00ff"))).toBe(
          true,
        );
        const parsed = parseCookies(header);
        for (const value of Object.values(parsed)) expect(typeof value).toBe("string");
        const one = readCookie(header, name);
        expect(one === undefined || typeof one === "string").toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("malformed cookie headers through wrapCookies", () => {
  it("become a request.cookies map, never a crash", async () => {
    const app = wrapCookies((req) => ({
      status: 200,
      headers: {},
      body: JSON.stringify(req.cookies),
    }));
    await fc.assert(
      fc.asyncProperty(arbitraries.malformedCookieHeader(), async (header) => {
        const req = mockRequest("GET", "/", { headers: { cookie: header } });
        const res = await app(req);
        expect(typeof res.body).toBe("string");
      }),
      { numRuns: 200 },
    );
  });
});

function cookieNameOrJunk(): fc.Arbitrary<string> {
  return fc.oneof(arbitraries.cookieName(), fc.constantFrom("a", "b", "__proto__", "constructor", ""));
}

describe("sessionData()", () => {
  it("survives a JSON round trip unchanged, without -0 or __proto__", () => {
    fc.assert(
      fc.property(arbitraries.sessionData(), (data) => {
        expect(() => assertJsonRoundTrip(data)).not.toThrow();
        expect(JSON.parse(JSON.stringify(data))).toStrictEqual(data);
        expect(JSON.stringify(data).length).toBeLessThanOrEqual(1000);
        const walk = (v: unknown): void => {
          if (typeof v === "number") expect(Object.is(v, -0)).toBe(false);
          if (typeof v === "object" && v !== null) {
            expect(Object.hasOwn(v, "__proto__")).toBe(false);
            for (const child of Object.values(v)) walk(child);
          }
        };
        walk(data);
        expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
      }),
      { numRuns: 200 },
    );
  });

  it("honours maxKeys and maxJsonLength", () => {
    fc.assert(
      fc.property(arbitraries.sessionData({ maxKeys: 2, maxJsonLength: 50 }), (data) => {
        return Object.keys(data).length <= 2 && JSON.stringify(data).length <= 50;
      }),
    );
  });
});

describe("sessionAction()", () => {
  it("covers every kind, with {} among the writes", () => {
    const samples = fc.sample(arbitraries.sessionAction(), { numRuns: 400, seed: 4 });
    expect(new Set(samples.map((a) => a.kind))).toEqual(
      new Set(["read", "write", "delete", "recreate", "attrs", "noop"]),
    );
    expect(samples.some((a) => a.kind === "write" && Object.keys(a.data).length === 0)).toBe(true);
  });

  it("sessionActionResponse gives the response keys of each kind, copying the data", () => {
    const data = { user: { name: "ann" } };
    const write = arbitraries.sessionActionResponse({ kind: "write", data });
    expect(write).toEqual({ session: data });
    expect(write.session).not.toBe(data);
    expect(arbitraries.sessionActionResponse({ kind: "recreate", data })).toEqual({
      session: data,
      recreateSession: true,
    });
    expect(arbitraries.sessionActionResponse({ kind: "delete" })).toEqual({ session: null });
    expect(arbitraries.sessionActionResponse({ kind: "attrs", attrs: { maxAge: 60 } })).toEqual({
      sessionCookieAttrs: { maxAge: 60 },
    });
    expect(arbitraries.sessionActionResponse({ kind: "read" })).toEqual({});
    expect(arbitraries.sessionActionResponse({ kind: "noop" })).toEqual({});
  });
});
