import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { Handler, Request, Response } from "../../src/core/types.js";
import { headRequest, headResponse, wrapHead } from "../../src/middleware/head.js";

const base: Request = Object.freeze({
  method: "GET",
  uri: "/thing",
  queryString: undefined,
  scheme: "http",
  protocol: "HTTP/1.1",
  headers: Object.freeze({}),
  serverName: "localhost",
  serverPort: 80,
  remoteAddr: "127.0.0.1",
  body: undefined,
});
const HEAD: Request = Object.freeze({ ...base, method: "HEAD" });

/** A handler that records the method it saw and answers with `res`. */
function recording(res: Response) {
  const seen: string[] = [];
  const handler: Handler = (request) => {
    seen.push(request.method);
    return res;
  };
  return { handler, seen };
}

describe("headRequest", () => {
  it("turns HEAD into GET in a new object", () => {
    const out = headRequest(HEAD);
    expect(out).toEqual({ ...HEAD, method: "GET" });
    expect(HEAD.method).toBe("HEAD");
  });

  it.each(["GET", "POST", "head", "OPTIONS"])("returns a %s request itself", (method) => {
    const request = { ...base, method };
    expect(headRequest(request)).toBe(request);
  });
});

describe("wrapHead", () => {
  it("calls the handler with GET and drops a string body, adding its byte length", () => {
    const { handler, seen } = recording({
      status: 200,
      headers: { "content-type": "text/plain" },
      body: "héllo",
    });
    const out = wrapHead(handler)(HEAD) as Response;
    expect(seen).toEqual(["GET"]);
    expect(out).toEqual({ status: 200, headers: { "content-type": "text/plain", "content-length": "6" } });
    expect(out.body).toBeUndefined();
  });

  it("keeps a content-length the handler set for a streamed body", () => {
    const body = Readable.from(["abc"]);
    const { handler } = recording({ status: 200, headers: { "Content-Length": "3", "x-a": "1" }, body });
    expect((wrapHead(handler)(HEAD) as Response).headers).toEqual({ "Content-Length": "3", "x-a": "1" });
  });

  it("replaces a wrong content-length or transfer-encoding of a string body with its size, as GET would send", () => {
    const { handler } = recording({
      status: 200,
      headers: { "Content-Length": "99", "Transfer-Encoding": "chunked", "x-a": "1" },
      body: "x",
    });
    expect((wrapHead(handler)(HEAD) as Response).headers).toEqual({ "x-a": "1", "content-length": "1" });
  });

  it("adds the byte length of a Uint8Array body", () => {
    const { handler } = recording({ status: 200, headers: {}, body: new Uint8Array(7) });
    expect((wrapHead(handler)(HEAD) as Response).headers).toEqual({ "content-length": "7" });
  });

  it.each([204, 304])("adds no content-length to a %i", (status) => {
    const { handler } = recording({ status, headers: {}, body: "" });
    expect(wrapHead(handler)(HEAD)).toEqual({ status, headers: {}, body: undefined });
  });

  it("leaves a response without body untouched", () => {
    const res = { status: 200, headers: {} };
    expect(wrapHead(recording(res).handler)(HEAD)).toBe(res);
  });

  it("passes other methods straight through, the same objects", () => {
    const res = { status: 200, headers: {}, body: "x" };
    const { handler, seen } = recording(res);
    const post = { ...base, method: "POST" };
    expect(wrapHead(handler)(post)).toBe(res);
    expect(seen).toEqual(["POST"]);
  });

  it("stays synchronous for a synchronous handler and async for an async one", async () => {
    const res = { status: 200, headers: {}, body: "ab" };
    const sync = wrapHead(() => res)(HEAD);
    expect(sync).not.toBeInstanceOf(Promise);
    const later = wrapHead(async () => res)(HEAD);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toEqual({ status: 200, headers: { "content-length": "2" }, body: undefined });
  });

  it("lets the handler's error through", async () => {
    const boom = new Error("boom");
    expect(() =>
      wrapHead(() => {
        throw boom;
      })(HEAD),
    ).toThrow(boom);
    await expect(wrapHead(() => Promise.reject(boom))(HEAD)).rejects.toBe(boom);
  });

  it("cancels a web ReadableStream body", async () => {
    const cancelled: unknown[] = [];
    const body = new ReadableStream({ cancel: (reason) => void cancelled.push(reason ?? "cancelled") });
    const out = (await wrapHead(async () => ({ status: 200, headers: {}, body }))(HEAD)) as Response;
    expect(out.body).toBeUndefined();
    await vi.waitFor(() => expect(cancelled).toHaveLength(1));
  });

  it("destroys a Node Readable body", () => {
    const body = Readable.from(["a", "b"]);
    const out = wrapHead(() => ({ status: 200, headers: { "content-length": "2" }, body }))(HEAD) as Response;
    expect(out).toEqual({ status: 200, headers: { "content-length": "2" }, body: undefined });
    expect(body.destroyed).toBe(true);
  });

  it("closes an async iterable body with return()", async () => {
    let closed = 0;
    const body: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: "x" }),
        return: async () => {
          closed++;
          return { done: true, value: undefined };
        },
      }),
    };
    wrapHead(() => ({ status: 200, headers: {}, body }))(HEAD);
    expect(closed).toBe(1);
  });

  it("finishes an async generator so it never runs", async () => {
    let ran = false;
    const body = (async function* () {
      ran = true;
      yield "x";
    })();
    wrapHead(() => ({ status: 200, headers: {}, body }))(HEAD);
    expect(await body.next()).toEqual({ done: true, value: undefined });
    expect(ran).toBe(false);
  });

  it("reports a failed cancel to onError with the request, and never throws it", async () => {
    const errors: [unknown, Request][] = [];
    const body = new ReadableStream({
      cancel() {
        throw new TypeError("cannot cancel");
      },
    });
    const app = wrapHead(() => ({ status: 200, headers: {}, body }), {
      onError: (error, request) => errors.push([error, request]),
    });
    expect((app(HEAD) as Response).body).toBeUndefined();
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]![0]).toBeInstanceOf(TypeError);
    expect(errors[0]![1]).toBe(HEAD);
  });

  it("reports a throwing destroy() on stderr by default", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const body = Object.assign(Readable.from([]), {
        destroy: () => {
          throw new Error("cannot close");
        },
      });
      wrapHead(() => ({ status: 200, headers: {}, body }))(HEAD);
      expect(spy).toHaveBeenCalledWith(
        expect.stringMatching(/^wrapHead: .*HEAD \/thing failed: cannot close$/),
      );
    } finally {
      spy.mockRestore();
    }
  });

  it("rejects bad options at construction, naming them", () => {
    const h: Handler = () => ({ status: 200, headers: {} });
    expect(() => wrapHead(h, { onError: 1 as never })).toThrow(
      /wrapHead: option "onError": expected a function/,
    );
    expect(() => wrapHead(h, { onEror: () => {} } as never)).toThrow(/wrapHead: unknown option "onEror"/);
    expect(() => wrapHead(42 as never)).toThrow(
      /wrapHead: the first argument must be a handler function, or an options object/,
    );
  });
});

describe("headResponse", () => {
  it("returns the response itself for a request that is not HEAD", () => {
    const res = { status: 200, headers: {}, body: "x" };
    expect(headResponse(res, base)).toBe(res);
  });

  it("sets content-length to the UTF-8 size a GET would send, for any string (property)", () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(
        fc.string({
          // Lone surrogates included: TextEncoder sends each as U+FFFD (3 bytes).
          unit: fc.oneof(
            fc.constantFrom("\uD800", "\uDC00", "a", "é", "€", "😀"),
            fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
            fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
          ),
        }),
        (text) => {
          const out = headResponse<Response>({ status: 200, headers: {}, body: text }, HEAD);
          expect(out.headers["content-length"]).toBe(String(enc.encode(text).byteLength));
        },
      ),
    );
  });

  it("does not mutate a frozen response", () => {
    const res = Object.freeze({ status: 200, headers: Object.freeze({}), body: "abc" });
    expect(headResponse(res, HEAD)).toEqual({
      status: 200,
      headers: { "content-length": "3" },
      body: undefined,
    });
    expect(res.body).toBe("abc");
  });
});
