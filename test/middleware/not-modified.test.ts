import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { compose } from "../../src/core/compose.js";
import { text } from "../../src/core/response.js";
import type { Handler, Request, Response } from "../../src/core/types.js";
import {
  isNotModified,
  notModifiedRequest,
  notModifiedResponse,
  wrapNotModified,
} from "../../src/middleware/not-modified.js";
import { wrapParams } from "../../src/middleware/params.js";

function request(method: string, headers: Record<string, string> = {}): Request {
  return Object.freeze({
    method,
    uri: "/page",
    queryString: undefined,
    scheme: "http",
    protocol: "HTTP/1.1",
    headers: Object.freeze(headers),
    serverName: "localhost",
    serverPort: 80,
    remoteAddr: "127.0.0.1",
    body: undefined,
  });
}

const LAST = "Sun, 06 Nov 1994 08:49:37 GMT";
const EARLIER = "Sun, 06 Nov 1994 08:49:36 GMT";
const LATER = "Sun, 06 Nov 1994 08:49:38 GMT";

function page(headers: Record<string, string | readonly string[]>, status = 200): Response {
  return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body: "hello" };
}

describe("isNotModified", () => {
  const etagged = page({ etag: '"v1"', "last-modified": LAST });

  it.each<[string, Record<string, string>, boolean]>([
    ["no condition", {}, false],
    ["If-None-Match equal", { "if-none-match": '"v1"' }, true],
    ["If-None-Match weak against strong (weak comparison)", { "if-none-match": 'W/"v1"' }, true],
    ["If-None-Match in a list", { "if-none-match": '"v0", "v1"' }, true],
    ["If-None-Match different", { "if-none-match": '"v2"' }, false],
    ["If-None-Match *", { "if-none-match": "*" }, true],
    ["If-None-Match malformed", { "if-none-match": "v1" }, false],
    [
      "If-None-Match differs, If-Modified-Since matches: INM decides",
      { "if-none-match": '"v2"', "if-modified-since": LAST },
      false,
    ],
    [
      "If-None-Match malformed, If-Modified-Since matches: INM still decides",
      { "if-none-match": "v1", "if-modified-since": LAST },
      false,
    ],
    ["If-Modified-Since equal", { "if-modified-since": LAST }, true],
    ["If-Modified-Since later", { "if-modified-since": LATER }, true],
    ["If-Modified-Since earlier", { "if-modified-since": EARLIER }, false],
    ["If-Modified-Since unparseable", { "if-modified-since": "yesterday" }, false],
    ["If-Modified-Since with two dates", { "if-modified-since": `${LAST}, ${LATER}` }, false],
    ["If-Modified-Since in RFC 850 form", { "if-modified-since": "Sunday, 06-Nov-94 08:49:37 GMT" }, true],
  ])("GET, %s", (_name, headers, expected) => {
    expect(isNotModified(request("GET", headers), etagged)).toBe(expected);
    expect(isNotModified(request("HEAD", headers), etagged)).toBe(expected);
  });

  it("answers only GET and HEAD", () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get"]) {
      expect(isNotModified(request(method, { "if-none-match": '"v1"' }), etagged)).toBe(false);
      expect(isNotModified(request(method, { "if-modified-since": LAST }), etagged)).toBe(false);
    }
  });

  it("answers only 200 and 206", () => {
    const conditional = request("GET", { "if-none-match": '"v1"', "if-modified-since": LAST });
    for (const status of [200, 206]) {
      expect(isNotModified(conditional, page({ etag: '"v1"' }, status))).toBe(true);
    }
    for (const status of [201, 202, 203, 204, 301, 304, 404, 412, 500]) {
      expect(isNotModified(conditional, page({ etag: '"v1"' }, status))).toBe(false);
    }
  });

  it("needs a validator on the response: no ETag, no Last-Modified, no 304, even for *", () => {
    const conditions: Record<string, string>[] = [
      { "if-none-match": '"v1"' },
      { "if-none-match": "*" },
      { "if-modified-since": LAST },
    ];
    for (const headers of conditions) {
      expect(isNotModified(request("GET", headers), page({}))).toBe(false);
    }
    expect(isNotModified(request("GET", { "if-none-match": "*" }), page({ "last-modified": LAST }))).toBe(
      true,
    );
    expect(isNotModified(request("GET", { "if-modified-since": LAST }), page({ etag: '"v1"' }))).toBe(false);
  });

  it("finds the response's validators whatever their case, and ignores malformed or repeated ones", () => {
    const inm = request("GET", { "if-none-match": '"v1"' });
    expect(isNotModified(inm, page({ ETag: '"v1"' }))).toBe(true);
    expect(isNotModified(inm, page({ etag: "v1" }))).toBe(false);
    expect(isNotModified(inm, page({ etag: ['"v1"', '"v2"'] }))).toBe(false);
    expect(isNotModified(inm, page({ etag: ['"v1"'] }))).toBe(true);
    const ims = request("GET", { "if-modified-since": LAST });
    expect(isNotModified(ims, page({ "Last-Modified": LAST }))).toBe(true);
    expect(isNotModified(ims, page({ "last-modified": "1994-11-06" }))).toBe(false);
  });

  it("matches If-None-Match exactly when some listed tag has the response's opaque tag (property)", () => {
    const opaque = fc.stringMatching(/^"[!#-~]{0,6}"$/);
    const tag = fc.record({ weak: fc.boolean(), opaque });
    const show = (t: { weak: boolean; opaque: string }) => `${t.weak ? "W/" : ""}${t.opaque}`;
    fc.assert(
      fc.property(
        tag,
        fc.array(tag, { maxLength: 5 }),
        fc.constantFrom(",", ", ", " ,\t"),
        (own, listed, sep) => {
          const req = request("GET", {
            "if-none-match": listed.map(show).join(sep),
            "if-modified-since": LAST,
          });
          const res = page({ etag: show(own), "last-modified": LAST });
          expect(isNotModified(req, res)).toBe(listed.some((t) => t.opaque === own.opaque));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("matches If-Modified-Since exactly when Last-Modified is no later, to the second (property)", () => {
    const second = fc.integer({ min: 0, max: 253402300799 });
    fc.assert(
      fc.property(second, second, (modified, since) => {
        const res = page({ "last-modified": new Date(modified * 1000).toUTCString() });
        const req = request("GET", { "if-modified-since": new Date(since * 1000 + 999).toUTCString() });
        expect(isNotModified(req, res)).toBe(modified <= since);
      }),
      { numRuns: 500 },
    );
  });
});

describe("notModifiedResponse", () => {
  it("turns a matching response into a 304 without body or content headers, keeping the rest", () => {
    const res = page({
      etag: '"v1"',
      "last-modified": LAST,
      "Cache-Control": "max-age=60",
      expires: LATER,
      vary: "accept-encoding",
      "content-location": "/page.en",
      date: LAST,
      "content-length": "5",
      "Content-Encoding": "identity",
      "content-language": "en",
      "set-cookie": ["a=1", "b=2"],
      "x-frame-options": "SAMEORIGIN",
    });
    const out = notModifiedResponse(res, request("GET", { "if-none-match": '"v1"' }));
    expect(out.status).toBe(304);
    expect(out.body).toBeUndefined();
    expect(out.headers).toEqual({
      etag: '"v1"',
      "last-modified": LAST,
      "Cache-Control": "max-age=60",
      expires: LATER,
      vary: "accept-encoding",
      "content-location": "/page.en",
      date: LAST,
      "set-cookie": ["a=1", "b=2"],
      "x-frame-options": "SAMEORIGIN",
    });
  });

  it("keeps every other key of the response (what inner middleware read, e.g. session)", () => {
    const res = { ...page({ etag: '"v1"' }), session: { user: "ann" } };
    const out = notModifiedResponse(res, request("GET", { "if-none-match": '"v1"' }));
    expect(out.session).toEqual({ user: "ann" });
  });

  it("returns the very response when it does not match", () => {
    const res = page({ etag: '"v1"' });
    expect(notModifiedResponse(res, request("GET", { "if-none-match": '"v2"' }))).toBe(res);
    expect(notModifiedResponse(res, request("POST", { "if-none-match": '"v1"' }))).toBe(res);
  });

  it("cancels a web stream, destroys a Node stream and returns an async iterator it drops", async () => {
    const conditional = request("GET", { "if-none-match": '"v1"' });
    let cancelled = false;
    const web = new ReadableStream({
      cancel: () => {
        cancelled = true;
      },
    });
    notModifiedResponse({ status: 200, headers: { etag: '"v1"' }, body: web }, conditional);
    await Promise.resolve();
    expect(cancelled).toBe(true);

    const node = Readable.from(["a", "b"]);
    notModifiedResponse({ status: 200, headers: { etag: '"v1"' }, body: node }, conditional);
    expect(node.destroyed).toBe(true);

    let returned = false;
    const iterable = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: new Uint8Array(1) }),
        return: async () => {
          returned = true;
          return { done: true as const, value: undefined };
        },
      }),
    };
    notModifiedResponse({ status: 200, headers: { etag: '"v1"' }, body: iterable }, conditional);
    expect(returned).toBe(true);
  });

  it("reports a body that fails to stop to onError, with the request", async () => {
    const conditional = request("GET", { "if-none-match": '"v1"' });
    const failing = new ReadableStream({ cancel: () => Promise.reject(new Error("stuck")) });
    const seen: unknown[] = [];
    const out = notModifiedResponse({ status: 200, headers: { etag: '"v1"' }, body: failing }, conditional, {
      onError: (error, req) => seen.push((error as Error).message, req),
    });
    expect(out.status).toBe(304);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual(["stuck", conditional]);
  });

  it("notModifiedRequest returns the request itself", () => {
    const req = request("GET");
    expect(notModifiedRequest(req)).toBe(req);
  });
});

