import fc from "fast-check";
import { CookieJar } from "tough-cookie";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { compose } from "../../src/core/compose.js";
import { notFound, response } from "../../src/core/response.js";
import type { Handler, Request, Response } from "../../src/core/types.js";
import { type Params, type ParamsRequestKeys, wrapParams } from "../../src/middleware/params.js";
import {
  ANTI_FORGERY_FIELD,
  ANTI_FORGERY_SESSION_KEY,
  type AntiForgeryFailure,
  type AntiForgeryOptions,
  antiForgeryCheck,
  antiForgeryConfig,
  antiForgeryField,
  antiForgeryRequest,
  antiForgeryResponse,
  wrapAntiForgery,
} from "../../src/session/anti-forgery.js";
import { cookieStore } from "../../src/session/cookie-store/cookie-store.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionData, SessionStore } from "../../src/session/store.js";
import { type UntypedSession, wrapSession } from "../../src/session/wrap-session.js";
import { createClient } from "../../src/testing/client.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const TOKEN = /^[A-Za-z0-9_-]{86}$/;

function setCookies(res: { headers: Readonly<Record<string, string | readonly string[]>> }): string[] {
  const value = res.headers["set-cookie"];
  return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
}

/** A store that counts its writes, around a real one. */
function counting(store: SessionStore) {
  const counts = { writes: 0 };
  const wrapped: SessionStore = {
    readSession: (key, context) => store.readSession(key, context),
    writeSession: (key, data) => {
      counts.writes++;
      return store.writeSession(key, data);
    },
    deleteSession: (key) => store.deleteSession(key),
  };
  return { store: wrapped, inner: store, counts };
}

const stores = [
  { name: "memoryStore", make: () => memoryStore({ sweepInterval: 0 }) },
  { name: "cookieStore", make: () => cookieStore({ secret: new Uint8Array(32).fill(9) }) },
];

/** The application every rule is tried on: one path per kind of handler. */
function handler(req: Request & { session: SessionData; antiForgeryToken: string }): Response & {
  session?: SessionData | null;
  recreateSession?: boolean;
} {
  switch (req.uri) {
    case "/token":
      return response(req.antiForgeryToken);
    case "/form":
      return { status: 200, headers: { "content-type": "text/html" }, body: antiForgeryField(req) };
    case "/count": {
      const count = Number(req.session.count ?? 0);
      return { ...response(`count=${count}`), session: { ...req.session, count: count + 1 } };
    }
    case "/token-and-count":
      return { ...response(req.antiForgeryToken), session: { ...req.session, count: 1 } };
    case "/fresh":
      return { ...response("fresh"), session: { user: "bob" } };
    case "/login":
      return { ...response("in"), session: { ...req.session, user: "ann" }, recreateSession: true };
    case "/login-fresh":
      return { ...response("in"), session: { user: "ann" }, recreateSession: true };
    case "/logout":
      return { ...response("bye"), session: null };
    case "/session":
      return { ...response(JSON.stringify(req.session)) };
    default:
      return response("plain");
  }
}

function setup(make: () => SessionStore, options: AntiForgeryOptions = {}, baseUrl = "http://localhost") {
  const { store, inner, counts } = counting(make());
  const failures: AntiForgeryFailure[] = [];
  const withLog: AntiForgeryOptions =
    options.errorResponse !== undefined || options.errorHandler !== undefined
      ? options
      : {
          ...options,
          errorHandler: (_request, failure) => {
            failures.push(failure);
            return {
              status: 403,
              headers: { "content-type": "text/plain; charset=utf-8" },
              body: "Invalid anti-forgery token",
            };
          },
        };
  const app = wrapSession(wrapParams(wrapAntiForgery(handler as Handler<any, any>, withLog)), { store });
  const client = createClient(app, { baseUrl });
  const sessionData = async (): Promise<SessionData | undefined> => {
    const key = client.cookie("ring-session");
    return key === undefined ? undefined : ((await inner.readSession(key)) ?? undefined);
  };
  return { client, counts, failures, sessionData, store: inner };
}

