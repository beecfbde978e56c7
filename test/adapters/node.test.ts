import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import express from "express";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { hello } from "../../examples/hello.js";
import { type RunningServer, serve, toNodeListener } from "../../src/adapters/node.js";
import { readJson, readText } from "../../src/core/body.js";
import { HttpError } from "../../src/core/http-error.js";
import type { Handler, Request } from "../../src/core/types.js";
import { memoryStore, wrapSession } from "../../src/session/index.js";
import { checkAdapter } from "../../src/testing/check-adapter.js";
import { headerValues, RawConnection, rawRequest } from "../../src/testing/raw-http.js";
import { TEST_CERT, TEST_KEY } from "./node/tls-fixture.js";

const ok: Handler = () => ({ status: 200, headers: {}, body: "ok" });

function listen(node: Server): Promise<number> {
  return new Promise((resolve) =>
    node.listen(0, "127.0.0.1", () => resolve((node.address() as AddressInfo).port)),
  );
}

describe("options", () => {
  it("are validated once, when the listener is built, naming the bad option", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ trustProxy: "yes" }, /^toNodeListener: option "trustProxy": must be a boolean \(got a string\)$/],
      [{ onError: "log" }, /option "onError": must be a function/],
      [{ drainMaxBytes: -1 }, /option "drainMaxBytes": must be a non-negative integer \(bytes\) \(got -1\)/],
      [
        { drainMaxBytes: 1.5 },
        /option "drainMaxBytes": must be a non-negative integer \(bytes\) \(got 1\.5\)/,
      ],
      [
        { drainTimeout: 0 },
        /option "drainTimeout": must be an integer from 1 to 2147483647 \(milliseconds\) \(got 0\)/,
      ],
      [{ drainTimeout: 2 ** 31 }, /option "drainTimeout": must be an integer from 1 to 2147483647/],
      [{ trustproxy: true }, /^toNodeListener: unknown option "trustproxy"$/],
      [null, /^toNodeListener: options must be an object, got null$/],
    ];
    for (const [options, message] of cases) {
      expect(() => toNodeListener(ok, options as never)).toThrow(message);
    }
    expect(() => toNodeListener("nope" as never)).toThrow(/handler must be a function, got string/);
  });

  it("are read only at construction", async () => {
    let reads = 0;
    const options = {
      get trustProxy() {
        reads++;
        return false;
      },
    };
    const listener = toNodeListener(ok, options);
    const afterBuild = reads;
    const node = createServer(listener);
    const port = await listen(node);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      await fetch(`http://127.0.0.1:${port}/`);
      expect(reads).toBe(afterBuild);
    } finally {
      node.close();
    }
  });

  it("of serve() are checked too, and the rest is handed to Node's server", async () => {
    await expect(serve(ok, { port: 70000 })).rejects.toThrow(
      /^serve: option "port": must be an integer from 0 to 65535 \(got 70000\)/,
    );
    await expect(serve(ok, { hostname: "" })).rejects.toThrow(
      /option "hostname": must be a non-empty string \(got an empty string\)/,
    );
    await expect(serve(ok, { https: "cert.pem" as never })).rejects.toThrow(
      /option "https": must be an object/,
    );
    await expect(serve(ok, { port: 0, drainTimeout: -5 })).rejects.toThrow(/option "drainTimeout"/);
    const small = await serve(ok, { port: 0, maxHeaderSize: 1024, onError: () => {} });
    try {
      const response = await rawRequest(
        small.port,
        `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(4000)}\r\n\r\n`,
      );
      expect(response.status).toBe(431);
    } finally {
      await small.close();
    }
  });
});

