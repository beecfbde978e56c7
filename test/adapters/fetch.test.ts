import type { Server } from "node:http";
import { Readable } from "node:stream";
import { serve as serveOnNode } from "@hono/node-server";
import fc from "fast-check";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import {
  defaultRemoteAddr,
  fromFetchRequest,
  toFetchHandler,
  toFetchResponse,
} from "../../src/adapters/fetch.js";
import { readJson } from "../../src/core/body.js";
import { HttpError } from "../../src/core/http-error.js";
import type { Handler, Response, Request as RingRequest } from "../../src/core/types.js";
import { websocketResponse } from "../../src/core/websocket.js";
import { requestProblem } from "../../src/middleware/lint.js";
import { AdapterCheckError, checkAdapter } from "../../src/testing/check-adapter.js";

const text = async (body: AsyncIterable<Uint8Array> | undefined): Promise<string> => {
  if (body === undefined) throw new Error("no body");
  const decoder = new TextDecoder();
  let out = "";
  for await (const chunk of body) out += decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
};

describe("fromFetchRequest: URL", () => {
  it("takes method, raw path and raw query from the URL without decoding or re-encoding", () => {
    const r = fromFetchRequest(
      new Request("http://example.com/a%2Fb/%7e/caf%C3%A9;p=1/x:y@z?q=%zz&a=b+c&&e=#frag"),
    );
    expect(r.method).toBe("GET");
    expect(r.uri).toBe("/a%2Fb/%7e/caf%C3%A9;p=1/x:y@z");
    expect(r.queryString).toBe("q=%zz&a=b+c&&e=");
  });

  it("keeps the method as sent, any token", () => {
    expect(fromFetchRequest(new Request("http://h/", { method: "PATCH", body: "x" })).method).toBe("PATCH");
    expect(fromFetchRequest(new Request("http://h/", { method: "PROPFIND" })).method).toBe("PROPFIND");
  });

  it("gives queryString undefined without '?', '' with a bare '?', and drops the fragment", () => {
    expect(fromFetchRequest(new Request("http://h/p")).queryString).toBeUndefined();
    expect(fromFetchRequest(new Request("http://h/p?")).queryString).toBe("");
    expect(fromFetchRequest(new Request("http://h/p#x?y")).queryString).toBeUndefined();
    expect(fromFetchRequest(new Request("http://h/p#x?y")).uri).toBe("/p");
    expect(fromFetchRequest(new Request("http://h")).uri).toBe("/");
    expect(fromFetchRequest(new Request("http://h//a//b/")).uri).toBe("//a//b/");
  });

  it("takes scheme, serverName and serverPort from the URL, with the scheme's default port", () => {
    const a = fromFetchRequest(new Request("https://Example.COM/"));
    expect([a.scheme, a.serverName, a.serverPort]).toEqual(["https", "example.com", 443]);
    const b = fromFetchRequest(new Request("http://localhost:8080/"));
    expect([b.scheme, b.serverName, b.serverPort]).toEqual(["http", "localhost", 8080]);
    const c = fromFetchRequest(new Request("http://[::1]:3000/"));
    expect([c.serverName, c.serverPort]).toEqual(["[::1]", 3000]);
    const d = fromFetchRequest(new Request("http://[::1]/"));
    expect([d.serverName, d.serverPort]).toEqual(["[::1]", 80]);
    expect(fromFetchRequest(new Request("http://h:443/")).serverPort).toBe(443);
    expect(fromFetchRequest(new Request("https://h:80/")).serverPort).toBe(80);
  });

  it("documents protocol as HTTP/1.1 (fetch does not expose it)", () => {
    expect(fromFetchRequest(new Request("http://h/")).protocol).toBe("HTTP/1.1");
  });

  it("refuses a URL that is not http: or https:", () => {
    expect(() => fromFetchRequest(new Request("ftp://h/x"))).toThrow(
      expect.objectContaining({ status: 400, expose: false, message: expect.stringMatching(/^Unsupported/) }),
    );
  });

  it("refuses a path with a malformed % escape, as the Node adapter does (a query may have one)", () => {
    for (const path of ["/100%", "/a%zz", "/%2"]) {
      expect(() => fromFetchRequest(new Request(`http://h${path}`))).toThrow(
        expect.objectContaining({
          status: 400,
          message: expect.stringMatching(/^Malformed percent-encoding/),
        }),
      );
    }
    expect(fromFetchRequest(new Request("http://h/ok?100%")).queryString).toBe("100%");
  });

  it("freezes the request map and its headers", () => {
    const r = fromFetchRequest(new Request("http://h/", { headers: { a: "1" } }));
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.headers)).toBe(true);
  });
});