for (const { name, make } of stores) {
  describe(`wrapAntiForgery with ${name}`, () => {
    it("lets GET, HEAD, OPTIONS and TRACE through without a token", async () => {
      const { client } = setup(make);
      for (const method of ["GET", "HEAD", "OPTIONS", "TRACE"]) {
        expect((await client.request(method, "/plain")).status).toBe(200);
      }
    });

    it("refuses every other method without a token: 403 Invalid anti-forgery token (the default response)", async () => {
      const app = wrapSession(wrapParams(wrapAntiForgery(handler as Handler<any, any>)), { store: make() });
      const client = createClient(app);
      await client.get("/token");
      for (const method of ["POST", "PUT", "PATCH", "DELETE", "PROPFIND", "get"]) {
        const res = await client.request(method, "/plain");
        expect(res.status).toBe(403);
        expect(res.body).toBe("Invalid anti-forgery token");
        expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
      }
    });

    it("accepts the token from the form field, the x-csrf-token header or the x-xsrf-token header", async () => {
      const { client } = setup(make);
      const token = (await client.get("/token")).body;
      expect(token).toMatch(TOKEN);
      expect((await client.post("/plain", { form: { [ANTI_FORGERY_FIELD]: token } })).status).toBe(200);
      expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(200);
      expect((await client.post("/plain", { headers: { "x-xsrf-token": token } })).status).toBe(200);
      expect((await client.delete("/plain", { headers: { "x-csrf-token": token } })).status).toBe(200);
    });

    it("reads the form field first, then x-csrf-token, then x-xsrf-token", async () => {
      const { client, failures } = setup(make);
      const token = (await client.get("/token")).body;
      const bad = "A".repeat(86);
      const formFirst = await client.post("/plain", {
        form: { [ANTI_FORGERY_FIELD]: bad },
        headers: { "x-csrf-token": token },
      });
      expect(formFirst.status).toBe(403);
      const csrfFirst = await client.post("/plain", {
        headers: { "x-csrf-token": bad, "x-xsrf-token": token },
      });
      expect(csrfFirst.status).toBe(403);
      expect(failures.map((f) => f.kind)).toEqual(["invalid-token", "invalid-token"]);
      // A repeated field is no token; the header after it is then used.
      const repeated = await client.post("/plain", {
        form: { [ANTI_FORGERY_FIELD]: [token, token] },
        headers: { "x-csrf-token": token },
      });
      expect(repeated.status).toBe(200);
    });

    it("readToken replaces the default order", async () => {
      const { client } = setup(make, { readToken: (request) => request.headers["x-my-token"] });
      const token = (await client.get("/token")).body;
      expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(403);
      expect((await client.post("/plain", { headers: { "x-my-token": token } })).status).toBe(200);
    });

    it("masks each token afresh: every page gets another string, and all of them validate", async () => {
      const { client } = setup(make);
      const tokens = [];
      for (let i = 0; i < 5; i++) tokens.push((await client.get("/token")).body);
      expect(new Set(tokens).size).toBe(5);
      for (const token of tokens) {
        expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(200);
      }
    });

    it("keeps the secret in the session under ANTI_FORGERY_SESSION_KEY, the same for the session's life", async () => {
      const { client, sessionData } = setup(make);
      await client.get("/token");
      const secret = (await sessionData())?.[ANTI_FORGERY_SESSION_KEY];
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await client.get("/count");
      await client.get("/token");
      await client.post("/count", { headers: { "x-csrf-token": (await client.get("/token")).body } });
      expect(await sessionData()).toEqual({ count: 2, [ANTI_FORGERY_SESSION_KEY]: secret });
      // The token is the secret masked, never the secret itself.
      expect((await client.get("/token")).body).not.toContain(secret);
    });

    it("creates no secret and writes no session for a handler that never reads the token", async () => {
      const { client, counts } = setup(make);
      const res = await client.get("/plain");
      expect(res.headers["set-cookie"]).toBeUndefined();
      expect(counts.writes).toBe(0);
      expect(client.cookies()).toEqual([]);
    });

    it("creates the secret on the first read of the token and writes it once", async () => {
      const { client, counts, sessionData } = setup(make);
      const first = await client.get("/token");
      expect(setCookies(first)).toHaveLength(1);
      expect(counts.writes).toBe(1);
      expect(Object.keys((await sessionData()) ?? {})).toEqual([ANTI_FORGERY_SESSION_KEY]);
      // The session holds the secret now: no store write, no Set-Cookie.
      const second = await client.get("/token");
      expect(second.headers["set-cookie"]).toBeUndefined();
      expect(counts.writes).toBe(1);
      const post = await client.post("/plain", { headers: { "x-csrf-token": second.body } });
      expect(post.status).toBe(200);
      expect(post.headers["set-cookie"]).toBeUndefined();
      expect(counts.writes).toBe(1);
    });

    it("keeps the handler's own session and adds the new secret to it", async () => {
      const { client, sessionData, counts } = setup(make);
      const token = (await client.get("/token-and-count")).body;
      expect(counts.writes).toBe(1);
      expect(await sessionData()).toMatchObject({ count: 1 });
      expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(200);
    });

    it("adds the held secret to a session the handler writes from scratch, so earlier tokens stay valid", async () => {
      const { client, sessionData } = setup(make);
      const token = (await client.get("/token")).body;
      const secret = (await sessionData())?.[ANTI_FORGERY_SESSION_KEY];
      expect((await client.post("/fresh", { headers: { "x-csrf-token": token } })).status).toBe(200);
      expect(await sessionData()).toEqual({ user: "bob", [ANTI_FORGERY_SESSION_KEY]: secret });
      expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(200);
    });

    it("leaves a handler's own value under the key alone (a handler may rotate the secret)", async () => {
      const store = make();
      const chosen = `${"B".repeat(42)}A`;
      const app = wrapSession(
        wrapAntiForgery((req) =>
          req.uri === "/rotate"
            ? { ...response("rotated"), session: { [ANTI_FORGERY_SESSION_KEY]: chosen } }
            : response(req.antiForgeryToken),
        ),
        { store },
      );
      const client = createClient(app);
      const old = (await client.get("/")).body;
      expect((await client.post("/rotate", { headers: { "x-csrf-token": old } })).status).toBe(200);
      expect(await store.readSession(client.cookie("ring-session")!)).toEqual({
        [ANTI_FORGERY_SESSION_KEY]: chosen,
      });
      expect((await client.post("/", { headers: { "x-csrf-token": old } })).status).toBe(403);
      const fresh = (await client.get("/")).body;
      expect((await client.post("/", { headers: { "x-csrf-token": fresh } })).status).toBe(200);
    });

    it("survives recreateSession: a new session key, the same secret, old tokens still valid", async () => {
      for (const path of ["/login", "/login-fresh"]) {
        const { client, sessionData } = setup(make);
        const token = (await client.get("/token")).body;
        const before = client.cookie("ring-session");
        const secret = (await sessionData())?.[ANTI_FORGERY_SESSION_KEY];
        expect((await client.post(path, { headers: { "x-csrf-token": token } })).status).toBe(200);
        expect(client.cookie("ring-session")).not.toBe(before);
        expect(await sessionData()).toEqual({ user: "ann", [ANTI_FORGERY_SESSION_KEY]: secret });
        expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(200);
      }
    });

    it("leaves session: null (logout) alone: the session and its secret are gone, old tokens are refused", async () => {
      const { client, failures, counts } = setup(make);
      const token = (await client.get("/token")).body;
      const bye = await client.post("/logout", { headers: { "x-csrf-token": token } });
      expect(bye.status).toBe(200);
      expect(setCookies(bye)).toEqual([expect.stringMatching(/^ring-session=; .*Max-Age=0/)]);
      expect(client.cookies()).toEqual([]);
      expect(counts.writes).toBe(1);
      expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(403);
      expect(failures.map((f) => f.kind)).toEqual(["no-secret"]);
      // The next form starts a new secret, and the old token does not validate against it.
      const next = (await client.get("/token")).body;
      expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(403);
      expect((await client.post("/plain", { headers: { "x-csrf-token": next } })).status).toBe(200);
    });

    it("treats a malformed secret in the session as none: a new one is made when a token is read", async () => {
      for (const held of [`${"B".repeat(43)}`, "short", 42, null, { a: 1 }]) {
        const store = make();
        const app = wrapSession(
          wrapAntiForgery((req) =>
            req.uri === "/set"
              ? { ...response("set"), session: { [ANTI_FORGERY_SESSION_KEY]: held } }
              : response(req.antiForgeryToken),
          ),
          { store },
        );
        const client = createClient(app);
        await client.get("/set");
        const res = await client.get("/");
        expect(res.status).toBe(200);
        const secret = (await store.readSession(client.cookie("ring-session")!))?.[ANTI_FORGERY_SESSION_KEY];
        expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect((await client.post("/", { headers: { "x-csrf-token": res.body } })).status).toBe(200);
      }
    });

    it("refuses a token from another session, and any token when the session has no secret", async () => {
      const { client, failures } = setup(make);
      const other = setup(make);
      const foreign = (await other.client.get("/token")).body;
      // No secret yet.
      expect((await client.post("/plain", { headers: { "x-csrf-token": foreign } })).status).toBe(403);
      await client.get("/token");
      expect((await client.post("/plain", { headers: { "x-csrf-token": foreign } })).status).toBe(403);
      expect(failures.map((f) => f.kind)).toEqual(["no-secret", "invalid-token"]);
    });

    it("refuses tampered tokens: every one-character change, truncation, extension, the bare secret", async () => {
      const { client, sessionData } = setup(make);
      const token = (await client.get("/token")).body;
      const secret = String((await sessionData())?.[ANTI_FORGERY_SESSION_KEY]);
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const tampered = new Set<string>([
        token.slice(0, -1),
        `${token}A`,
        token.slice(43),
        token.slice(0, 43),
        secret,
        `${secret}${secret}`, // the secret as its own mask: the masked half would have to be all "A"
        `${secret}${"A".repeat(43)}`.replace(/^./, (c) => (c === "B" ? "C" : "B")),
        `${token.slice(0, 43)}${secret}`, // the real mask, the secret unmasked
        token.toUpperCase(),
        `${token.slice(0, 10)}=${token.slice(11)}`,
        "",
        " ",
      ]);
      for (let i = 0; i < token.length; i += 5) {
        const c = alphabet[(alphabet.indexOf(token[i]!) + 1 + i) % 64]!;
        tampered.add(token.slice(0, i) + c + token.slice(i + 1));
      }
      tampered.delete(token);
      for (const bad of tampered) {
        const res = await client.post("/plain", { headers: { "x-csrf-token": bad } });
        expect(res.status, bad).toBe(403);
      }
      expect((await client.post("/plain", { headers: { "x-csrf-token": token } })).status).toBe(200);
    });

    it("refuses, before the token, Sec-Fetch-Site: cross-site and a foreign or null Origin", async () => {
      const { client, failures } = setup(make);
      const token = (await client.get("/token")).body;
      const post = (headers: Record<string, string>) =>
        client.post("/plain", { headers: { "x-csrf-token": token, ...headers } });
      expect((await post({ "sec-fetch-site": "cross-site" })).status).toBe(403);
      expect((await post({ origin: "http://evil.example" })).status).toBe(403);
      expect((await post({ origin: "null" })).status).toBe(403);
      expect((await post({ origin: "https://localhost" })).status).toBe(403);
      expect((await post({ origin: "http://localhost:80" })).status).toBe(403);
      expect((await post({ origin: "http://localhost.evil.example" })).status).toBe(403);
      expect(failures.map((f) => f.kind)).toEqual([
        "cross-site",
        "cross-origin",
        "cross-origin",
        "cross-origin",
        "cross-origin",
        "cross-origin",
      ]);
      // The origin is checked first: a request without a token is refused for its origin.
      await client.post("/plain", { headers: { origin: "http://evil.example" } });
      expect(failures.at(-1)?.kind).toBe("cross-origin");
      // Its own origin (the default port left out), same-origin and same-site requests go on to the token.
      expect((await post({ origin: "http://localhost" })).status).toBe(200);
      expect((await post({ origin: "HTTP://LOCALHOST" })).status).toBe(200);
      expect((await post({ "sec-fetch-site": "same-origin", origin: "http://localhost" })).status).toBe(200);
      expect((await post({ "sec-fetch-site": "same-site" })).status).toBe(200);
      expect((await post({ "sec-fetch-site": "none" })).status).toBe(200);
    });

    it("serialises its own origin with a non-default port, and for https without the default port", async () => {
      const plain = setup(make, {}, "http://localhost:8080");
      const token = (await plain.client.get("/token")).body;
      const post = (origin: string) =>
        plain.client.post("/plain", { headers: { "x-csrf-token": token, origin } });
      expect((await post("http://localhost:8080")).status).toBe(200);
      expect((await post("http://localhost")).status).toBe(403);

      const secure = setup(make, {}, "https://example.com");
      const t2 = (await secure.client.get("/token")).body;
      const post2 = (origin: string) =>
        secure.client.post("/plain", { headers: { "x-csrf-token": t2, origin } });
      expect((await post2("https://example.com")).status).toBe(200);
      expect((await post2("https://example.com:443")).status).toBe(403);
      expect((await post2("http://example.com")).status).toBe(403);
    });

    it("serialises an IPv6 literal with its brackets", async () => {
      const { client } = setup(make, {}, "http://[::1]:8080");
      const token = (await client.get("/token")).body;
      const post = (origin: string) => client.post("/plain", { headers: { "x-csrf-token": token, origin } });
      expect((await post("http://[::1]:8080")).status).toBe(200);
      expect((await post("http://::1:8080")).status).toBe(403);
    });

    it("trustedOrigins lets other origins through to the token check", async () => {
      const { client } = setup(make, { trustedOrigins: ["https://app.example.com"] });
      const token = (await client.get("/token")).body;
      const post = (headers: Record<string, string>) => client.post("/plain", { headers });
      expect((await post({ origin: "https://app.example.com", "x-csrf-token": token })).status).toBe(200);
      expect((await post({ origin: "https://app.example.com" })).status).toBe(403);
      expect((await post({ origin: "https://other.example.com", "x-csrf-token": token })).status).toBe(403);
    });

    it("errorResponse replaces the 403", async () => {
      const custom = { status: 419, headers: {}, body: "expired" };
      const { client } = setup(make, { errorResponse: custom });
      const res = await client.post("/plain");
      expect([res.status, res.body]).toEqual([419, "expired"]);
    });

    it("errorHandler builds the response, asynchronously too, with the request and the failure", async () => {
      const seen: Array<[string, string]> = [];
      const { client } = setup(make, {
        errorHandler: async (request, failure) => {
          seen.push([request.uri, failure.kind]);
          return { status: 400, headers: {}, body: failure.reason };
        },
      });
      const res = await client.post("/x");
      expect([res.status, res.body]).toEqual([400, "the request carries no anti-forgery token"]);
      expect(seen).toEqual([["/x", "missing-token"]]);
    });

    it("the cookie store seals the secret: it is nowhere in the cookie", async () => {
      const { client, sessionData } = setup(make);
      await client.get("/token");
      const secret = String((await sessionData())?.[ANTI_FORGERY_SESSION_KEY]);
      expect(client.cookie("ring-session")).not.toContain(secret);
    });

    it("works with an asynchronous handler", async () => {
      const app = wrapSession(
        wrapAntiForgery(async (req) => response(req.method === "GET" ? req.antiForgeryToken : "ok")),
        { store: make() },
      );
      const client = createClient(app);
      const token = (await client.get("/")).body;
      expect((await client.post("/", { headers: { "x-csrf-token": token } })).body).toBe("ok");
    });
  });
}

