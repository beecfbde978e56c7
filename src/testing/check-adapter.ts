/**
 * `checkAdapter`, the acceptance test for a ringlet adapter (Rack::Lint's idea, end to end): it serves a
 * probe application through the adapter and checks docs/SPEC.md over real HTTP, with Node's `fetch` and with
 * raw `node:net` sockets for what fetch cannot say (duplicate headers, raw targets, framing on one connection).
 */
import { Readable } from "node:stream";
import WebSocket from "ws";
import { z } from "zod";
import { describeError } from "../core/describe-value.js";
import { HttpError } from "../core/http-error.js";
import { parseOptions } from "../core/parse-options.js";
import type { Handler, Request, Response } from "../core/types.js";
import { isFunction } from "../core/types.js";
import { type WebSocketListener, websocketResponse } from "../core/websocket.js";
import { memoryStore } from "../session/memory-store.js";
import { wrapSession } from "../session/wrap-session.js";
import { RawConnection } from "./raw-http.js";

/** A running server, as `start` returns it: its base URL (`http://host:port`) and how to stop it. */
export interface AdapterServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `handler` through the adapter under test, e.g. `(handler) => serve(handler, { port: 0 })`. */
export type StartAdapter = (handler: Handler) => Promise<AdapterServer>;

/** The checks, in the order they run; each can be skipped by name. */
export const ADAPTER_CHECKS = [
  "request map",
  "method",
  "raw path and query",
  "repeated headers",
  "cookie joining",
  "request body: empty",
  "request body: large",
  "request body: chunked",
  "response body types",
  "multiple set-cookie",
  "HEAD",
  "204 and 304",
  "handler errors",
  "session round-trip",
] as const;

/**
 * The WebSocket checks (docs/SPEC.md, "WebSockets" in section 5), run after the others only for an adapter
 * that declares support with `websocket: true`; each can be skipped by name too.
 */
export const WEBSOCKET_CHECKS = [
  "websocket: echo",
  "websocket: ping and close",
  "websocket: refusal",
  "websocket: not an upgrade",
  "websocket: listener error",
] as const;

export type AdapterCheck = (typeof ADAPTER_CHECKS)[number] | (typeof WEBSOCKET_CHECKS)[number];

/**
 * Options of {@link checkAdapter}.
 *
 * - `skip`: checks not to run, by name (default none). Say why in your test: each one is part of the SPEC.
 * - `timeoutMs`: how long one exchange may take before its check fails (default 5000).
 * - `session`: wraps the probe handler in session middleware for the "session round-trip" check. Default
 *   `(h) => wrapSession(h, { store: memoryStore() })`; pass another to run the round-trip with your own store.
 * - `websocket`: the adapter upgrades WebSocket requests: also run {@link WEBSOCKET_CHECKS} (default `false`).
 */
export interface CheckAdapterOptions {
  skip?: readonly AdapterCheck[];
  websocket?: boolean;
  timeoutMs?: number;
  session?: (handler: Handler<Request & { session?: unknown }>) => Handler;
}

/** One failed check: its name and what was seen against what was expected. */
export interface AdapterCheckFailure {
  readonly check: AdapterCheck | "close";
  readonly message: string;
}

/** What {@link checkAdapter} rejects with: every failed check, also listed in `message`. */
export class AdapterCheckError extends Error {
  readonly failures: readonly AdapterCheckFailure[];

  constructor(failures: readonly AdapterCheckFailure[], total: number) {
    super(
      `checkAdapter: ${failures.length} of ${total} checks failed:\n${failures
        .map((f) => `  - ${f.check}: ${f.message}`)
        .join("\n")}`,
    );
    this.name = "AdapterCheckError";
    this.failures = failures;
  }
}

const optionsSchema = z.strictObject({
  skip: z
    .array(z.enum([...ADAPTER_CHECKS, ...WEBSOCKET_CHECKS]))
    .readonly()
    .optional(),
  websocket: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
  session: z
    .custom<NonNullable<CheckAdapterOptions["session"]>>(isFunction, "expected a function")
    .optional(),
});

/**
 * Serves a probe application with `start`, runs every check against it over real HTTP, then closes the
 * server. Resolves when the adapter follows the SPEC; rejects with an {@link AdapterCheckError} naming each
 * failed check with what was seen and what was expected. Runner-agnostic: await it in any test framework.
 *
 * @example
 * import { serve } from "ringlet/node";
 * import { checkAdapter } from "ringlet/conformance";
 *
 * await checkAdapter((handler) => serve(handler, { port: 0, hostname: "127.0.0.1" }));
 */
