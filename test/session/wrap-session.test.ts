import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { response } from "../../src/core/response.js";
import type { Request, Response } from "../../src/core/types.js";
import { cookieStore } from "../../src/session/cookie-store/cookie-store.js";
import { CookieTooLargeError, SessionStoreError } from "../../src/session/errors.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionData, SessionReport, SessionStore } from "../../src/session/store.js";
import {
  type SessionConfig,
  type SessionHandler,
  type SessionOptions,
  type SessionRequestKeys,
  sessionConfig,
  sessionRequest,
  sessionResponse,
  type UntypedSession,
  wrapSession,
} from "../../src/session/wrap-session.js";
import { mockRequest } from "../../src/testing/mock-request.js";

/** A request as an adapter builds it, with `cookie` as its Cookie header. */
function request(cookie?: string, extra: { scheme?: "http" | "https" } = {}): Request {
  return mockRequest("GET", "/", { headers: cookie === undefined ? {} : { cookie }, ...extra });
}

/** A store over a Map with readable keys `k1`, `k2`…; `rotate` returns a new key on every write. */
function mapStore(rotate = false): SessionStore {
  const map = new Map<string, SessionData>();
  let n = 0;
  return {
    readSession: (key, context) => {
      const data = map.get(key);
      if (data === undefined) context?.report({ kind: "rejected-cookie", reason: "unknown key" });
      return data;
    },
    writeSession: (key, data) => {
      const id = key !== undefined && map.has(key) && !rotate ? key : `k${++n}`;
      if (key !== undefined && id !== key) map.delete(key);
      map.set(id, data);
      return id;
    },
    deleteSession: (key) => {
      map.delete(key);
    },
  };
}

/** Logs every call (and, for an async store, when its answer arrives) around another store. */
function recording(inner: SessionStore, async: boolean) {
  const log: string[] = [];
  const answer = <T>(what: string, value: T): T | Promise<T> => {
    if (!async) return value;
    return new Promise((resolve) =>
      setTimeout(() => {
        log.push(`${what} done`);
        resolve(value);
      }, 2),
    );
  };
  const store: SessionStore = {
    readSession: (key, context) => {
      log.push("read");
      return answer("read", inner.readSession(key, context) as SessionData | undefined);
    },
    writeSession: (key, data) => {
      log.push(key === undefined ? "write new" : "write same");
      return answer("write", inner.writeSession(key, data) as string);
    },
    deleteSession: (key) => {
      log.push("delete");
      return answer("delete", inner.deleteSession(key) as undefined);
    },
  };
  return { log, store };
}

type Action = Record<string, unknown> | undefined;

/** An app whose handler answers with the keys in `next.action` and remembers what it saw. */
function harness(store: SessionStore, options: SessionOptions = {}) {
  const seen: { session?: unknown; sessionKey?: string | undefined } = {};
  const next: { action: Action } = { action: undefined };
  const app = wrapSession(
    (req) => {
      seen.session = req.session;
      seen.sessionKey = req.sessionKey;
      return { ...response("ok"), ...next.action };
    },
    { store, ...options },
  );
  const call = async (cookie: string | undefined, action: Action, extra: { scheme?: "https" } = {}) => {
    next.action = action;
    return (await app(request(cookie, extra))) as Response;
  };
  return { app, call, seen };
}

function setCookies(res: Response): string[] {
  const value = res.headers["set-cookie"];
  return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
}

function keyOf(res: Response): string {
  const [line] = setCookies(res);
  const match = /^ring-session=([^;]*)/.exec(line ?? "");
  if (!match) throw new Error(`no session cookie in ${JSON.stringify(res.headers)}`);
  return match[1]!;
}

const secret = new Uint8Array(32).fill(1);
/** `serverSide`: the store keeps the key on update and can revoke a key (the cookie store can do neither). */
const kinds = [
  { name: "a synchronous recording store", serverSide: true, make: () => recording(mapStore(), false) },
  { name: "an asynchronous recording store", serverSide: true, make: () => recording(mapStore(), true) },
  { name: "memoryStore", serverSide: true, make: () => recording(memoryStore({ sweepInterval: 0 }), false) },
  { name: "cookieStore", serverSide: false, make: () => recording(cookieStore({ secret }), false) },
];

afterEach(() => {
  vi.restoreAllMocks();
});