describe("wrapAntiForgery options and programming errors", () => {
  const ok = () => response("ok");

  it("refuses errorResponse and errorHandler together at construction", () => {
    expect(() =>
      wrapAntiForgery(ok, { errorResponse: response("no"), errorHandler: () => response("no") }),
    ).toThrow('wrapAntiForgery: give option "errorResponse" or option "errorHandler", not both');
    expect(() =>
      antiForgeryConfig({ errorResponse: response("no"), errorHandler: () => response("no") }),
    ).toThrow(/antiForgeryConfig: give option/);
  });

  it("names a bad option", () => {
    expect(() => wrapAntiForgery(ok, { readToken: "x-token" } as never)).toThrow(
      /wrapAntiForgery: option "readToken": must be a function/,
    );
    for (const bad of [
      "https://example.com/",
      "example.com",
      "https://Example.com",
      "ftp://example.com",
      "null",
    ]) {
      expect(() => wrapAntiForgery(ok, { trustedOrigins: [bad] }), bad).toThrow(
        /wrapAntiForgery: option "trustedOrigins.0": must be an origin/,
      );
    }
    expect(() => wrapAntiForgery(ok, { errorResponse: "no" } as never)).toThrow(/option "errorResponse"/);
    expect(() => wrapAntiForgery(ok, { errorHandler: 1 } as never)).toThrow(/option "errorHandler"/);
    expect(() => wrapAntiForgery(ok, { safeHeader: "x" } as never)).toThrow(
      'wrapAntiForgery: unknown option "safeHeader"',
    );
    expect(() => wrapAntiForgery(42 as never)).toThrow(
      /wrapAntiForgery: the first argument must be a handler/,
    );
  });

  it("throws when wrapSession is not outside it", () => {
    const app = wrapAntiForgery(ok);
    expect(() => app(mockRequest("GET", "/") as never)).toThrow(/wrapSession must sit outside/);
  });

  it("is typed and composes: compose(wrapSession<S>(options), wrapParams, wrapAntiForgery(options))", async () => {
    type Counter = { count?: number };
    const app = compose(
      wrapSession<Counter>({ store: memoryStore({ sweepInterval: 0 }) }),
      wrapParams,
      wrapAntiForgery({ trustedOrigins: ["https://app.example.com"] }),
    )((req) => {
      expectTypeOf(req.antiForgeryToken).toEqualTypeOf<string>();
      expectTypeOf(req.session.count).toEqualTypeOf<number | undefined>();
      expectTypeOf(req.formParams).toEqualTypeOf<Params>();
      const count = req.session.count ?? 0;
      return { ...response(req.antiForgeryToken), session: { count: count + 1 } };
    });
    const client = createClient(app);
    const token = (await client.get("/")).body;
    expect(token).toMatch(TOKEN);
    expect((await client.post("/", { form: { [ANTI_FORGERY_FIELD]: token } })).status).toBe(200);
    expect((await client.post("/", { headers: { origin: "https://app.example.com" } })).status).toBe(403);
    // Nested calls type the handler as well.
    wrapSession(
      wrapAntiForgery((req) => {
        expectTypeOf(req.antiForgeryToken).toEqualTypeOf<string>();
        return response(req.antiForgeryToken);
      }),
    );
    // @ts-expect-error: without wrapAntiForgery there is no token on the request.
    wrapSession((req) => response(req.antiForgeryToken));
    expect(() => wrapAntiForgery("x" as never)).toThrow(
      /wrapAntiForgery: the first argument must be a handler/,
    );
    expect(() => wrapAntiForgery({ trustedOrigins: ["nope"] })).toThrow(/option "trustedOrigins.0"/);
  });

  it("antiForgeryField gives the hidden input, HTML-escaped", () => {
    const field = antiForgeryField({ antiForgeryToken: "abc" });
    expect(field).toBe('<input type="hidden" name="__anti-forgery-token" value="abc">');
    expect(antiForgeryField({ antiForgeryToken: `"><script>&'` })).toBe(
      '<input type="hidden" name="__anti-forgery-token" value="&quot;&gt;&lt;script&gt;&amp;&#39;">',
    );
  });

  it("the halves: check, request, response, with a compiled config", async () => {
    const config = antiForgeryConfig({ trustedOrigins: ["https://app.example.com"] });
    const get = antiForgeryRequest(
      { ...mockRequest("GET", "/"), session: {}, sessionKey: undefined },
      config,
    );
    expect(antiForgeryCheck(get, config)).toBeUndefined();
    const token = get.antiForgeryToken;
    expect(get.antiForgeryToken).toBe(token); // one token per request
    const written = antiForgeryResponse(response("page"), get, config);
    const secret = written?.session?.[ANTI_FORGERY_SESSION_KEY];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const session = { [ANTI_FORGERY_SESSION_KEY]: secret };
    const post = (headers: Record<string, string>) => ({
      ...mockRequest("POST", "/", { headers }),
      session,
      sessionKey: "k",
    });
    expect(antiForgeryCheck(post({ "x-csrf-token": token }), config)).toBeUndefined();
    expect(antiForgeryCheck(post({ "x-csrf-token": token, origin: "https://app.example.com" }), config)).toBe(
      undefined,
    );
    const refused = (await antiForgeryCheck(post({}), config)) as Response;
    expect(refused.status).toBe(403);
    // The session held the secret and the handler wrote nothing: the response is the handler's, untouched.
    const again = antiForgeryRequest(post({}), config);
    void again.antiForgeryToken;
    const page = response("page");
    expect(antiForgeryResponse(page, again, config)).toBe(page);
    expect(antiForgeryResponse(null, again, config)).toBeNull();
    expect(() => antiForgeryCheck(post({}), {} as never)).toThrow(/must come from antiForgeryConfig/);
  });

  it("property: no string that is not a token of this session passes, and every token of it does", () => {
    const config = antiForgeryConfig();
    const get = antiForgeryRequest({ ...mockRequest("GET", "/"), session: {}, sessionKey: undefined });
    void get.antiForgeryToken;
    const secret = antiForgeryResponse(response(""), get)?.session?.[ANTI_FORGERY_SESSION_KEY];
    const session = { [ANTI_FORGERY_SESSION_KEY]: secret };
    const passes = (token: string) =>
      antiForgeryCheck(
        { ...mockRequest("POST", "/"), headers: { "x-csrf-token": token }, session, sessionKey: "k" },
        config,
      ) === undefined;
    const page = () =>
      antiForgeryRequest({ ...mockRequest("GET", "/"), session, sessionKey: "k" }).antiForgeryToken;
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii", maxLength: 100 }), (text) => {
        expect(passes(text)).toBe(false);
      }),
    );
    // Any change of one bit of a valid token makes it invalid (mask and masked half alike): each of its 86
    // base64url characters carries 6 bits.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86 * 6 - 1 }), (bit) => {
        const token = page();
        expect(passes(token)).toBe(true);
        const at = Math.floor(bit / 6);
        const flipped = alphabet[alphabet.indexOf(token[at]!) ^ (1 << (bit % 6))]!;
        expect(passes(token.slice(0, at) + flipped + token.slice(at + 1))).toBe(false);
      }),
    );
  });
});

