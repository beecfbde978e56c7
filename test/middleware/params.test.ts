import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { readText } from "../../src/core/body.js";
import { HttpError } from "../../src/core/http-error.js";
import type { Request, Response } from "../../src/core/types.js";
import {
  type Params,
  type ParamsRequestKeys,
  paramsRequest,
  paramsResponse,
  parseUrlEncoded,
  wrapParams,
} from "../../src/middleware/params.js";
import { leastTime } from "../timing.js";

const enc = new TextEncoder();

function request(
  queryString: string | undefined,
  options: { body?: string | Uint8Array; type?: string; extra?: object } = {},
): Request {
  const { body, type, extra } = options;
  const bytes = typeof body === "string" ? enc.encode(body) : body;
  return Object.freeze({
    method: bytes === undefined ? "GET" : "POST",
    uri: "/form",
    queryString,
    scheme: "http",
    protocol: "HTTP/1.1",
    headers: Object.freeze<Record<string, string>>(type === undefined ? {} : { "content-type": type }),
    serverName: "localhost",
    serverPort: 80,
    remoteAddr: "127.0.0.1",
    body:
      bytes === undefined
        ? undefined
        : (async function* () {
            yield bytes;
          })(),
    ...extra,
  });
}

const FORM = "application/x-www-form-urlencoded";
const plain = (p: Params): Record<string, unknown> => ({ ...p });

/** What URLSearchParams (the WHATWG parser) makes of `text`, grouped the way `parseUrlEncoded` groups. */
function oracle(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  // A leading "&" stops URLSearchParams from dropping a leading "?"; it only adds an empty pair.
  for (const [k, v] of new URLSearchParams(`&${text}`)) {
    const e = out[k];
    out[k] = e === undefined ? v : typeof e === "string" ? [e, v] : [...e, v];
  }
  return out;
}

