import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { ErrorInfo } from "../../../src/adapters/error-response.js";
import { attachWebSockets, type RunningServer, serve, toNodeListener } from "../../../src/adapters/node.js";
import type { Handler, Request } from "../../../src/core/types.js";
import {
  isWebSocketRequest,
  type WebSocketListener,
  type WebSocketSocket,
  websocketResponse,
} from "../../../src/core/websocket.js";
import { headerValues, RawConnection, rawRequest } from "../../../src/testing/raw-http.js";
import { refusal, TestClient, wsUrl } from "./ws-client.js";

interface Report {
  readonly error: unknown;
  readonly request: Request | undefined;
  readonly kind: string | undefined;
}

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** Serves a handler that upgrades WebSocket requests with `listener` and answers others with 200 "http". */
async function start(
  listener: WebSocketListener | ((request: Request) => WebSocketListener),
  options: Parameters<typeof serve>[1] = {},
): Promise<{ url: string; reports: Report[]; server: RunningServer }> {
  const reports: Report[] = [];
  const handler: Handler = (request) =>
    isWebSocketRequest(request)
      ? websocketResponse(typeof listener === "function" ? listener(request) : listener)
      : { status: 200, headers: {}, body: "http" };
  running = await serve(handler, {
    port: 0,
    onError: (error, request, info?: ErrorInfo) => {
      reports.push({ error, request, kind: info?.kind });
    },
    ...options,
  });
  return { url: running.url, reports, server: running };
}

const echo: WebSocketListener = {
  onMessage: (socket, message) => socket.send(message),
};

