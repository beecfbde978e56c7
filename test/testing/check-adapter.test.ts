import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { toFetchHandler } from "../../src/adapters/fetch.js";
import { serve } from "../../src/adapters/node.js";
import type { Handler, Response, Request as RingRequest } from "../../src/core/types.js";
import { cookieStore } from "../../src/session/cookie-store/cookie-store.js";
import { wrapSession } from "../../src/session/wrap-session.js";
import {
  ADAPTER_CHECKS,
  type AdapterCheck,
  AdapterCheckError,
  type AdapterCheckFailure,
  type AdapterServer,
  checkAdapter,
  type StartAdapter,
} from "../../src/testing/check-adapter.js";

const quiet = { onError: () => {} };

/** Closes a Node server and every connection on it (fetch keeps connections alive). */
async function listen(server: Server): Promise<AdapterServer> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The bridge a Node user of `ringlet/fetch` would write (as `@hono/node-server` does): IncomingMessage →
 * web Request → fetch handler → web Response written back with one writeHead and backpressure.
 */
function fetchBridge(handler: Handler, broken: { headAsGet?: boolean } = {}): Server {
  const fetchHandler = toFetchHandler(handler, quiet);
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let request: Request;
    try {
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      request = new Request(`http://${req.headers.host ?? "localhost"}${req.url}`, {
        method: broken.headAsGet && req.method === "HEAD" ? "GET" : req.method,
        headers,
        body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : null,
        duplex: "half",
      } as RequestInit);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const response = await fetchHandler(request, { remoteAddr: { hostname: req.socket.remoteAddress } });
    const lines: string[] = [];
    response.headers.forEach((value, name) => {
      lines.push(name, value);
    });
    res.writeHead(response.status, lines);
    if (broken.headAsGet && req.method === "HEAD" && response.body !== null) {
      // Node itself never writes a body for HEAD: put the bytes on the socket behind its back.
      const bytes = new Uint8Array(await response.arrayBuffer());
      const socket = res.socket!;
      res.end();
      socket.write(bytes);
      return;
    }
    if (response.body === null) {
      res.end();
      return;
    }
    const reader = response.body.getReader();
    res.on("close", () => {
      if (!res.writableFinished) reader.cancel().catch(() => {});
    });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!res.write(value)) await once(res, "drain");
      }
      res.end();
    } catch {
      res.destroy();
    }
  });
}

const startFetch: StartAdapter = (handler) => listen(fetchBridge(handler));

const only = (check: AdapterCheck) => ADAPTER_CHECKS.filter((name) => name !== check);

/** Runs one check against an adapter broken on purpose and returns the failures it reported. */
async function failuresOf(
  start: StartAdapter,
  check: AdapterCheck,
  timeoutMs = 2000,
): Promise<AdapterCheckFailure[]> {
  const error = await checkAdapter(start, { skip: only(check), timeoutMs }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AdapterCheckError);
  return [...(error as AdapterCheckError).failures];
}

/** The real fetch adapter with its request map corrupted before the handler sees it. */
const corruptRequest =
  (corrupt: (request: RingRequest) => RingRequest): StartAdapter =>
  (handler) =>
    startFetch((request) => handler(corrupt(request)));

/** The real fetch adapter with the handler's response corrupted before it is written. */
const corruptResponse =
  (corrupt: (response: Response) => Response): StartAdapter =>
  (handler) =>
    startFetch(async (request) => corrupt(await handler(request)));

describe("checkAdapter", () => {
  it("passes for the Node adapter (serve from ringlet/node)", async () => {
    await checkAdapter((handler) => serve(handler, { port: 0, hostname: "127.0.0.1", ...quiet }));
  });

  it("passes for the fetch adapter served through node:http with a small bridge", async () => {
    await checkAdapter(startFetch);
  });

  it("runs the session round-trip through the session middleware given as an option", async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    await checkAdapter(startFetch, {
      skip: only("session round-trip"),
      session: (handler) => wrapSession(handler, { store: cookieStore({ secret }) }) as Handler,
    });
    const error = (await checkAdapter(startFetch, {
      skip: only("session round-trip"),
      session: (handler) => handler as Handler,
    }).catch((e: unknown) => e)) as AdapterCheckError;
    expect(error.failures).toEqual([
      {
        check: "session round-trip",
        message: "Set-Cookie lines of the first session response was 0, expected 1",
      },
    ]);
  });
});

