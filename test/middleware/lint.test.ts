import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { serve } from "../../src/adapters/node.js";
import type { Handler, Request, Response } from "../../src/core/types.js";
import { isWebSocketRequest, type WebSocketListener, websocketResponse } from "../../src/core/websocket.js";
import { lintRequest, lintResponse, requestProblem, wrapLint } from "../../src/middleware/lint.js";
import * as arbitraries from "../../src/testing/arbitraries.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const valid: Request = Object.freeze({
  method: "GET",
  uri: "/a%20b/c",
  queryString: "x=1&y=%2F",
  scheme: "http",
  protocol: "HTTP/1.1",
  headers: Object.freeze({ host: "example.com:8080", cookie: "a=1; b=2", "x-many": "1, 2" }),
  serverName: "example.com",
  serverPort: 8080,
  remoteAddr: "::1",
  body: undefined,
});

const ok: Response = { status: 200, headers: { "content-type": "text/plain" }, body: "ok" };

describe("lintRequest", () => {
  it("accepts a request that follows the SPEC, and returns it", () => {
    expect(lintRequest(valid)).toBe(valid);
    expect(
      lintRequest({ ...valid, queryString: undefined, method: "PURGE", protocol: "HTTP/2.0" }),
    ).toBeTruthy();
  });

  it("accepts every request the testing arbitraries build with mockRequest (property)", () => {
    fc.assert(
      fc.property(arbitraries.request(), (request) => {
        expect(requestProblem(request)).toBeUndefined();
      }),
    );
  });

  it("accepts mockRequest output with params, cookies and session keys", () => {
    const r = mockRequest("POST", "/f?q=1", { form: { a: "1" } });
    const withKeys = {
      ...r,
      queryParams: { q: "1" },
      formParams: { a: ["1", "2"] },
      params: Object.assign(Object.create(null), { q: "1" }),
      cookies: { sid: "x" },
      session: {},
      sessionKey: undefined,
    };
    expect(lintRequest(withKeys)).toBe(withKeys);
  });

  it.each<[string, unknown, RegExp]>([
    ["not an object", null, /the request must be an object, got null/],
    [
      "method not a token",
      { ...valid, method: "GE T" },
      /request.method must be an HTTP method token .*"GE T"/,
    ],
    ["method empty", { ...valid, method: "" }, /request.method/],
    ["method not a string", { ...valid, method: Symbol("get") }, /request.method .* got symbol/],
    ["uri relative", { ...valid, uri: "foo" }, /^wrapLint: request.uri must start with "\/", got "foo"$/],
    ["uri missing", { ...valid, uri: undefined }, /request.uri must be a string, got undefined/],
    [
      "uri with query",
      { ...valid, uri: "/a?b" },
      /request.uri must not contain "\?" \(the query belongs in queryString\)/,
    ],
    [
      "uri with space",
      { ...valid, uri: "/a b" },
      /request.uri must not contain U\+0020 \(found at index 2\)/,
    ],
    ["uri with fragment", { ...valid, uri: "/a#b" }, /request.uri must not contain "#"/],
    ["uri with LF", { ...valid, uri: "/a\n" }, /U\+000A/],
    [
      "queryString null",
      { ...valid, queryString: null },
      /request.queryString must be a string or undefined, got null/,
    ],
    [
      "queryString with CR",
      { ...valid, queryString: "a\rb" },
      /request.queryString must not contain U\+000D/,
    ],
    ["scheme", { ...valid, scheme: "ws" }, /request.scheme must be "http" or "https", got "ws"/],
    ["protocol", { ...valid, protocol: "1.1" }, /request.protocol must look like "HTTP\/1.1", got "1.1"/],
    ["headers missing", { ...valid, headers: undefined }, /request.headers must be an object/],
    ["headers as array", { ...valid, headers: [] }, /request.headers must be an object .* got an array/],
    ["header upper case", { ...valid, headers: { Host: "x" } }, /request header names must be lower case/],
    [
      "header name not a token",
      { ...valid, headers: { "a b": "x" } },
      /request.headers has an invalid name "a b"/,
    ],
    [
      "header array value",
      { ...valid, headers: { a: ["1", "2"] } },
      /request.headers\["a"\] must be a string \(repeated/,
    ],
    [
      "header value with LF",
      { ...valid, headers: { a: "1\n2" } },
      /request.headers\["a"\] contains U\+000A at index 1/,
    ],
    ["serverName empty", { ...valid, serverName: "" }, /request.serverName must be a non-empty string/],
    [
      "serverPort string",
      { ...valid, serverPort: "80" },
      /request.serverPort must be an integer from 0 to 65535, got "80"/,
    ],
    ["serverPort too big", { ...valid, serverPort: 65536 }, /request.serverPort .* got number 65536/],
    ["serverPort fraction", { ...valid, serverPort: 80.5 }, /request.serverPort/],
    ["remoteAddr", { ...valid, remoteAddr: 127 }, /request.remoteAddr must be a string, got number 127/],
    [
      "body string",
      { ...valid, body: "x" },
      /request.body must be an AsyncIterable<Uint8Array> or undefined, got "x"/,
    ],
    ["body null", { ...valid, body: null }, /request.body .* got null/],
    ["body sync iterable", { ...valid, body: [new Uint8Array(1)] }, /request.body .* got an array/],
    ["params not object", { ...valid, params: "a=1" }, /request.params must be an object/],
    [
      "queryParams number value",
      { ...valid, queryParams: { a: 1 } },
      /request.queryParams\["a"\] must be a string or an array of strings, got number 1/,
    ],
    ["formParams mixed array", { ...valid, formParams: { a: ["1", 2] } }, /request.formParams\["a"\]/],
    [
      "cookies value",
      { ...valid, cookies: { a: { value: "1" } } },
      /request.cookies\["a"\] must be a string, got an object/,
    ],
    ["session null", { ...valid, session: null }, /request.session must be an object, got null/],
    ["sessionKey number", { ...valid, sessionKey: 1 }, /request.sessionKey must be a string or undefined/],
  ])("rejects %s with a TypeError naming the key", (_name, request, message) => {
    expect(() => lintRequest(request as Request)).toThrow(TypeError);
    expect(() => lintRequest(request as Request)).toThrow(message);
  });
});

describe("lintResponse", () => {
  async function* chunks() {
    yield "a";
  }

  it.each<[string, unknown]>([
    ["a string", "x"],
    ["bytes", new Uint8Array(2)],
    ["an async generator", chunks()],
    ["a ReadableStream", new ReadableStream()],
    ["a Node Readable", Readable.from(["x"])],
    ["null", null],
    ["undefined", undefined],
  ])("accepts %s as body", (_name, body) => {
    const res = { status: 200, headers: { "set-cookie": ["a=1", "b=2"] }, body } as Response;
    expect(lintResponse(res, valid)).toBe(res);
  });

  it.each<[string, unknown, RegExp]>([
    ["undefined", undefined, /^wrapLint: response must be an object/],
    [
      "status 99",
      { status: 99, headers: {} },
      /response.status must be an integer from 100 to 599, got number 99/,
    ],
    ["status string", { status: "200", headers: {} }, /response.status/],
    ["headers missing", { status: 200 }, /response.headers must be an object/],
    [
      "header with CR/LF",
      { status: 200, headers: { a: "x\r\ny: z" } },
      /response.headers\["a"\] contains CR/,
    ],
    [
      "bad header name",
      { status: 200, headers: { "a:b": "x" } },
      /response.headers has an invalid name "a:b"/,
    ],
    [
      "number header value",
      { status: 200, headers: { a: 1 } },
      /response.headers\["a"\] must be a string or an array/,
    ],
    ["unknown body", { status: 200, headers: {}, body: 42 }, /response.body has an unknown type/],
    ["object body", { status: 200, headers: {}, body: { a: 1 } }, /response.body has an unknown type/],
    [
      "two spellings of a header",
      { status: 200, headers: { "Content-Type": "a", "content-type": "b" } },
      /response.headers has both "Content-Type" and "content-type"/,
    ],
  ])("rejects %s", (_name, res, message) => {
    expect(() => lintResponse(res as Response, valid)).toThrow(TypeError);
    expect(() => lintResponse(res as Response, valid)).toThrow(message);
  });
});

describe("wrapLint", () => {
  it("passes a good request and response through, synchronously for a synchronous handler", () => {
    const out = wrapLint(() => ok)(valid);
    expect(out).toBe(ok);
  });

  it("passes through asynchronously for an async handler", async () => {
    const out = wrapLint(async () => ok)(valid);
    expect(out).toBeInstanceOf(Promise);
    expect(await out).toBe(ok);
  });

  it("checks the request before calling the handler", () => {
    let called = false;
    const app = wrapLint(() => {
      called = true;
      return ok;
    });
    expect(() => app({ ...valid, uri: "foo" })).toThrow(
      'wrapLint: request.uri must start with "/", got "foo"',
    );
    expect(called).toBe(false);
  });

  it("checks the response, sync and async", async () => {
    const bad = { status: 200, headers: { "x-a": "1\n" } } as Response;
    expect(() => wrapLint(() => bad)(valid)).toThrow(/wrapLint: response.headers\["x-a"\] contains LF/);
    await expect(wrapLint(async () => bad)(valid)).rejects.toThrow(/response.headers\["x-a"\]/);
    await expect(wrapLint(async () => undefined as unknown as Response)(valid)).rejects.toThrow(
      /response must be an object/,
    );
  });

  it("lets the handler's own error through", async () => {
    const boom = new Error("boom");
    expect(() =>
      wrapLint(() => {
        throw boom;
      })(valid),
    ).toThrow(boom);
    await expect(wrapLint(() => Promise.reject(boom))(valid)).rejects.toBe(boom);
  });

  describe("catches a handler that mutates the request", () => {
    const unfrozen = (): Request => ({ ...valid, headers: { ...valid.headers } });

    it.each<[string, (r: Record<string, any>) => void, RegExp]>([
      [
        "changing a key",
        (r) => (r.uri = "/other"),
        /the handler changed request\["uri"\]; requests are immutable/,
      ],
      ["adding a key", (r) => (r.user = "ann"), /the handler changed request\["user"\] \(added\)/],
      [
        "deleting a key",
        (r) => delete r.remoteAddr,
        /the handler changed request\["remoteAddr"\] \(deleted\)/,
      ],
      [
        "changing a header",
        (r) => (r.headers.host = "evil"),
        /the handler changed request.headers\["host"\]/,
      ],
      ["adding a header", (r) => (r.headers["x-new"] = "1"), /request.headers\["x-new"\] \(added\)/],
    ])("%s", async (_name, mutate, message) => {
      const sync: Handler = (r) => {
        mutate(r as Record<string, any>);
        return ok;
      };
      expect(() => wrapLint(sync)(unfrozen())).toThrow(message);
      const later: Handler = async (r) => {
        await Promise.resolve();
        mutate(r as Record<string, any>);
        return ok;
      };
      await expect(wrapLint(later)(unfrozen())).rejects.toThrow(message);
    });

    it("a frozen request cannot be mutated at all (the adapter freezes what it builds)", () => {
      const app = wrapLint((r) => {
        (r as { uri: string }).uri = "/x";
        return ok;
      });
      expect(() => app(valid)).toThrow(TypeError);
    });

    it("spreading into a new request is fine", () => {
      expect(wrapLint((r) => ({ ...ok, body: { ...r, uri: "/x" }.uri }))(unfrozen())).toEqual({
        ...ok,
        body: "/x",
      });
    });
  });

  it("rejects options and a non-function handler at construction", () => {
    expect(() => wrapLint(() => ok, { strict: true } as never)).toThrow(/wrapLint: unknown option "strict"/);
    expect(() => wrapLint(() => ok, 1 as never)).toThrow(/wrapLint: options must be an object/);
    expect(() => wrapLint("x" as never)).toThrow(
      /wrapLint: the first argument must be a handler function, or an options object/,
    );
  });
});

describe("wrapLint and websocket responses", () => {
  const handshake = mockRequest("GET", "/ws", {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "sec-websocket-version": "13",
      "sec-websocket-protocol": "chat.v1",
    },
  });

  it("passes a valid one, with the listener's functions wrapped", () => {
    const listener = { onMessage: () => {} };
    const linted = lintResponse(websocketResponse(listener, "chat.v1"), handshake);
    expect(linted.status).toBe(101);
    expect(linted.protocol).toBe("chat.v1");
    expect(Object.keys(linted.websocket)).toEqual(["onMessage"]);
    expect(linted.websocket.onMessage).not.toBe(listener.onMessage);
  });

  it("names what is wrong with the response, the listener or the match with the request", () => {
    const cases: Array<[Response, Request, RegExp]> = [
      [websocketResponse({}), mockRequest("GET", "/ws"), /answers only a WebSocket upgrade request/],
      [websocketResponse({}, "chat.v2"), handshake, /response.protocol "chat.v2" was not offered/],
      [{ ...websocketResponse({}), status: 200 } as Response, handshake, /must have status 101/],
      [
        { ...websocketResponse({}), websocket: { onMesage() {} } } as Response,
        handshake,
        /unknown key "onMesage"/,
      ],
      [
        { ...websocketResponse({}), headers: { "X-A": "1", "x-a": "2" } },
        handshake,
        /has both "X-A" and "x-a"/,
      ],
    ];
    for (const [response, request, message] of cases) {
      expect(() => lintResponse(response, request)).toThrow(message);
    }
  });

  it("checks the socket calls and return values of a listener on a real connection", async () => {
    const reports: string[] = [];
    const misuse: Record<string, WebSocketListener["onMessage"]> = {
      "send a number": (socket) => socket.send(42 as never),
      "close 1006": (socket) => socket.close(1006),
      "long reason": (socket) => socket.close(1000, "é".repeat(62)),
      "big ping": (socket) => socket.ping(new Uint8Array(126)),
      "return a value": () => true as never,
    };
    const server = await serve(
      wrapLint((request) =>
        isWebSocketRequest(request)
          ? websocketResponse({ onMessage: (socket, message) => misuse[String(message)]!(socket, message) })
          : { status: 404, headers: {} },
      ),
      { port: 0, onError: (error) => void reports.push(String(error)) },
    );
    try {
      for (const name of Object.keys(misuse)) {
        const client = new WebSocket(`${server.url.replace("http", "ws")}/ws`);
        await new Promise((resolve) => client.once("open", resolve));
        client.send(name);
        const code = await new Promise<number>((resolve) => client.once("close", resolve));
        expect(code).toBe(1011);
      }
    } finally {
      await server.close();
    }
    expect(reports).toEqual([
      "TypeError: wrapLint: socket.send(message) takes a string or a Uint8Array, got number 42",
      "TypeError: wrapLint: socket.close(code) takes 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 §7.4), got number 1006",
      expect.stringMatching(
        /^TypeError: wrapLint: socket.close\(code, reason\) takes a reason of at most 123 bytes/,
      ),
      "TypeError: wrapLint: socket.ping(data) takes at most 125 bytes (RFC 6455 §5.5)",
      "TypeError: wrapLint: listener.onMessage must return undefined or a promise, got boolean true",
    ]);
  });
});