describe("through serve()", () => {
  it("echoes text as text and binary as binary", async () => {
    const { url } = await start(echo);
    const client = await TestClient.open(wsUrl(url));
    client.ws.send("héllo");
    client.ws.send(Buffer.from([0, 1, 2, 255]));
    expect(await client.message(1)).toEqual({ data: "héllo", binary: false });
    const second = await client.message(2);
    expect(second.binary).toBe(true);
    expect([...(second.data as Buffer)]).toEqual([0, 1, 2, 255]);
    client.ws.close();
  });

  it("hands the listener a string for text and a Uint8Array for binary", async () => {
    const seen: string[] = [];
    const { url } = await start({
      onMessage: (socket, message) => {
        seen.push(typeof message === "string" ? "string" : message instanceof Uint8Array ? "bytes" : "other");
        return socket.send("ok");
      },
    });
    const client = await TestClient.open(wsUrl(url));
    client.ws.send("a");
    client.ws.send(new Uint8Array([1]));
    await client.message(2);
    expect(seen).toEqual(["string", "bytes"]);
    client.ws.close();
  });

  it("answers a client's ping with a pong carrying the same data when the listener has no onPing", async () => {
    const { url } = await start(echo);
    const client = await TestClient.open(wsUrl(url));
    client.ws.ping(Buffer.from("are you there"));
    await client.until(() => client.pongs.length === 1);
    expect(client.pongs[0]!.toString()).toBe("are you there");
    client.ws.close();
  });

  it("with onPing, leaves the answer to the listener", async () => {
    const pings: string[] = [];
    const { url } = await start({
      onPing: (socket, data) => {
        pings.push(Buffer.from(data).toString());
        socket.pong("my own");
      },
    });
    const client = await TestClient.open(wsUrl(url));
    client.ws.ping(Buffer.from("p1"));
    await client.until(() => client.pongs.length === 1);
    expect(pings).toEqual(["p1"]);
    // Exactly the listener's pong: no automatic one with the ping's data.
    await sleep(50);
    expect(client.pongs.map(String)).toEqual(["my own"]);
    client.ws.close();
  });

  it("sends the server's pings to the client and the client's pongs to onPong", async () => {
    const pongs: string[] = [];
    const { url } = await start({
      onOpen: (socket) => socket.ping("from server"),
      onPong: (_socket, data) => {
        pongs.push(Buffer.from(data).toString());
      },
    });
    const client = await TestClient.open(wsUrl(url));
    await client.until(() => client.pings.length === 1 && pongs.length === 1);
    expect(client.pings[0]!.toString()).toBe("from server");
    expect(pongs).toEqual(["from server"]);
    client.ws.close();
  });

  it("passes close codes and reasons from the client to onClose", async () => {
    const closes: Array<[number, string]> = [];
    const { url } = await start({ onClose: (_s, code, reason) => void closes.push([code, reason]) });
    const client = await TestClient.open(wsUrl(url));
    client.ws.close(4001, "client bye");
    expect(await client.closed).toEqual({ code: 4001, reason: "client bye" });
    await expectSoon(() => closes.length === 1);
    expect(closes).toEqual([[4001, "client bye"]]);
  });

  it("passes close codes and reasons from the server to the client", async () => {
    const closes: Array<[number, string]> = [];
    const { url } = await start({
      onMessage: (socket) => socket.close(4002, "server bye"),
      onClose: (_s, code, reason) => void closes.push([code, reason]),
    });
    const client = await TestClient.open(wsUrl(url));
    client.ws.send("close please");
    expect(await client.closed).toEqual({ code: 4002, reason: "server bye" });
    await expectSoon(() => closes.length === 1);
    expect(closes).toEqual([[4002, "server bye"]]);
  });

  it("closes with 1009 when a message is over maxMessageSize (a 1 MiB message, 64 KiB by default)", async () => {
    const errors: unknown[] = [];
    const { url, reports } = await start({ ...echo, onError: (_s, error) => void errors.push(error) });
    const client = await TestClient.open(wsUrl(url));
    client.ws.send("x".repeat(65536));
    expect((await client.message(1)).data).toHaveLength(65536);
    client.ws.send(Buffer.alloc(1024 * 1024));
    expect((await client.closed).code).toBe(1009);
    await expectSoon(() => errors.length === 1);
    expect(String(errors[0])).toMatch(/Max payload size exceeded/);
    expect(reports.map((r) => r.kind)).toEqual(["client-error"]);
  });

  it("takes maxMessageSize from the websocket option", async () => {
    const { url } = await start(echo, { websocket: { maxMessageSize: 10 } });
    const client = await TestClient.open(wsUrl(url));
    client.ws.send("0123456789");
    expect((await client.message(1)).data).toBe("0123456789");
    client.ws.send("0123456789a");
    expect((await client.closed).code).toBe(1009);
  });

  it("lets a handler refuse an upgrade with an ordinary response (403), then closes the connection", async () => {
    let opened = false;
    running = await serve(
      (request) =>
        request.headers.authorization === "Bearer yes"
          ? websocketResponse({
              onOpen: () => {
                opened = true;
              },
            })
          : { status: 403, headers: { "content-type": "text/plain" }, body: "go away" },
      { port: 0 },
    );
    const refused = await refusal(TestClient.open(wsUrl(running.url)));
    expect(refused.status).toBe(403);
    expect(refused.body).toBe("go away");
    expect(refused.headers.connection).toBe("close");
    expect(opened).toBe(false);
    const client = await TestClient.open(wsUrl(running.url), undefined, {
      headers: { authorization: "Bearer yes" },
    });
    await expectSoon(() => opened);
    client.ws.close();
  });

  it("reports a listener that throws to its onError and the adapter's, closes with 1011, and stays up", async () => {
    const listenerErrors: unknown[] = [];
    const boom = new Error("listener bug");
    const closes: number[] = [];
    const { url, reports } = await start({
      onMessage: (_socket, message) => {
        if (message === "throw") throw boom;
        return Promise.reject(boom);
      },
      onError: (_socket, error) => void listenerErrors.push(error),
      onClose: (_socket, code) => void closes.push(code),
    });
    for (const how of ["throw", "reject"]) {
      const client = await TestClient.open(wsUrl(url));
      client.ws.send(how);
      expect((await client.closed).code).toBe(1011);
    }
    await expectSoon(() => closes.length === 2);
    expect(listenerErrors).toEqual([boom, boom]);
    expect(reports.map((r) => [r.error, r.kind, r.request?.uri])).toEqual([
      [boom, "handler", "/"],
      [boom, "handler", "/"],
    ]);
    expect(closes).toEqual([1011, 1011]);
    // Still serving, both ways.
    expect(await (await fetch(url)).text()).toBe("http");
    const again = await TestClient.open(wsUrl(url));
    again.ws.close();
  });

  it("reports a failing onError too, and still closes with 1011", async () => {
    const { url, reports } = await start({
      onOpen: () => {
        throw new Error("first");
      },
      onError: () => {
        throw new Error("second");
      },
    });
    const client = await TestClient.open(wsUrl(url));
    expect((await client.closed).code).toBe(1011);
    await expectSoon(() => reports.length === 2);
    expect(reports.map((r) => String(r.error))).toEqual(["Error: first", "Error: second"]);
  });

  it("calls onClose once when a client vanishes mid-message, and keeps nothing", async () => {
    const events: string[] = [];
    const { url, server } = await start({
      onOpen: () => void events.push("open"),
      onMessage: () => void events.push("message"),
      onClose: (_s, code) => void events.push(`close ${code}`),
    });
    const client = await TestClient.open(wsUrl(url));
    await expectSoon(() => events.length === 1);
    // A masked text frame announcing 100 bytes, of which 10 arrive, then the connection is gone.
    const socket = (client.ws as unknown as { _socket: import("node:net").Socket })._socket;
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | 100, 1, 2, 3, 4]), Buffer.alloc(10)]));
    socket.destroy();
    await expectSoon(() => events.length === 2);
    await sleep(100);
    expect(events).toEqual(["open", "close 1006"]);
    const connections = await new Promise<number>((resolve, reject) =>
      server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
    expect(connections).toBe(0);
  });

  it("holds a fast sender back to a client that does not read (100 MiB offered, memory bounded)", async () => {
    const chunk = 1024 * 1024;
    let sent = 0;
    let sending: Promise<void> | undefined;
    const { url } = await start(
      {
        onOpen: (socket) => {
          sending = (async () => {
            for (let i = 0; i < 100; i++) {
              // A fresh buffer each time: without backpressure all 100 MiB would be held at once.
              await socket.send(Buffer.alloc(chunk, i));
              sent++;
            }
          })();
        },
      },
      { websocket: { maxMessageSize: 2 * chunk } },
    );
    const before = process.memoryUsage().arrayBuffers;
    const client = await TestClient.open(wsUrl(url), undefined, { maxPayload: 2 * chunk });
    client.ws.pause();
    await sleep(500);
    const stalled = sent;
    const held = process.memoryUsage().arrayBuffers - before;
    // What the kernel's socket buffers take, plus a chunk or two in flight: far below 100 MiB.
    expect(stalled).toBeLessThan(40);
    expect(held).toBeLessThan(48 * chunk);
    client.ws.resume();
    await client.until(() => client.messages.length === 100, 20000);
    await sending;
    expect(sent).toBe(100);
    expect((client.messages[99]!.data as Buffer)[0]).toBe(99);
    client.ws.close();
  }, 30000);

  it("stops reading while a listener's promise is pending, and delivers in order", async () => {
    const order: string[] = [];
    let release: (() => void) | undefined;
    const { url } = await start({
      onOpen: () =>
        new Promise<void>((resolve) => {
          order.push("open start");
          release = () => {
            order.push("open end");
            resolve();
          };
        }),
      onMessage: async (socket, message) => {
        order.push(`message ${message}`);
        await sleep(5);
        await socket.send(`done ${message}`);
      },
    });
    const client = await TestClient.open(wsUrl(url));
    for (const m of ["1", "2", "3"]) client.ws.send(m);
    await sleep(100);
    expect(order).toEqual(["open start"]);
    release?.();
    await client.until(() => client.messages.length === 3);
    expect(order).toEqual(["open start", "open end", "message 1", "message 2", "message 3"]);
    expect(client.messages.map((m) => m.data)).toEqual(["done 1", "done 2", "done 3"]);
    client.ws.close();
  });

  it("stops reading from a client that sends faster than a pending listener takes", async () => {
    let release: (() => void) | undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let received = 0;
    const { url } = await start(
      {
        onMessage: async () => {
          received++;
          await released;
        },
      },
      { websocket: { maxMessageSize: 65536 } },
    );
    const client = await TestClient.open(wsUrl(url));
    const chunk = Buffer.alloc(60 * 1024);
    // 24 MiB offered: more than the kernel's socket buffers hold, so what the server does not read stays in
    // the client's own buffer.
    for (let i = 0; i < 400; i++) client.ws.send(chunk);
    await sleep(500);
    expect(received).toBe(1);
    expect(client.ws.bufferedAmount).toBeGreaterThan(8 * 1024 * 1024);
    release?.();
    await expectSoon(() => received === 400, 10000);
    await expectSoon(() => client.ws.bufferedAmount === 0);
    client.ws.close();
  });

  it("rejects send() after the close, and an unawaited send does not crash", async () => {
    let socket: WebSocketSocket | undefined;
    let closed = false;
    const { url } = await start({
      onOpen: (s) => {
        socket = s;
      },
      onClose: () => {
        closed = true;
      },
    });
    const client = await TestClient.open(wsUrl(url));
    await expectSoon(() => socket !== undefined);
    expect(socket!.isOpen()).toBe(true);
    client.ws.close();
    await expectSoon(() => closed);
    expect(socket!.isOpen()).toBe(false);
    await expect(socket!.send("late")).rejects.toThrow(/not open/);
    // A message of the wrong type is the programmer's error: thrown at once, never a lost rejection.
    expect(() => socket!.send(42 as never)).toThrow(
      /^socket.send\(message\) takes a string or a Uint8Array, got number 42$/,
    );
    void socket!.send("ignored");
    socket!.ping();
    socket!.pong();
    await sleep(20);
  });

  it("sends the accepted subprotocol, and answers 500 for one the client did not offer", async () => {
    const reports: Report[] = [];
    running = await serve(
      (request) => websocketResponse({}, request.uri === "/good" ? "chat.v2" : "chat.v3"),
      { port: 0, onError: (error, request, info) => void reports.push({ error, request, kind: info.kind }) },
    );
    const client = await TestClient.open(wsUrl(running.url, "/good"), ["chat.v1", "chat.v2"]);
    expect(client.ws.protocol).toBe("chat.v2");
    client.ws.close();
    const refused = await refusal(TestClient.open(wsUrl(running.url, "/bad"), ["chat.v1"]));
    expect(refused.status).toBe(500);
    expect(String(reports[0]?.error)).toMatch(/response.protocol "chat.v3" was not offered/);
    expect(reports[0]?.kind).toBe("response");
  });

  it("without a protocol in the response, accepts none even when the client offered some", async () => {
    const { url } = await start(echo);
    const client = await TestClient.open(wsUrl(url), ["chat.v1"]).catch((error: Error) => error);
    // RFC 6455 §4.1: the client may go on without a subprotocol; ws refuses, which shows none was sent.
    expect(String(client)).toMatch(/Server sent no subprotocol/);
  });

  it("sends the handler's headers on the 101, not the handshake's own", async () => {
    running = await serve(
      () => ({
        ...websocketResponse({}),
        headers: {
          "x-request-id": "42",
          "set-cookie": ["a=1", "b=2"],
          upgrade: "h2c",
          "content-length": "9",
        },
      }),
      { port: 0 },
    );
    const client = await TestClient.open(wsUrl(running.url));
    expect(client.upgrade?.headers["x-request-id"]).toBe("42");
    expect(client.upgrade?.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(client.upgrade?.headers.upgrade).toBe("websocket");
    expect(client.upgrade?.headers["content-length"]).toBeUndefined();
    client.ws.close();
  });

  it("answers a websocket response to a plain request with 500, reported to onError", async () => {
    const reports: Report[] = [];
    running = await serve(() => websocketResponse({}), {
      port: 0,
      onError: (error, request, info) => void reports.push({ error, request, kind: info.kind }),
    });
    const response = await fetch(running.url);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("Internal Server Error");
    expect(reports).toHaveLength(1);
    expect(reports[0]!.kind).toBe("response");
    expect(String(reports[0]!.error)).toMatch(/answers only a WebSocket upgrade request/);
  });

  it("gives another upgrade (h2c) to the handler, writes its answer as HTTP and closes", async () => {
    const seen: string[] = [];
    running = await serve(
      (request) => {
        seen.push(request.headers.upgrade ?? "");
        return { status: 200, headers: {}, body: "plain HTTP/1.1" };
      },
      { port: 0 },
    );
    const response = await rawRequest(
      running.port,
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    );
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe("plain HTTP/1.1");
    expect(headerValues(response, "connection")).toEqual(["close"]);
    expect(seen).toEqual(["h2c"]);
  });

  it("answers a websocket response to another upgrade with 500", async () => {
    const reports: Report[] = [];
    running = await serve(() => websocketResponse({}), {
      port: 0,
      onError: (error, request, info) => void reports.push({ error, request, kind: info.kind }),
    });
    const response = await rawRequest(
      running.port,
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    );
    expect(response.status).toBe(500);
    expect(reports.map((r) => r.kind)).toEqual(["response"]);
  });

  it("answers a malformed handshake with 400 without calling the handler", async () => {
    let calls = 0;
    running = await serve(
      () => {
        calls++;
        return websocketResponse({});
      },
      { port: 0 },
    );
    const head = "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n";
    const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const badKey = await rawRequest(
      running.port,
      `${head}Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(badKey.status).toBe(400);
    const noKey = await rawRequest(running.port, `${head}Sec-WebSocket-Version: 13\r\n\r\n`);
    expect(noKey.status).toBe(400);
    const badVersion = await rawRequest(running.port, `${head}${key}Sec-WebSocket-Version: 12\r\n\r\n`);
    expect(badVersion.status).toBe(400);
    expect(headerValues(badVersion, "sec-websocket-version")).toEqual(["13, 8"]);
    const badProtocol = await rawRequest(
      running.port,
      `${head}${key}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a, , b\r\n\r\n`,
    );
    expect(badProtocol.status).toBe(400);
    expect(calls).toBe(0);
    const good = await rawRequest(running.port, `${head}${key}Sec-WebSocket-Version: 13\r\n\r\n`);
    expect(good.status).toBe(101);
    expect(headerValues(good, "sec-websocket-accept")).toEqual(["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]);
    expect(calls).toBe(1);
  });

  it("refuses a foreign Origin with 403 before the handler runs; same origin and no Origin are allowed", async () => {
    let calls = 0;
    const { url, reports } = await start(() => {
      calls++;
      return {};
    });
    const port = new URL(url).port;
    const refused = await refusal(TestClient.open(wsUrl(url), undefined, { origin: "http://evil.example" }));
    expect(refused.status).toBe(403);
    expect(calls).toBe(0);
    expect(reports.map((r) => r.kind)).toEqual(["client-error"]);
    // Same scheme, host and port as the Host header, in any case.
    const same = await TestClient.open(wsUrl(url), undefined, { origin: `HTTP://127.0.0.1:${port}` });
    same.ws.close();
    const other = await refusal(TestClient.open(wsUrl(url), undefined, { origin: "http://127.0.0.1:1" }));
    expect(other.status).toBe(403);
    const none = await TestClient.open(wsUrl(url));
    none.ws.close();
    expect(calls).toBe(2);
  });

  it("takes allowedOrigins as a list or a function", async () => {
    const { url } = await start(echo, { websocket: { allowedOrigins: ["https://App.example"] } });
    const listed = await TestClient.open(wsUrl(url), undefined, { origin: "https://app.example" });
    listed.ws.close();
    const port = new URL(url).port;
    // A list replaces the same-origin default.
    const same = await refusal(
      TestClient.open(wsUrl(url), undefined, { origin: `http://127.0.0.1:${port}` }),
    );
    expect(same.status).toBe(403);
    await running?.close();
    const { url: url2 } = await start(echo, {
      websocket: { allowedOrigins: (origin) => origin.endsWith(".trusted.example") },
    });
    const ok = await TestClient.open(wsUrl(url2), undefined, { origin: "https://a.trusted.example" });
    ok.ws.close();
    expect(
      (await refusal(TestClient.open(wsUrl(url2), undefined, { origin: "https://x.example" }))).status,
    ).toBe(403);
  });

  it("answers 500 when an allowedOrigins function throws, reported as the server's failure", async () => {
    const { url, reports } = await start(echo, {
      websocket: {
        allowedOrigins: () => {
          throw new Error("origin list unavailable");
        },
      },
    });
    const refused = await refusal(TestClient.open(wsUrl(url), undefined, { origin: "https://a.example" }));
    expect(refused.status).toBe(500);
    expect(reports.map((r) => [String((r.error as Error).cause), r.kind])).toEqual([
      ["Error: origin list unavailable", "handler"],
    ]);
  });

  it("drops a peer that stops answering pings after idleTimeout, and keeps one that answers", async () => {
    const closes: number[] = [];
    const { url } = await start(
      { onClose: (_s, code) => void closes.push(code) },
      { websocket: { idleTimeout: 200 } },
    );
    const silent = await TestClient.open(wsUrl(url), undefined, { autoPong: false });
    const alive = await TestClient.open(wsUrl(url));
    expect((await silent.closed).code).toBe(1006);
    await sleep(400);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    expect(alive.pings.length).toBeGreaterThan(0);
    expect(closes).toEqual([1006]);
    alive.ws.close();
  });

  it("calls onClose if and only if onOpen was, when the client leaves while the handler works", async () => {
    const events: string[] = [];
    let handled: (() => void) | undefined;
    const handlerDone = new Promise<void>((resolve) => {
      handled = resolve;
    });
    running = await serve(
      async () => {
        await sleep(100);
        setImmediate(() => handled?.());
        return websocketResponse({
          onOpen: () => void events.push("open"),
          onClose: () => void events.push("close"),
        });
      },
      { port: 0 },
    );
    const connection = await RawConnection.open(running.port);
    connection.write(
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    await sleep(20);
    connection.destroy();
    await handlerDone;
    await sleep(100);
    // Whether Node noticed the end before the answer decides which; never one without the other.
    expect([[], ["open", "close"]]).toContainEqual(events);
  });

  it("close() closes open sockets with 1001 and resolves once they are gone", async () => {
    const closes: number[] = [];
    const { url, server } = await start({ onClose: (_s, code) => void closes.push(code) });
    const a = await TestClient.open(wsUrl(url));
    const b = await TestClient.open(wsUrl(url));
    await server.close();
    running = undefined;
    expect(closes).toEqual([1001, 1001]);
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).reason).toBe("server shutting down");
  });

  it("with websocket: false, leaves upgrade requests to the HTTP handler", async () => {
    const reports: Report[] = [];
    running = await serve(
      (request) => (isWebSocketRequest(request) ? websocketResponse({}) : { status: 200, headers: {} }),
      {
        port: 0,
        websocket: false,
        onError: (error, request, info) => void reports.push({ error, request, kind: info.kind }),
      },
    );
    expect((await refusal(TestClient.open(wsUrl(running.url)))).status).toBe(500);
    expect(reports.map((r) => r.kind)).toEqual(["response"]);
  });

  it("validates the websocket options, naming the bad one", async () => {
    await expect(
      serve(() => ({ status: 200, headers: {} }), { websocket: { maxMessageSize: 0 } }),
    ).rejects.toThrow(
      /^serve: option "websocket.maxMessageSize": must be a positive integer \(bytes\) \(got 0\)$/,
    );
    await expect(
      serve(() => ({ status: 200, headers: {} }), { websocket: { allowedOrigins: ["app.example"] } }),
    ).rejects.toThrow(/option "websocket.allowedOrigins.0": must be origins such as/);
    await expect(
      serve(() => ({ status: 200, headers: {} }), { websocket: { idleTimeout: 1 } } as never),
    ).rejects.toThrow(/option "websocket.idleTimeout": must be 0 or an integer/);
    await expect(
      serve(() => ({ status: 200, headers: {} }), { websocket: { maxMessageSise: 1 } } as never),
    ).rejects.toThrow(/unknown option "websocket.maxMessageSise"/);
    expect(() =>
      attachWebSockets(createServer(), () => ({ status: 200, headers: {} }), {
        perMessageDeflate: "yes",
      } as never),
    ).toThrow(/^attachWebSockets: option "perMessageDeflate": must be a boolean \(got a string\)$/);
  });
});

describe("attachWebSockets on your own http.Server", () => {
  it("upgrades beside toNodeListener, and its close() closes the sockets with 1001", async () => {
    const app: Handler = (request) =>
      isWebSocketRequest(request) ? websocketResponse(echo) : { status: 200, headers: {}, body: "http" };
    const reports: unknown[] = [];
    const server = createServer(toNodeListener(app, { onError: (error) => void reports.push(error) }));
    const websockets = attachWebSockets(server, app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(url)).text()).toBe("http");
      const client = await TestClient.open(wsUrl(url));
      client.ws.send("mine");
      expect((await client.message(1)).data).toBe("mine");
      await websockets.close();
      expect((await client.closed).code).toBe(1001);
      // After close(), Node no longer routes upgrades to it: ws sees a plain answer.
      const refused = await refusal(TestClient.open(wsUrl(url)));
      expect(refused.status).toBe(500);
      expect(String(reports[0])).toMatch(/answers only a WebSocket upgrade request/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

async function expectSoon(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}