describe("fromFetchRequest: headers", () => {
  it("lower-cases names and joins repeated fields with ', '", () => {
    const h = new Headers();
    h.append("X-Trace", "a");
    h.append("x-trace", "b");
    h.append("Accept", "text/html");
    h.append("Authorization", "Basic x");
    h.append("authorization", "Bearer y");
    const r = fromFetchRequest(new Request("http://h/", { headers: h }));
    expect({ ...r.headers }).toEqual({
      "x-trace": "a, b",
      accept: "text/html",
      authorization: "Basic x, Bearer y",
    });
  });

  it("joins repeated cookie fields with '; ' (undici does; RFC 6265 §5.4)", () => {
    const r = fromFetchRequest(
      new Request("http://h/", {
        headers: [
          ["Cookie", "a=1"],
          ["cookie", "b=2; c=3"],
        ],
      }),
    );
    expect(r.headers.cookie).toBe("a=1; b=2; c=3");
  });

  it("joins set-cookie, which Headers yields one value at a time, with ', '", () => {
    const r = fromFetchRequest(
      new Request("http://h/", {
        headers: [
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"],
        ],
      }),
    );
    expect(r.headers["set-cookie"]).toBe("a=1, b=2");
  });

  it("keeps a header named __proto__ as data", () => {
    const r = fromFetchRequest(
      new Request("http://h/", {
        headers: [
          ["__proto__x", "1"],
          ["__proto__", "v"],
        ],
      }),
    );
    expect(Object.keys(r.headers).sort()).toEqual(["__proto__", "__proto__x"]);
    expect(Object.getOwnPropertyDescriptor(r.headers, "__proto__")?.value).toBe("v");
  });
});

describe("fromFetchRequest: remoteAddr", () => {
  const req = new Request("http://h/");

  it("reads Deno's info.remoteAddr.hostname, a string remoteAddr, Bun's requestIP and Hono's node env", () => {
    expect(fromFetchRequest(req, { remoteAddr: { hostname: "203.0.113.9", port: 1 } }).remoteAddr).toBe(
      "203.0.113.9",
    );
    expect(fromFetchRequest(req, { remoteAddr: "198.51.100.1" }).remoteAddr).toBe("198.51.100.1");
    const server = {
      requestIP(this: unknown, r: Request) {
        expect(this).toBe(server);
        expect(r).toBe(req);
        return { address: "::1", family: "IPv6", port: 2 };
      },
    };
    expect(fromFetchRequest(req, server).remoteAddr).toBe("::1");
    expect(fromFetchRequest(req, { incoming: { socket: { remoteAddress: "10.0.0.1" } } }).remoteAddr).toBe(
      "10.0.0.1",
    );
  });

  it("is '' when the runtime gives nothing, and never trusts forwarding headers", () => {
    const forwarded = new Request("http://h/", {
      headers: { "x-forwarded-for": "1.2.3.4", "cf-connecting-ip": "1.2.3.4" },
    });
    expect(fromFetchRequest(forwarded).remoteAddr).toBe("");
    expect(fromFetchRequest(forwarded, {}).remoteAddr).toBe("");
    expect(defaultRemoteAddr(forwarded, { requestIP: () => null })).toBeUndefined();
  });

  it("uses a given getRemoteAddr", () => {
    const r = fromFetchRequest(req, { env: 1 }, (request, info) => {
      expect(request).toBe(req);
      expect(info).toEqual({ env: 1 });
      return "192.0.2.7";
    });
    expect(r.remoteAddr).toBe("192.0.2.7");
  });
});