describe("parseUrlEncoded", () => {
  it.each<[string, Record<string, string | string[]>]>([
    ["", {}],
    ["a=1&b=2", { a: "1", b: "2" }],
    ["a=1&a=2&a=3", { a: ["1", "2", "3"] }],
    ["a", { a: "" }],
    ["a=", { a: "" }],
    ["=x", { "": "x" }],
    ["&&a=1&&", { a: "1" }],
    ["a=b=c", { a: "b=c" }],
    ["q=x+y&r=%2B", { q: "x y", r: "+" }],
    ["k=caf%C3%A9&e=%F0%9F%98%80", { k: "café", e: "😀" }],
    ["p=%zz&q=%&r=%4&s=a%20b%zz", { p: "%zz", q: "%", r: "%4", s: "a b%zz" }],
    ["bad=%E9&mixed=%C3%A9%FF", { bad: "\uFFFD", mixed: "é\uFFFD" }],
    ["bom=%EF%BB%BF", { bom: "\uFEFF" }],
    ["%61%62=%63", { ab: "c" }],
  ])("parses %j", (text, expected) => {
    expect(plain(parseUrlEncoded(text))).toEqual(expected);
  });

  it("returns an object with no prototype, so __proto__ and friends are plain keys", () => {
    const p = parseUrlEncoded("__proto__=x&constructor=y&hasOwnProperty=z&__proto__[polluted]=1&toString=w");
    expect(Object.getPrototypeOf(p)).toBeNull();
    expect(Object.keys(p)).toEqual([
      "__proto__",
      "constructor",
      "hasOwnProperty",
      "__proto__[polluted]",
      "toString",
    ]);
    expect(Object.getOwnPropertyDescriptor(p, "__proto__")?.value).toBe("x");
    expect(p.constructor).toBe("y");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty).toBeTypeOf("function");
  });

  it("decodes escapes next to non-ASCII text from its UTF-8 bytes, as the WHATWG standard says", () => {
    // Node's URLSearchParams takes each character's low byte here ("%E9Ć" → "\uFFFD\u0006"); the standard
    // percent-decodes the UTF-8 encoding of the input, and so does parseUrlEncoded.
    expect(plain(parseUrlEncoded("%E9Ć=%C3%A9é"))).toEqual({ "\uFFFDĆ": "éé" });
  });

  it("agrees with URLSearchParams on any ASCII text with any escapes, and never throws (property)", () => {
    // ASCII only: what a query string or form body holds on the wire, and where Node's URLSearchParams
    // follows the standard (see the test above).
    const char = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(..."ab=&+%%", "%2", "%2B", "%26", "%3D", "%E9", "%C3%A9", "%zz", "%F0%9F"),
      },
      { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }) },
    );
    fc.assert(
      fc.property(fc.string({ unit: char, maxLength: 40 }), (text) => {
        expect(plain(parseUrlEncoded(text))).toEqual(plain(oracle(text)));
      }),
      { numRuns: 500 },
    );
  });

  it("parses back any record of key → string or string[] encoded with URLSearchParams (property)", () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom(..."a=&+%?#/ ", "é", "😀", "\uFEFF"),
        fc
          .integer({ min: 0, max: 0x10ffff })
          .filter((c) => c < 0xd800 || c > 0xdfff)
          .map((c) => String.fromCodePoint(c)),
      ),
      maxLength: 12,
    });
    const entries = fc.uniqueArray(
      fc.tuple(text, fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 4 }))),
      {
        selector: ([k]) => k,
        maxLength: 8,
      },
    );
    fc.assert(
      fc.property(entries, (record) => {
        const search = new URLSearchParams();
        for (const [k, v] of record) for (const one of typeof v === "string" ? [v] : v) search.append(k, one);
        const expected: Record<string, string | string[]> = Object.create(null);
        for (const [k, v] of record) expected[k] = v;
        expect(plain(parseUrlEncoded(search.toString()))).toEqual(plain(expected));
      }),
    );
  });

  it("stays linear on a long run of pairs without '='", () => {
    const text = "a&".repeat(200_000);
    const started = performance.now();
    const p = parseUrlEncoded(text);
    expect((p.a as readonly string[]).length).toBe(200_000);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("wrapParams", () => {
  // The parsed params themselves, to count them.
  const echoParams = (request: Request & ParamsRequestKeys) => request.params as never;
  const echo = (request: Request & ParamsRequestKeys): Response => ({
    status: 200,
    headers: {},
    body: JSON.stringify({
      query: request.queryParams,
      form: request.formParams,
      params: request.params,
    }),
  });
  const run = async (app: (r: Request) => Response | Promise<Response>, r: Request) =>
    JSON.parse((await app(r)).body as string);

  it("parses the query string synchronously when there is no form body", () => {
    const out = wrapParams(echo)(request("page=2&tag=a&tag=b"));
    expect(out).not.toBeInstanceOf(Promise);
    expect(JSON.parse((out as Response).body as string)).toEqual({
      query: { page: "2", tag: ["a", "b"] },
      form: {},
      params: { page: "2", tag: ["a", "b"] },
    });
  });

  it("gives empty maps for a request with no query and no body", async () => {
    expect(await run(wrapParams(echo), request(undefined))).toEqual({ query: {}, form: {}, params: {} });
    expect(await run(wrapParams(echo), request(""))).toEqual({ query: {}, form: {}, params: {} });
  });

  it("parses a form body and merges it over the query string, as Ring", async () => {
    const r = request("a=query&q=1", { body: "a=form&f=x+y&f=%21", type: `${FORM}; charset=UTF-8` });
    const out = wrapParams(echo)(r);
    expect(out).toBeInstanceOf(Promise);
    expect(JSON.parse((await out).body as string)).toEqual({
      query: { a: "query", q: "1" },
      form: { a: "form", f: ["x y", "!"] },
      params: { a: "form", q: "1", f: ["x y", "!"] },
    });
  });

  it("keeps params a router already set, with query and form params winning", async () => {
    const r = request("id=q", { extra: { params: { id: "route", slug: "s" } } });
    expect((await run(wrapParams(echo), r)).params).toEqual({ id: "q", slug: "s" });
  });

  it("leaves the body of a request that is not a form alone", async () => {
    const r = request("x=1", { body: "a=1", type: "application/json" });
    const seen = await wrapParams((req) => {
      expect(req.body).toBe(r.body);
      return echo(req);
    })(r);
    expect(JSON.parse(seen.body as string).form).toEqual({});
  });

  it("lets the handler read a form body it already parsed, as often as it likes", async () => {
    const r = request(undefined, { body: "a=1&b=%E2%9C%93", type: FORM });
    await wrapParams(async (req) => {
      expect(req.formParams).toEqual({ a: "1", b: "✓" });
      expect(await readText(req)).toBe("a=1&b=%E2%9C%93");
      return { status: 204, headers: {} };
    })(r);
  });

  it("rejects a form body over the limit with 413", async () => {
    const r = request(undefined, { body: "a=".padEnd(100, "x"), type: FORM });
    const error = await Promise.resolve(wrapParams(echo, { limit: 50 })(r)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(413);
  });

  it("allows 1,000 parameters by default, query and form together, and answers one more with 413", async () => {
    const pairs = (n: number, name = "a") => Array.from({ length: n }, (_, i) => `${name}${i}=1`).join("&");
    expect(Object.keys((await wrapParams(echoParams)(request(pairs(1000)))) as object)).toHaveLength(1000);
    expect(() => wrapParams(echoParams)(request(pairs(1001)))).toThrow(
      expect.objectContaining({ status: 413, message: "More than 1000 parameters" }),
    );
    // Repeated names count once per value, and empty pairs ("&&") count not at all.
    expect(() => wrapParams(echoParams)(request(`${"a=1&&".repeat(1000)}a=2`))).toThrow(
      expect.objectContaining({ status: 413 }),
    );
    const split = request(pairs(600, "q"), { body: pairs(400, "f"), type: FORM });
    expect(Object.keys((await wrapParams(echoParams)(split)) as object)).toHaveLength(1000);
    const over = request(pairs(600, "q"), { body: pairs(401, "f"), type: FORM });
    await expect(wrapParams(echoParams)(over)).rejects.toMatchObject({ status: 413 });
    expect(() => wrapParams(echoParams, { maxParams: 2 })(request("a=1&b=2&c=3"))).toThrow(
      expect.objectContaining({ status: 413, message: "More than 2 parameters" }),
    );
    expect(() => wrapParams(echo, { maxParams: 0 })).toThrow(
      /wrapParams: option "maxParams": must be a positive integer/,
    );
  });

  it("refuses a query over maxParams before decoding any of it", () => {
    const time = (text: string) =>
      leastTime(() => {
        try {
          wrapParams(echoParams)(request(text));
        } catch {}
      });
    const over = Array.from({ length: 2000 }, (_, i) => `a${i}=%E2%9C%93`).join("&");
    const under = Array.from({ length: 1000 }, (_, i) => `a${i}=%E2%9C%93`).join("&");
    // Parsing 1,000 pairs and then refusing the 1,001st took as long as parsing 1,000.
    expect(time(over)).toBeLessThan(time(under) / 2);
  });

  it("parses malformed escapes in time linear in the text, as fast as well-formed ones of the same size", () => {
    const time = (text: string) => leastTime(() => parseUrlEncoded(text));
    const bad = "a=%ZZ&".repeat(2600);
    const good = "a=%41&".repeat(2600);
    // One exception per parameter made the malformed text ~60x slower than the well-formed one.
    expect(time(bad)).toBeLessThan(time(good) * 6 + 20);
    expect(parseUrlEncoded("a=%ZZ&b=%41&c=%E2%82")).toEqual({ a: "%ZZ", b: "A", c: "\uFFFD" });
  });

  it("rejects a non-UTF-8 form charset with 415 and invalid UTF-8 with 400", async () => {
    const latin1 = request(undefined, { body: "a=1", type: `${FORM}; charset=iso-8859-1` });
    // The form path is async, so its 415 is a rejection like its 413 and 400, not a synchronous throw.
    const out = wrapParams(echo)(latin1);
    expect(out).toBeInstanceOf(Promise);
    await expect(out).rejects.toThrow(HttpError);
    await expect(wrapParams(echo)(latin1)).rejects.toMatchObject({ status: 415, message: /charset/ });
    const invalid = request(undefined, { body: new Uint8Array([0x61, 0x3d, 0xff]), type: FORM });
    await expect(wrapParams(echo)(invalid)).rejects.toMatchObject({ status: 400 });
  });

  it("does nothing when applied twice", async () => {
    let reads = 0;
    const app = wrapParams(
      wrapParams((req) => {
        reads++;
        return echo(req);
      }),
    );
    expect(await run(app, request(undefined, { body: "a=1", type: FORM }))).toMatchObject({
      form: { a: "1" },
    });
    expect(reads).toBe(1);
  });

  it("never pollutes Object.prototype from query or form keys", async () => {
    const r = request("__proto__[x]=1&__proto__=q&constructor[prototype][y]=2", {
      body: "__proto__=f&toString=t",
      type: FORM,
    });
    await wrapParams((req) => {
      expect(Object.getPrototypeOf(req.params)).toBeNull();
      expect(Object.getOwnPropertyDescriptor(req.params, "__proto__")?.value).toBe("f");
      expect(req.params.toString).toBe("t");
      return echo(req);
    })(r);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });

  it("types the request the handler sees", () => {
    wrapParams((req) => {
      expectTypeOf(req.params).toEqualTypeOf<Params>();
      expectTypeOf(req.queryParams.page).toEqualTypeOf<string | readonly string[] | undefined>();
      return { status: 200, headers: {} };
    });
  });

  it("rejects bad options once, at construction, naming them", () => {
    expect(() => wrapParams(echo, { limit: -1 })).toThrow(
      /wrapParams: option "limit": must be a non-negative integer/,
    );
    expect(() => wrapParams(echo, { limit: 1.5 })).toThrow(/option "limit"/);
    expect(() => wrapParams(echo, { limt: 5 } as never)).toThrow(/wrapParams: unknown option "limt"/);
    expect(() => wrapParams(echo, "x" as never)).toThrow(/wrapParams: options must be an object/);
    expect(() => paramsRequest(request(undefined), { limit: -1 })).toThrow(/paramsRequest: option "limit"/);
  });
});

describe("paramsRequest and paramsResponse", () => {
  it("paramsRequest adds the three keys without touching the original", () => {
    const r = request("a=1");
    const out = paramsRequest(r) as Request & ParamsRequestKeys;
    expect(plain(out.queryParams)).toEqual({ a: "1" });
    expect(plain(out.formParams)).toEqual({});
    expect(Object.hasOwn(r, "queryParams")).toBe(false);
  });

  it("paramsRequest is synchronous without a form body, and a promise that rejects for any client error with one", async () => {
    expect(paramsRequest(request("a=1"))).not.toBeInstanceOf(Promise);
    for (const [r, status] of [
      [request(undefined, { body: "a=1", type: `${FORM}; charset=latin1` }), 415],
      [request(undefined, { body: "a=".padEnd(100, "x"), type: FORM }), 413],
      [request(undefined, { body: new Uint8Array([0xff]), type: FORM }), 400],
    ] as const) {
      let out: unknown;
      expect(() => {
        out = paramsRequest(r, { limit: 50 });
      }).not.toThrow();
      expect(out).toBeInstanceOf(Promise);
      await expect(out).rejects.toMatchObject({ status });
    }
  });

  it("paramsResponse returns the response itself", () => {
    const res = { status: 200, headers: {} };
    expect(paramsResponse(res, request(undefined))).toBe(res);
  });
});