describe("wrapNotModified", () => {
  it("leaves other methods to the handler untouched, without looking at the response", async () => {
    const res = page({ etag: '"v1"' });
    const app = wrapNotModified(() => res);
    expect(app(request("PUT", { "if-none-match": '"v1"' }))).toBe(res);
    expect(app(request("GET", { "if-none-match": '"v1"' }))).toMatchObject({ status: 304 });
  });

  it("stays synchronous for a synchronous handler and follows an asynchronous one", async () => {
    const sync = wrapNotModified(() => page({ etag: '"v1"' }));
    expect(sync(request("GET", { "if-none-match": '"v1"' }))).toMatchObject({ status: 304 });
    const async = wrapNotModified(async () => page({ etag: '"v1"' }));
    const pending = async(request("GET", { "if-none-match": '"v1"' }));
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toMatchObject({ status: 304 });
  });

  it("works in compose and keeps the handler's types", () => {
    const app = compose(
      wrapNotModified(),
      wrapParams,
    )((req) => {
      expectTypeOf(req.params).not.toBeAny();
      return { ...text("hi"), headers: { etag: '"1"' } };
    });
    expect(app(request("GET", { "if-none-match": '"1"' }))).toMatchObject({ status: 304 });
    const typed: Handler = wrapNotModified({})((_req: Request) => text("x"));
    expectTypeOf(typed).toEqualTypeOf<Handler>();
  });

  it("rejects bad options once, at construction, naming them", () => {
    expect(() => wrapNotModified({ onError: 1 } as never)).toThrow(
      'wrapNotModified: option "onError": must be a function (error, request) => void (got 1)',
    );
    expect(() => wrapNotModified(() => text("x"), { nope: true } as never)).toThrow(
      'wrapNotModified: unknown option "nope"',
    );
    expect(() => wrapNotModified("x" as never)).toThrow(
      "wrapNotModified: the first argument must be a handler function, or an options object to get the middleware (got a string)",
    );
  });
});