describe("fromFetchRequest: body", () => {
  it("is undefined for GET, HEAD and a POST without a body", () => {
    expect(fromFetchRequest(new Request("http://h/")).body).toBeUndefined();
    expect(fromFetchRequest(new Request("http://h/", { method: "HEAD" })).body).toBeUndefined();
    expect(fromFetchRequest(new Request("http://h/", { method: "POST" })).body).toBeUndefined();
  });

  it("streams the request body when iterated", async () => {
    const r = fromFetchRequest(new Request("http://h/", { method: "POST", body: "héllo wörld" }));
    expect(await text(r.body)).toBe("héllo wörld");
  });

  it("is undefined for Content-Length: 0, as in the Node adapter, without touching request.body", () => {
    const request = new Request("http://h/", {
      method: "POST",
      body: "",
      headers: { "content-length": "0" },
    });
    const reads = vi.fn();
    Object.defineProperty(request, "body", { get: reads });
    expect(fromFetchRequest(request).body).toBeUndefined();
    expect(reads).not.toHaveBeenCalled();
  });

  it("streams a chunked body (Transfer-Encoding) and an empty stream when the headers say nothing", async () => {
    const chunked = fromFetchRequest(
      new Request("http://h/", { method: "POST", body: "abc", headers: { "transfer-encoding": "chunked" } }),
    );
    expect(await text(chunked.body)).toBe("abc");
    const unsized = fromFetchRequest(new Request("http://h/", { method: "POST", body: "" }));
    expect(await text(unsized.body)).toBe("");
  });

  it("does not touch request.body until the handler iterates, when the headers say there is a body", async () => {
    const request = new Request("http://h/", {
      method: "PUT",
      body: "abc",
      headers: { "content-length": "3" },
    });
    const getter = Object.getOwnPropertyDescriptor(globalThis.Request.prototype, "body")!.get!;
    const reads = vi.fn(() => getter.call(request));
    Object.defineProperty(request, "body", { get: reads });
    const r = fromFetchRequest(request);
    expect(r.body).toBeDefined();
    expect(reads).not.toHaveBeenCalled();
    expect(await text(r.body)).toBe("abc");
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it("cancels the stream when the handler stops reading early", async () => {
    const cancel = vi.fn();
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent++;
        controller.enqueue(new Uint8Array([sent]));
      },
      cancel,
    });
    const r = fromFetchRequest(
      new Request("http://h/", { method: "POST", body: stream, duplex: "half" } as RequestInit),
    );
    for await (const chunk of r.body!) {
      expect(chunk[0]).toBe(1);
      break;
    }
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it("passes a stream error to the reader", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1]));
        controller.error(new Error("connection reset"));
      },
    });
    const r = fromFetchRequest(
      new Request("http://h/", { method: "POST", body: stream, duplex: "half" } as RequestInit),
    );
    await expect(text(r.body)).rejects.toThrow("connection reset");
  });
});

// RFC 3986 pchar without the characters the WHATWG URL parser rewrites: what a runtime receives this way
// reaches `request.url`, and so the request map, byte for byte.
const hex = fc.constantFrom(..."0123456789abcdefABCDEF");
const pctEncoded = fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`);
const pchar = fc.oneof(fc.constantFrom(..."abcxyzABCXYZ0129-._~!$&()*+,;=:@"), pctEncoded);
// A segment made only of dots (or %2e) is a dot-segment the URL parser removes (RFC 3986 §5.2.4).
const segment = fc
  .array(pchar, { maxLength: 8 })
  .map((cs) => cs.join(""))
  .filter((s) => !/^(?:\.|%2e)+$/i.test(s));
const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((ss) => `/${ss.join("/")}`);
// The parser percent-encodes "'" in the query of special schemes (WHATWG URL §4.4, special-query set).
// A stray "%" is kept as sent in a query.
const query = fc.option(fc.array(fc.oneof(pchar, fc.constantFrom("/", "?", "%", "%zz")), { maxLength: 16 }), {
  nil: undefined,
});

const tokenChar = fc.constantFrom(
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~",
);
const headerName = fc.array(tokenChar, { minLength: 1, maxLength: 12 }).map((cs) => cs.join(""));
// A field value as it arrives: no leading or trailing whitespace (Headers strips it, RFC 9110 §5.5).
const headerValue = fc
  .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 20 })
  .map((s) => s.trim());

describe("fromFetchRequest: properties", () => {
  it("any RFC 3986 path and query arrive in uri and queryString exactly as sent", () => {
    fc.assert(
      fc.property(path, query, (p, q) => {
        const qs = q?.join("");
        const r = fromFetchRequest(new Request(`http://h${p}${qs === undefined ? "" : `?${qs}`}`));
        expect(r.uri).toBe(p);
        expect(r.queryString).toBe(qs);
        expect(requestProblem(r)).toBeUndefined();
      }),
    );
  });

  it("for any URL a runtime accepts, uri and queryString agree with the parsed URL", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.option(fc.string({ unit: "grapheme" })), (p, q) => {
        const input = `https://h/${p.replaceAll("?", "").replaceAll("#", "")}${q === null ? "" : `?${q.replaceAll("#", "")}`}`;
        const request = new Request(input);
        const url = new URL(request.url);
        if (!/^(?:[^%]|%[0-9a-fA-F]{2})*$/.test(url.pathname)) {
          expect(() => fromFetchRequest(request)).toThrow(expect.objectContaining({ status: 400 }));
          return;
        }
        const r = fromFetchRequest(request);
        expect(r.uri).toBe(url.pathname);
        expect(r.queryString).toBe(q === null ? undefined : url.search.slice(1));
      }),
    );
  });

  it("any list of header fields, with duplicates and case variants, maps as the SPEC says", () => {
    const field = fc.tuple(
      fc.oneof(headerName, fc.constantFrom("Cookie", "cookie", "Set-Cookie")),
      headerValue,
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 12 }), (fields) => {
        const expected: Record<string, string> = Object.create(null);
        for (const [name, value] of fields) {
          const key = name.toLowerCase();
          const previous = expected[key];
          expected[key] =
            previous === undefined ? value : `${previous}${key === "cookie" ? "; " : ", "}${value}`;
        }
        const r = fromFetchRequest(new Request("http://h/", { headers: fields }));
        expect({ ...r.headers }).toEqual({ ...expected });
        expect(requestProblem(r)).toBeUndefined();
      }),
    );
  });
});