for (const kind of kinds) {
  describe(`wrapSession contract with ${kind.name}`, () => {
    const setup = (options: SessionOptions = {}) => {
      const { log, store } = kind.make();
      return { log, ...harness(store, options) };
    };
    const login = async (h: ReturnType<typeof setup>, data: SessionData = { user: "ann" }) => {
      const res = await h.call(undefined, { session: data });
      h.log.length = 0;
      return `ring-session=${keyOf(res)}`;
    };

    it("no cookie, no session key: the store is not asked and no cookie is sent", async () => {
      const h = setup();
      const res = await h.call(undefined, undefined);
      expect(h.log).toEqual([]);
      expect(res).toEqual({ status: 200, headers: {}, body: "ok" });
      expect(h.seen).toEqual({ session: {}, sessionKey: undefined });
    });

    it("a valid key: request.session is the data and request.sessionKey the key", async () => {
      const h = setup();
      const cookie = await login(h);
      const res = await h.call(cookie, undefined);
      expect(h.seen).toEqual({ session: { user: "ann" }, sessionKey: cookie.slice("ring-session=".length) });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read"]);
      expect(setCookies(res)).toEqual([]);
    });

    it("session data without a valid key: writeSession(undefined, data) and the new key is sent", async () => {
      const h = setup();
      const res = await h.call(undefined, { session: { n: 1 } });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["write new"]);
      expect(setCookies(res)).toEqual([`ring-session=${keyOf(res)}; Path=/; HttpOnly; SameSite=Lax`]);
      expect(res).toEqual({ status: 200, headers: { "set-cookie": setCookies(res)[0] }, body: "ok" });
    });

    it("session data with a valid key: writeSession(key, data); a cookie only when the key changed", async () => {
      const h = setup();
      const cookie = await login(h);
      const res = await h.call(cookie, { session: { user: "bob" } });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read", "write same"]);
      if (kind.serverSide) expect(setCookies(res)).toEqual([]);
      else expect(`ring-session=${keyOf(res)}`).not.toBe(cookie);
      await h.call(kind.serverSide ? cookie : `ring-session=${keyOf(res)}`, undefined);
      expect(h.seen.session).toEqual({ user: "bob" });
    });

    it("an unknown key is never adopted: empty session, and a write gets a new key", async () => {
      const h = setup();
      const chosen = "A".repeat(43);
      const res = await h.call(`ring-session=${chosen}`, { session: { n: 1 } });
      expect(h.seen).toEqual({ session: {}, sessionKey: undefined });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read", "write new"]);
      expect(keyOf(res)).not.toBe(chosen);
    });

    it("session {} is a write, not a delete", async () => {
      const h = setup();
      const cookie = await login(h);
      const res = await h.call(cookie, { session: {} });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read", "write same"]);
      const next = kind.serverSide ? cookie : `ring-session=${keyOf(res)}`;
      if (kind.serverSide) expect(setCookies(res)).toEqual([]);
      await h.call(next, undefined);
      expect(h.seen).toEqual({ session: {}, sessionKey: next.slice(13) });
      const fresh = await h.call(undefined, { session: {} });
      expect(keyOf(fresh)).not.toBe("");
    });

    it("session null: deleteSession(key) and the cookie is expired with the same attributes", async () => {
      const h = setup({ cookieAttrs: { domain: "example.com", path: "/app" } });
      const cookie = await login(h);
      const res = await h.call(cookie, { session: null });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read", "delete"]);
      expect(setCookies(res)).toEqual([
        "ring-session=; Domain=example.com; Path=/app; HttpOnly; SameSite=Lax; Max-Age=0",
      ]);
      if (kind.serverSide) {
        // A copied cookie is dead too (the cookie store cannot revoke one before maxAge: docs/security.md).
        await h.call(cookie, undefined);
        expect(h.seen).toEqual({ session: {}, sessionKey: undefined });
      }
    });

    it("session null without a valid key still expires the cookie, without asking the store to delete", async () => {
      const h = setup();
      const res = await h.call("ring-session=nonsense", { session: null });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read"]);
      expect(setCookies(res)).toEqual(["ring-session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);
      expect((await h.call(undefined, { session: null })).headers["set-cookie"]).toContain("Max-Age=0");
    });

    it("recreateSession: deletes the old key, writes under a new one and sends it", async () => {
      const h = setup();
      const cookie = await login(h);
      const old = cookie.slice(13);
      const res = await h.call(cookie, { session: { user: "ann", admin: true }, recreateSession: true });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read", "delete", "write new"]);
      const key = keyOf(res);
      expect(key).not.toBe(old);
      if (kind.serverSide) {
        await h.call(cookie, undefined);
        expect(h.seen).toEqual({ session: {}, sessionKey: undefined });
      }
      await h.call(`ring-session=${key}`, undefined);
      expect(h.seen.session).toEqual({ user: "ann", admin: true });
      const first = await h.call(undefined, { session: { a: 1 }, recreateSession: true });
      expect(keyOf(first)).toBeTruthy();
    });

    it("no session key but sessionCookieAttrs: re-sends the current key with them, no store write", async () => {
      const h = setup();
      const cookie = await login(h);
      const res = await h.call(cookie, { sessionCookieAttrs: { maxAge: 3600 } });
      expect(h.log.filter((l) => !l.endsWith("done"))).toEqual(["read"]);
      expect(setCookies(res)).toEqual([`${cookie}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`]);
      expect(res).toEqual({ status: 200, headers: { "set-cookie": setCookies(res)[0] }, body: "ok" });
      const none = await h.call(undefined, { sessionCookieAttrs: { maxAge: 3600 } });
      expect(none).toEqual({ status: 200, headers: {}, body: "ok" });
    });

    it("session data with sessionCookieAttrs sends the cookie even when the key is kept (Ring)", async () => {
      const h = setup();
      const cookie = await login(h);
      const res = await h.call(cookie, { session: { n: 2 }, sessionCookieAttrs: { maxAge: 60 } });
      const sent = kind.serverSide ? cookie : `ring-session=${keyOf(res)}`;
      expect(setCookies(res)).toEqual([`${sent}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60`]);
    });

    it("removes session, sessionCookieAttrs and recreateSession from the response handed outwards", async () => {
      const h = setup();
      for (const action of [
        { session: { a: 1 } },
        { session: null },
        { session: { a: 1 }, recreateSession: true },
        { sessionCookieAttrs: { maxAge: 5 } },
        { recreateSession: false },
      ]) {
        const res = await h.call(undefined, action);
        expect(Object.keys(res).sort()).toEqual(["body", "headers", "status"]);
      }
    });

    it("appends the session cookie to set-cookie lines the handler already set", async () => {
      const h = setup();
      const res = await h.call(undefined, { headers: { "set-cookie": "theme=dark" }, session: { a: 1 } });
      expect(setCookies(res)).toEqual([
        "theme=dark",
        `ring-session=${setCookies(res)[1]!.slice(13).split(";")[0]}; Path=/; HttpOnly; SameSite=Lax`,
      ]);
    });
  });
}

describe("wrapSession with a store that returns a new key on every write", () => {
  it("sends the cookie only when the key changed", async () => {
    const { log, store } = recording(mapStore(true), false);
    const h = harness(store);
    const first = keyOf(await h.call(undefined, { session: { n: 1 } }));
    const second = await h.call(`ring-session=${first}`, { session: { n: 2 } });
    expect(log).toEqual(["write new", "read", "write same"]);
    expect(keyOf(second)).not.toBe(first);
  });
});

describe("wrapSession timing and synchrony", () => {
  it("has finished the store's write or delete before the response is returned", async () => {
    const { log, store } = recording(mapStore(), true);
    const h = harness(store);
    const res = await h.call(undefined, { session: { a: 1 } });
    expect(log).toEqual(["write new", "write done"]);
    log.length = 0;
    await h.call(`ring-session=${keyOf(res)}`, { session: null });
    expect(log).toEqual(["read", "read done", "delete", "delete done"]);
  });

  it("stays synchronous with a synchronous store and handler (no Promise anywhere)", () => {
    const store = memoryStore({ sweepInterval: 0 });
    const app = wrapSession<{ count?: number }>(
      (req) => ({
        ...response(String(req.session.count ?? 0)),
        session: { count: (req.session.count ?? 0) + 1 },
      }),
      { store },
    );
    const first = app(request()) as Response;
    expect(first).not.toBeInstanceOf(Promise);
    const cookie = setCookies(first)[0]!.split(";")[0]!;
    const second = app(request(cookie));
    expect(second).not.toBeInstanceOf(Promise);
    expect((second as Response).body).toBe("1");
  });

  it("awaits an async handler", async () => {
    const app = wrapSession(async () => ({ ...response("x"), session: { a: 1 } }), { store: mapStore() });
    const res = await app(request());
    expect(setCookies(res)).toEqual(["ring-session=k1; Path=/; HttpOnly; SameSite=Lax"]);
  });

  it("passes a missing response through untouched", async () => {
    const app = wrapSession(() => undefined as unknown as Response, { store: mapStore() });
    expect(app(request())).toBeUndefined();
    const nul = wrapSession(() => null as unknown as Response, { store: mapStore() });
    expect(nul(request())).toBeNull();
  });

  it("hands the handler a copy of the request with every own key, the input untouched", () => {
    const seen: Record<string, unknown>[] = [];
    const app = wrapSession(
      (req) => {
        seen.push(req as unknown as Record<string, unknown>);
        return response("x");
      },
      { store: mapStore() },
    );
    const plain = { ...request(), extra: 1 } as Request;
    // An own "__proto__" key (as JSON.parse makes one) is data, not the prototype: it must be copied as is.
    const odd = JSON.parse('{"__proto__":{"polluted":true},"x":2}') as object;
    const withProto = Object.assign(odd, request()) as Request;
    for (const input of [plain, withProto]) {
      const before = { ...input };
      app(input);
      const req = seen.pop()!;
      expect(req).not.toBe(input);
      expect(Object.getPrototypeOf(req)).toBe(Object.prototype);
      expect(Object.keys(req)).toEqual([...Object.keys(before), "session", "sessionKey"]);
      for (const key of Object.keys(before)) {
        expect(Object.getOwnPropertyDescriptor(req, key)?.value).toBe(
          Object.getOwnPropertyDescriptor(before, key)?.value,
        );
      }
      expect(req.session).toEqual({});
      expect(Object.keys(input)).toEqual(Object.keys(before));
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("returns the handler's response object itself when it has no session keys", () => {
    const res = { ...response("x") };
    const app = wrapSession(() => res, { store: mapStore() });
    expect(app(request())).toBe(res);
  });
});

describe("wrapSession cookie attributes", () => {
  const keyFrom = async (options: SessionOptions, action: Action, extra: { scheme?: "https" } = {}) => {
    const h = harness(mapStore(), options);
    const res = await h.call(undefined, action, extra);
    return setCookies(res)[0]!;
  };

  it("defaults to Path=/, HttpOnly, SameSite=Lax and cookie name ring-session", async () => {
    expect(await keyFrom({}, { session: {} })).toBe("ring-session=k1; Path=/; HttpOnly; SameSite=Lax");
    expect(await keyFrom({ cookieName: "sid" }, { session: {} })).toBe(
      "sid=k1; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  it("applies defaults < cookieAttrs < root < sessionCookieAttrs", async () => {
    const options: SessionOptions = {
      cookieAttrs: { path: "/a", sameSite: "strict", httpOnly: false, maxAge: 10, domain: "example.com" },
    };
    expect(await keyFrom(options, { session: {} })).toBe(
      "ring-session=k1; Domain=example.com; Path=/a; SameSite=Strict; Max-Age=10",
    );
    expect(await keyFrom({ ...options, root: "/b" }, { session: {} })).toBe(
      "ring-session=k1; Domain=example.com; Path=/b; SameSite=Strict; Max-Age=10",
    );
    expect(
      await keyFrom(
        { ...options, root: "/b" },
        { session: {}, sessionCookieAttrs: { path: "/c", maxAge: 99 } },
      ),
    ).toBe("ring-session=k1; Domain=example.com; Path=/c; SameSite=Strict; Max-Age=99");
    // An attribute given as undefined in sessionCookieAttrs does not erase the options' value.
    expect(await keyFrom({ root: "/b" }, { session: {}, sessionCookieAttrs: { path: undefined } })).toBe(
      "ring-session=k1; Path=/b; HttpOnly; SameSite=Lax",
    );
  });

  it("sets secure on https requests unless secure is given", async () => {
    expect(await keyFrom({}, { session: {} }, { scheme: "https" })).toBe(
      "ring-session=k1; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    expect(await keyFrom({ cookieAttrs: { secure: false } }, { session: {} }, { scheme: "https" })).toBe(
      "ring-session=k1; Path=/; HttpOnly; SameSite=Lax",
    );
    expect(await keyFrom({ cookieAttrs: { secure: true } }, { session: {} })).toBe(
      "ring-session=k1; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    expect(await keyFrom({}, { session: {}, sessionCookieAttrs: { maxAge: 1 } }, { scheme: "https" })).toBe(
      "ring-session=k1; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=1",
    );
    expect(await keyFrom({}, { session: null }, { scheme: "https" })).toBe(
      "ring-session=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0",
    );
    // Given on the response, it wins over the automatic one too.
    expect(
      await keyFrom({}, { session: {}, sessionCookieAttrs: { secure: false } }, { scheme: "https" }),
    ).toBe("ring-session=k1; Path=/; HttpOnly; SameSite=Lax");
  });

  it("expires the cookie with the merged attributes, replacing maxAge and dropping expires", async () => {
    const options: SessionOptions = { cookieAttrs: { maxAge: 100, expires: new Date(0) } };
    expect(await keyFrom(options, { session: null, sessionCookieAttrs: { path: "/x" } })).toBe(
      "ring-session=; Path=/x; HttpOnly; SameSite=Lax; Max-Age=0",
    );
  });

  it("throws a TypeError for bad sessionCookieAttrs on a response", async () => {
    const h = harness(mapStore());
    await expect(h.call(undefined, { session: {}, sessionCookieAttrs: { maxage: 5 } })).rejects.toThrow(
      /Cookie "ring-session": attribute "maxage" is unknown/,
    );
    await expect(h.call(undefined, { session: {}, sessionCookieAttrs: "x" })).rejects.toThrow(
      /sessionCookieAttrs must be an object/,
    );
  });

  it("refuses a Set-Cookie line over 4096 bytes with CookieTooLargeError", async () => {
    const big = (size: number): SessionStore => ({
      readSession: () => undefined,
      writeSession: () => "k".repeat(size),
      deleteSession: () => {},
    });
    const fits = "ring-session=; Path=/; HttpOnly; SameSite=Lax".length;
    const ok = harness(big(4096 - fits));
    expect(setCookies(await ok.call(undefined, { session: {} }))[0]!.length).toBe(4096);
    const tooBig = harness(big(4097 - fits));
    const error = await tooBig.call(undefined, { session: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CookieTooLargeError);
    expect(error).toMatchObject({ size: 4097, limit: 4096 });
  });
});

describe("wrapSession with data a store cannot keep", () => {
  const secret = new Uint8Array(32).fill(3);

  it("lets the cookie store's CookieTooLargeError and JSON TypeError through, not as a 503 store failure", async () => {
    const reports: SessionReport[] = [];
    const h = harness(cookieStore({ secret }), { onError: (r) => reports.push(r) });
    const big = await h.call(undefined, { session: { s: "x".repeat(5000) } }).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(CookieTooLargeError);
    expect(big).not.toBeInstanceOf(SessionStoreError);
    expect((big as CookieTooLargeError).size).toBeGreaterThan(4096);
    const date = await h.call(undefined, { session: { when: new Date(0) } }).catch((e: unknown) => e);
    expect(date).toBeInstanceOf(TypeError);
    expect((date as Error).message).toBe("session.when: Date (it becomes a string) does not survive JSON");
    expect(reports).toEqual([]);
  });

  it("lets a synchronous RangeError (data nested too deep) through as the handler's bug, not a 503", async () => {
    const reports: SessionReport[] = [];
    const store: SessionStore = {
      ...mapStore(),
      writeSession: () => {
        throw new RangeError("too deep");
      },
    };
    const error = await harness(store, { onError: (r) => reports.push(r) })
      .call(undefined, { session: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).not.toBeInstanceOf(SessionStoreError);
    expect(reports).toEqual([]);
  });

  it("still treats a rejection, even with a TypeError or RangeError, and any other throw as a store failure", async () => {
    for (const fail of [
      () => Promise.reject(new TypeError("socket gone")),
      () => Promise.reject(new RangeError("x")),
      () => {
        throw new Error("x");
      },
    ]) {
      const store: SessionStore = { ...mapStore(), writeSession: fail as SessionStore["writeSession"] };
      const error = await harness(store, { onError: () => {} })
        .call(undefined, { session: {} })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SessionStoreError);
    }
  });
});

describe("wrapSession store failures", () => {
  const failing = (
    operation: "readSession" | "writeSession" | "deleteSession",
    async: boolean,
  ): SessionStore => {
    const inner = mapStore();
    inner.writeSession(undefined, { a: 1 }); // k1 exists
    const boom = new Error(`${operation} exploded`);
    return {
      ...inner,
      [operation]: async
        ? () => Promise.reject(boom)
        : () => {
            throw boom;
          },
    };
  };

  for (const async of [false, true]) {
    for (const [operation, cookie, action] of [
      ["readSession", "ring-session=k1", undefined],
      ["writeSession", "ring-session=k1", { session: { a: 2 } }],
      ["writeSession", undefined, { session: { a: 2 } }],
      ["deleteSession", "ring-session=k1", { session: null }],
      ["deleteSession", "ring-session=k1", { session: { a: 2 }, recreateSession: true }],
    ] as const) {
      it(`${async ? "a rejected" : "a thrown"} ${operation} (${JSON.stringify(action)}) → SessionStoreError 503, reported, no response`, async () => {
        const reports: SessionReport[] = [];
        const h = harness(failing(operation, async), { onError: (r) => reports.push(r) });
        let error: unknown;
        try {
          await h.call(cookie, action);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SessionStoreError);
        expect(error).toMatchObject({ status: 503, operation, expose: false });
        expect((error as Error).cause).toEqual(new Error(`${operation} exploded`));
        expect(reports).toEqual([
          { kind: "store-failure", reason: `${operation} failed`, cause: (error as Error).cause },
        ]);
      });
    }
  }

  it("a store whose writeSession returns something that is not a key is a store failure", async () => {
    const almostAKey = "Zq3X9vB2kLm8Pw4Rt6Yu1Io5Ea7Sd0Fg2Hj4Kl6Nb8 ";
    const store: SessionStore = { ...mapStore(), writeSession: () => almostAKey };
    const reports: SessionReport[] = [];
    const h = harness(store, { onError: (r) => reports.push(r) });
    const error = await h.call(undefined, { session: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, operation: "writeSession" });
    // The message names the problem, never the (almost) session id, which would end up in logs.
    const cause = (error as Error).cause as Error;
    expect(cause.message).toBe(
      "writeSession must return a non-empty string of RFC 6265 cookie-octets, got a string with other characters",
    );
    expect(JSON.stringify(reports, (_k, v) => (v instanceof Error ? v.message : v))).not.toContain("Zq3X9");
    const none: SessionStore = { ...mapStore(), writeSession: () => undefined as unknown as string };
    await expect(
      harness(none, { onError: () => {} }).call(undefined, { session: {} }),
    ).rejects.toBeInstanceOf(SessionStoreError);
  });

  it("logs store failures by default (one console.error line)", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const h = harness(failing("readSession", false));
    await expect(h.call("ring-session=k1", undefined)).rejects.toBeInstanceOf(SessionStoreError);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]![0])).toMatch(
      /store-failure: readSession failed: readSession exploded \(GET \/\)/,
    );
  });

  it("survives an onError hook that throws", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const h = harness(mapStore(), {
      onError: () => {
        throw new Error("hook broke");
      },
    });
    await h.call("ring-session=unknown", undefined);
    expect(h.seen.session).toEqual({});
    expect(String(spy.mock.calls[0]![0])).toMatch(/onError threw: hook broke/);
  });
});

describe("wrapSession onError and bad input from the network", () => {
  it("reports implausible cookies without asking the store, silently by default", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const { log, store } = recording(mapStore(), false);
    const reports: SessionReport[] = [];
    const h = harness(store, { onError: (r) => reports.push(r) });
    for (const cookie of [
      "ring-session=",
      "ring-session=a%20b",
      `ring-session=${"x".repeat(4097)}`,
      "ring-session=%22q%22",
    ]) {
      await h.call(cookie, undefined);
      expect(h.seen).toEqual({ session: {}, sessionKey: undefined });
    }
    expect(log).toEqual([]);
    expect(reports).toHaveLength(4);
    expect(
      reports.every(
        (r) => r.kind === "rejected-cookie" && r.reason === "the session cookie is not a plausible key",
      ),
    ).toBe(true);
    const silent = harness(mapStore());
    await silent.call("ring-session=a%20b", undefined);
    await silent.call("ring-session=unknown", undefined);
    expect(spy).not.toHaveBeenCalled();
  });

  it("passes the store's own reasons to onError with the request", async () => {
    const calls: [SessionReport, Request][] = [];
    const h = harness(memoryStore({ sweepInterval: 0 }), { onError: (r, req) => calls.push([r, req]) });
    await h.call(`ring-session=${"A".repeat(43)}`, undefined);
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toEqual({ kind: "rejected-cookie", reason: "unknown session key" });
    expect(calls[0]![1].headers.cookie).toBe(`ring-session=${"A".repeat(43)}`);
  });

  it("treats data that is not an object as no session (invalid-session)", async () => {
    const reports: SessionReport[] = [];
    const store: SessionStore = { ...mapStore(), readSession: () => "text" as unknown as SessionData };
    const h = harness(store, { onError: (r) => reports.push(r) });
    await h.call("ring-session=k1", undefined);
    expect(h.seen).toEqual({ session: {}, sessionKey: undefined });
    expect(reports).toEqual([
      { kind: "invalid-session", reason: "the store returned data that is not an object" },
    ]);
  });

  it("reuses request.cookies when an outer wrapCookies has parsed them", async () => {
    const store = mapStore();
    const key = store.writeSession(undefined, { a: 1 }) as string;
    const app = wrapSession((req) => ({ ...response(JSON.stringify(req.session)) }), { store });
    const res = (await app({ ...request(), cookies: { "ring-session": key } } as Request)) as Response;
    expect(res.body).toBe('{"a":1}');
    // Whatever another middleware put there, a value that is not a string is no key.
    const odd = (await app({
      ...request(),
      cookies: { "ring-session": 5 },
    } as unknown as Request)) as Response;
    expect(odd.body).toBe("{}");
  });

  it("reads only the session cookie among others, first one wins", async () => {
    const store = mapStore();
    const key = store.writeSession(undefined, { a: 1 }) as string;
    const h = harness(store);
    await h.call(`theme=dark; ring-session=${key}; ring-session=other`, undefined);
    expect(h.seen).toEqual({ session: { a: 1 }, sessionKey: key });
  });

  it("throws a TypeError for a response session that is not an object or null", async () => {
    const h = harness(mapStore());
    await expect(h.call(undefined, { session: [1] })).rejects.toThrow(
      /response.session must be an object.*an array/,
    );
    await expect(h.call(undefined, { session: "x" })).rejects.toThrow(/got string/);
    await expect(h.call(undefined, { session: undefined })).rejects.toThrow(/got undefined/);
  });
});

