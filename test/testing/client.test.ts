import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { readText } from "../../src/core/body.js";
import { HttpError } from "../../src/core/http-error.js";
import { redirect, response } from "../../src/core/response.js";
import type { Request, Response } from "../../src/core/types.js";
import { wrapLint } from "../../src/middleware/lint.js";
import { cookieStore } from "../../src/session/cookie-store/cookie-store.js";
import { memoryStore } from "../../src/session/memory-store.js";
import { wrapSession } from "../../src/session/wrap-session.js";
import { createClient } from "../../src/testing/client.js";

/** A handler that answers with the given Set-Cookie lines and echoes the cookie header it received. */
function cookieSetter(lines: Record<string, string | string[]> = {}) {
  return (req: Request): Response => ({
    status: 200,
    headers: lines[req.uri] === undefined ? {} : { "set-cookie": lines[req.uri]! },
    body: req.headers.cookie ?? "",
  });
}

const quiet = { onError: () => {} };

describe("createClient: the request map", () => {
  it("builds a SPEC-valid request from the URL, resolving relative URLs against baseUrl", async () => {
    let seen: Request | undefined;
    const client = createClient(
      wrapLint((req) => {
        seen = req;
        return response("ok");
      }),
      { baseUrl: "https://shop.example.test:8443/app/", headers: { "X-Default": "1" } },
    );
    const res = await client.get("items?id=7", { headers: { accept: "text/plain" } });
    expect(res.status).toBe(200);
    expect(res.url).toBe("https://shop.example.test:8443/app/items?id=7");
    expect(seen).toMatchObject({
      method: "GET",
      uri: "/app/items",
      queryString: "id=7",
      scheme: "https",
      serverName: "shop.example.test",
      serverPort: 8443,
      remoteAddr: "127.0.0.1",
      headers: { host: "shop.example.test:8443", "x-default": "1", accept: "text/plain" },
    });
    expect(res.request).toBe(seen);
  });

  it("keeps the query as the URL has it: none, empty (a bare ?) or raw, never the fragment", async () => {
    const client = createClient(() => response(""), { baseUrl: "http://u:p@example.test/" });
    const query = async (url: string) => (await client.get(url)).request.queryString;
    expect(await query("/p")).toBeUndefined();
    expect(await query("/p#?x")).toBeUndefined();
    expect(await query("/p?")).toBe("");
    expect(await query("/p?#frag")).toBe("");
    expect(await query("/p?a=%20b&c#frag")).toBe("a=%20b&c");
    expect((await client.get("/p")).request.headers.host).toBe("example.test");
  });

  it("sends bodies as mockRequest does, and each method helper uses its method", async () => {
    const client = createClient(async (req) => response(`${req.method} ${await readText(req)}`));
    expect((await client.post("/", { json: { a: 1 } })).body).toBe('POST {"a":1}');
    expect((await client.put("/", { form: { a: "b c" } })).body).toBe("PUT a=b%20c");
    expect((await client.patch("/", { body: "x" })).body).toBe("PATCH x");
    expect((await client.delete("/")).body).toBe("DELETE ");
    expect((await client.request("PURGE", "/")).body).toBe("PURGE ");
  });

  it("validates its options once, naming the option", () => {
    expect(() => createClient(() => response(""), { baseUrl: "ftp://x" })).toThrow(
      /^createClient: option "baseUrl": expected an http\(s\) URL/,
    );
    expect(() => createClient(() => response(""), { followRedirects: -1 })).toThrow(
      /^createClient: option "followRedirects": Too small: expected number to be >=0/,
    );
    expect(() => createClient(() => response(""), { nope: 1 } as never)).toThrow(
      'createClient: unknown option "nope"',
    );
    expect(() => createClient(undefined as never)).toThrow(/handler must be a function/);
  });

  it("checks each request's options, naming the option", async () => {
    const client = createClient(() => response(""));
    await expect(client.get("/", { followRedirects: 1.5 })).rejects.toThrow(
      /^client\.request\("GET"\): option "followRedirects": /,
    );
    await expect(client.post("/", { serverPort: 1 } as never)).rejects.toThrow(
      /^client\.request\("POST"\): option "serverPort": is decided by the URL/,
    );
    await expect(client.put("/", { bdy: "x" } as never)).rejects.toThrow('mockRequest: unknown option "bdy"');
  });
});