describe("checkAdapter's WebSocket checks, for adapters that declare support", () => {
  const nodeAdapter: StartAdapter = (handler) => serve(handler, { port: 0, hostname: "127.0.0.1", ...quiet });
  const skipHttp = { skip: ADAPTER_CHECKS };

  it("pass for ringlet/node", async () => {
    await checkAdapter(nodeAdapter, { ...skipHttp, websocket: true });
  });

  it("are not run unless asked for: the fetch bridge cannot upgrade and still passes without them", async () => {
    await checkAdapter(startFetch, skipHttp);
  });

  it("name each failure of an adapter that cannot upgrade (the fetch bridge's 501)", async () => {
    const error = (await checkAdapter(startFetch, { ...skipHttp, websocket: true }).catch(
      (e: unknown) => e,
    )) as AdapterCheckError;
    expect(error).toBeInstanceOf(AdapterCheckError);
    expect(error.failures.map((f) => [f.check, f.message])).toEqual([
      ["websocket: echo", "the upgrade was answered with HTTP 501"],
      ["websocket: ping and close", "the upgrade was answered with HTTP 501"],
      ["websocket: listener error", "the upgrade was answered with HTTP 501"],
    ]);
  });

  it("catch an adapter that upgrades but forgets onClose", async () => {
    const start: StartAdapter = (handler) =>
      nodeAdapter(async (request) => {
        const response = (await handler(request)) as Response & { websocket?: { onClose?: unknown } };
        if (response.websocket === undefined) return response;
        return { ...response, websocket: { ...response.websocket, onClose: undefined } } as Response;
      });
    const error = (await checkAdapter(start, {
      skip: [...ADAPTER_CHECKS, "websocket: listener error", "websocket: ping and close"],
      websocket: true,
      timeoutMs: 500,
    }).catch((e: unknown) => e)) as AdapterCheckError;
    expect(error.failures).toEqual([
      {
        check: "websocket: echo",
        message:
          'listener calls was ["open","text héllo ✓","binary 16384"], expected ["open","text héllo ✓","binary 16384","close 1005 "]',
      },
    ]);
  });
});