describe("wrapSession schema", () => {
  const schema = z.object({ count: z.number().int().nonnegative() });

  it("gives valid data (the schema's output) and treats invalid data as no session, reported", async () => {
    const store = mapStore();
    const good = store.writeSession(undefined, { count: 2 }) as string;
    const bad = store.writeSession(undefined, { count: "two" }) as string;
    const reports: SessionReport[] = [];
    const seen: unknown[] = [];
    const app = wrapSession(
      (req) => {
        expectTypeOf(req.session).toEqualTypeOf<Partial<{ count: number }>>();
        seen.push([req.session, req.sessionKey]);
        return response("ok");
      },
      { store, schema, onError: (r) => reports.push(r) },
    );
    await app(request(`ring-session=${good}`));
    await app(request(`ring-session=${bad}`));
    expect(seen).toEqual([
      [{ count: 2 }, good],
      [{}, undefined],
    ]);
    expect(reports).toEqual([
      { kind: "invalid-session", reason: expect.stringMatching(/^session\.count: /) },
    ]);
  });

  it("logs invalid sessions by default", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const store = mapStore();
    const bad = store.writeSession(undefined, { count: -1 }) as string;
    const app = wrapSession(() => response("ok"), { store, schema });
    await app(request(`ring-session=${bad}`));
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]![0])).toMatch(/invalid-session: session\.count/);
  });

  it("applies the schema's transforms", async () => {
    const store = mapStore();
    const key = store.writeSession(undefined, { n: "5" }) as string;
    let seen: unknown;
    const app = wrapSession(
      (req) => {
        seen = req.session.n;
        return response("ok");
      },
      { store, schema: z.object({ n: z.coerce.number() }) },
    );
    await app(request(`ring-session=${key}`));
    expect(seen).toBe(5);
  });
});

