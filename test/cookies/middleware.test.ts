import fc from "fast-check";
import { CookieJar } from "tough-cookie";
import { describe, expect, expectTypeOf, it } from "vitest";
import { cookiesRequest, cookiesResponse, wrapCookies } from "../../src/cookies/middleware.js";
import type { Request, Response } from "../../src/core/types.js";
import { mockRequest } from "../../src/testing/mock-request.js";

function request(headers: Record<string, string> = {}): Request {
  return mockRequest("GET", "/", { headers });
}

describe("cookiesRequest", () => {
  it("adds cookies parsed from the cookie header without touching the request", () => {
    const req = request({ cookie: "a=1; b=x%20y; a=2" });
    const out = cookiesRequest(req);
    expect({ ...out.cookies }).toEqual({ a: "1", b: "x y" });
    expect(out).not.toBe(req);
    expect("cookies" in req).toBe(false);
    expect({ ...cookiesRequest(request()).cookies }).toEqual({});
  });

  it("does not parse again when the request already has cookies", () => {
    const req = { ...request({ cookie: "a=1" }), cookies: { already: "here" } };
    expect(cookiesRequest(req)).toBe(req);
  });
});

describe("cookiesResponse", () => {
  it("turns response.cookies into set-cookie lines and removes the key", () => {
    const out = cookiesResponse({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: "ok",
      cookies: { a: "1", b: { value: "two words", path: "/", httpOnly: true } },
    });
    expect(out).toEqual({
      status: 200,
      headers: { "content-type": "text/plain", "set-cookie": ["a=1", "b=two%20words; Path=/; HttpOnly"] },
      body: "ok",
    });
    expect("cookies" in out).toBe(false);
  });

  it("appends to set-cookie lines the response already has, in any letter case", () => {
    const one = cookiesResponse({ status: 200, headers: { "set-cookie": "x=0" }, cookies: { a: "1" } });
    expect(one.headers).toEqual({ "set-cookie": ["x=0", "a=1"] });
    const many = cookiesResponse({
      status: 200,
      headers: { "Set-Cookie": ["x=0", "y=0"] },
      cookies: { a: "1" },
    });
    expect(many.headers).toEqual({ "set-cookie": ["x=0", "y=0", "a=1"] });
  });

  it("sends a single cookie as a string header value", () => {
    expect(cookiesResponse({ status: 200, headers: {}, cookies: { a: "1" } }).headers).toEqual({
      "set-cookie": "a=1",
    });
  });

  it("passes through a response without cookies, an empty cookies map and a missing response", () => {
    const res: Response = { status: 204, headers: {} };
    expect(cookiesResponse(res)).toBe(res);
    expect(cookiesResponse({ status: 200, headers: {}, cookies: {} })).toEqual({ status: 200, headers: {} });
    expect(cookiesResponse(undefined)).toBeUndefined();
    expect(cookiesResponse(null)).toBeNull();
  });

  it("round-trips any string value through Set-Cookie, a browser-like jar and the Cookie header", () => {
    // tough-cookie stores and sends cookies as RFC 6265 §5 says a user agent does.
    const value = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: fc.constantFrom(";", ",", '"', " ", "\t", "\r", "\n", "%", "%3B", "=", "\\", "é") }),
    );
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), (values) => {
        const cookies = Object.fromEntries(values.map((v, i) => [`c${i}`, { value: v, path: "/" }]));
        const headers = cookiesResponse({ status: 200, headers: {}, cookies }).headers as Response["headers"];
        const lines = [headers["set-cookie"]!].flat();
        const jar = new CookieJar();
        for (const line of lines) jar.setCookieSync(line, "https://example.com/");
        const read = cookiesRequest(request({ cookie: jar.getCookieStringSync("https://example.com/") }));
        expect({ ...read.cookies }).toEqual(Object.fromEntries(values.map((v, i) => [`c${i}`, v])));
      }),
      { numRuns: 300 },
    );
  });

  it("encodes a value that would break the header instead of refusing it", () => {
    expect(cookiesResponse({ status: 200, headers: {}, cookies: { note: "v;w x" } }).headers).toEqual({
      "set-cookie": "note=v%3Bw%20x",
    });
  });

  it("throws for a name or attribute that would break the header, naming it", () => {
    expect(() =>
      cookiesResponse({ status: 200, headers: {}, cookies: { sid: { value: "v", sameSite: "none" } } }),
    ).toThrow(/Cookie "sid": sameSite "none" requires secure/);
    expect(() => cookiesResponse({ status: 200, headers: {}, cookies: { "bad name": "v" } })).toThrow(
      /"bad name"/,
    );
    expect(() =>
      cookiesResponse({ status: 200, headers: {}, cookies: { sid: 5 as unknown as string } }),
    ).toThrow(/Cookie "sid": value must be a string/);
  });
});

describe("wrapCookies", () => {
  it("gives the handler request.cookies and writes its response cookies (sync stays sync)", () => {
    const app = wrapCookies((req) => ({
      status: 200,
      headers: {},
      body: req.cookies.theme ?? "none",
      cookies: { seen: "yes" },
    }));
    const out = app(request({ cookie: "theme=dark" }));
    expect(out).not.toBeInstanceOf(Promise);
    expect(out).toEqual({ status: 200, headers: { "set-cookie": "seen=yes" }, body: "dark" });
  });

  it("handles an async handler", async () => {
    const app = wrapCookies(async () => ({ status: 200, headers: {}, cookies: { a: "1" } }));
    await expect(app(request())).resolves.toEqual({ status: 200, headers: { "set-cookie": "a=1" } });
  });

  it("rejects unknown options at construction", () => {
    expect(() => wrapCookies(() => ({ status: 200, headers: {} }), { decode: 1 } as never)).toThrow(
      /wrapCookies: unknown option "decode"/,
    );
    expect(() => wrapCookies(() => ({ status: 200, headers: {} }), "strict" as never)).toThrow(
      "wrapCookies: options must be an object, got a string",
    );
  });

  it("types request.cookies for the handler", () => {
    wrapCookies((req) => {
      expectTypeOf(req.cookies).toEqualTypeOf<Readonly<Record<string, string>>>();
      return { status: 200, headers: {} };
    });
  });
});