/** One step of a browser session in the model-based test. */
type Step =
  | { kind: "get" }
  | { kind: "post-last" }
  | { kind: "post-old"; index: number }
  | { kind: "post-foreign" }
  | { kind: "post-none" }
  | { kind: "post-cross-site" }
  | { kind: "login"; keepData: boolean }
  | { kind: "logout" };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.constant({ kind: "get" as const }), weight: 3 },
  { arbitrary: fc.constant({ kind: "post-last" as const }), weight: 3 },
  fc.record({ kind: fc.constant("post-old" as const), index: fc.nat() }),
  fc.constant({ kind: "post-foreign" as const }),
  fc.constant({ kind: "post-none" as const }),
  fc.constant({ kind: "post-cross-site" as const }),
  fc.record({ kind: fc.constant("login" as const), keepData: fc.boolean() }),
  fc.constant({ kind: "logout" as const }),
);

/** The model: which tokens must pass. A token is good while the secret it was made from is the session's. */
interface Model {
  /** Bumped each time a new secret is made (the first form of a session without one). */
  epoch: number;
  hasSecret: boolean;
  tokens: Array<{ token: string; epoch: number }>;
}

/** The application of the model test: a form page, a save that writes the session, login and logout. */
const modelApp = (store: SessionStore) =>
  wrapSession(
    wrapParams(
      wrapAntiForgery<UntypedSession, Request & ParamsRequestKeys>((req) => {
        switch (req.uri) {
          case "/form":
            return {
              status: 200,
              headers: { "content-type": "text/html; charset=utf-8" },
              body: `<form method="post" action="/save">${antiForgeryField(req)}</form>`,
            };
          case "/save": {
            const saves = Number(req.session.saves ?? 0) + 1;
            return { ...response(`saved ${saves}`), session: { ...req.session, saves } };
          }
          case "/login":
            return {
              ...response("in"),
              session: req.formParams.keep === "1" ? { ...req.session, user: "ann" } : { user: "ann" },
              recreateSession: true,
            };
          case "/logout":
            return { ...response("out"), session: null };
          default:
            return notFound("");
        }
      }),
    ),
    { store },
  );