describe("createClient: response bodies", () => {
  it("reads every body type as text, bytes and JSON", async () => {
    const bodies: Record<string, Response["body"]> = {
      "/string": '{"a":"\u00e9"}',
      "/bytes": new TextEncoder().encode('{"a":"\u00e9"}'),
      "/iterable": (async function* () {
        yield '{"a":';
        yield new TextEncoder().encode('"\u00e9"}');
      })(),
      "/stream": new ReadableStream({
        start(c) {
          c.enqueue('{"a":"');
          c.enqueue(new TextEncoder().encode('\u00e9"}'));
          c.close();
        },
      }),
      "/node": Readable.from(['{"a":', '"\u00e9"}']),
    };
    const client = createClient((req) => ({ status: 200, headers: {}, body: bodies[req.uri] }));
    for (const path of Object.keys(bodies)) {
      const res = await client.get(path);
      expect(res.body).toBe('{"a":"\u00e9"}');
      expect(res.json()).toEqual({ a: "\u00e9" });
      expect(res.bytes.length).toBe(10);
    }
    expect((await createClient(() => ({ status: 200, headers: {} })).get("/")).body).toBe("");
  });

  it("sends no body for HEAD, 204, 205 and 304, and stops the source", async () => {
    let stopped = 0;
    const source = () =>
      (async function* () {
        try {
          yield "never read";
        } finally {
          stopped++;
        }
      })();
    const client = createClient((req) => ({
      status: Number(req.uri.slice(1)) || 200,
      headers: {},
      body: source(),
    }));
    // An async generator that never started has nothing to clean up: start it, then it must be returned.
    const started = (async function* () {
      try {
        yield "x";
        yield "never read";
      } finally {
        stopped++;
      }
    })();
    await started.next();
    const head = await createClient(() => ({ status: 200, headers: {}, body: started })).head("/");
    expect(head.body).toBe("");
    expect(stopped).toBe(1);
    for (const status of [204, 205, 304]) {
      const res = await client.get(`/${status}`);
      expect([res.status, res.body]).toEqual([status, ""]);
    }
    const stream = new ReadableStream({ pull: (c) => c.enqueue("x") });
    await createClient(() => ({ status: 204, headers: {}, body: stream })).get("/");
    await expect(stream.getReader().read()).resolves.toEqual({ done: true, value: undefined });
  });

  it("keeps headers named __proto__ as data, both ways", async () => {
    const client = createClient((req) => ({
      status: 200,
      headers: { ["__proto__"]: "from the handler" },
      body: String(Object.getOwnPropertyDescriptor(req.headers, "__proto__")?.value),
    }));
    const res = await client.get("/", { headers: { ["__proto__"]: "from the client" } });
    expect(Object.getOwnPropertyDescriptor(res.request.headers, "__proto__")?.value).toBe("from the client");
    expect(res.body).toBe("from the client");
    expect(Object.getOwnPropertyDescriptor(res.headers, "__proto__")?.value).toBe("from the handler");
  });

  it("lower-cases header names and keeps set-cookie lines apart", async () => {
    const client = createClient(() => ({
      status: 200,
      headers: { "Content-Type": "text/plain", "Set-Cookie": ["a=1", "b=2"] },
      body: "",
    }));
    const res = await client.get("/");
    expect(res.headers).toEqual({ "content-type": "text/plain", "set-cookie": ["a=1", "b=2"] });
  });
});