describe("errors", () => {
  let current: Handler = ok;
  const reports: Array<[unknown, Request | undefined, string]> = [];
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve((request) => current(request), {
      port: 0,
      onError: (error, request, info) => void reports.push([error, request, info.kind]),
    });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    reports.length = 0;
  });

  it("turns a throw into a 500 with a generic body, reported with the request", async () => {
    current = () => {
      throw new Error("password=hunter2");
    };
    const response = await fetch(`${server.url}/boom?x=1`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("Internal Server Error");
    expect(reports).toHaveLength(1);
    expect((reports[0]![0] as Error).message).toBe("password=hunter2");
    expect(reports[0]![1]).toMatchObject({ uri: "/boom", queryString: "x=1" });
    expect(reports[0]![2]).toBe("handler");
  });

  it("turns a rejection, or a thrown non-Error, into a 500", async () => {
    current = async () => {
      await sleep(1);
      throw new TypeError("async failure");
    };
    expect((await fetch(server.url)).status).toBe(500);
    current = () => {
      throw "a string";
    };
    expect((await fetch(server.url)).status).toBe(500);
    current = () => Promise.reject(undefined);
    expect((await fetch(server.url)).status).toBe(500);
    expect(reports.map(([error]) => error)).toEqual([expect.any(TypeError), "a string", undefined]);
  });

  it("gives an HttpError its status and headers, and its message only when exposed", async () => {
    current = () => {
      throw new HttpError(405, "Only GET here", { headers: { allow: "GET" } });
    };
    let response = await fetch(server.url);
    expect([response.status, response.headers.get("allow"), await response.text()]).toEqual([
      405,
      "GET",
      "Only GET here",
    ]);
    current = async () => {
      throw new HttpError(503, "redis at 10.1.2.3 is down");
    };
    response = await fetch(server.url);
    expect([response.status, await response.text()]).toEqual([503, "Service Unavailable"]);
    current = () => {
      throw new HttpError(422, "internal detail", { expose: false });
    };
    response = await fetch(server.url);
    expect([response.status, await response.text()]).toEqual([422, "Unprocessable Content"]);
    // A 4xx is an answer the handler chose; a 5xx a failure.
    expect(reports.map(([, , kind]) => kind)).toEqual(["http-error", "handler", "http-error"]);
  });

  it("answers 500 for an invalid response, naming the problem to onError", async () => {
    const invalid: Array<[unknown, RegExp]> = [
      [{ status: 700, headers: {} }, /response\.status must be an integer from 100 to 599, got number 700/],
      [
        { status: 200, headers: { "x-a": "1\r\nset-cookie: evil=1" } },
        /response\.headers\["x-a"\] contains CR/,
      ],
      [{ status: 200, headers: { "bad name": "1" } }, /invalid name "bad name"/],
      [{ status: 200, headers: {}, body: 42 }, /response\.body has an unknown type/],
      [{ status: 200 }, /response\.headers must be an object/],
      [undefined, /response must be an object/],
      // Values Node itself would send (it turns them into strings), but the SPEC does not allow.
      [{ status: 200, headers: { "x-n": 5 }, body: "x" }, /response\.headers\["x-n"\] must be a string/],
      [{ status: 200, headers: { "set-cookie": ["a=1", 2] } }, /response\.headers\["set-cookie"\]\[1\]/],
      [{ status: 200, headers: { "x-e": "€" }, body: "x" }, /response\.headers\["x-e"\] contains U\+20AC/],
      [{ status: 204, headers: { "x-a": "\n" }, body: "x" }, /response\.headers\["x-a"\] contains LF/],
      [{ status: 200, headers: { "x-a": "\n" }, body: Readable.from(["x"]) }, /contains LF/],
      [{ status: 200, headers: {}, body: {} }, /response\.body has an unknown type/],
      [{ status: 600, headers: {} }, /response\.status must be an integer from 100 to 599, got number 600/],
    ];
    for (const [response, message] of invalid) {
      reports.length = 0;
      current = () => response as never;
      const res = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      // Nothing of the invalid response is sent, not even the reason phrase of its status.
      expect([res.status, res.reason]).toEqual([500, "Internal Server Error"]);
      expect(headerValues(res, "set-cookie")).toEqual([]);
      expect(headerValues(res, "x-a")).toEqual([]);
      expect(headerValues(res, "connection")).toEqual(["close"]);
      expect(res.body.toString()).toBe("Internal Server Error");
      expect(reports).toHaveLength(1);
      expect((reports[0]![0] as Error).message).toMatch(message);
      expect((reports[0]![0] as Error).message).toMatch(/^Invalid response from handler: /);
      expect(reports[0]![2]).toBe("response");
    }
  });

  it("cancels the body of an invalid response", async () => {
    let cancelled = false;
    current = () => ({
      status: 99,
      headers: {},
      body: new ReadableStream({
        cancel() {
          cancelled = true;
        },
      }),
    });
    expect((await fetch(server.url)).status).toBe(500);
    expect(cancelled).toBe(true);
  });

  it("answers 400 for a bad request line without calling the handler, and reports it", async () => {
    const handler = vi.fn(ok);
    current = handler;
    for (const line of ["FOO / HTTP/1.1", "GET / HTTP/9.9", "GET /a b HTTP/1.1", "GET", "GET é HTTP/1.1"]) {
      reports.length = 0;
      const response = await rawRequest(server.port, `${line}\r\nHost: x\r\n\r\n`);
      expect(response.status).toBe(400);
      expect(reports.map(([error, , kind]) => [(error as { code?: string }).code, kind])).toEqual([
        [expect.stringMatching(/^HPE_/), "client-error"],
      ]);
    }
    const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    expect(response.status).toBe(400);
    expect(handler).not.toHaveBeenCalled();
  });

  it("survives an onError that throws or rejects", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      for (const onError of [
        () => {
          throw new Error("logger down");
        },
        () => Promise.reject(new Error("async logger down")),
      ]) {
        const fragile = await serve(
          () => {
            throw new Error("handler failed");
          },
          { port: 0, onError },
        );
        const response = await fetch(fragile.url);
        expect(response.status).toBe(500);
        await fragile.close();
      }
      await sleep(10);
      expect(unhandled).not.toHaveBeenCalled();
      expect(spy.mock.calls.map(([line]) => line)).toEqual([
        "ringlet: GET / failed: Error: handler failed",
        "ringlet: GET / failed: Error: onError itself failed: Error: logger down",
        "ringlet: GET / failed: Error: handler failed",
        "ringlet: GET / failed: Error: onError itself failed: Error: async logger down",
      ]);
    } finally {
      process.off("unhandledRejection", unhandled);
      spy.mockRestore();
    }
  });

  it("reports with one line on stderr by default", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const quiet = await serve(
      () => {
        throw new Error("no onError given");
      },
      { port: 0 },
    );
    try {
      await fetch(`${quiet.url}/p?q`);
      expect(spy.mock.calls).toEqual([["ringlet: GET /p?q failed: Error: no onError given"]]);
    } finally {
      spy.mockRestore();
      await quiet.close();
    }
  });
});