/** A browser-like client over real HTTP: a tough-cookie jar, and Origin on POSTs as a browser sends it. */
function browser(base: string) {
  const jar = new CookieJar();
  const origin = new URL(base).origin;
  const send = async (method: string, path: string, form?: Record<string, string>, from = origin) => {
    const url = new URL(path, base).href;
    const headers: Record<string, string> = {};
    const cookie = jar.getCookieStringSync(url);
    if (cookie) headers.cookie = cookie;
    if (method === "POST") {
      headers.origin = from;
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(url, {
      method,
      headers,
      body: form === undefined ? undefined : new URLSearchParams(form).toString(),
    });
    for (const line of res.headers.getSetCookie()) jar.setCookieSync(line, url);
    return { status: res.status, body: await res.text() };
  };
  return { jar, send };
}

const tokenIn = (html: string): string => {
  const match = /name="__anti-forgery-token" value="([^"]+)"/.exec(html);
  if (match === null) throw new Error(`no token in ${html}`);
  return match[1]!;
};

for (const { name, make } of stores) {
  describe(`wrapAntiForgery agrees with its model through the Node adapter (${name}, fast-check)`, () => {
    let server: RunningServer;
    let foreign: string;

    beforeAll(async () => {
      server = await serve(modelApp(make()), { port: 0 });
      foreign = tokenIn((await browser(server.url).send("GET", "/form")).body);
    });
    afterAll(async () => {
      await server?.close();
    });

    it("random sequences of GET, POST with the last, an old, a foreign or no token, login and logout", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 20 }), async (steps) => {
          const model: Model = { epoch: 0, hasSecret: false, tokens: [] };
          const client = browser(server.url);
          const good = (t: { epoch: number } | undefined) =>
            t !== undefined && model.hasSecret && t.epoch === model.epoch;
          const field = (t: { token: string } | undefined): Record<string, string> =>
            t === undefined ? {} : { [ANTI_FORGERY_FIELD]: t.token };
          for (const step of steps) {
            const last = model.tokens.at(-1);
            switch (step.kind) {
              case "get": {
                const res = await client.send("GET", "/form");
                expect(res.status).toBe(200);
                if (!model.hasSecret) {
                  model.epoch++;
                  model.hasSecret = true;
                }
                const token = tokenIn(res.body);
                expect(model.tokens.map((t) => t.token)).not.toContain(token);
                model.tokens.push({ token, epoch: model.epoch });
                break;
              }
              case "post-last":
              case "post-old": {
                const t =
                  step.kind === "post-last"
                    ? last
                    : model.tokens[step.index % Math.max(1, model.tokens.length)];
                const res = await client.send("POST", "/save", field(t));
                expect(res.status, JSON.stringify(step)).toBe(good(t) ? 200 : 403);
                break;
              }
              case "post-foreign":
                expect((await client.send("POST", "/save", { [ANTI_FORGERY_FIELD]: foreign })).status).toBe(
                  403,
                );
                break;
              case "post-none":
                expect((await client.send("POST", "/save", {})).status).toBe(403);
                break;
              case "post-cross-site": {
                const res = await client.send("POST", "/save", field(last), "http://evil.example");
                expect(res.status).toBe(403);
                break;
              }
              case "login": {
                const before = client.jar.getCookiesSync(server.url)[0]?.value;
                const res = await client.send("POST", "/login", {
                  ...field(last),
                  keep: step.keepData ? "1" : "0",
                });
                expect(res.status).toBe(good(last) ? 200 : 403);
                if (res.status === 200)
                  expect(client.jar.getCookiesSync(server.url)[0]?.value).not.toBe(before);
                break;
              }
              case "logout": {
                const res = await client.send("POST", "/logout", field(last));
                expect(res.status).toBe(good(last) ? 200 : 403);
                if (res.status === 200) {
                  model.hasSecret = false;
                  expect(client.jar.getCookiesSync(server.url)).toEqual([]);
                }
                break;
              }
            }
          }
        }),
        { numRuns: 40 },
      );
    });
  });
}

