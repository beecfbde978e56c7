import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCookies } from "../../src/cookies/parse.js";
import { readBytes, readJson, readText } from "../../src/core/body.js";
import { lintRequest, wrapLint } from "../../src/middleware/lint.js";
import { unicodeString } from "../../src/testing/arbitraries.js";
import { encodeFields, mockRequest } from "../../src/testing/mock-request.js";

async function collect(body: AsyncIterable<Uint8Array> | undefined): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  if (body !== undefined) for await (const chunk of body) chunks.push(chunk);
  return chunks;
}

describe("mockRequest defaults", () => {
  it("builds ring-mock's defaults", () => {
    const req = mockRequest("GET", "/");
    expect(req).toEqual({
      method: "GET",
      uri: "/",
      queryString: undefined,
      scheme: "http",
      protocol: "HTTP/1.1",
      headers: { host: "localhost" },
      serverName: "localhost",
      serverPort: 80,
      remoteAddr: "127.0.0.1",
      body: undefined,
    });
    expect(Object.isFrozen(req)).toBe(true);
    expect(Object.isFrozen(req.headers)).toBe(true);
  });

  it("overrides every default", () => {
    const req = mockRequest("PATCH", "/x", {
      scheme: "https",
      serverName: "example.test",
      serverPort: 8443,
      remoteAddr: "::1",
      protocol: "HTTP/1.0",
    });
    expect(req).toMatchObject({
      method: "PATCH",
      scheme: "https",
      serverName: "example.test",
      serverPort: 8443,
      remoteAddr: "::1",
      protocol: "HTTP/1.0",
      headers: { host: "example.test:8443" },
    });
    expect(mockRequest("GET", "/", { scheme: "https" }).serverPort).toBe(443);
  });

  it("takes scheme, host and port from an absolute URL", () => {
    const req = mockRequest("GET", "https://shop.example.test:8443/cart?id=1#frag");
    expect(req).toMatchObject({
      scheme: "https",
      serverName: "shop.example.test",
      serverPort: 8443,
      uri: "/cart",
      queryString: "id=1",
      headers: { host: "shop.example.test:8443" },
    });
    expect(mockRequest("GET", "http://example.test").uri).toBe("/");
    expect(mockRequest("GET", "https://example.test/").serverPort).toBe(443);
  });
});

describe("mockRequest uri and query", () => {
  it("splits the query and keeps the distinction between no ? and an empty one", () => {
    expect(mockRequest("GET", "/a/b?x=1&y=%20").queryString).toBe("x=1&y=%20");
    expect(mockRequest("GET", "/a?").queryString).toBe("");
    expect(mockRequest("GET", "/a").queryString).toBeUndefined();
  });

  it("keeps existing escapes and dot segments raw, and encodes what cannot be sent raw", () => {
    expect(mockRequest("GET", "/a%2Fb/../c").uri).toBe("/a%2Fb/../c");
    expect(mockRequest("GET", "/caf\u00e9 menu").uri).toBe("/caf%C3%A9%20menu");
    expect(mockRequest("GET", "/?q=a b").queryString).toBe("q=a%20b");
  });

  it("encodes a query object and appends it to the uri's query", () => {
    const req = mockRequest("GET", "/search?page=2", {
      query: { q: "a&b c", tag: ["x", "y"], n: 3, off: undefined },
    });
    expect(req.queryString).toBe("page=2&q=a%26b%20c&tag=x&tag=y&n=3");
    expect(mockRequest("GET", "/", { query: "raw=%41" }).queryString).toBe("raw=%41");
    expect(mockRequest("GET", "/", { query: {} }).queryString).toBe("");
  });

  it("round-trips any field names and values through URLSearchParams", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(unicodeString(), unicodeString()), { maxLength: 5 }), (pairs) => {
        const fields: Record<string, string[]> = {};
        for (const [k, v] of pairs) {
          if (k === "__proto__") continue;
          const values = fields[k] ?? [];
          values.push(v);
          fields[k] = values;
        }
        const parsed = new URLSearchParams(mockRequest("GET", "/", { query: fields }).queryString);
        for (const [k, values] of Object.entries(fields)) expect(parsed.getAll(k)).toEqual(values);
      }),
    );
  });

  it("rejects what is not a request target", () => {
    expect(() => mockRequest("GET", "relative")).toThrow(/uri must start with "\/"/);
    expect(() => mockRequest("GET", "/\ud800")).toThrow(/lone UTF-16 surrogate/);
    expect(() => mockRequest("GET", "http://exa mple/")).toThrow(/invalid host/);
    expect(() => mockRequest("GE T", "/")).toThrow(/method must be an HTTP token/);
  });
});