const chunks = async (response: globalThis.Response): Promise<string> => await response.text();

describe("toFetchResponse", () => {
  it("sends status, headers and a string body as UTF-8 without adding a content-type", async () => {
    const res = toFetchResponse({ status: 201, headers: { "x-a": "1" }, body: "héllo" });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-a")).toBe("1");
    expect(res.headers.has("content-type")).toBe(false);
    expect(await res.text()).toBe("héllo");
  });

  it("appends each set-cookie value as its own header line", () => {
    const res = toFetchResponse({
      status: 200,
      headers: {
        "set-cookie": ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"],
        vary: ["a", "b"],
      },
    });
    expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"]);
    expect(res.headers.get("vary")).toBe("a, b");
  });

  it("keeps the length GET would send on HEAD, and drops a handler's framing headers for a known length", () => {
    const head = toFetchResponse(
      { status: 200, headers: { "content-length": "99" }, body: "héllo" },
      { method: "HEAD" },
    );
    expect(head.headers.get("content-length")).toBe("6");
    expect(head.body).toBeNull();
    const get = toFetchResponse({
      status: 200,
      headers: { "Content-Length": "99", "transfer-encoding": "chunked", "x-a": "1" },
      body: new Uint8Array(3),
    });
    expect([...get.headers.keys()]).toEqual(["x-a"]);
    const streamed = toFetchResponse({
      status: 200,
      headers: { "content-length": "2" },
      body: Readable.from(["ab"]),
    });
    expect(streamed.headers.get("content-length")).toBe("2");
    const noContent = toFetchResponse({ status: 204, headers: {}, body: "x" });
    expect(noContent.headers.has("content-length")).toBe(false);
  });

  it("sends a Uint8Array body as is", async () => {
    const res = toFetchResponse({ status: 200, headers: {}, body: new Uint8Array([0, 255, 1]) });
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0, 255, 1]);
  });

  it("sends null and undefined bodies as no body", () => {
    expect(toFetchResponse({ status: 200, headers: {}, body: null }).body).toBeNull();
    expect(toFetchResponse({ status: 200, headers: {} }).body).toBeNull();
  });

  it("streams async iterables of strings and bytes, Node Readables and web streams of strings", async () => {
    async function* gen() {
      yield "a";
      yield new Uint8Array([98]);
      yield "é";
    }
    expect(await chunks(toFetchResponse({ status: 200, headers: {}, body: gen() }))).toBe("abé");
    const readable = Readable.from([Buffer.from("x"), Buffer.from("y")]);
    expect(await chunks(toFetchResponse({ status: 200, headers: {}, body: readable }))).toBe("xy");
    const web = new ReadableStream<string | Uint8Array>({
      start(c) {
        c.enqueue("p");
        c.enqueue(new TextEncoder().encode("q"));
        c.close();
      },
    });
    expect(await chunks(toFetchResponse({ status: 200, headers: {}, body: web }))).toBe("pq");
  });

  it("pulls one chunk at a time: a slow client slows the source", async () => {
    let produced = 0;
    async function* gen() {
      for (let i = 0; i < 100; i++) {
        produced++;
        yield `${i},`;
      }
    }
    const res = toFetchResponse({ status: 200, headers: {}, body: gen() });
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBe(0);
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBeLessThanOrEqual(2);
    await reader.cancel();
  });

  it("stops the source when the client cancels: generator finally, Readable destroyed, stream cancelled", async () => {
    const cleaned = vi.fn();
    async function* gen() {
      try {
        for (;;) yield "x";
      } finally {
        cleaned();
      }
    }
    const a = toFetchResponse({ status: 200, headers: {}, body: gen() }).body!.getReader();
    await a.read();
    await a.cancel();
    expect(cleaned).toHaveBeenCalledTimes(1);

    const readable = new Readable({ read() {} });
    readable.push("x");
    const b = toFetchResponse({ status: 200, headers: {}, body: readable }).body!.getReader();
    await b.read();
    await b.cancel();
    expect(readable.destroyed).toBe(true);

    const cancel = vi.fn();
    const web = new ReadableStream({ pull: (c) => c.enqueue("x"), cancel });
    const c = toFetchResponse({ status: 200, headers: {}, body: web }).body!.getReader();
    await c.read();
    await c.cancel();
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it("sends no body for HEAD, 204, 205 and 304, and cancels the source", async () => {
    for (const [status, method] of [
      [200, "HEAD"],
      [204, "GET"],
      [205, "POST"],
      [304, "GET"],
    ] as const) {
      const readable = new Readable({ read() {} });
      const cancel = vi.fn();
      const web = new ReadableStream({ cancel });
      let returned = false;
      const iterable: AsyncIterable<string> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => ({ done: false, value: "x" }),
          return: async () => {
            returned = true;
            return { done: true, value: undefined };
          },
        }),
      };
      for (const body of [readable, web, iterable, "text", new Uint8Array([1])]) {
        const res = toFetchResponse({ status, headers: { "x-k": "v" }, body }, { method });
        expect(res.status).toBe(status);
        expect(res.headers.get("x-k")).toBe("v");
        expect(res.body).toBeNull();
      }
      await new Promise((r) => setTimeout(r, 0));
      expect(readable.destroyed).toBe(true);
      expect(cancel).toHaveBeenCalledTimes(1);
      expect(returned).toBe(true);
    }
  });

  it("errors the stream, reports the error and stops the source when a chunk is not bytes or text", async () => {
    const onBodyError = vi.fn();
    const cleaned = vi.fn();
    async function* gen() {
      try {
        yield "ok";
        yield 42 as unknown as string;
        yield "never";
      } finally {
        cleaned();
      }
    }
    const res = toFetchResponse({ status: 200, headers: {}, body: gen() }, undefined, onBodyError);
    await expect(res.text()).rejects.toThrow();
    expect(onBodyError).toHaveBeenCalledTimes(1);
    expect(String(onBodyError.mock.calls[0]![0])).toMatch(/yielded a number chunk/);
    expect(cleaned).toHaveBeenCalledTimes(1);
  });

  it("reports an error the source throws mid-stream", async () => {
    const onBodyError = vi.fn();
    async function* gen() {
      yield "a";
      throw new Error("disk gone");
    }
    const res = toFetchResponse({ status: 200, headers: {}, body: gen() }, undefined, onBodyError);
    await expect(res.text()).rejects.toThrow();
    expect(onBodyError).toHaveBeenCalledWith(new Error("disk gone"));
  });

  it("refuses a response that breaks the SPEC, or a 1xx status fetch cannot send, naming the key", () => {
    expect(() => toFetchResponse({ status: 200, headers: { "x-a": "1\r\nx: y" } })).toThrow(
      /response.headers\["x-a"\] contains CR/,
    );
    expect(() => toFetchResponse({ status: 700, headers: {} })).toThrow(/response.status/);
    expect(() => toFetchResponse({ status: 103, headers: {} })).toThrow(/cannot be sent through fetch/);
    expect(() => toFetchResponse({ status: 200, headers: {}, body: 5 } as unknown as Response)).toThrow(
      /response.body has an unknown type/,
    );
  });
});

