/**
 * Issue 15's proof through the real Node adapter: 32 concurrent requests of one session, with every
 * handler held at a barrier after reading the session until all 32 have read it, so every write after the
 * first meets a conflict. A store without the versioned extension shows the loss the tests detect.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { isHttpError } from "../../src/core/http-error.js";
import { response } from "../../src/core/response.js";
import type { Handler, Request, Response } from "../../src/core/types.js";
import { SessionConflictError } from "../../src/session/errors.js";
import { wrapFlash } from "../../src/session/flash.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionReport, SessionStore } from "../../src/session/store.js";
import {
  type SessionOptions,
  sessionConfig,
  sessionRequest,
  sessionResponse,
  wrapSession,
} from "../../src/session/wrap-session.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const N = 32;
let server: RunningServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A promise that resolves once `count` callers have arrived. */
function barrier(count: number) {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return () => {
    arrived++;
    if (arrived >= count) open();
    return opened;
  };
}

/** The same store without the versioned methods: what a custom store written before issue 15 looks like. */
function unversioned(store: SessionStore): SessionStore {
  return {
    readSession: (key, context) => store.readSession(key, context),
    writeSession: (key, data) => store.writeSession(key, data),
    deleteSession: (key) => store.deleteSession(key),
  };
}

interface Setup {
  options: SessionOptions;
  /** The request handler under test: `GET /start` makes the session, `GET /show` answers its JSON. */
  work: (request: Request & { session: Record<string, any> }, i: number) => Promise<Record<string, unknown>>;
}

/** Serve, make one session, fire N concurrent requests with its cookie, and read the session back. */
async function run({ options, work }: Setup) {
  const store = (options.store ?? memoryStore()) as SessionStore;
  const app: Handler = wrapSession(
    async (req: any) => {
      if (req.uri === "/start") return { ...response("started"), session: { started: true } };
      if (req.uri === "/show") return response(JSON.stringify(req.session));
      const i = Number(new URLSearchParams(req.queryString ?? "").get("i"));
      const session = await work(req, i);
      return { ...response(JSON.stringify(session)), session };
    },
    { ...options, store },
  );
  server = await serve(app, { port: 0 });
  const start = await fetch(`${server.url}/start`);
  const cookie = start.headers.getSetCookie()[0]!.split(";")[0]!;
  const answers = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const res = await fetch(`${server!.url}/work?i=${i}`, { headers: { cookie } });
      return { status: res.status, text: await res.text(), setCookie: res.headers.getSetCookie() };
    }),
  );
  const final = JSON.parse(await (await fetch(`${server.url}/show`, { headers: { cookie } })).text());
  return { answers, final: final as Record<string, unknown> };
}

/** Each request sets its own key `k<i>`, after every request has read the session. */
function ownKey(arrive: () => Promise<void>): Setup["work"] {
  return async (req, i) => {
    await arrive();
    return { ...req.session, [`k${i}`]: i };
  };
}

/** Each request increments `count`, after every request has read the session (on its first run). */
function increment(arrive: () => Promise<void>): Setup["work"] {
  return async (req) => {
    await arrive();
    return { ...req.session, count: (req.session.count ?? 0) + 1 };
  };
}

const ownKeys = (final: Record<string, unknown>) => Object.keys(final).filter((k) => /^k\d+$/.test(k));

describe("32 concurrent requests of one session, each setting its own key", () => {
  it("keeps all 32 keys with the default (merge) and the memory store", async () => {
    const reports: SessionReport[] = [];
    const { answers, final } = await run({
      options: { onError: (report) => reports.push(report) },
      work: ownKey(barrier(N)),
    });
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(ownKeys(final).sort()).toEqual(Array.from({ length: N }, (_, i) => `k${i}`).sort());
    expect(final.started).toBe(true);
    // Every write after the first met a conflict, was merged, and said so with names only.
    const merged = reports.filter((r) => r.kind === "session-conflict");
    expect(merged.length).toBeGreaterThanOrEqual(N - 1);
    expect(merged.every((r) => r.resolution === "merged" && r.contested?.length === 0)).toBe(true);
    expect(merged.every((r) => r.keys?.length === 1 && /^k\d+$/.test(r.keys[0]!))).toBe(true);
    expect(JSON.stringify(merged)).not.toMatch(/"k\d+":/);
  });

  it("loses keys with a store that lacks the versioned extension (the test detects loss)", async () => {
    const { final } = await run({
      options: { store: unversioned(memoryStore()) },
      work: ownKey(barrier(N)),
    });
    expect(ownKeys(final).length).toBeLessThan(N);
    // Every request read the same session, so the last write wins whole: one key is left.
    expect(ownKeys(final)).toHaveLength(1);
  });
});