describe("onError: what a client causes", () => {
  // One application for every case: a body read with readJson, a handler bug, an expected 404.
  let inFlight = 0;
  const app: Handler = async (request) => {
    inFlight++;
    try {
      if (request.uri === "/json")
        return { status: 200, headers: {}, body: JSON.stringify(await readJson(request)) };
      if (request.uri === "/missing") throw new HttpError(404, "No such thing");
      throw new Error("handler bug");
    } finally {
      inFlight--;
    }
  };
  const timeouts = { headersTimeout: 300, requestTimeout: 500, connectionsCheckingInterval: 25 };
  const CLIENTS = 50;

  /** Connects and sends part of a request head, then closes its side (FIN) or resets the connection (RST). */
  async function hangUpMidHeaders(port: number, reset: boolean): Promise<void> {
    const connection = await RawConnection.open(port);
    connection.write("GET /json HTTP/1.1\r\nHost: x\r\nX-Half: ");
    await sleep(5);
    if (reset) connection.socket.resetAndDestroy();
    else connection.socket.end();
    await connection.closed;
  }

  /** Sends a POST whose JSON body the handler starts reading, then hangs up halfway through the body. */
  async function hangUpMidBody(port: number, reset: boolean): Promise<void> {
    const connection = await RawConnection.open(port);
    const started = inFlight;
    connection.write(
      'POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    );
    for (let i = 0; i < 200 && inFlight === started; i++) await sleep(2);
    if (reset) connection.socket.resetAndDestroy();
    else connection.socket.end();
    await connection.closed;
  }

  /** Opens a connection and sends nothing (or half a head, or half a body) until the server closes it. */
  async function idleUntilClosed(port: number, send: string): Promise<void> {
    const connection = await RawConnection.open(port);
    if (send !== "") connection.write(send);
    await connection.closed;
  }

  /** Waits until the server has no connection and no handler left, so every report has been made. */
  async function settled(running: RunningServer): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const open = await new Promise<number>((resolve, reject) =>
        running.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
      if (open === 0 && inFlight === 0) break;
      await sleep(10);
    }
    await sleep(20);
  }

  const everyCase = (port: number, count: number) => [
    ...Array.from({ length: count }, (_, i) => hangUpMidHeaders(port, i % 2 === 1)),
    ...Array.from({ length: count }, (_, i) => hangUpMidBody(port, i % 2 === 1)),
    ...Array.from({ length: count }, () => idleUntilClosed(port, "")),
    ...Array.from({ length: count }, () => idleUntilClosed(port, "GET / HTTP/1.1\r\nHost: x\r\n")),
  ];

  it("the default onError writes nothing for clients that hang up or time out, and still logs a handler bug", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const running = await serve(app, { port: 0, ...timeouts });
    try {
      await Promise.all(everyCase(running.port, CLIENTS));
      const missing = await rawRequest(running.port, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(missing.status).toBe(404);
      const malformed = await rawRequest(running.port, "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(malformed.status).toBe(400);
      const garbage = await rawRequest(running.port, "FOO / HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(garbage.status).toBe(400);
      await settled(running);
      expect(spy.mock.calls).toEqual([]);
      const bug = await rawRequest(running.port, "GET /bug HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(bug.status).toBe(500);
      expect(spy.mock.calls).toEqual([["ringlet: GET /bug failed: Error: handler bug"]]);
    } finally {
      spy.mockRestore();
      await running.close();
    }
  });

  it("a custom onError hears of each, with the kind of what happened", async () => {
    const seen: Array<{ kind: string; code: string | undefined; uri: string | undefined }> = [];
    const running = await serve(app, {
      port: 0,
      ...timeouts,
      onError: (error, request, info) =>
        void seen.push({ kind: info.kind, code: (error as { code?: string }).code, uri: request?.uri }),
    });
    const kindsOf = async (...clients: Array<Promise<void>>) => {
      seen.length = 0;
      await Promise.all(clients);
      await settled(running);
      return seen.map(({ kind }) => kind).sort();
    };
    try {
      const port = running.port;
      // A half-sent head then FIN is the parser's end-of-stream error; a reset before a request is a reset.
      expect(await kindsOf(hangUpMidHeaders(port, false))).toEqual(["client-aborted"]);
      expect(seen[0]!.code).toBe("HPE_INVALID_EOF_STATE");
      expect(await kindsOf(hangUpMidHeaders(port, true))).toEqual(["client-aborted"]);
      expect(seen[0]!.code).toBe("ECONNRESET");
      // Mid-body: the handler's readJson fails with Node's "aborted" (and a FIN is also the parser's error).
      expect(await kindsOf(hangUpMidBody(port, false))).toEqual(["client-aborted", "client-aborted"]);
      expect(seen.find(({ uri }) => uri === "/json")?.code).toBe("ECONNRESET");
      expect(await kindsOf(hangUpMidBody(port, true))).toContain("client-aborted");
      expect(new Set(seen.map(({ kind }) => kind))).toEqual(new Set(["client-aborted"]));
      expect(seen.some(({ uri }) => uri === "/json")).toBe(true);
      // Silent, half-sent and slow connections: Node's headersTimeout and requestTimeout.
      expect(await kindsOf(idleUntilClosed(port, ""))).toEqual(["timeout"]);
      expect(seen[0]!.code).toBe("ERR_HTTP_REQUEST_TIMEOUT");
      expect(await kindsOf(idleUntilClosed(port, "GET / HTTP/1.1\r\nHost: x\r\n"))).toEqual(["timeout"]);
      // A body still arriving when requestTimeout strikes: the timeout, and the handler's read cut short.
      expect(
        await kindsOf(
          idleUntilClosed(
            port,
            "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{",
          ),
        ),
      ).toEqual(["client-aborted", "timeout"]);
      // Fifty of each at once: one report each (two for a FIN mid-body), none of another kind.
      expect(new Set(await kindsOf(...everyCase(port, CLIENTS)))).toEqual(
        new Set(["client-aborted", "timeout"]),
      );
      expect(seen.filter(({ uri }) => uri === "/json")).toHaveLength(CLIENTS);
      expect(seen.filter(({ kind }) => kind === "timeout")).toHaveLength(2 * CLIENTS);
      // What is not about leaving: an expected 4xx, a malformed request, a handler bug.
      await rawRequest(port, "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
      await rawRequest(port, "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n");
      await rawRequest(port, "FOO / HTTP/1.1\r\nHost: x\r\n\r\n");
      await rawRequest(port, "GET /bug HTTP/1.1\r\nHost: x\r\n\r\n");
      await settled(running);
      expect(seen.slice(-4).map(({ kind, uri }) => [kind, uri])).toEqual([
        ["http-error", "/missing"],
        ["client-error", undefined],
        ["client-error", undefined],
        ["handler", "/bug"],
      ]);
    } finally {
      await running.close();
    }
  });
});

describe("toNodeListener", () => {
  it("writes a synchronous result synchronously, and an async one later", async () => {
    let sync = ok;
    const ended: boolean[] = [];
    const listener = toNodeListener((request) => sync(request));
    const node = createServer((req, res) => {
      listener(req, res);
      ended.push(res.writableEnded);
    });
    const port = await listen(node);
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      sync = async () => ({ status: 200, headers: {}, body: "later" });
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("later");
      expect(ended).toEqual([true, false]);
    } finally {
      node.close();
    }
  });

  it("reports a response Node refuses to write and destroys the socket when headers are already out", async () => {
    const reports: unknown[] = [];
    const listener = toNodeListener(ok, { onError: (error) => void reports.push(error) });
    // e.g. an Express middleware that wrote the head and still called next()
    const node = createServer((req, res) => {
      res.writeHead(299);
      listener(req, res);
    });
    const port = await listen(node);
    try {
      const connection = await RawConnection.open(port);
      connection.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      await connection.closed;
      expect((reports[0] as { code?: string }).code).toBe("ERR_HTTP_HEADERS_SENT");
    } finally {
      node.close();
    }
  });

  it("works with https.createServer", async () => {
    let scheme = "";
    const node = createHttpsServer(
      { key: TEST_KEY, cert: TEST_CERT },
      toNodeListener((request) => {
        scheme = request.scheme;
        return { status: 200, headers: {}, body: "secure" };
      }),
    );
    const port = await listen(node as unknown as Server);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        httpsRequest(`https://127.0.0.1:${port}/`, { ca: TEST_CERT, servername: "localhost" }, (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve(text));
        })
          .on("error", reject)
          .end();
      });
      expect([body, scheme]).toEqual(["secure", "https"]);
    } finally {
      node.close();
    }
  });

  it("reports a body that Express middleware already read as a server error naming the cause", async () => {
    const reports: unknown[] = [];
    const app = express();
    app.use(express.json());
    app.use(
      "/api",
      toNodeListener(
        async (request) => ({ status: 200, headers: {}, body: JSON.stringify(await readJson(request)) }),
        {
          onError: (error) => {
            reports.push(error);
          },
        },
      ),
    );
    const node = createServer(app);
    const port = await listen(node);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/users`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"name":"ada"}',
      });
      expect(res.status).toBe(500);
      expect(await res.text()).not.toMatch(/JSON/);
      expect(String((reports[0] as Error).message)).toMatch(
        /already read before the ringlet handler ran.*express\.json\(\)/,
      );
    } finally {
      node.close();
    }
  });

  it("still reads a body nothing in front of it read, inside Express", async () => {
    const app = express();
    app.use(
      "/api",
      toNodeListener(async (request) => ({ status: 200, headers: {}, body: await readText(request) })),
    );
    const node = createServer(app);
    const port = await listen(node);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/x`, { method: "POST", body: "hello" });
      expect(await res.text()).toBe("hello");
    } finally {
      node.close();
    }
  });

  it("works inside Express with app.use, seeing the path below the mount point", async () => {
    const app = express();
    app.use(
      "/api",
      toNodeListener((request) => ({
        status: 200,
        headers: {},
        body: `${request.uri}?${request.queryString}`,
      })),
    );
    const node = createServer(app);
    const port = await listen(node);
    try {
      expect(await (await fetch(`http://127.0.0.1:${port}/api/users/7?x=1`)).text()).toBe("/users/7?x=1");
    } finally {
      node.close();
    }
  });
});