describe("mockRequest headers and cookies", () => {
  it("lower-cases names and joins repeats as the SPEC says", () => {
    const req = mockRequest("GET", "/", {
      headers: {
        Accept: "text/html",
        accept: "application/json",
        "X-Multi": ["a", "b"],
        Cookie: ["a=1", "b=2"],
      },
    });
    expect(req.headers).toEqual({
      host: "localhost",
      accept: "text/html, application/json",
      "x-multi": "a, b",
      cookie: "a=1; b=2",
    });
  });

  it("keeps a header named __proto__ as data, as the adapters do", () => {
    const req = mockRequest("GET", "/", { headers: { ["__proto__"]: "x", "X-A": "1" } });
    expect(Object.getOwnPropertyDescriptor(req.headers, "__proto__")?.value).toBe("x");
    expect(Object.keys(req.headers)).toEqual(["host", "__proto__", "x-a"]);
    expect(lintRequest(req)).toBe(req);
  });

  it("lets headers replace the default host", () => {
    expect(mockRequest("GET", "/", { headers: { Host: "other.test" } }).headers.host).toBe("other.test");
  });

  it("writes cookies after any cookie header, encoding values that need it", () => {
    const req = mockRequest("GET", "/", { headers: { cookie: "a=1" }, cookies: { b: "2", c: "x y\u00e9" } });
    expect(req.headers.cookie).toBe("a=1; b=2; c=x%20y%C3%A9");
  });

  it("rejects headers and cookies that could not be sent", () => {
    expect(() => mockRequest("GET", "/", { headers: { "bad name": "x" } })).toThrow(/not an RFC 9110 token/);
    expect(() => mockRequest("GET", "/", { headers: { "x-a": "1\r\nx-b: 2" } })).toThrow(/cannot be sent/);
    expect(() => mockRequest("GET", "/", { cookies: { "a b": "1" } })).toThrow(/not an RFC 6265 token/);
    expect(() => mockRequest("GET", "/", { cookies: { a: 1 as never } })).toThrow(/"cookies.a"/);
  });

  it("encodes a cookie value with ; so the handler reads it back", () => {
    const req = mockRequest("GET", "/", { cookies: { a: "1;b=2" } });
    expect(req.headers.cookie).toBe("a=1%3Bb=2");
    expect({ ...parseCookies(req.headers.cookie) }).toEqual({ a: "1;b=2" });
  });
});