describe("createClient: errors surface as an adapter makes them", () => {
  it("an HttpError gives its status and exposed message", async () => {
    const onError = vi.fn();
    const client = createClient(
      () => {
        throw new HttpError(404, "No such user");
      },
      { onError },
    );
    const res = await client.get("/users/9");
    expect(res.status).toBe(404);
    expect(res.body).toBe("No such user");
    expect(res.error).toBeInstanceOf(HttpError);
    expect(onError).toHaveBeenCalledWith(res.error, res.request, { kind: "http-error" });
  });

  it("any other throw or rejection gives a 500 that leaks nothing", async () => {
    const onError = vi.fn();
    const sync = createClient(
      () => {
        throw new Error("db password is hunter2");
      },
      { onError },
    );
    const rejected = createClient(() => Promise.reject(new Error("secret")), { onError });
    for (const client of [sync, rejected]) {
      const res = await client.get("/");
      expect(res.status).toBe(500);
      expect(res.body).toBe("Internal Server Error");
      expect(res.error).toBeInstanceOf(Error);
    }
    expect(onError.mock.calls.map(([, , info]) => info)).toEqual([{ kind: "handler" }, { kind: "handler" }]);
  });

  it("an invalid response gives a 500 naming the problem in the error", async () => {
    const onError = vi.fn();
    const res = await createClient(() => ({ status: 99, headers: {} }), { onError }).get("/");
    expect(res.status).toBe(500);
    expect(String(res.error)).toMatch(/response\.status must be an integer from 100 to 599/);
    expect(onError).toHaveBeenCalledExactlyOnceWith(res.error, res.request, { kind: "response" });
  });

  it.each([
    [
      "fails while streaming",
      async function* () {
        yield "partial";
        throw new Error("disk gone");
      },
      /disk gone/,
    ],
    [
      "yields a chunk that is neither bytes nor text",
      async function* () {
        yield "ok";
        yield 42 as unknown as string;
      },
      /yielded a number chunk/,
    ],
  ])("a body that %s rejects the request, as a cut connection would", async (_what, body, cause) => {
    const onError = vi.fn();
    const client = createClient(() => ({ status: 200, headers: {}, body: body() }), { onError });
    const error = (await client.get("/").catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^createClient: the response body failed while streaming$/);
    expect(String(error.cause)).toMatch(cause);
    expect(onError).toHaveBeenCalledOnce();
    expect(onError.mock.calls[0]![2]).toEqual({ kind: "response" });
  });
});

describe("createClient: the cookie jar", () => {
  it("sends back what the server set, and several Set-Cookie lines in one response", async () => {
    const client = createClient(cookieSetter({ "/login": ["a=1", "b=2; HttpOnly"] }));
    await client.get("/login");
    expect((await client.get("/")).body).toBe("a=1; b=2");
    expect(client.cookie("b")).toBe("2");
    expect(client.cookies().map((c) => [c.name, c.httpOnly])).toEqual([
      ["a", false],
      ["b", true],
    ]);
  });

  it("scopes by Path, defaulting to the directory of the request path (RFC 6265 §5.1.4)", async () => {
    const client = createClient(cookieSetter({ "/admin/login": ["p=1; Path=/admin", "d=2"], "/": "r=3" }));
    await client.get("/admin/login");
    await client.get("/");
    expect((await client.get("/admin")).body).toBe("p=1; d=2; r=3");
    expect((await client.get("/admin/users")).body).toBe("p=1; d=2; r=3");
    expect((await client.get("/administrator")).body).toBe("r=3");
    expect((await client.get("/")).body).toBe("r=3");
    expect(client.cookies().find((c) => c.name === "d")?.path).toBe("/admin");
  });

  it("sends the most specific path first", async () => {
    const client = createClient(cookieSetter({ "/": ["x=root; Path=/", "x=deep; Path=/a/b"] }));
    await client.get("/");
    expect((await client.get("/a/b/c")).body).toBe("x=deep; x=root");
  });

  it("scopes by Domain: host-only by default, subdomains with Domain, foreign domains refused", async () => {
    const client = createClient(
      cookieSetter({ "/set": ["host=1", "wide=2; Domain=example.test", "foreign=3; Domain=other.test"] }),
      { baseUrl: "http://example.test" },
    );
    const set = await client.get("/set");
    expect(set.rejectedCookies).toEqual([
      expect.objectContaining({
        line: "foreign=3; Domain=other.test",
        reason: expect.stringMatching(/domain/i),
      }),
    ]);
    expect((await client.get("/")).body).toBe("host=1; wide=2");
    expect((await client.get("http://shop.example.test/")).body).toBe("wide=2");
    expect((await client.get("http://other.test/")).body).toBe("");
    expect(client.cookies().map((c) => [c.name, c.hostOnly])).toEqual([
      ["host", true],
      ["wide", false],
    ]);
  });

  it("deletes a cookie on Max-Age=0, a negative Max-Age or a past Expires", async () => {
    const client = createClient(
      cookieSetter({
        "/set": ["a=1", "b=2", "c=3", "d=4"],
        "/clear": ["a=; Max-Age=0", "b=; Max-Age=-5", "c=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"],
      }),
    );
    await client.get("/set");
    expect((await client.get("/")).body).toBe("a=1; b=2; c=3; d=4");
    await client.get("/clear");
    expect((await client.get("/")).body).toBe("d=4");
    expect(client.cookies().map((c) => c.name)).toEqual(["d"]);
  });

  it("expires cookies on the injected clock: Max-Age from when it was received, Expires as a date", async () => {
    let time = Date.UTC(2030, 0, 1);
    const expires = new Date(time + 120_000).toUTCString();
    const client = createClient(
      cookieSetter({ "/set": ["short=1; Max-Age=60", `long=2; Expires=${expires}`] }),
      {
        now: () => time,
      },
    );
    await client.get("/set");
    time += 59_000;
    expect((await client.get("/")).body).toBe("short=1; long=2");
    expect(client.cookies()[0]?.expires?.getTime()).toBe(Date.UTC(2030, 0, 1) + 60_000);
    time += 2_000;
    expect((await client.get("/")).body).toBe("long=2");
    time += 60_000;
    expect((await client.get("/")).body).toBe("");
    expect(client.cookies()).toEqual([]);
  });

  it("keeps Secure cookies to https: refused from http, and not sent back to http", async () => {
    const lines = { "/": ["s=1; Secure", "plain=2"] };
    const overHttp = createClient(cookieSetter(lines), { baseUrl: "http://localhost" });
    const res = await overHttp.get("/");
    expect(res.rejectedCookies.map((r) => r.line)).toEqual(["s=1; Secure"]);
    expect((await overHttp.get("/")).body).toBe("plain=2");

    const overHttps = createClient(cookieSetter(lines), { baseUrl: "https://example.test" });
    await overHttps.get("/");
    expect((await overHttps.get("/")).body).toBe("s=1; plain=2");
    expect((await overHttps.get("http://example.test/")).body).toBe("plain=2");
  });

  it("refuses __Host- and __Secure- cookies that break their prefix rules", async () => {
    const client = createClient(
      cookieSetter({
        "/": ["__Host-a=1; Secure; Path=/admin", "__Secure-b=2", "__Host-ok=3; Secure; Path=/"],
      }),
      { baseUrl: "https://example.test" },
    );
    const res = await client.get("/");
    expect(res.rejectedCookies.map((r) => r.line)).toEqual([
      "__Host-a=1; Secure; Path=/admin",
      "__Secure-b=2",
    ]);
    expect(client.cookies().map((c) => c.name)).toEqual(["__Host-ok"]);
  });

  it("lets a test plant, read and clear cookies", async () => {
    const client = createClient(cookieSetter(), { baseUrl: "http://example.test" });
    client.setCookie("planted=1; Path=/x");
    expect(client.cookie("planted")).toBeUndefined();
    expect(client.cookie("planted", "/x/y")).toBe("planted=1".slice(8));
    expect(client.cookies("/x").map((c) => c.name)).toEqual(["planted"]);
    expect(() => client.setCookie("bad=1; Domain=other.test")).toThrow(/the jar refused/);
    expect((await client.get("/x", { cookies: { extra: "2" } })).body).toBe("planted=1; extra=2");
    client.clearCookies();
    expect(client.cookies()).toEqual([]);
  });
});