describe("32 concurrent increments of one counter", () => {
  it('onConflict "retry": the count is exactly 32 and every response saw a distinct count', async () => {
    const { answers, final } = await run({
      options: { onConflict: "retry", maxAttempts: N },
      work: increment(barrier(N)),
    });
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
    expect(final.count).toBe(N);
    const seen = answers.map((a) => JSON.parse(a.text).count as number).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });

  it('onConflict "reject": the count equals the 2xx answers and the rest are 409', async () => {
    const reports: SessionReport[] = [];
    const { answers, final } = await run({
      options: { onConflict: "reject", onError: (report) => reports.push(report) },
      work: increment(barrier(N)),
    });
    const ok = answers.filter((a) => a.status === 200).length;
    const conflicts = answers.filter((a) => a.status === 409);
    expect(ok + conflicts.length).toBe(N);
    expect(conflicts.length).toBeGreaterThan(0);
    expect(final.count).toBe(ok);
    expect(conflicts[0]!.text).toContain("changed by a concurrent request");
    // A 409 sends no cookie and says which keys, not which values.
    expect(conflicts.every((a) => a.setCookie.length === 0)).toBe(true);
    const rejected = reports.filter((r) => r.resolution === "rejected");
    expect(rejected).toHaveLength(conflicts.length);
    expect(rejected[0]).toMatchObject({ kind: "session-conflict", keys: ["count"], contested: ["count"] });
  });

  it("default (merge): the count is at most 32; two increments from the same value are one", async () => {
    const { answers, final } = await run({ options: {}, work: increment(barrier(N)) });
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // All 32 read count 0 and wrote 1: the later write wins for `count`, so the count is 1, not 32.
    expect(final.count).toBe(1);
  });

  it('onConflict "retry" answers 409 once the handler has run maxAttempts times', async () => {
    const reports: SessionReport[] = [];
    const { answers, final } = await run({
      options: { onConflict: "retry", maxAttempts: 2, onError: (report) => reports.push(report) },
      work: increment(barrier(N)),
    });
    const ok = answers.filter((a) => a.status === 200).length;
    expect(answers.filter((a) => a.status === 409).length).toBe(N - ok);
    expect(ok).toBeLessThan(N);
    expect(final.count).toBe(ok);
    expect(reports.some((r) => r.resolution === "retried")).toBe(true);
    expect(reports.find((r) => r.resolution === "rejected")?.reason).toMatch(/2 runs of the handler/);
  });
});

/** Call `app` with the cookie `key` as N concurrent requests; statuses, with HttpErrors as their status. */
async function concurrently(app: Handler, key: string, n: number, uri = "/") {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      Promise.resolve(
        app(mockRequest("GET", `${uri}?i=${i}`, { headers: { cookie: `ring-session=${key}` } })),
      ).then(
        (res) => ({ status: res.status, res }),
        (error: unknown) => ({ status: isHttpError(error) ? error.status : 500, res: undefined }),
      ),
    ),
  );
}