export async function checkAdapter(start: StartAdapter, options: CheckAdapterOptions = {}): Promise<void> {
  if (typeof start !== "function") throw new TypeError("checkAdapter: start must be a function");
  const parsed = parseOptions("checkAdapter", optionsSchema, options);
  const timeoutMs = parsed.timeoutMs ?? 5000;
  const skip = new Set<string>(parsed.skip ?? []);
  const probe = new Probe(parsed.session ?? defaultSession);
  const server = await start(probe.handler);
  if (typeof server?.url !== "string" || typeof server.close !== "function") {
    throw new TypeError("checkAdapter: start must resolve to { url: string, close(): Promise<void> }");
  }
  const base = new URL(server.url);
  if (base.protocol !== "http:") {
    await server.close();
    throw new TypeError(`checkAdapter: the server URL must be http:, got ${server.url}`);
  }
  const ctx: Context = { base, timeoutMs, probe };
  const failures: AdapterCheckFailure[] = [];
  const all: readonly AdapterCheck[] = parsed.websocket
    ? [...ADAPTER_CHECKS, ...WEBSOCKET_CHECKS]
    : ADAPTER_CHECKS;
  const run = all.filter((name) => !skip.has(name));
  try {
    for (const name of run) {
      try {
        await CHECKS[name](ctx);
      } catch (error) {
        failures.push({ check: name, message: describe(error) });
      }
    }
  } finally {
    try {
      await withTimeout(server.close(), timeoutMs, "close() did not resolve");
    } catch (error) {
      failures.push({ check: "close", message: describe(error) });
    }
  }
  if (failures.length > 0) throw new AdapterCheckError(failures, run.length);
}

interface Context {
  readonly base: URL;
  readonly timeoutMs: number;
  readonly probe: Probe;
}

/** A check's own finding: shown as is, without the error name. */
class Mismatch extends Error {}

function expectEqual(what: string, seen: unknown, expected: unknown): void {
  if (!sameValue(seen, expected)) throw new Mismatch(`${what} was ${show(seen)}, expected ${show(expected)}`);
}