describe("createClient: redirects", () => {
  const app = (req: Request): Response => {
    switch (req.uri) {
      case "/login":
        return { ...redirect("/home", 303), headers: { location: "/home", "set-cookie": "sid=abc" } };
      case "/moved":
        return redirect("/home", 301);
      case "/found":
        return redirect("/home", 302);
      case "/temp":
        return redirect("/echo", 307);
      case "/perm":
        return redirect("https://other.test/echo", 308);
      case "/loop":
        return redirect("/loop", 302);
      default:
        return {
          status: 200,
          headers: {},
          body: JSON.stringify({
            uri: req.uri,
            method: req.method,
            cookie: req.headers.cookie,
            type: req.headers["content-type"],
            auth: req.headers.authorization,
            host: req.headers.host,
          }),
        };
    }
  };

  it("are returned as they are by default", async () => {
    const res = await createClient(app).post("/login");
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/home");
  });

  it("303 after a POST becomes a GET without the body, with the cookies it set", async () => {
    const res = await createClient(app, { followRedirects: true }).post("/login", { form: { user: "ann" } });
    expect(res.status).toBe(200);
    expect(res.url).toBe("http://localhost/home");
    expect(res.redirects).toEqual(["http://localhost/home"]);
    expect(res.json()).toEqual({ uri: "/home", method: "GET", cookie: "sid=abc", host: "localhost" });
  });

  it("301 and 302 turn a POST into a GET, 307 and 308 repeat the method and body", async () => {
    const client = createClient(async (req) => {
      if (req.uri === "/echo") return response(`${req.method} ${await readText(req)}`);
      return app(req);
    });
    const follow = { followRedirects: true, body: "payload", headers: { "content-type": "text/plain" } };
    const moved = (await client.post("/moved", follow)).json<Record<string, unknown>>();
    expect(moved).toMatchObject({ method: "GET" });
    expect(moved.type).toBeUndefined();
    expect((await client.post("/found", follow)).json()).toMatchObject({ method: "GET" });
    expect((await client.put("/found", follow)).json()).toMatchObject({ method: "PUT" });
    expect((await client.post("/temp", follow)).body).toBe("POST payload");
  });

  it("drop the authorization header on the way to another origin", async () => {
    const client = createClient(async (req) =>
      req.uri === "/echo" ? app({ ...req, uri: "/json" }) : app(req),
    );
    const res = await client.get("/perm", { followRedirects: 3, headers: { authorization: "Bearer t" } });
    expect(res.url).toBe("https://other.test/echo");
    expect(res.json()).toEqual({ uri: "/json", method: "GET", host: "other.test" });
    const same = await client.get("/found", {
      followRedirects: true,
      headers: { authorization: "Bearer t" },
    });
    expect(same.json()).toMatchObject({ uri: "/home", auth: "Bearer t" });
  });

  it("are bounded", async () => {
    await expect(createClient(app).get("/loop", { followRedirects: 5 })).rejects.toThrow(
      /more than 5 redirects/,
    );
    await expect(createClient(app, { followRedirects: true }).get("/loop")).rejects.toThrow(/more than 10/);
  });
});