describe("toFetchHandler", () => {
  const quiet = { onError: () => {} };

  it("checks options once, naming a wrong or unknown one", () => {
    expect(() => toFetchHandler(() => ({ status: 200, headers: {} }), { onError: 1 } as never)).toThrow(
      /^toFetchHandler: option "onError": expected a function/,
    );
    expect(() =>
      toFetchHandler(() => ({ status: 200, headers: {} }), { getRemoteAddr: "x" } as never),
    ).toThrow(/^toFetchHandler: option "getRemoteAddr": expected a function/);
    expect(() => toFetchHandler(() => ({ status: 200, headers: {} }), { trustProxy: true } as never)).toThrow(
      'toFetchHandler: unknown option "trustProxy"',
    );
    expect(() => toFetchHandler(() => ({ status: 200, headers: {} }), null as never)).toThrow(
      "options must be an object",
    );
    expect(() => toFetchHandler("nope" as never)).toThrow("handler must be a function");
  });

  it("serves sync and async handlers, always returning a Promise of a Response", async () => {
    const sync = toFetchHandler((r) => ({
      status: 200,
      headers: {},
      body: `${r.method} ${r.uri}?${r.queryString}`,
    }));
    const pending = sync(new Request("http://h/a%20b?x=1"));
    expect(pending).toBeInstanceOf(Promise);
    expect(await (await pending).text()).toBe("GET /a%20b?x=1");
    const async = toFetchHandler(async () => ({ status: 202, headers: { "x-a": ["1", "2"] } }));
    const res = await async(new Request("http://h/"));
    expect(res.status).toBe(202);
    expect(res.headers.get("x-a")).toBe("1, 2");
  });

  it("passes info to getRemoteAddr, and reads Deno's info by default", async () => {
    const echo: Handler = (r) => ({ status: 200, headers: {}, body: r.remoteAddr });
    const deno = toFetchHandler(echo);
    const res = await deno(new Request("http://h/"), { remoteAddr: { hostname: "192.0.2.1", port: 9 } });
    expect(await res.text()).toBe("192.0.2.1");
    const custom = toFetchHandler(echo, { getRemoteAddr: (_r, info) => (info as { ip: string }).ip });
    expect(await (await custom(new Request("http://h/"), { ip: "192.0.2.2" })).text()).toBe("192.0.2.2");
  });

  it("answers a throw or a rejection with a generic 500 and reports it with the request", async () => {
    for (const handler of [
      () => {
        throw new Error("db password is hunter2");
      },
      async () => {
        throw new Error("db password is hunter2");
      },
    ] as Handler[]) {
      const onError = vi.fn();
      const res = await toFetchHandler(handler, { onError })(new Request("http://h/x?y"));
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(body).toBe("Internal Server Error");
      expect(body).not.toContain("hunter2");
      expect(onError).toHaveBeenCalledTimes(1);
      const [error, request, info] = onError.mock.calls[0]! as [Error, RingRequest, unknown];
      expect(error.message).toBe("db password is hunter2");
      expect(info).toEqual({ kind: "handler" });
      expect([request.uri, request.queryString]).toEqual(["/x", "y"]);
    }
  });

  it("gives an HttpError its status, headers, and message only when exposed", async () => {
    const notAllowed = toFetchHandler(() => {
      throw new HttpError(405, "Use POST", { headers: { allow: "POST" } });
    }, quiet);
    const a = await notAllowed(new Request("http://h/"));
    expect([a.status, a.headers.get("allow"), await a.text()]).toEqual([405, "POST", "Use POST"]);
    const hidden = toFetchHandler(async () => {
      throw new HttpError(503, "redis at 10.0.0.5 is down");
    }, quiet);
    const b = await hidden(new Request("http://h/"));
    expect([b.status, await b.text()]).toEqual([503, "Service Unavailable"]);
  });

  it("answers an invalid response with a 500, reports what was wrong and releases its body", async () => {
    const onError = vi.fn();
    const readable = new Readable({ read() {} });
    const handler = toFetchHandler(() => ({ status: 200, headers: { "x-a": "1\n" }, body: readable }), {
      onError,
    });
    const res = await handler(new Request("http://h/"));
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("Internal Server Error");
    expect(String(onError.mock.calls[0]![0])).toMatch(/response.headers\["x-a"\] contains LF/);
    expect(onError.mock.calls[0]![2]).toEqual({ kind: "response" });
    expect(readable.destroyed).toBe(true);
    const none = await toFetchHandler(() => undefined as never, { onError })(new Request("http://h/"));
    expect(none.status).toBe(500);
    expect(String(onError.mock.calls[1]![0])).toMatch(/response must be an object/);
  });

  it("reports a body that fails after the status was sent", async () => {
    const onError = vi.fn();
    async function* body() {
      yield "a";
      throw new Error("upstream closed");
    }
    const res = await toFetchHandler(() => ({ status: 200, headers: {}, body: body() }), { onError })(
      new Request("http://h/p"),
    );
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(onError).toHaveBeenCalledWith(
      new Error("upstream closed"),
      expect.objectContaining({ uri: "/p" }),
      { kind: "response" },
    );
  });

  it("answers 400 without calling the handler for a URL it cannot map", async () => {
    const onError = vi.fn();
    const handler = vi.fn(() => ({ status: 200, headers: {} }));
    const res = await toFetchHandler(handler, { onError })(new Request("ftp://h/x"));
    expect(res.status).toBe(400);
    expect(handler).not.toHaveBeenCalled();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ status: 400 }), undefined, {
      kind: "client-error",
    });
  });

  it("tells onError what kind of event each report is, and the default logs only server failures", async () => {
    // A request body the client broke off: the runtime errors the stream mid-way.
    const brokenUpload = () =>
      new Request("http://h/json", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"a":'));
            controller.error(new TypeError("terminated"));
          },
        }),
        duplex: "half",
      } as RequestInit);
    const app: Handler = async (request) => {
      if (request.uri === "/json") {
        // A handler may wrap what failed: the cause still says the client left.
        const value = await readJson(request).catch((error: unknown) => {
          throw new Error("could not read the upload", { cause: error });
        });
        return { status: 200, headers: {}, body: JSON.stringify(value) };
      }
      if (request.uri === "/missing") throw new HttpError(404);
      if (request.uri === "/down") throw new HttpError(503, "redis is down");
      throw new Error("handler bug");
    };
    const cases: Array<[() => globalThis.Request, number, string]> = [
      [brokenUpload, 500, "client-aborted"],
      [() => new Request("http://h/missing"), 404, "http-error"],
      [() => new Request("ftp://h/x"), 400, "client-error"],
      [() => new Request("http://a{b/"), 400, "client-error"],
      [() => new Request("http://h/down"), 503, "handler"],
      [() => new Request("http://h/bug"), 500, "handler"],
    ];
    const seen: unknown[] = [];
    const custom = toFetchHandler(app, { onError: (_error, _request, info) => void seen.push(info.kind) });
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      for (const [request, status] of cases) expect((await custom(request())).status).toBe(status);
      expect(seen).toEqual(cases.map(([, , kind]) => kind));
      expect(spy).not.toHaveBeenCalled();
      const byDefault = toFetchHandler(app);
      for (const [request, status] of cases) expect((await byDefault(request())).status).toBe(status);
      expect(spy.mock.calls).toEqual([
        ["ringlet: GET /down failed: HttpError (503): redis is down"],
        ["ringlet: GET /bug failed: Error: handler bug"],
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it("survives an onError that throws", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await toFetchHandler(
        () => {
          throw new Error("boom");
        },
        {
          onError: () => {
            throw new Error("logger down");
          },
        },
      )(new Request("http://h/"));
      expect(res.status).toBe(500);
      expect(spy.mock.calls.flat().join("\n")).toMatch(/logger down/);
    } finally {
      spy.mockRestore();
    }
  });

  it("sends no body for HEAD", async () => {
    const res = await toFetchHandler(() => ({ status: 200, headers: { "x-a": "1" }, body: "hello" }))(
      new Request("http://h/", { method: "HEAD" }),
    );
    expect([res.status, res.headers.get("x-a"), res.body]).toEqual([200, "1", null]);
  });
});