function expectThat(condition: boolean, message: string): void {
  if (!condition) throw new Mismatch(message);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function describe(error: unknown): string {
  return error instanceof Mismatch ? error.message : describeError(error);
}

// ---------------------------------------------------------------------------------------------------------
// The probe application. The route is chosen by a header, so paths stay free for the path checks.

// The "session round-trip" without a `session` option: ringlet's wrapSession on a fresh store per run (no sweep
// timer, so nothing outlives the check).
const defaultSession: NonNullable<CheckAdapterOptions["session"]> = (handler) =>
  wrapSession(handler, { store: memoryStore({ sweepInterval: 0 }) }) as Handler;

const SECRET = "s3cr3t-db-password-7f1c";
const TEXT = "ringlet ✓ héllo wörld 🌍\n".repeat(512);
const BYTES = Uint8Array.from({ length: 16 * 1024 }, (_, i) => (i * 31 + 7) & 0xff);
const encoder = new TextEncoder();
const SET_COOKIES = [
  "a=1; Path=/",
  "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT; HttpOnly",
  "c=3; SameSite=Lax",
];

/** Each streaming body type, with the bytes it must arrive as. */
const BODY_TYPES: Record<string, { make(): Response["body"]; bytes: Uint8Array }> = {
  string: { make: () => TEXT, bytes: encoder.encode(TEXT) },
  Uint8Array: { make: () => BYTES, bytes: BYTES },
  AsyncIterable: {
    async *make() {
      yield "iter ";
      await delay(1);
      yield encoder.encode("bytes ");
      yield "ünïcode";
    },
    bytes: encoder.encode("iter bytes ünïcode"),
  },
  ReadableStream: {
    make: () => {
      const parts: Array<string | Uint8Array> = ["web ", encoder.encode("stream "), "✓"];
      return new ReadableStream<string | Uint8Array>({
        pull(controller) {
          const part = parts.shift();
          if (part === undefined) controller.close();
          else controller.enqueue(part);
        },
      });
    },
    bytes: encoder.encode("web stream ✓"),
  },
  "Node Readable": {
    make: () => Readable.from([Buffer.from("node "), Buffer.from("readable")]),
    bytes: encoder.encode("node readable"),
  },
  "AsyncIterable (1 MiB)": {
    async *make() {
      for (let i = 0; i < 64; i++) yield BYTES;
    },
    bytes: concat(Array.from({ length: 64 }, () => BYTES)),
  },
  null: { make: () => null, bytes: new Uint8Array(0) },
  undefined: { make: () => undefined, bytes: new Uint8Array(0) },
};

/** What the echo route reports about the request map it received. */
interface Echo {
  method: string;
  uri: string;
  queryString: string | null;
  hasQueryString: boolean;
  scheme: unknown;
  protocol: unknown;
  headers: Record<string, string>;
  headerTypes: string[];
  serverName: unknown;
  serverPort: unknown;
  remoteAddr: unknown;
  bodyDefined: boolean;
  bodyLength: number;
  bodySha256: string;
  bodyText: string | null;
  frozen: boolean;
  headersFrozen: boolean;
}

class Probe {
  /** Ids of streamed bodies whose source was stopped (its `finally` ran or it was cancelled). */
  readonly stopped = new Set<string>();
  readonly handler: Handler;
  readonly #session: Handler;

  constructor(session: NonNullable<CheckAdapterOptions["session"]>) {
    this.#session = session((request) => {
      const current = (request as { session?: { count?: unknown } }).session;
      const count = (typeof current?.count === "number" ? current.count : 0) + 1;
      return { status: 200, headers: {}, body: String(count), session: { count } } as Response;
    });
    this.handler = (request) => this.#route(request);
  }

  #route(request: Request): Response | Promise<Response> {
    const route = request.headers["x-probe"] ?? "echo";
    const id = request.headers["x-probe-id"] ?? "";
    if (route === "echo") return echo(request);
    if (route.startsWith("body:")) {
      const type = BODY_TYPES[route.slice(5)];
      if (type !== undefined) return { status: 200, headers: {}, body: type.make() };
    }
    switch (route) {
      case "set-cookie":
        return { status: 200, headers: { "set-cookie": SET_COOKIES, "x-probe": "set-cookie" }, body: "ok" };
      case "head":
        return { status: 200, headers: { "x-probe": "head", "content-type": "text/plain" }, body: TEXT };
      case "stream": {
        const status = Number(request.headers["x-probe-status"] ?? "200");
        return {
          status,
          headers: { "x-probe": "stream" },
          body: this.#tracked(id, request.headers["x-probe-kind"]),
        };
      }
      case "204":
        return { status: 204, headers: { "x-probe": "204" }, body: "no content must be sent" };
      case "304":
        return { status: 304, headers: { "x-probe": "304", etag: '"v1"' }, body: encoder.encode("not sent") };
      case "stopped":
        return { status: 200, headers: {}, body: this.stopped.has(id) ? "yes" : "no" };
      case "throw":
        throw new Error(`handler failed: ${SECRET}`);
      case "reject":
        return Promise.reject(new Error(`handler rejected: ${SECRET}`));
      case "http-error":
        throw new HttpError(409, "Version conflict", { headers: { "x-why": "stale" } });
      case "hidden-error":
        return Promise.reject(new HttpError(503, `redis down: ${SECRET}`));
      case "invalid-header":
        return { status: 200, headers: { "x-bad": `a\r\nx-injected: ${SECRET}` }, body: SECRET };
      case "invalid-status":
        return { status: 99, headers: {}, body: SECRET };
      case "session":
        return this.#session(request);
      case "websocket":
        return this.#websocket(id);
      case "websocket-refuse":
        return { status: 403, headers: { "x-probe": "websocket-refuse" }, body: "refused" };
      case "websocket-events":
        return { status: 200, headers: {}, body: JSON.stringify(this.events.get(id) ?? []) };
    }
    return { status: 404, headers: {}, body: `unknown probe route ${route}` };
  }

  /** Listener events by `x-probe-id`, read back over HTTP by the WebSocket checks. */
  readonly events = new Map<string, string[]>();

  /**
   * The WebSocket route: echoes each message as it came (text as text, bytes as bytes); `close CODE REASON`
   * closes from the server, `throw` throws in the listener. Records every listener call under `id`.
   */
  #websocket(id: string): Response {
    const events: string[] = [];
    this.events.set(id, events);
    const listener: WebSocketListener = {
      onOpen: () => {
        events.push("open");
      },
      onMessage: (socket, message) => {
        events.push(typeof message === "string" ? `text ${message}` : `binary ${message.byteLength}`);
        if (message === "throw") throw new Error("listener failed on purpose");
        if (typeof message === "string" && message.startsWith("close ")) {
          const [, code, reason] = message.split(" ");
          socket.close(Number(code), reason);
          return undefined;
        }
        return socket.send(message);
      },
      onError: () => {
        events.push("error");
      },
      onClose: (_socket, code, reason) => {
        events.push(`close ${code} ${reason}`);
      },
    };
    return { ...websocketResponse(listener), headers: { "x-probe": "websocket" } };
  }

  /**
   * An endless body of the kind named by `x-probe-kind` (`iterable`, `web` or `node`) that records in
   * `stopped` when its source is stopped: iterator returned, web stream cancelled or Node stream destroyed.
   */
  #tracked(id: string, kind: string | undefined): NonNullable<Response["body"]> {
    const stopped = this.stopped;
    if (kind === "web") {
      return new ReadableStream<string>({
        async pull(controller) {
          await delay(5);
          controller.enqueue("tick ");
        },
        cancel: () => {
          stopped.add(id);
        },
      });
    }
    if (kind === "node") {
      const readable = new Readable({
        read() {
          setTimeout(() => readable.push("tick "), 5);
        },
      });
      readable.once("close", () => stopped.add(id));
      return readable;
    }
    let done = false;
    const iterator: AsyncIterator<string> = {
      next: async () => {
        if (done) return { done: true, value: undefined };
        await delay(5);
        return { done: false, value: "tick " };
      },
      return: async () => {
        done = true;
        stopped.add(id);
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }
}