describe("wrapSession options", () => {
  const handler = () => response("x");
  const cases: [string, unknown, RegExp][] = [
    ["a store without methods", { store: {} }, /wrapSession: option "store": must be a SessionStore/],
    ["a bad cookie name", { cookieName: "a b" }, /option "cookieName": must be an RFC 6265 cookie name/],
    ["a relative root", { root: "app" }, /option "root": must start with "\/"/],
    ["an unknown option", { cookie: {} }, /wrapSession: unknown option "cookie"/],
    ["an unknown cookie attribute", { cookieAttrs: { maxage: 1 } }, /unknown option "cookieAttrs.maxage"/],
    [
      "a bad sameSite",
      { cookieAttrs: { sameSite: "loose" } },
      /option "cookieAttrs.sameSite": must be "strict"/,
    ],
    [
      "sameSite none without secure",
      { cookieAttrs: { sameSite: "none" } },
      /option "cookieAttrs": .*requires secure/,
    ],
    ["a bad path", { cookieAttrs: { path: "/a;b" } }, /option "cookieAttrs": Cookie "ring-session": path/],
    [
      "a __Host- name without secure",
      { cookieName: "__Host-s" },
      /option "cookieAttrs": .*secure must be true/,
    ],
    ["a schema that is not one", { schema: {} }, /option "schema": must be a zod schema/],
    ["an onError that is not a function", { onError: "log" }, /option "onError": must be a function/],
    [
      "an unknown onConflict",
      { onConflict: "last" },
      /option "onConflict": must be "merge", "retry" or "reject"/,
    ],
    ["a maxAttempts of 0", { maxAttempts: 0 }, /option "maxAttempts": must be a positive integer/],
    ["a fractional maxAttempts", { maxAttempts: 1.5 }, /option "maxAttempts": must be a positive integer/],
    [
      '"retry" with a store that has no versions',
      { onConflict: "retry", store: { readSession() {}, writeSession: () => "k", deleteSession() {} } },
      /option "onConflict": "retry" needs a versioned store/,
    ],
    [
      '"reject" with the cookie store',
      { onConflict: "reject", store: cookieStore({ secret }) },
      /option "onConflict": "reject" needs a versioned store/,
    ],
    ["options that are not an object", "x", /wrapSession: options must be an object/],
  ];
  for (const [what, options, message] of cases) {
    it(`throws at construction for ${what}`, () => {
      expect(() => wrapSession(handler, options as SessionOptions)).toThrow(TypeError);
      expect(() => wrapSession(handler, options as SessionOptions)).toThrow(message);
    });
  }

  it("accepts a __Host- cookie with secure and the default path", async () => {
    const h = harness(mapStore(), { cookieName: "__Host-s", cookieAttrs: { secure: true } });
    const res = await h.call(undefined, { session: {} });
    expect(setCookies(res)).toEqual(["__Host-s=k1; Path=/; HttpOnly; Secure; SameSite=Lax"]);
  });

  it("uses a new memory store by default", async () => {
    const app = wrapSession<{ n?: number }>((req) => ({
      ...response(String(req.session.n ?? 0)),
      session: { n: 1 },
    }));
    const first = (await app(request())) as Response;
    expect(keyOf(first)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = (await app(request(`ring-session=${keyOf(first)}`))) as Response;
    expect(second.body).toBe("1");
  });
});

describe("sessionRequest and sessionResponse", () => {
  it("work as halves with one config from sessionConfig, validated once", async () => {
    let reads = 0;
    const config = sessionConfig({
      store: mapStore(),
      get cookieName() {
        reads++;
        return "sid";
      },
    });
    const req = await sessionRequest(request(), config);
    expect(req.session).toEqual({});
    const res = await sessionResponse({ ...response("x"), session: { a: 1 } }, req, config);
    expect(res).toEqual({
      status: 200,
      headers: { "set-cookie": "sid=k1; Path=/; HttpOnly; SameSite=Lax" },
      body: "x",
    });
    const again = await sessionRequest(request("sid=k1"), config);
    expect(again).toMatchObject({ session: { a: 1 }, sessionKey: "k1" });
    expect(reads).toBe(1);
  });

  it("sessionConfig names a bad option", () => {
    expect(() => sessionConfig({ root: "x" })).toThrow(/^sessionConfig: option "root": must start with "\/"/);
  });

  it("refuse a plain options object in place of a config, saying how to make one", () => {
    const options = { store: mapStore() } as unknown as SessionConfig;
    expect(() => sessionRequest(request(), options)).toThrow(
      /^sessionRequest: the second argument must come from sessionConfig\(options\), got an object/,
    );
    expect(() => sessionResponse(response("x"), request(), options)).toThrow(
      /^sessionResponse: .*sessionConfig/,
    );
  });

  it("share a default memory store when given no config", async () => {
    const res = (await sessionResponse(
      { ...response("x"), session: { a: 1 } },
      await sessionRequest(request()),
    )) as Response;
    const req = await sessionRequest(request(`ring-session=${keyOf(res)}`));
    expect(req.session).toEqual({ a: 1 });
  });

  it("sessionResponse passes a missing response through", () => {
    expect(sessionResponse(undefined, request())).toBeUndefined();
  });
});

describe("wrapSession types", () => {
  it("types the issue's counter with a typed handler", () => {
    const handler: SessionHandler<{ count?: number }> = (req) => {
      const count = req.session.count ?? 0;
      return {
        ...response(`You accessed this page ${count} times.`),
        session: { ...req.session, count: count + 1 },
      };
    };
    const app = wrapSession(handler);
    expectTypeOf(app).toEqualTypeOf<(request: Request) => Response | Promise<Response>>();
  });

  it("types the issue's counter written inline, with no annotation at all", () => {
    const secret = new Uint8Array(32);
    // The "user's view" of issue 3, as written, inline: the session is untyped (any value under any key).
    const app = wrapSession((req) => {
      const count = req.session.count ?? 0;
      return {
        ...response(`You accessed this page ${count} times.`),
        session: { ...req.session, count: count + 1 },
      };
    });
    expectTypeOf(app).toEqualTypeOf<(request: Request) => Response | Promise<Response>>();
    const handler: SessionHandler = (req) => {
      expectTypeOf(req.session).toEqualTypeOf<Partial<UntypedSession>>();
      const count = req.session.count ?? 0;
      return {
        ...response(`You accessed this page ${count} times.`),
        session: { ...req.session, count: count + 1 },
      };
    };
    const app2 = wrapSession(handler, { store: cookieStore({ secret }) });
    expectTypeOf(app2).toEqualTypeOf<(request: Request) => Response | Promise<Response>>();
    const typed: SessionHandler<{ count?: number }> = (req) => ({
      ...response(String(req.session.count ?? 0)),
      session: { count: 1 },
    });
    wrapSession(typed, { store: cookieStore({ secret }) });
    wrapSession(typed, { store: memoryStore() });
  });

  it("infers the session type from a schema for an inline handler", () => {
    wrapSession(
      (req) => {
        expectTypeOf(req.session).toEqualTypeOf<Partial<{ count?: number | undefined }>>();
        expectTypeOf(req.sessionKey).toEqualTypeOf<string | undefined>();
        const count = req.session.count ?? 0;
        return { ...response(`n=${count}`), session: { count: count + 1 } };
      },
      { schema: z.object({ count: z.number().optional() }) },
    );
  });

  it("rejects a response session of the wrong type", () => {
    // @ts-expect-error count must be a number (reported at the call: wrapSession is overloaded)
    wrapSession<{ count?: number }>(() => ({ ...response("n"), session: { count: "x" } }));
  });

  it("keeps extra request keys of an outer middleware in the wrapped handler's input", () => {
    type Inner = Request & { params: Record<string, string> } & SessionRequestKeys;
    const app = wrapSession((req: Inner) => response(req.params.x ?? ""));
    expectTypeOf(app).parameter(0).toEqualTypeOf<Omit<Inner, "session" | "sessionKey"> & Request>();
    expectTypeOf(app).parameter(0).toHaveProperty("params");
    expectTypeOf(app).parameter(0).not.toHaveProperty("session");
  });
});