describe("toFetchHandler inside Hono", () => {
  it("serves a ringlet handler behind app.all('*', (c) => fetchHandler(c.req.raw))", async () => {
    const fetchHandler = toFetchHandler(async (request) => {
      let body = "";
      for await (const chunk of request.body ?? []) body += new TextDecoder().decode(chunk);
      return {
        status: 200,
        headers: { "set-cookie": ["a=1", "b=2"] },
        body: JSON.stringify({
          uri: request.uri,
          query: request.queryString,
          cookie: request.headers.cookie,
          body,
        }),
      };
    });
    const app = new Hono();
    app.get("/health", (c) => c.text("ok"));
    app.all("*", (c) => fetchHandler(c.req.raw));
    const res = await app.request("http://localhost/caf%C3%A9/x?q=%zz", {
      method: "POST",
      body: "payload",
      headers: [
        ["cookie", "s=1"],
        ["cookie", "t=2"],
      ],
    });
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await res.json()).toEqual({
      uri: "/caf%C3%A9/x",
      query: "q=%zz",
      cookie: "s=1; t=2",
      body: "payload",
    });
    expect(await (await app.request("/health")).text()).toBe("ok");
  });
});

describe("toFetchHandler on @hono/node-server's serve({ fetch }), as docs/adapters.md says", () => {
  it("passes checkAdapter, remoteAddr included, but for the content-type the server adds", async () => {
    const error = await checkAdapter(
      (handler) =>
        new Promise((resolve) => {
          const fetchHandler = toFetchHandler(handler, { onError: () => {} });
          // The server passes { incoming, outgoing } as the second argument: the default getRemoteAddr reads it.
          const server = serveOnNode(
            { fetch: (request, env) => fetchHandler(request, env), port: 0, hostname: "127.0.0.1" },
            ({ port }) =>
              resolve({
                url: `http://127.0.0.1:${port}`,
                close: () =>
                  new Promise<void>((done) => {
                    server.close(() => done());
                    (server as Server).closeAllConnections();
                  }),
              }),
          );
        }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterCheckError);
    expect((error as AdapterCheckError).failures).toEqual([
      {
        check: "response body types",
        message:
          'content-type for a string body (the handler set none) was "text/plain; charset=UTF-8", expected undefined',
      },
    ]);
  });
});

describe("toFetchHandler's mountPath, under a Hono route", () => {
  const echo = toFetchHandler(
    (request) => ({ status: 200, headers: {}, body: `${request.uri}?${request.queryString ?? ""}` }),
    {
      mountPath: "/api",
    },
  );

  it("hands the handler the path below the mount point, as Express does", async () => {
    const hono = new Hono();
    hono.all("/api/*", (c) => echo(c.req.raw));
    hono.all("/api", (c) => echo(c.req.raw));
    expect(await (await hono.request("/api/users/7?x=1")).text()).toBe("/users/7?x=1");
    expect(await (await hono.request("/api")).text()).toBe("/?");
    expect(await (await hono.request("/api/")).text()).toBe("/?");
  });

  it("answers 404 for a path outside it, without calling the handler", async () => {
    let called = false;
    const handler = toFetchHandler(
      () => {
        called = true;
        return { status: 200, headers: {}, body: "" };
      },
      { mountPath: "/api" },
    );
    for (const path of ["/apix", "/", "/other/api", "/API/x"]) {
      expect((await handler(new Request(`http://h${path}`))).status).toBe(404);
    }
    expect(called).toBe(false);
  });

  it("refuses a mountPath that is not a path, at construction", () => {
    for (const bad of ["api", "/api/", "/", "", "/a b"]) {
      expect(() => toFetchHandler(() => ({ status: 200, headers: {} }), { mountPath: bad })).toThrow(
        /toFetchHandler: option "mountPath": must be a path such as "\/api"/,
      );
    }
  });
});

describe("toFetchHandler and websocket responses", () => {
  const upgradeHeaders = {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
  };

  it("answers a WebSocket handshake with a clear 501, reported to onError, at once", async () => {
    const reports: Array<[unknown, string]> = [];
    const fetchHandler = toFetchHandler(() => websocketResponse({}), {
      onError: (error, _request, info) => void reports.push([error, info.kind]),
    });
    const response = await fetchHandler(new Request("http://localhost/chat", { headers: upgradeHeaders }));
    expect(response.status).toBe(501);
    expect(await response.text()).toMatch(/^ringlet\/fetch cannot upgrade to a WebSocket on this runtime/);
    expect(reports).toHaveLength(1);
    expect(reports[0]![1]).toBe("response");
  });

  it("answers a websocket response to a plain request with 500, as the Node adapter does", async () => {
    const reports: unknown[] = [];
    const fetchHandler = toFetchHandler(() => websocketResponse({}), {
      onError: (error) => void reports.push(error),
    });
    const response = await fetchHandler(new Request("http://localhost/chat"));
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("Internal Server Error");
    expect(String(reports[0])).toMatch(/answers only a WebSocket upgrade request/);
  });

  it("gives a real WebSocket client the 501 over @hono/node-server, never a hang", async () => {
    const fetchHandler = toFetchHandler(() => websocketResponse({}), { onError: () => {} });
    const server = await new Promise<Server>((resolve) => {
      const s = serveOnNode(
        { fetch: (request) => fetchHandler(request), port: 0, hostname: "127.0.0.1" },
        () => resolve(s as Server),
      );
    });
    try {
      const { port } = server.address() as { port: number };
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/chat`);
        ws.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
        ws.on("open", () => reject(new Error("opened")));
        ws.on("error", reject);
      });
      expect(status).toBe(501);
    } finally {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    }
  });
});