async function echo(request: Request): Promise<Response> {
  const chunks: Uint8Array[] = [];
  if (request.body !== undefined) for await (const chunk of request.body) chunks.push(chunk);
  const body = concat(chunks);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  const report: Echo = {
    method: request.method,
    uri: request.uri,
    queryString: request.queryString ?? null,
    hasQueryString: request.queryString !== undefined,
    scheme: request.scheme,
    protocol: request.protocol,
    headers: { ...request.headers },
    headerTypes: [...new Set(Object.values(request.headers).map((v) => typeof v))],
    serverName: request.serverName,
    serverPort: request.serverPort,
    remoteAddr: request.remoteAddr,
    bodyDefined: request.body !== undefined,
    bodyLength: body.byteLength,
    bodySha256: hex(digest),
    bodyText: body.byteLength <= 65536 ? new TextDecoder().decode(body) : null,
    frozen: Object.isFrozen(request),
    headersFrozen: Object.isFrozen(request.headers),
  };
  return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(report) };
}

// ---------------------------------------------------------------------------------------------------------
// The checks.

/** Opens a WebSocket to the probe, or rejects with the HTTP status it was answered with. */
function openSocket(
  ctx: Context,
  route: string,
  id: string,
): Promise<{ ws: WebSocket; upgrade: { headers: Record<string, unknown> } }> {
  const url = new URL("/ws", ctx.base);
  url.protocol = "ws:";
  return withTimeout(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { "x-probe": route, "x-probe-id": id } });
      let upgrade: { headers: Record<string, unknown> } = { headers: {} };
      ws.once("upgrade", (response) => {
        upgrade = response;
      });
      ws.once("open", () => resolve({ ws, upgrade }));
      ws.once("unexpected-response", (_request, response) => {
        response.resume();
        reject(new Mismatch(`the upgrade was answered with HTTP ${response.statusCode}`));
      });
      ws.once("error", reject);
    }),
    ctx.timeoutMs,
    "the WebSocket handshake did not complete",
  );
}

function nextMessage(ws: WebSocket, ctx: Context): Promise<{ data: Buffer; binary: boolean }> {
  return withTimeout(
    new Promise((resolve) =>
      ws.once("message", (data: Buffer, binary: boolean) => resolve({ data, binary })),
    ),
    ctx.timeoutMs,
    "no message came back",
  );
}

function closed(ws: WebSocket, ctx: Context): Promise<{ code: number; reason: string }> {
  return withTimeout(
    new Promise((resolve) =>
      ws.once("close", (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
    ),
    ctx.timeoutMs,
    "the connection did not close",
  );
}

/** The listener events the probe recorded under `id`, once `done(events)` holds (they arrive after the close). */
async function listenerEvents(
  ctx: Context,
  id: string,
  done: (events: string[]) => boolean,
): Promise<string[]> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const events = ctx.probe.events.get(id) ?? [];
    if (done(events) || Date.now() > deadline) return events;
    await delay(10);
  }
}

const WEBSOCKET_CHECK_FNS: Record<(typeof WEBSOCKET_CHECKS)[number], (ctx: Context) => Promise<void>> = {
  async "websocket: echo"(ctx) {
    const { ws, upgrade } = await openSocket(ctx, "websocket", "echo");
    try {
      expectEqual("x-probe header on the 101", upgrade.headers["x-probe"], "websocket");
      ws.send("héllo ✓");
      const text = await nextMessage(ws, ctx);
      expectEqual("echoed text message", [text.data.toString(), text.binary], ["héllo ✓", false]);
      ws.send(BYTES);
      const bytes = await nextMessage(ws, ctx);
      expectThat(bytes.binary, "a binary message came back as text");
      expectEqual("echoed binary message (SHA-256)", await sha256(bytes.data), await sha256(BYTES));
    } finally {
      ws.close();
    }
    const events = await listenerEvents(ctx, "echo", (e) => e.some((x) => x.startsWith("close")));
    expectEqual("listener calls", events, [
      "open",
      "text héllo ✓",
      `binary ${BYTES.byteLength}`,
      "close 1005 ",
    ]);
  },
  async "websocket: ping and close"(ctx) {
    const { ws } = await openSocket(ctx, "websocket", "client-close");
    const pong = withTimeout(
      new Promise<Buffer>((resolve) => ws.once("pong", resolve)),
      ctx.timeoutMs,
      "no pong answered the ping (without onPing the adapter must answer)",
    );
    ws.ping("probe ping");
    expectEqual("pong data", (await pong).toString(), "probe ping");
    const clientClosed = closed(ws, ctx);
    ws.close(4001, "client bye");
    expectEqual("close seen by the client", await clientClosed, { code: 4001, reason: "client bye" });
    expectEqual(
      "listener calls after the client closed with 4001",
      await listenerEvents(ctx, "client-close", (e) => e.length >= 2),
      ["open", "close 4001 client bye"],
    );
    const server = await openSocket(ctx, "websocket", "server-close");
    const serverClosed = closed(server.ws, ctx);
    server.ws.send("close 4002 server-bye");
    expectEqual("close sent by the server", await serverClosed, { code: 4002, reason: "server-bye" });
    expectEqual(
      "listener calls after the server closed with 4002",
      await listenerEvents(ctx, "server-close", (e) => e.length >= 3),
      ["open", "text close 4002 server-bye", "close 4002 server-bye"],
    );
  },
  async "websocket: refusal"(ctx) {
    const error = await openSocket(ctx, "websocket-refuse", "refuse").then(
      ({ ws }) => {
        ws.terminate();
        return new Mismatch("an upgrade answered with 403 was upgraded");
      },
      (e: unknown) => e,
    );
    expectEqual(
      "an upgrade answered with an ordinary 403",
      describe(error),
      "the upgrade was answered with HTTP 403",
    );
  },
  async "websocket: not an upgrade"(ctx) {
    const response = await fetchProbe(ctx, "websocket", "not-an-upgrade");
    expectEqual("status of a websocket response to a plain GET", response.status, 500);
    expectEqual("listener calls", ctx.probe.events.get("not-an-upgrade"), []);
  },
  async "websocket: listener error"(ctx) {
    const { ws } = await openSocket(ctx, "websocket", "throw");
    const done = closed(ws, ctx);
    ws.send("throw");
    expectEqual("close code after a listener threw", (await done).code, 1011);
    expectEqual("listener calls", await listenerEvents(ctx, "throw", (e) => e.length >= 4), [
      "open",
      "text throw",
      "error",
      "close 1011 ",
    ]);
    const again = await openSocket(ctx, "websocket", "after-error");
    again.ws.close();
  },
};