describe("createClient with wrapSession", () => {
  type Counter = { count?: number };
  const counter = (req: Request & { session: Counter }) => {
    if (req.uri === "/logout") return { ...response("bye"), session: null };
    if (req.uri === "/login")
      return { ...response("welcome"), session: { ...req.session }, recreateSession: true };
    const count = req.session.count ?? 0;
    return {
      ...response(`You accessed this page ${count} times.`),
      session: { ...req.session, count: count + 1 },
    };
  };

  it.each([
    ["memoryStore", () => memoryStore()],
    ["cookieStore", () => cookieStore({ secret: crypto.getRandomValues(new Uint8Array(32)) })],
  ])("counts 0, 1, 2 and starts again after logout (%s)", async (_name, store) => {
    const client = createClient(wrapSession<Counter>(counter, { store: store() }), quiet);
    expect((await client.get("/")).body).toBe("You accessed this page 0 times.");
    expect((await client.get("/")).body).toBe("You accessed this page 1 times.");
    expect((await client.get("/")).body).toBe("You accessed this page 2 times.");
    const [cookie] = client.cookies();
    expect(cookie).toMatchObject({ name: "ring-session", httpOnly: true, sameSite: "lax", path: "/" });
    const logout = await client.get("/logout");
    expect(String(logout.headers["set-cookie"])).toMatch(/^ring-session=; .*Max-Age=0/);
    expect(client.cookies()).toEqual([]);
    expect((await client.get("/")).body).toBe("You accessed this page 0 times.");
  });

  it("gets a new session key on login (recreateSession), keeping the data", async () => {
    const client = createClient(wrapSession<Counter>(counter), quiet);
    await client.get("/");
    const before = client.cookie("ring-session");
    await client.get("/login");
    expect(client.cookie("ring-session")).not.toBe(before);
    expect((await client.get("/")).body).toBe("You accessed this page 1 times.");
  });

  it("marks the session cookie Secure over https, and keeps it off plain http", async () => {
    const client = createClient(wrapSession<Counter>(counter), { baseUrl: "https://example.test" });
    await client.get("/");
    expect(client.cookies()[0]?.secure).toBe(true);
    expect((await client.get("/")).body).toBe("You accessed this page 1 times.");
    expect((await client.get("http://example.test/")).body).toBe("You accessed this page 0 times.");
  });

  it("loses the session when the cookie's Max-Age runs out on the shared clock", async () => {
    let time = Date.UTC(2030, 0, 1);
    const now = () => time;
    const app = wrapSession<Counter>(counter, {
      store: memoryStore({ now, maxAge: 3600 }),
      cookieAttrs: { maxAge: 600 },
    });
    const client = createClient(app, { now });
    await client.get("/");
    time += 599_000;
    expect((await client.get("/")).body).toBe("You accessed this page 1 times.");
    time += 601_000;
    expect(client.cookies()).toEqual([]);
    expect((await client.get("/")).body).toBe("You accessed this page 0 times.");
  });
});