describe("wrapNotModified over HTTP through serve()", () => {
  let server: RunningServer;
  let cancelled: Promise<void>;
  let onCancel: () => void;
  beforeAll(async () => {
    const app = wrapNotModified((req: Request): Response => {
      if (req.uri === "/stream") {
        cancelled = new Promise((resolve) => (onCancel = resolve));
        const body = new ReadableStream<Uint8Array>({
          pull: (controller) => controller.enqueue(new TextEncoder().encode("x".repeat(1024))),
          cancel: () => onCancel(),
        });
        return { status: 200, headers: { etag: '"s"', "content-type": "text/plain" }, body };
      }
      return {
        status: 200,
        headers: {
          "content-type": "text/plain; charset=utf-8",
          etag: 'W/"v1"',
          "last-modified": LAST,
          "cache-control": "no-cache",
          vary: "cookie",
          "set-cookie": "seen=1",
        },
        body: `${req.method} body`,
      };
    });
    server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  });
  afterAll(() => server.close());

  it("answers a revalidation with 304, no body, and the validators and cache headers", async () => {
    const first = await fetch(server.url);
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    const again = await fetch(server.url, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe('W/"v1"');
    expect(again.headers.get("last-modified")).toBe(LAST);
    expect(again.headers.get("cache-control")).toBe("no-cache");
    expect(again.headers.get("vary")).toBe("cookie");
    expect(again.headers.get("set-cookie")).toBe("seen=1");
    expect(again.headers.get("content-type")).toBeNull();
  });

  it("answers If-Modified-Since, and HEAD, the same way", async () => {
    const since = await fetch(server.url, { headers: { "if-modified-since": LATER } });
    expect(since.status).toBe(304);
    const head = await fetch(server.url, { method: "HEAD", headers: { "if-modified-since": LAST } });
    expect(head.status).toBe(304);
    const stale = await fetch(server.url, { headers: { "if-modified-since": EARLIER } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe("GET body");
  });

  it("lets a POST with a matching If-None-Match through", async () => {
    const post = await fetch(server.url, { method: "POST", headers: { "if-none-match": '"v1"' } });
    expect(post.status).toBe(200);
    expect(await post.text()).toBe("POST body");
  });

  it("cancels a streamed body it does not send", async () => {
    const res = await fetch(`${server.url}/stream`, { headers: { "if-none-match": '"s"' } });
    expect(res.status).toBe(304);
    await cancelled;
  });
});