async function fetchProbe(ctx: Context, route: string, id: string): Promise<globalThis.Response> {
  const response = await withTimeout(
    fetch(new URL("/ws", ctx.base), { headers: { "x-probe": route, "x-probe-id": id } }),
    ctx.timeoutMs,
    "no response",
  );
  await response.arrayBuffer();
  return response;
}

async function sha256(data: Uint8Array): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>)));
}

const CHECKS: Record<AdapterCheck, (ctx: Context) => Promise<void>> = {
  ...WEBSOCKET_CHECK_FNS,
  async "request map"(ctx) {
    const conn = await openRaw(ctx);
    try {
      conn.write("GET / HTTP/1.1\r\nHost: Example.TEST:8081\r\nX-Probe: echo\r\n\r\n");
      const a = parseEcho(await readRaw(conn, "GET"));
      expectEqual("request.method", a.method, "GET");
      expectEqual("request.uri", a.uri, "/");
      expectEqual("request.queryString", a.hasQueryString ? a.queryString : undefined, undefined);
      expectEqual("request.scheme", a.scheme, "http");
      expectEqual("request.protocol", a.protocol, "HTTP/1.1");
      expectEqual("request.serverName (from Host: Example.TEST:8081)", a.serverName, "example.test");
      expectEqual("request.serverPort (from Host: Example.TEST:8081)", a.serverPort, 8081);
      expectThat(
        typeof a.remoteAddr === "string" && /^(?:127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/.test(a.remoteAddr),
        `request.remoteAddr was ${show(a.remoteAddr)}, expected the loopback address the probe connected from`,
      );
      expectEqual("request.body of a GET without content", a.bodyDefined, false);
      expectEqual("request map frozen", a.frozen, true);
      expectEqual("request.headers frozen", a.headersFrozen, true);
      expectEqual("request.headers value types", a.headerTypes, ["string"]);
      const upper = Object.keys(a.headers).filter((name) => name !== name.toLowerCase());
      expectEqual("request.headers names not in lower case", upper, []);
      conn.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      const b = parseEcho(await readRaw(conn, "GET"));
      expectEqual("request.serverName (from Host: localhost)", b.serverName, "localhost");
      expectEqual("request.serverPort (from Host: localhost, no port)", b.serverPort, 80);
    } finally {
      conn.destroy();
    }
  },

  async method(ctx) {
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const body = method === "GET" || method === "OPTIONS" ? undefined : `body of ${method}`;
      const res = await httpFetch(ctx, "/", { method, ...(body === undefined ? {} : { body }) });
      const echoed = parseEcho(res);
      expectEqual(`request.method of a ${method} request`, echoed.method, method);
      if (body !== undefined) expectEqual(`request body of a ${method} request`, echoed.bodyText, body);
    }
  },

  async "raw path and query"(ctx) {
    const cases: Array<[target: string, uri: string, query: string | undefined]> = [
      [
        "/a%2Fb/%7e//caf%C3%A9;p=1/x:y@z!$&()*+,=?q=%zz&a=b+c&&e=&x=/?:@",
        "/a%2Fb/%7e//caf%C3%A9;p=1/x:y@z!$&()*+,=",
        "q=%zz&a=b+c&&e=&x=/?:@",
      ],
      ["/plain", "/plain", undefined],
      ["/bare?", "/bare", ""],
      ["/?%20", "/", "%20"],
      ["/%E2%9C%93/", "/%E2%9C%93/", undefined],
    ];
    const conn = await openRaw(ctx);
    try {
      for (const [target, uri, query] of cases) {
        conn.write(`GET ${target} HTTP/1.1\r\nHost: ${ctx.base.host}\r\n\r\n`);
        const echoed = parseEcho(await readRaw(conn, "GET"));
        expectEqual(`request.uri for target ${target}`, echoed.uri, uri);
        expectEqual(
          `request.queryString for target ${target}`,
          echoed.hasQueryString ? echoed.queryString : undefined,
          query,
        );
      }
    } finally {
      conn.destroy();
    }
  },

  async "repeated headers"(ctx) {
    const echoed = await rawEcho(ctx, [
      "X-Dup: one",
      "x-dup: two",
      "X-DUP: three",
      "Authorization: Basic YTph",
      "Authorization: Bearer t0k3n",
      "Accept: text/html",
      "accept: application/json",
      "X-Single: Value With Case",
    ]);
    expectEqual('request.headers["x-dup"]', echoed.headers["x-dup"], "one, two, three");
    expectEqual('request.headers["authorization"]', echoed.headers.authorization, "Basic YTph, Bearer t0k3n");
    expectEqual('request.headers["accept"]', echoed.headers.accept, "text/html, application/json");
    expectEqual('request.headers["x-single"]', echoed.headers["x-single"], "Value With Case");
  },

  async "cookie joining"(ctx) {
    const echoed = await rawEcho(ctx, ["Cookie: a=1", "cookie: b=2; c=3", "COOKIE: d=4"]);
    expectEqual(
      'request.headers["cookie"] from three Cookie lines',
      echoed.headers.cookie,
      "a=1; b=2; c=3; d=4",
    );
  },

  async "request body: empty"(ctx) {
    const get = parseEcho(await httpFetch(ctx, "/", {}));
    expectEqual("request.body of a GET", get.bodyDefined, false);
    const empty = parseEcho(await httpFetch(ctx, "/", { method: "POST", body: "" }));
    expectEqual("request body length of a POST with Content-Length: 0", empty.bodyLength, 0);
    const echoed = await rawEcho(ctx, ["Content-Length: 0"], "POST");
    expectEqual("request body length of a raw POST with Content-Length: 0", echoed.bodyLength, 0);
  },

  async "request body: large"(ctx) {
    const size = 8 * 1024 * 1024;
    const body = new Uint8Array(size);
    for (let i = 0; i < size; i++) body[i] = (i * 7 + (i >>> 11)) & 0xff;
    const expected = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", body)));
    const echoed = parseEcho(await httpFetch(ctx, "/", { method: "PUT", body }));
    expectEqual("request body length of an 8 MiB PUT", echoed.bodyLength, size);
    expectEqual("request body SHA-256 of an 8 MiB PUT", echoed.bodySha256, expected);
  },

  async "request body: chunked"(ctx) {
    const conn = await openRaw(ctx);
    try {
      conn.write(`POST /upload HTTP/1.1\r\nHost: ${ctx.base.host}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (const part of ["hello ", "wörld", "!"]) {
        const bytes = encoder.encode(part);
        await delay(10);
        conn.write(
          concat([encoder.encode(`${bytes.byteLength.toString(16)}\r\n`), bytes, encoder.encode("\r\n")]),
        );
      }
      conn.write("0\r\n\r\n");
      const echoed = parseEcho(await readRaw(conn, "POST"));
      expectEqual("request body sent in 3 chunks with pauses", echoed.bodyText, "hello wörld!");
    } finally {
      conn.destroy();
    }
    let step = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await delay(5);
        if (step === 3) controller.close();
        else controller.enqueue(encoder.encode(`part${step++};`));
      },
    });
    const echoed = parseEcho(
      await httpFetch(ctx, "/", { method: "POST", body: stream, duplex: "half" } as RequestInit),
    );
    expectEqual("request body streamed by fetch (chunked)", echoed.bodyText, "part0;part1;part2;");
  },

  async "response body types"(ctx) {
    for (const [name, type] of Object.entries(BODY_TYPES)) {
      const res = await httpFetch(ctx, "/", { headers: { "x-probe": `body:${name}` } });
      expectEqual(`status for a ${name} body`, res.status, 200);
      const bytes = res.body;
      expectThat(
        equalBytes(bytes, type.bytes),
        `the bytes of a ${name} body were ${bytes.byteLength} bytes ${preview(bytes)}, expected ${type.bytes.byteLength} bytes ${preview(type.bytes)}`,
      );
      const length = res.header("content-length");
      if (length !== undefined) {
        expectEqual(`content-length for a ${name} body`, Number(length), type.bytes.byteLength);
      }
      expectEqual(
        `content-type for a ${name} body (the handler set none)`,
        res.header("content-type"),
        undefined,
      );
    }
  },

  async "multiple set-cookie"(ctx) {
    const conn = await openRaw(ctx);
    try {
      conn.write(`GET / HTTP/1.1\r\nHost: ${ctx.base.host}\r\nX-Probe: set-cookie\r\n\r\n`);
      const res = await readRaw(conn, "GET");
      expectEqual("the Set-Cookie lines", res.all("set-cookie"), SET_COOKIES);
    } finally {
      conn.destroy();
    }
  },

  async HEAD(ctx) {
    const conn = await openRaw(ctx);
    try {
      conn.write(`HEAD / HTTP/1.1\r\nHost: ${ctx.base.host}\r\nX-Probe: head\r\n\r\n`);
      const head = await readRaw(conn, "HEAD");
      expectEqual("status of HEAD", head.status, 200);
      expectEqual("x-probe header of HEAD", head.header("x-probe"), "head");
      const length = head.header("content-length");
      if (length !== undefined) {
        expectEqual(
          "content-length of HEAD (what GET would send)",
          Number(length),
          encoder.encode(TEXT).byteLength,
        );
      }
      // Had the adapter sent the body, its bytes would now stand where the next response should start.
      conn.write(`GET / HTTP/1.1\r\nHost: ${ctx.base.host}\r\nX-Probe: echo\r\n\r\n`);
      const next = await readRaw(conn, "GET").catch((error: unknown) => {
        throw new Mismatch(
          `the response after a HEAD on the same connection did not parse (was a body sent for HEAD?): ${describe(error)}`,
        );
      });
      expectEqual("status of the request after HEAD on the same connection", next.status, 200);
      conn.write(`HEAD / HTTP/1.1\r\nHost: ${ctx.base.host}\r\nX-Probe: stream\r\nX-Probe-Id: head\r\n\r\n`);
      const streamed = await readRaw(conn, "HEAD");
      expectEqual("status of HEAD with a streamed body", streamed.status, 200);
    } finally {
      conn.destroy();
    }
    await expectStopped(ctx, "head", "the AsyncIterable body of a HEAD response");
  },

  async "204 and 304"(ctx) {
    const conn = await openRaw(ctx);
    try {
      for (const status of [204, 304]) {
        conn.write(`GET / HTTP/1.1\r\nHost: ${ctx.base.host}\r\nX-Probe: ${status}\r\n\r\n`);
        const res = await readRaw(conn, "GET");
        expectEqual(`status of the ${status} route`, res.status, status);
        expectEqual(`x-probe header of the ${status} response`, res.header("x-probe"), String(status));
        conn.write(
          `GET / HTTP/1.1\r\nHost: ${ctx.base.host}\r\nX-Probe: stream\r\nX-Probe-Status: ${status}\r\nX-Probe-Id: s${status}\r\nX-Probe-Kind: ${status === 204 ? "web" : "node"}\r\n\r\n`,
        );
        expectEqual(
          `status of a ${status} with a streamed body`,
          (await readRaw(conn, "GET")).status,
          status,
        );
      }
      conn.write(`GET / HTTP/1.1\r\nHost: ${ctx.base.host}\r\n\r\n`);
      const next = await readRaw(conn, "GET").catch((error: unknown) => {
        throw new Mismatch(
          `the response after 204 and 304 on the same connection did not parse (was a body sent?): ${describe(error)}`,
        );
      });
      expectEqual("status of the request after 204 and 304 on the same connection", next.status, 200);
    } finally {
      conn.destroy();
    }
    await expectStopped(ctx, "s204", "the ReadableStream body of a 204 response");
    await expectStopped(ctx, "s304", "the Node Readable body of a 304 response");
  },

  async "handler errors"(ctx) {
    const cases: Array<[route: string, status: number, what: string]> = [
      ["throw", 500, "a handler that throws"],
      ["reject", 500, "a handler that rejects"],
      ["hidden-error", 503, "an HttpError(503) with expose false"],
      ["invalid-header", 500, "a response with CR/LF in a header value"],
      ["invalid-status", 500, "a response with status 99"],
    ];
    for (const [route, status, what] of cases) {
      const res = await httpFetch(ctx, "/", { headers: { "x-probe": route } });
      expectEqual(`status for ${what}`, res.status, status);
      expectThat(
        !res.text().includes(SECRET),
        `the response for ${what} leaked the error's message: ${show(res.text())}`,
      );
      expectEqual(`x-injected header for ${what}`, res.header("x-injected"), undefined);
    }
    const conflict = await httpFetch(ctx, "/", { headers: { "x-probe": "http-error" } });
    expectEqual("status for an HttpError(409)", conflict.status, 409);
    expectThat(
      conflict.text().includes("Version conflict"),
      `the body for an exposed HttpError(409) was ${show(conflict.text())}, expected it to include "Version conflict"`,
    );
    expectEqual("the HttpError's x-why header", conflict.header("x-why"), "stale");
    const after = await httpFetch(ctx, "/", {});
    expectEqual("status of a request after the failing ones (the server must survive)", after.status, 200);
  },

  async "session round-trip"(ctx) {
    const first = await httpFetch(ctx, "/", { headers: { "x-probe": "session" } });
    expectEqual("the first session response", [first.status, first.text()], [200, "1"]);
    const setCookie = first.all("set-cookie");
    expectEqual("Set-Cookie lines of the first session response", setCookie.length, 1);
    expectThat(/httponly/i.test(setCookie[0]!), `the session cookie ${show(setCookie[0])} has no HttpOnly`);
    // The cookie as a browser keeps it: a store may hand out a new key on each write (the cookie store does).
    let pair = setCookie[0]!.split(";")[0]!;
    const keep = (res: ExchangeResponse): void => {
      const line = res.all("set-cookie")[0];
      if (line !== undefined) pair = line.split(";")[0]!;
    };
    const second = await httpFetch(ctx, "/", { headers: { "x-probe": "session", cookie: pair } });
    expectEqual(
      "the second session response, sending the cookie back",
      [second.status, second.text()],
      [200, "2"],
    );
    keep(second);
    const third = await httpFetch(ctx, "/", {
      headers: { "x-probe": "session", cookie: `other=1; ${pair}` },
    });
    expectEqual("the third session response, the cookie among others", third.text(), "3");
    const name = pair.slice(0, pair.indexOf("="));
    const forged = await httpFetch(ctx, "/", {
      headers: { "x-probe": "session", cookie: `${name}=forged-value` },
    });
    expectEqual(
      "the response to a forged session cookie (a fresh session)",
      [forged.status, forged.text()],
      [200, "1"],
    );
  },
};