describe("checkAdapter rejects a broken adapter, naming the check, what was seen and what was expected", () => {
  it("one that drops duplicate headers (keeps the first, as Node's req.headers does for some)", async () => {
    const start = corruptRequest((request) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = value.split(", ")[0]!;
      return { ...request, headers };
    });
    const failures = await failuresOf(start, "repeated headers");
    expect(failures).toEqual([
      {
        check: "repeated headers",
        message: 'request.headers["x-dup"] was "one", expected "one, two, three"',
      },
    ]);
  });

  it("one that rejects when started with the whole suite, listing every failed check in its message", async () => {
    const start = corruptRequest((request) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = value.split(/, |; /)[0]!;
      return Object.freeze({ ...request, headers: Object.freeze(headers) });
    });
    const error = (await checkAdapter(start, { skip: ["session round-trip"] }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(AdapterCheckError);
    expect(error.message).toMatch(/^checkAdapter: 2 of 13 checks failed:\n/);
    expect(error.message).toContain('  - repeated headers: request.headers["x-dup"] was "one"');
    expect(error.message).toContain(
      '  - cookie joining: request.headers["cookie"] from three Cookie lines was "a=1", expected "a=1; b=2; c=3; d=4"',
    );
  });

  it("one that decodes the path", async () => {
    const failures = await failuresOf(
      corruptRequest((request) => ({ ...request, uri: decodeURI(request.uri) })),
      "raw path and query",
    );
    expect(failures[0]?.message).toMatch(/^request.uri for target \/a%2Fb.* was "\/a%2Fb\/~\/\/café/);
  });

  it("one that loses an empty query string", async () => {
    const failures = await failuresOf(
      corruptRequest((request) => ({ ...request, queryString: request.queryString || undefined })),
      "raw path and query",
    );
    expect(failures[0]?.message).toBe('request.queryString for target /bare? was undefined, expected ""');
  });

  it("one that does not freeze the request map", async () => {
    const failures = await failuresOf(
      corruptRequest((request) => ({ ...request })),
      "request map",
    );
    expect(failures[0]?.message).toBe("request map frozen was false, expected true");
  });

  it("one that never gives the handler a body", async () => {
    const start = corruptRequest((request) => ({ ...request, body: undefined }));
    expect((await failuresOf(start, "request body: large"))[0]?.message).toBe(
      "request body length of an 8 MiB PUT was 0, expected 8388608",
    );
    expect((await failuresOf(start, "request body: chunked"))[0]?.message).toBe(
      'request body sent in 3 chunks with pauses was "", expected "hello wörld!"',
    );
  });

  it("one that joins Set-Cookie values into one line", async () => {
    const start = corruptResponse((response) => {
      const cookies = response.headers["set-cookie"];
      return Array.isArray(cookies)
        ? { ...response, headers: { ...response.headers, "set-cookie": cookies.join(", ") } }
        : response;
    });
    expect((await failuresOf(start, "multiple set-cookie"))[0]?.message).toMatch(
      /^the Set-Cookie lines was \["a=1; Path=\/, b=2/,
    );
  });

  it("one that sends a body for HEAD", async () => {
    const start: StartAdapter = (handler) => listen(fetchBridge(handler, { headAsGet: true }));
    const failures = await failuresOf(start, "HEAD");
    expect(failures[0]?.message).toMatch(/after a HEAD on the same connection did not parse/);
  });

  it("one that does not stop a body it will not send", async () => {
    const start = corruptResponse((response) =>
      response.status === 204 || response.status === 304 ? { ...response, body: undefined } : response,
    );
    // The check waits its whole timeout for the source to be stopped before it fails: keep that short.
    const failures = await failuresOf(start, "204 and 304", 1000);
    expect(failures[0]?.message).toBe(
      "the ReadableStream body of a 204 response was never stopped (cancelled, returned or destroyed)",
    );
  });

  it("one that sends a string body with a content-type of its own", async () => {
    const start = corruptResponse((response) =>
      typeof response.body === "string" && response.headers["content-type"] === undefined
        ? { ...response, headers: { ...response.headers, "content-type": "text/plain" } }
        : response,
    );
    expect((await failuresOf(start, "response body types"))[0]?.message).toBe(
      'content-type for a string body (the handler set none) was "text/plain", expected undefined',
    );
  });

  it("one that loses a chunk of a streamed response", async () => {
    const start = corruptResponse((response) => {
      const body = response.body;
      if (
        typeof body !== "object" ||
        body === null ||
        body instanceof Uint8Array ||
        !(Symbol.asyncIterator in body)
      ) {
        return response;
      }
      return {
        ...response,
        body: (async function* () {
          let first = true;
          for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
            if (!first) yield chunk;
            first = false;
          }
        })(),
      };
    });
    expect((await failuresOf(start, "response body types"))[0]?.message).toMatch(
      /^the bytes of a AsyncIterable body were 15 bytes "bytes ünïcode", expected 20 bytes "iter bytes ünïcode"$/,
    );
  });

  it("one that leaks an error's message", async () => {
    const start: StartAdapter = (handler) =>
      startFetch(async (request) => {
        try {
          return await handler(request);
        } catch (error) {
          return { status: 500, headers: {}, body: String(error) };
        }
      });
    expect((await failuresOf(start, "handler errors"))[0]?.message).toMatch(
      /^the response for a handler that throws leaked the error's message: "Error: handler failed: s3cr3t/,
    );
  });

  it("one that loses the Cookie header", async () => {
    const start = corruptRequest((request) => {
      const { cookie: _dropped, ...headers } = request.headers;
      return Object.freeze({ ...request, headers: Object.freeze(headers) });
    });
    expect((await failuresOf(start, "session round-trip"))[0]?.message).toBe(
      'the second session response, sending the cookie back was [200,"1"], expected [200,"2"]',
    );
  });
});

describe("checkAdapter: its own inputs", () => {
  const never: StartAdapter = () => Promise.reject(new Error("must not start"));

  it("checks options before starting anything, naming the option", async () => {
    await expect(checkAdapter(never, { skip: ["nope" as AdapterCheck] })).rejects.toThrow(
      /^checkAdapter: option "skip\.0": Invalid option: expected one of "request map"\|/,
    );
    await expect(checkAdapter(never, { timeoutMs: -1 })).rejects.toThrow(
      /^checkAdapter: option "timeoutMs": Too small: expected number to be >0/,
    );
    await expect(checkAdapter(never, { session: 1 as never })).rejects.toThrow(
      /^checkAdapter: option "session": expected a function/,
    );
    await expect(checkAdapter(never, { retries: 2 } as never)).rejects.toThrow(
      'checkAdapter: unknown option "retries"',
    );
    await expect(checkAdapter("x" as never)).rejects.toThrow("start must be a function");
  });

  it("refuses a start that does not resolve to { url, close }, and an https URL", async () => {
    await expect(checkAdapter(async () => ({ url: 1 }) as never)).rejects.toThrow(/must resolve to \{ url/);
    let closed = false;
    await expect(
      checkAdapter(async () => ({
        url: "https://127.0.0.1:1",
        close: async () => {
          closed = true;
        },
      })),
    ).rejects.toThrow("the server URL must be http:");
    expect(closed).toBe(true);
  });

  it("reports a close() that fails, after the checks", async () => {
    const start: StartAdapter = async (handler) => {
      const server = await startFetch(handler);
      return {
        url: server.url,
        close: async () => {
          await server.close();
          throw new Error("port still bound");
        },
      };
    };
    const error = (await checkAdapter(start, { skip: only("method") }).catch(
      (e: unknown) => e,
    )) as AdapterCheckError;
    expect(error.failures).toEqual([{ check: "close", message: "Error: port still bound" }]);
  });

  it("fails a check with a timeout message instead of hanging when the adapter never answers", async () => {
    const start: StartAdapter = async () => {
      const server = createServer(() => {});
      return listen(server);
    };
    const error = (await checkAdapter(start, { skip: only("method"), timeoutMs: 300 }).catch(
      (e: unknown) => e,
    )) as AdapterCheckError;
    expect(error.failures[0]?.message).toMatch(/^no complete response to GET \/ within 300 ms$/);
  });
});
