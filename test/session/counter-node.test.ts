import { CookieJar } from "tough-cookie";
import { afterEach, describe, expect, it } from "vitest";
import { counterApp, handler } from "../../examples/counter.js";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { response } from "../../src/core/response.js";
import { memoryStore } from "../../src/session/memory-store.js";
import { wrapSession } from "../../src/session/wrap-session.js";

let server: RunningServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A client with a real cookie jar: sends what the jar holds, stores every Set-Cookie as a browser would. */
function client(base: string) {
  const jar = new CookieJar();
  return {
    jar,
    async get(path: string) {
      const url = new URL(path, base).href;
      const cookie = jar.getCookieStringSync(url);
      const res = await fetch(url, { headers: cookie ? { cookie } : {} });
      for (const line of res.headers.getSetCookie()) jar.setCookieSync(line, url);
      return { status: res.status, text: await res.text(), setCookie: res.headers.getSetCookie() };
    },
  };
}

describe("the counter through the real Node adapter", () => {
  it("counts up across requests with one session cookie (examples/counter.ts)", async () => {
    server = await serve(counterApp(), { port: 0 });
    const browser = client(server.url);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push((await browser.get("/")).text);
    expect(seen).toEqual([0, 1, 2, 3].map((n) => `You accessed this page ${n} times.`));
    const [cookie] = browser.jar.getCookiesSync(server.url);
    expect(cookie).toMatchObject({ key: "ring-session", httpOnly: true, sameSite: "lax", path: "/" });
    expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("sends the cookie once, then keeps the key (memory store)", async () => {
    server = await serve(counterApp(), { port: 0 });
    const browser = client(server.url);
    expect((await browser.get("/")).setCookie).toHaveLength(1);
    expect((await browser.get("/")).setCookie).toHaveLength(0);
  });

  it("gives two clients two independent counts", async () => {
    server = await serve(counterApp(), { port: 0 });
    const ann = client(server.url);
    const bob = client(server.url);
    await ann.get("/");
    await ann.get("/");
    expect((await bob.get("/")).text).toBe("You accessed this page 0 times.");
    expect((await ann.get("/")).text).toBe("You accessed this page 2 times.");
  });

  it("does not count the browser's favicon request", async () => {
    server = await serve(counterApp(), { port: 0 });
    const browser = client(server.url);
    await browser.get("/");
    expect((await browser.get("/favicon.ico")).status).toBe(404);
    expect((await browser.get("/")).text).toBe("You accessed this page 1 times.");
  });

  it("logout (session: null) clears the cookie and the next request starts from an empty session", async () => {
    const store = memoryStore({ sweepInterval: 0 });
    const app = wrapSession<{ count?: number }>(
      (req) => (req.uri === "/logout" ? { ...response("bye"), session: null } : handler(req)),
      { store },
    );
    server = await serve(app, { port: 0 });
    const browser = client(server.url);
    await browser.get("/");
    await browser.get("/");
    const oldKey = browser.jar.getCookiesSync(server.url)[0]!.value;
    const bye = await browser.get("/logout");
    expect(bye.setCookie).toEqual(["ring-session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);
    expect(browser.jar.getCookiesSync(server.url)).toEqual([]);
    expect(store.size).toBe(0);
    expect((await browser.get("/")).text).toBe("You accessed this page 0 times.");
    expect(browser.jar.getCookiesSync(server.url)[0]!.value).not.toBe(oldKey);
    // A copy of the old cookie is dead too.
    const res = await fetch(server.url, { headers: { cookie: `ring-session=${oldKey}` } });
    expect(await res.text()).toBe("You accessed this page 0 times.");
  });

  it("answers 503 without a Set-Cookie when the store fails", async () => {
    const errors: unknown[] = [];
    const app = wrapSession(handler, {
      store: {
        readSession: () => undefined,
        writeSession: () => {
          throw new Error("disk full");
        },
        deleteSession: () => {},
      },
      onError: () => {},
    });
    server = await serve(app, { port: 0, onError: (error) => void errors.push(error) });
    const res = await fetch(server.url);
    expect(res.status).toBe(503);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(errors).toHaveLength(1);
  });
});