async function expectStopped(ctx: Context, id: string, what: string): Promise<void> {
  const deadline = Date.now() + ctx.timeoutMs;
  for (;;) {
    const res = await httpFetch(ctx, "/", { headers: { "x-probe": "stopped", "x-probe-id": id } });
    if (res.text() === "yes") return;
    if (Date.now() > deadline)
      throw new Mismatch(`${what} was never stopped (cancelled, returned or destroyed)`);
    await delay(20);
  }
}

async function rawEcho(ctx: Context, headerLines: readonly string[], method = "GET"): Promise<Echo> {
  const conn = await openRaw(ctx);
  try {
    conn.write(
      `${method} / HTTP/1.1\r\nHost: ${ctx.base.host}\r\n${headerLines.map((l) => `${l}\r\n`).join("")}\r\n`,
    );
    return parseEcho(await readRaw(conn, method));
  } finally {
    conn.destroy();
  }
}

function parseEcho(res: ExchangeResponse): Echo {
  expectThat(res.status === 200, `the echo route answered ${res.status}: ${show(res.text().slice(0, 200))}`);
  try {
    return JSON.parse(res.text()) as Echo;
  } catch {
    throw new Mismatch(`the echo route's body is not the JSON it sent: ${show(res.text().slice(0, 200))}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Two ways to talk HTTP: Node's fetch, and a raw HTTP/1.1 connection.

/** A response read in full, whichever way it came. */
interface ExchangeResponse {
  readonly status: number;
  readonly body: Uint8Array;
  header(name: string): string | undefined;
  all(name: string): string[];
  text(): string;
}

function makeResponse(
  status: number,
  lines: ReadonlyArray<readonly [string, string]>,
  body: Uint8Array,
): ExchangeResponse {
  let text: string | undefined;
  const all = (name: string): string[] => lines.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  return {
    status,
    body,
    all,
    header: (name) => {
      const values = all(name);
      return values.length === 0 ? undefined : values.join(", ");
    },
    text: () => (text ??= new TextDecoder().decode(body)),
  };
}

async function httpFetch(ctx: Context, path: string, init: RequestInit): Promise<ExchangeResponse> {
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  let res: globalThis.Response;
  let body: Uint8Array;
  try {
    res = await fetch(new URL(path, ctx.base), { ...init, signal });
    body = new Uint8Array(await res.arrayBuffer());
  } catch (error) {
    const what = `${init.method ?? "GET"} ${path}${init.headers ? ` ${show(init.headers)}` : ""}`;
    if (signal.aborted) throw new Mismatch(`no complete response to ${what} within ${ctx.timeoutMs} ms`);
    throw new Mismatch(`${what} failed: ${describe(error)}`);
  }
  const lines: Array<[string, string]> = [];
  res.headers.forEach((value, name) => {
    lines.push([name, value]);
  });
  return makeResponse(res.status, lines, body);
}

/**
 * A raw HTTP/1.1 connection to the server under test (src/testing/raw-http.ts): several requests can share it,
 * and a body the adapter should not have sent shows up as a broken next response.
 */
function openRaw(ctx: Context): Promise<RawConnection> {
  const host = ctx.base.hostname.replace(/^\[|\]$/g, "");
  return findings(RawConnection.open(Number(ctx.base.port || 80), { host, timeoutMs: ctx.timeoutMs }));
}

/** Reads the next final response on `conn`, in full: a body cut short is a finding too. */
async function readRaw(conn: RawConnection, method: string): Promise<ExchangeResponse> {
  const res = await findings(conn.readResponse({ head: method === "HEAD" }));
  if (!res.complete) {
    throw new Mismatch(
      `the connection closed mid-response; received ${res.body.byteLength} bytes of the ${res.status} response's body ${preview(res.body)}`,
    );
  }
  return makeResponse(res.status, res.headers, res.body);
}

/** The raw connection's errors (no connection, a malformed or late response) are what the check found. */
function findings<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    throw error instanceof Error ? new Mismatch(error.message) : error;
  });
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function preview(bytes: Uint8Array): string {
  return show(new TextDecoder().decode(bytes.subarray(0, 40)));
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Mismatch(`${message} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