describe("the default readToken and multipart forms", () => {
  // A canonical 32-byte secret (43 base64url characters) and a token made from it.
  const secret = `Q${"A".repeat(42)}`;
  const session = { [ANTI_FORGERY_SESSION_KEY]: secret };
  const base = { ...mockRequest("POST", "/upload"), session, sessionKey: "k" };
  const token = antiForgeryRequest(base).antiForgeryToken;

  it("reads the field from multipartParams (wrapMultipartParams), as Ring reads :multipart-params", () => {
    expect(
      antiForgeryCheck({ ...base, multipartParams: { [ANTI_FORGERY_FIELD]: token } } as Request),
    ).toBeUndefined();
    expect(antiForgeryCheck(base)).not.toBeUndefined();
  });

  it("reads formParams first, and takes neither a repeated field nor a file for a token", () => {
    const bad = "A".repeat(86);
    const both = {
      ...base,
      formParams: { [ANTI_FORGERY_FIELD]: bad },
      multipartParams: { [ANTI_FORGERY_FIELD]: token },
    };
    expect(antiForgeryCheck(both as Request)).not.toBeUndefined();
    const file = { filename: "t.txt", contentType: "text/plain", size: 1, bytes: new Uint8Array(1) };
    for (const value of [[token, token], file]) {
      expect(
        antiForgeryCheck({ ...base, multipartParams: { [ANTI_FORGERY_FIELD]: value } } as Request),
      ).not.toBeUndefined();
    }
  });
});