describe("mockRequest bodies", () => {
  it("sends a string body as UTF-8 with its content-length", async () => {
    const req = mockRequest("POST", "/", { body: "h\u00e9llo" });
    expect(req.headers["content-length"]).toBe("6");
    expect(await readText(req)).toBe("h\u00e9llo");
  });

  it("copies a byte body so later changes to the caller's array do not leak in", async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const req = mockRequest("PUT", "/", { body: bytes });
    bytes[0] = 9;
    expect(Array.from(await readBytes(req))).toEqual([1, 2, 3]);
  });

  it("sets content-type for json and form bodies unless one is given", async () => {
    const json = mockRequest("POST", "/", { json: { a: [1, "b"] } });
    expect(json.headers["content-type"]).toBe("application/json");
    expect(await readJson(json)).toEqual({ a: [1, "b"] });
    const form = mockRequest("POST", "/", { form: { user: "ann lee", tag: ["a", "b"] } });
    expect(form.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(await readText(form)).toBe("user=ann%20lee&tag=a&tag=b");
    const custom = mockRequest("POST", "/", {
      json: 1,
      headers: { "Content-Type": "application/vnd.api+json" },
    });
    expect(custom.headers["content-type"]).toBe("application/vnd.api+json");
  });

  it("has no body unless one is given, and an empty one when it is empty", async () => {
    expect(mockRequest("POST", "/").body).toBeUndefined();
    const empty = mockRequest("POST", "/", { body: "" });
    expect(empty.headers["content-length"]).toBe("0");
    expect(await collect(empty.body)).toEqual([]);
  });

  it("does not add content-length beside transfer-encoding (RFC 9112 §6.2)", () => {
    const req = mockRequest("POST", "/", { body: "x", headers: { "transfer-encoding": "chunked" } });
    expect(req.headers["content-length"]).toBeUndefined();
  });

  it("is lazy and delivers chunks of chunkSize", async () => {
    const req = mockRequest("POST", "/", { body: "abcdefg", chunkSize: 3 });
    const chunks = await collect(req.body);
    expect(chunks.map((c) => new TextDecoder().decode(c))).toEqual(["abc", "def", "g"]);
  });

  it("can be read once, like a socket", async () => {
    const req = mockRequest("POST", "/", { body: "x" });
    await collect(req.body);
    await expect(collect(req.body)).rejects.toThrow(/already read/);
  });

  it("round-trips any byte body in any chunking", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 1, max: 64 }),
        async (bytes, size) => {
          const chunks = await collect(mockRequest("POST", "/", { body: bytes, chunkSize: size }).body);
          expect(chunks.every((c) => c.length <= size && c.length > 0)).toBe(true);
          expect(Array.from(Buffer.concat(chunks))).toEqual(Array.from(bytes));
        },
      ),
    );
  });

  it("rejects conflicting or malformed options, naming the option", () => {
    expect(() => mockRequest("POST", "/", { body: "a", json: {} })).toThrow(/at most one of/);
    expect(() => mockRequest("POST", "/", { json: undefined, form: {}, body: "" })).toThrow(/at most one of/);
    expect(() => mockRequest("GET", "/", { serverPort: 0 })).toThrow(
      /^mockRequest: option "serverPort": Too small: expected number to be >=1/,
    );
    expect(() => mockRequest("GET", "/", { bdy: "x" } as never)).toThrow('mockRequest: unknown option "bdy"');
    expect(() => mockRequest("POST", "/", { json: () => 1 })).toThrow(/no JSON representation/);
  });
});

describe("encodeFields", () => {
  it("skips undefined and repeats arrays", () => {
    expect(encodeFields({ a: ["1", 2, true], b: undefined, "c d": "\u00e9" })).toBe(
      "a=1&a=2&a=true&c%20d=%C3%A9",
    );
  });
});

describe("mockRequest passes wrapLint", () => {
  it("for every kind of option", async () => {
    const requests = [
      mockRequest("GET", "/"),
      mockRequest("OPTIONS", "https://[::1]:8443/a%2Fb?x=%20y"),
      mockRequest("POST", "/caf\u00e9?q=a b", {
        json: { a: 1 },
        cookies: { sid: "k" },
        query: { n: [1, 2] },
      }),
      mockRequest("PUT", "/", { form: { a: "b" }, headers: { "X-A": ["1", "2"] }, chunkSize: 1 }),
      mockRequest("PATCH", "/", { body: new Uint8Array([0, 255]), protocol: "HTTP/2", remoteAddr: "::1" }),
    ];
    for (const req of requests) expect(lintRequest(req)).toBe(req);
    const app = wrapLint(async (req) => ({ status: 200, headers: {}, body: await readText(req) }));
    expect((await app(mockRequest("POST", "/", { body: "ok" }))).body).toBe("ok");
  });

  it("for any path, query, header and body it accepts", () => {
    fc.assert(
      fc.property(
        unicodeString({ maxLength: 20 }).filter((p) => !p.includes("#")),
        fc.option(unicodeString({ maxLength: 20 }), { nil: undefined }),
        fc.dictionary(fc.constantFrom("accept", "X-Custom", "cookie", "Authorization"), fc.string()),
        fc.option(unicodeString(), { nil: undefined }),
        (path, query, headers, body) => {
          const safeHeaders = Object.fromEntries(
            Object.entries(headers).filter(([, v]) => /^[\x20-\x7e]*$/.test(v)),
          );
          const req = mockRequest("GET", `/${path}`, {
            headers: safeHeaders,
            ...(query === undefined ? {} : { query }),
            ...(body === undefined ? {} : { body }),
          });
          expect(() => lintRequest(req)).not.toThrow();
        },
      ),
    );
  });
});