describe("serve", () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("resolves to url, port and server, with port 0 picking a free port", async () => {
    running = await serve(ok, { port: 0 });
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect((running.server.address() as AddressInfo).port).toBe(running.port);
    expect(await (await fetch(running.url)).text()).toBe("ok");
  });

  it("shows a wildcard address as loopback in its url", async () => {
    running = await serve(ok, { port: 0, hostname: "0.0.0.0" });
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect((await fetch(running.url)).status).toBe(200);
  });

  it("rejects when the port is taken", async () => {
    running = await serve(ok, { port: 0 });
    await expect(serve(ok, { port: running.port })).rejects.toThrow(/EADDRINUSE/);
  });

  // A keep-alive timeout far longer than the bounds below, so only close() itself can end the connections.
  const keepAliveTimeout = 60_000;

  it("close() resolves promptly despite an idle keep-alive connection", async () => {
    running = await serve(ok, { port: 0, keepAliveTimeout });
    const connection = await RawConnection.open(running.port);
    connection.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect((await connection.readResponse()).status).toBe(200);
    const started = Date.now();
    await running.close();
    running = undefined;
    expect(Date.now() - started).toBeLessThan(20_000);
    await connection.closed;
  }, 30_000);

  it("close() lets an in-flight request finish first", async () => {
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    running = await serve(
      async () => {
        started();
        await finished;
        return { status: 200, headers: {}, body: "finished" };
      },
      { port: 0, keepAliveTimeout },
    );
    const inFlight = fetch(running.url).then((response) => response.text());
    await handlerStarted;
    const closing = running.close();
    running = undefined;
    finish();
    expect(await inFlight).toBe("finished");
    const closedAt = Date.now();
    await closing;
    // the response said Connection: close, so the client's keep-alive connection did not hold close() up
    expect(Date.now() - closedAt).toBeLessThan(20_000);
  }, 30_000);
});

describe("checkAdapter", () => {
  it("passes every SPEC check for ringlet/node, the WebSocket checks included", async () => {
    await checkAdapter((handler) => serve(handler, { port: 0, onError: () => {} }), {
      websocket: true,
      session: (handler) =>
        wrapSession(handler, { store: memoryStore({ sweepInterval: 0 }), onError: () => {} }) as Handler,
    });
  });
});

describe("examples/hello.ts", () => {
  it("answers through serve()", async () => {
    const server = await serve(hello, { port: 0 });
    try {
      const response = await fetch(`${server.url}/there`);
      expect([response.headers.get("content-type"), await response.text()]).toEqual([
        "text/plain; charset=utf-8",
        "Hello from /there\n",
      ]);
    } finally {
      await server.close();
    }
  });
});