describe("conflicts and the flash middleware", () => {
  it("two requests consuming the same flash do not conflict, even with onConflict: reject", async () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { user: 1, _flash: "Saved" });
    const arrive = barrier(2);
    const reports: SessionReport[] = [];
    const shown: unknown[] = [];
    const app = wrapSession(
      wrapFlash(async (req: any) => {
        shown.push(req.flash);
        const i = Number(req.queryString.slice(2)) + 1;
        await arrive();
        return { ...response("ok"), session: { ...req.session, [`seen${i}`]: true } };
      }),
      { store, onConflict: "reject", onError: (report) => reports.push(report) },
    );
    const answers = await concurrently(app, key, 2);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(shown).toEqual(["Saved", "Saved"]);
    expect(store.readSession(key)).toEqual({ user: 1, seen1: true, seen2: true });
    expect(reports.map((r) => [r.resolution, r.contested])).toEqual([["merged", []]]);
  });

  it("a flash set by one request survives another request that consumed the old one", async () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { _flash: "Saved" });
    const arrive = barrier(2);
    const app = wrapSession(
      wrapFlash(async (req: any) => {
        await arrive();
        // Request 0 answers first with a new flash; request 1 (which read "Saved") answers after it.
        if (req.queryString === "i=0") return { ...response("saved"), flash: "Deleted" };
        await new Promise((resolve) => setTimeout(resolve, 5));
        return response(String(req.flash));
      }),
      { store },
    );
    const answers = await concurrently(app, key, 2);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(store.readSession(key)).toEqual({ _flash: "Deleted" });
  });
});

describe("retry, reject and the halves", () => {
  it("drops the stale answer's stream body when it runs the handler again", async () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { count: 0 });
    const arrive = barrier(2);
    const cancelled: number[] = [];
    let runs = 0;
    const app = wrapSession(
      async (req: any) => {
        const run = ++runs;
        await arrive();
        const body = new ReadableStream({
          cancel: () => {
            cancelled.push(run);
          },
        });
        return { status: 200, headers: {}, body, session: { count: req.session.count + 1 } };
      },
      { store, onConflict: "retry" },
    );
    const answers = await concurrently(app, key, 2);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(store.readSession(key)).toEqual({ count: 2 });
    expect(runs).toBe(3);
    expect(cancelled).toHaveLength(1);
  });

  it("sessionResponse cannot run a handler again, so with retry a contested write is a 409", async () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { count: 0 });
    const config = sessionConfig({ store, onConflict: "retry", onError: () => {} });
    const request = mockRequest("GET", "/", { headers: { cookie: `ring-session=${key}` } });
    const first = await sessionRequest(request, config);
    const second = await sessionRequest(request, config);
    await sessionResponse({ ...response("a"), session: { count: 1 } }, first, config);
    let error: unknown;
    try {
      await sessionResponse({ ...response("b"), session: { count: 1 } }, second, config);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SessionConflictError);
    expect(error).toMatchObject({ status: 409, contested: ["count"] });
    expect(store.readSession(key)).toEqual({ count: 1 });
  });

  it("a session deleted meanwhile (a logout elsewhere) gets a new key holding only this request's changes", async () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { user: 7 });
    const config = sessionConfig({ store });
    const request = mockRequest("GET", "/", { headers: { cookie: `ring-session=${key}` } });
    const reading = await sessionRequest(request, config);
    const logout = await sessionRequest(request, config);
    await sessionResponse({ ...response("bye"), session: null }, logout, config);
    const res = await sessionResponse(
      { ...response("ok"), session: { ...reading.session, theme: "dark" } },
      reading,
      config,
    );
    const cookie = String(res?.headers["set-cookie"]);
    const newKey = /ring-session=([^;]+)/.exec(cookie)![1]!;
    expect(newKey).not.toBe(key);
    // The user is still logged out: only the change this request made lives on.
    expect(store.readSession(newKey)).toEqual({ theme: "dark" });
    expect(store.readSession(key)).toBeUndefined();
  });

  it("a write without a conflict is a plain conditional write: no report, same key, no cookie", async () => {
    const reports: SessionReport[] = [];
    const store = memoryStore();
    const key = store.writeSession(undefined, { count: 0 });
    const app = wrapSession(
      (req: any) => ({ ...response("ok"), session: { count: req.session.count + 1 } }),
      {
        store,
        onConflict: "reject",
        onError: (report) => reports.push(report),
      },
    );
    const res = app(mockRequest("GET", "/", { headers: { cookie: `ring-session=${key}` } })) as Response;
    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(store.readSession(key)).toEqual({ count: 1 });
    expect(reports).toEqual([]);
  });
});
