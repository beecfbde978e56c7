// wrapDefaults over real HTTP through serve(): the order of the stack (anti-forgery sees the session, a
// multipart form reaches the handler and its token field is accepted, static files are answered before the
// session is touched, 304s on a static file's ETag), each part turned off, each configured, the security
// headers (HSTS only on https), apiDefaults without a session, and the option errors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import {
  apiDefaults,
  type DefaultsConfig,
  type MultipartParams,
  type RunningServer,
  serve,
  siteDefaults,
  type UploadedFile,
  wrapDefaults,
} from "../../../src/adapters/node.js";
import { compose } from "../../../src/core/compose.js";
import { html, json, text } from "../../../src/core/response.js";
import type { Handler, Request, Response } from "../../../src/core/types.js";
import { wrapHead } from "../../../src/middleware/head.js";
import type { NestedParams } from "../../../src/middleware/nested-params.js";
import type { Params } from "../../../src/middleware/params.js";
import { ANTI_FORGERY_FIELD, antiForgeryField } from "../../../src/session/anti-forgery.js";
import { memoryStore } from "../../../src/session/memory-store.js";
import type { SessionStore } from "../../../src/session/store.js";

const CSS = "body { color: #333; }\n";
let root: string;
const servers: RunningServer[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "ringlet-defaults-"));
  mkdirSync(join(root, "img"));
  writeFileSync(join(root, "site.css"), CSS);
  writeFileSync(join(root, "img", "dot.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  rmSync(root, { recursive: true, force: true });
});

async function start(handler: Handler<any, any>, trustProxy = false): Promise<string> {
  const server = await serve(handler, { port: 0, hostname: "127.0.0.1", trustProxy });
  servers.push(server);
  return server.url;
}

/** The `name=value` pairs of a response's Set-Cookie lines, for a Cookie header. */
function cookieOf(res: globalThis.Response): string {
  return res.headers
    .getSetCookie()
    .map((line) => line.split(";")[0])
    .join("; ");
}

/** A store that is a real memory store, counting the reads it is asked for. */
function countingStore(): SessionStore & { reads: number } {
  const store = memoryStore();
  const counting = {
    reads: 0,
    readSession: (key: string) => {
      counting.reads++;
      return store.readSession(key);
    },
    writeSession: (key: string | undefined, data: Record<string, unknown>) => store.writeSession(key, data),
    deleteSession: (key: string) => store.deleteSession(key),
  };
  return counting;
}

/** A handler for the site stack: a form page, an upload, a urlencoded post, and a few plain answers. */
function siteHandler(
  req: Request & {
    params: NestedParams<string | UploadedFile>;
    session: Record<string, any>;
    antiForgeryToken: string;
    flash?: unknown;
    cookies: Record<string, string>;
    multipartParams: MultipartParams;
  },
): Response & {
  session?: Record<string, any> | null;
  flash?: unknown;
  cookies?: Record<string, { value: string }>;
} {
  if (req.uri === "/form") {
    return { ...html(`<form>${antiForgeryField(req)}</form>`), session: { ...req.session, seen: true } };
  }
  if (req.uri === "/upload") {
    const file = req.params.file as UploadedFile;
    return json({ note: req.params.note, filename: file.filename, size: file.size, user: req.params.user });
  }
  if (req.uri === "/post") return json({ params: req.params });
  if (req.uri === "/flash") return { ...text("saved"), flash: "Saved!" };
  if (req.uri === "/show-flash") return text(String(req.flash ?? "none"));
  if (req.uri === "/cookies")
    return { ...text(`theme=${req.cookies?.theme}`), cookies: { seen: { value: "1" } } };
  if (req.uri === "/query") return json(req.params);
  if (req.uri === "/tagged")
    return { ...text("tagged"), headers: { etag: '"v1"', "content-type": "text/plain" } };
  if (req.uri === "/untyped.json") return { status: 200, headers: {}, body: "{}" };
  if (req.uri === "/html") return { status: 200, headers: { "content-type": "text/html" }, body: "<p>é</p>" };
  if (req.uri === "/own-headers") {
    return { ...text("own"), headers: { "X-Frame-Options": "DENY", "referrer-policy": "no-referrer" } };
  }
  return text("handler");
}

/** GET /form: the session cookie and a token, as a browser gets them. */
async function formToken(url: string): Promise<{ cookie: string; token: string }> {
  const res = await fetch(`${url}/form`);
  const page = await res.text();
  const token = /value="([^"]+)"/.exec(page)![1]!;
  return { cookie: cookieOf(res), token };
}

function uploadForm(token: string | undefined): FormData {
  const form = new FormData();
  if (token !== undefined) form.set(ANTI_FORGERY_FIELD, token);
  form.set("note", "hello");
  form.set("user[name]", "ann");
  form.set("file", new Blob(["twelve bytes"], { type: "text/plain" }), "notes.txt");
  return form;
}

describe("wrapDefaults(siteDefaults) over HTTP: the order of the stack", () => {
  let url: string;
  let store: SessionStore & { reads: number };
  beforeAll(async () => {
    store = countingStore();
    url = await start(wrapDefaults(siteHandler, { ...siteDefaults, files: root, session: { store } }));
  });

  it("anti-forgery sees the session: a POST with the page's token and cookie passes, without the cookie it is 403", async () => {
    const { cookie, token } = await formToken(url);
    const body = new URLSearchParams({ [ANTI_FORGERY_FIELD]: token, "user[name]": "ann", "tags[]": "a" });
    const ok = await fetch(`${url}/post`, { method: "POST", headers: { cookie }, body });
    expect(ok.status).toBe(200);
    expect((await ok.json()).params).toMatchObject({ user: { name: "ann" }, tags: ["a"] });
    const noCookie = await fetch(`${url}/post`, { method: "POST", body });
    expect(noCookie.status).toBe(403);
  });

  it("a multipart form reaches the handler, nested, with its file, and anti-forgery accepts its token field", async () => {
    const { cookie, token } = await formToken(url);
    const res = await fetch(`${url}/upload`, {
      method: "POST",
      headers: { cookie },
      body: uploadForm(token),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      note: "hello",
      filename: "notes.txt",
      size: 12,
      user: { name: "ann" },
    });
    const forged = await fetch(`${url}/upload`, {
      method: "POST",
      headers: { cookie },
      body: uploadForm(undefined),
    });
    expect(forged.status).toBe(403);
  });

  it("answers a static file before the session is touched: no store read, no Set-Cookie", async () => {
    const { cookie } = await formToken(url);
    const before = store.reads;
    const res = await fetch(`${url}/site.css`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(CSS);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(store.reads).toBe(before);
    // A page of the handler does read it.
    await fetch(`${url}/plain`, { headers: { cookie } });
    expect(store.reads).toBe(before + 1);
  });

  it("answers a static file's ETag with 304, security headers included", async () => {
    const first = await fetch(`${url}/img/dot.png`);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe("image/png");
    const etag = first.headers.get("etag")!;
    const again = await fetch(`${url}/img/dot.png`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    const since = await fetch(`${url}/site.css`, {
      headers: { "if-modified-since": first.headers.get("last-modified")! },
    });
    expect(since.status).toBe(304);
  });

  it("answers a handler's own ETag with 304 too", async () => {
    const res = await fetch(`${url}/tagged`, { headers: { "if-none-match": '"v1"' } });
    expect(res.status).toBe(304);
  });

  it("a path with no file falls through to the handler", async () => {
    const res = await fetch(`${url}/nothing-here.txt`);
    expect(await res.text()).toBe("handler");
  });

  it("gives a content type from the extension and a charset to a text type without one", async () => {
    const typed = await fetch(`${url}/untyped.json`);
    expect(typed.headers.get("content-type")).toBe("application/json");
    const page = await fetch(`${url}/html`);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toBe("<p>é</p>");
  });

  it("keeps a flash for the next request, and reads and writes cookies", async () => {
    const { cookie } = await formToken(url);
    const saved = await fetch(`${url}/flash`, { headers: { cookie } });
    expect(await saved.text()).toBe("saved");
    expect(await (await fetch(`${url}/show-flash`, { headers: { cookie } })).text()).toBe("Saved!");
    expect(await (await fetch(`${url}/show-flash`, { headers: { cookie } })).text()).toBe("none");
    const cookies = await fetch(`${url}/cookies`, { headers: { cookie: "theme=dark" } });
    expect(await cookies.text()).toBe("theme=dark");
    expect(cookies.headers.getSetCookie()).toContain("seen=1");
  });

  it("nests query params", async () => {
    const res = await fetch(`${url}/query?a[b]=1&list[]=x&list[]=y`);
    expect(await res.json()).toEqual({ a: { b: "1" }, list: ["x", "y"] });
  });
});

describe("wrapDefaults: the security headers", () => {
  let url: string;
  let proxied: string;
  beforeAll(async () => {
    url = await start(wrapDefaults(siteHandler, siteDefaults));
    proxied = await start(wrapDefaults(siteHandler, siteDefaults), true);
  });

  it("sends nosniff, SAMEORIGIN, frame-ancestors 'self' and a Referrer-Policy, and no HSTS on http", async () => {
    const res = await fetch(`${url}/plain`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'self'");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(res.headers.get("strict-transport-security")).toBeNull();
  });

  it("sends HSTS on an https request (trustProxy and X-Forwarded-Proto: https), not on a forwarded http one", async () => {
    const https = await fetch(`${proxied}/plain`, { headers: { "x-forwarded-proto": "https" } });
    expect(https.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
    const http = await fetch(`${proxied}/plain`, { headers: { "x-forwarded-proto": "http" } });
    expect(http.headers.get("strict-transport-security")).toBeNull();
    // Without trustProxy the header is the client's word, and is not believed.
    const untrusted = await fetch(`${url}/plain`, { headers: { "x-forwarded-proto": "https" } });
    expect(untrusted.headers.get("strict-transport-security")).toBeNull();
  });

  it("lets a response's own header win, in any case, and sends it once", async () => {
    const res = await fetch(`${url}/own-headers`);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("adds HSTS on the request map's https scheme, in a direct call", async () => {
    const app = wrapDefaults(() => text("hi"), apiDefaults);
    const site = wrapDefaults(() => text("hi"), { securityHeaders: { hsts: { maxAge: 60, preload: true } } });
    const request: Request = {
      method: "GET",
      uri: "/",
      queryString: undefined,
      headers: {},
      scheme: "https",
      serverName: "example.com",
      serverPort: 443,
      remoteAddr: "127.0.0.1",
      protocol: "HTTP/1.1",
      body: undefined,
    } as Request;
    const siteRes = (await site(request)) as Response;
    expect(siteRes.headers["strict-transport-security"]).toBe("max-age=60; includeSubDomains; preload");
    const apiRes = (await app(request)) as Response;
    expect(apiRes.headers["strict-transport-security"]).toBeUndefined();
    expect(apiRes.headers["x-content-type-options"]).toBe("nosniff");
  });
});

describe("wrapDefaults: each part turned off", () => {
  const cases: { part: keyof DefaultsConfig; check: (url: string) => Promise<void> }[] = [
    {
      part: "securityHeaders",
      check: async (url) => {
        const res = await fetch(`${url}/plain`);
        expect(res.headers.get("x-frame-options")).toBeNull();
        expect(res.headers.get("referrer-policy")).toBeNull();
      },
    },
    {
      part: "notModified",
      check: async (url) => {
        expect((await fetch(`${url}/tagged`, { headers: { "if-none-match": '"v1"' } })).status).toBe(200);
      },
    },
    {
      part: "contentType",
      check: async (url) => {
        expect((await fetch(`${url}/untyped.json`)).headers.get("content-type")).toBeNull();
      },
    },
    {
      part: "defaultCharset",
      check: async (url) => {
        expect((await fetch(`${url}/html`)).headers.get("content-type")).toBe("text/html");
      },
    },
    {
      part: "files",
      check: async (url) => {
        expect(await (await fetch(`${url}/site.css`)).text()).toBe("handler");
      },
    },
    {
      part: "cookies",
      check: async (url) => {
        const res = await fetch(`${url}/cookies`, { headers: { cookie: "theme=dark" } });
        expect(await res.text()).toBe("theme=undefined");
        expect(res.headers.getSetCookie()).toEqual([]);
      },
    },
    {
      part: "nested",
      check: async (url) => {
        expect(await (await fetch(`${url}/query?a[b]=1`)).json()).toEqual({ "a[b]": "1" });
      },
    },
    {
      part: "antiForgery",
      check: async (url) => {
        const res = await fetch(`${url}/post`, { method: "POST", body: new URLSearchParams({ x: "1" }) });
        expect(res.status).toBe(200);
        expect((await res.json()).params).toEqual({ x: "1" });
      },
    },
    {
      part: "flash",
      check: async (url) => {
        const saved = await fetch(`${url}/flash`);
        // No flash middleware: the `flash` key is not stored, so no session is written.
        expect(saved.headers.getSetCookie()).toEqual([]);
      },
    },
  ];
  for (const { part, check } of cases) {
    it(`${part}: false leaves its behaviour out`, async () => {
      const config = { ...siteDefaults, files: root, [part]: false };
      await check(await start(wrapDefaults(siteHandler as Handler<any, any>, config as DefaultsConfig)));
    });
  }

  it("multipart: false leaves a multipart body unread: no params, and anti-forgery finds no token in it", async () => {
    const echo = await start(
      wrapDefaults((req) => json({ params: req.params }), {
        ...siteDefaults,
        multipart: false,
        antiForgery: false,
      }),
    );
    const res = await fetch(`${echo}/x`, { method: "POST", body: uploadForm("t") });
    expect(await res.json()).toEqual({ params: {} });
    const guarded = await start(
      wrapDefaults(siteHandler as Handler<any, any>, { ...siteDefaults, multipart: false }),
    );
    const { cookie, token } = await formToken(guarded);
    const refused = await fetch(`${guarded}/upload`, {
      method: "POST",
      headers: { cookie },
      body: uploadForm(token),
    });
    expect(refused.status).toBe(403);
  });

  it("params: false leaves the query string unparsed (multipart still gives params)", async () => {
    const echo = await start(
      wrapDefaults((req) => json({ params: req.params, has: "queryParams" in req }), {
        ...siteDefaults,
        params: false,
        antiForgery: false,
      }),
    );
    const res = await fetch(`${echo}/x?a=1`);
    expect(await res.json()).toEqual({ params: {}, has: false });
  });

  it("session, flash and anti-forgery false: no session cookie ever", async () => {
    const bare = await start(
      wrapDefaults((req) => text(String("session" in req)), {
        ...siteDefaults,
        session: false,
        flash: false,
        antiForgery: false,
      }),
    );
    const res = await fetch(`${bare}/x`);
    expect(await res.text()).toBe("false");
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe("wrapDefaults: each part configured", () => {
  it("securityHeaders, contentType, defaultCharset and files take their options", async () => {
    const url = await start(
      wrapDefaults(siteHandler, {
        ...siteDefaults,
        securityHeaders: {
          frameOptions: "DENY",
          contentSecurityPolicy: "frame-ancestors 'none'",
          referrerPolicy: false,
        },
        contentType: { defaultType: "text/plain" },
        defaultCharset: { charset: "iso-8859-1" },
        files: { root, cacheControl: "public, max-age=60" },
      }),
    );
    const res = await fetch(`${url}/plain`);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
    expect(res.headers.get("referrer-policy")).toBeNull();
    expect((await fetch(`${url}/html`)).headers.get("content-type")).toBe("text/html; charset=iso-8859-1");
    expect((await fetch(`${url}/site.css`)).headers.get("cache-control")).toBe("public, max-age=60");
    const untyped = await start(
      wrapDefaults(() => ({ status: 200, headers: {}, body: "x" }), {
        contentType: { defaultType: "text/plain" },
      }),
    );
    expect((await fetch(`${untyped}/no-extension`)).headers.get("content-type")).toBe("text/plain");
  });

  it("session takes its options (cookie name), anti-forgery its error response", async () => {
    const url = await start(
      wrapDefaults(siteHandler, {
        ...siteDefaults,
        session: { cookieName: "sid" },
        antiForgery: { errorResponse: { status: 418, headers: {}, body: "no" } },
      }),
    );
    const { cookie } = await formToken(url);
    expect(cookie).toMatch(/^sid=/);
    expect((await fetch(`${url}/post`, { method: "POST", headers: { cookie }, body: "a=1" })).status).toBe(
      418,
    );
  });

  it("multipart, params and nested take their limits", async () => {
    const url = await start(
      wrapDefaults((req) => json(req.params), {
        ...siteDefaults,
        antiForgery: false,
        multipart: { maxFileSize: 4 },
        params: { maxParams: 2 },
        nested: { maxDepth: 1 },
      }),
    );
    expect((await fetch(`${url}/x`, { method: "POST", body: uploadForm(undefined) })).status).toBe(413);
    expect((await fetch(`${url}/x?a=1&b=2&c=3`)).status).toBe(413);
    expect((await fetch(`${url}/x?a[b][c]=1`)).status).toBe(400);
    expect(await (await fetch(`${url}/x?a[b]=1`)).json()).toEqual({ a: { b: "1" } });
  });

  it("multipart in memory: the file's bytes reach the handler", async () => {
    const url = await start(
      wrapDefaults(
        (req) => {
          const file = req.multipartParams.file as UploadedFile;
          return text(Buffer.from(file.bytes!).toString());
        },
        { ...siteDefaults, antiForgery: false, multipart: { store: "memory" } },
      ),
    );
    expect(await (await fetch(`${url}/x`, { method: "POST", body: uploadForm(undefined) })).text()).toBe(
      "twelve bytes",
    );
  });
});

describe("wrapDefaults(apiDefaults)", () => {
  it("has no session, cookies or anti-forgery: a POST passes without a token and no cookie is set", async () => {
    const url = await start(
      wrapDefaults(
        (req) => json({ params: req.params, session: "session" in req, cookies: "cookies" in req }),
        apiDefaults,
      ),
    );
    const res = await fetch(`${url}/items?page[size]=2`, {
      method: "POST",
      body: new URLSearchParams({ name: "x" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      params: { page: { size: "2" }, name: "x" },
      session: false,
      cookies: false,
    });
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBeNull();
    expect(res.headers.get("content-security-policy")).toBeNull();
    expect(res.headers.get("referrer-policy")).toBeNull();
    expect(res.headers.get("content-type")).toBe("application/json");
  });

  it("does not parse multipart bodies", async () => {
    const url = await start(wrapDefaults((req) => json(req.params), apiDefaults));
    expect(await (await fetch(`${url}/x`, { method: "POST", body: uploadForm("t") })).json()).toEqual({});
  });
});

describe("wrapDefaults: configuration", () => {
  it("siteDefaults and apiDefaults are frozen plain data, with no static folder", () => {
    expect(Object.isFrozen(siteDefaults)).toBe(true);
    expect(Object.isFrozen(apiDefaults)).toBe(true);
    expect(Object.isFrozen(apiDefaults.securityHeaders)).toBe(true);
    expect(siteDefaults.files).toBe(false);
    expect(JSON.parse(JSON.stringify(siteDefaults))).toEqual(siteDefaults);
    expect("session" in apiDefaults).toBe(false);
  });

  it("throws at construction, naming the option", () => {
    const handler = () => text("x");
    expect(() => wrapDefaults(handler, { ...siteDefaults, session: { cookieName: "a b" } })).toThrow(
      /^wrapDefaults: option "session\.cookieName": must be an RFC 6265 cookie name/,
    );
    expect(() => wrapDefaults(handler, { sesion: true } as DefaultsConfig)).toThrow(
      'wrapDefaults: unknown option "sesion"',
    );
    expect(() =>
      wrapDefaults(handler, { ...siteDefaults, session: { colour: 1 } } as DefaultsConfig),
    ).toThrow('wrapDefaults: unknown option "session.colour"');
    expect(() => wrapDefaults(handler, { files: 42 } as unknown as DefaultsConfig)).toThrow(
      /^wrapDefaults: option "files": must be a folder/,
    );
    expect(() => wrapDefaults(handler, { files: join(root, "missing") })).toThrow(
      /^wrapDefaults: option "files": /,
    );
    expect(() => wrapDefaults(handler, { session: "yes" } as unknown as DefaultsConfig)).toThrow(
      /^wrapDefaults: option "session": must be true, false or an options object/,
    );
    expect(() => wrapDefaults(handler, { ...siteDefaults, session: false })).toThrow(
      'wrapDefaults: option "flash" needs option "session"',
    );
    expect(() => wrapDefaults(handler, { ...siteDefaults, session: false, flash: false })).toThrow(
      'wrapDefaults: option "antiForgery" needs option "session"',
    );
    expect(() => wrapDefaults(handler, { nested: true })).toThrow(
      'wrapDefaults: option "nested" needs option "params" or option "multipart"',
    );
    expect(() => wrapDefaults(handler, { params: { nested: true } } as DefaultsConfig)).toThrow(
      'wrapDefaults: option "params.nested": give it as option "nested"',
    );
    expect(() => wrapDefaults(handler, { securityHeaders: { frameOptions: "ALLOW" } } as never)).toThrow(
      /^wrapDefaults: option "securityHeaders\.frameOptions": must be "SAMEORIGIN", "DENY" or false/,
    );
    expect(() => wrapDefaults(handler, { defaultCharset: { charset: "utf 8" } })).toThrow(
      /^wrapDefaults: option "defaultCharset\.charset": /,
    );
    expect(() => wrapDefaults(handler, undefined as never)).toThrow(/wrapDefaults: give a configuration/);
    expect(() => wrapDefaults(42 as never)).toThrow(
      /wrapDefaults: the first argument must be a handler function/,
    );
  });

  it("builds its parts once: the curried form checks options before any handler is given", () => {
    expect(() => wrapDefaults({ session: { cookieName: "" } })).toThrow(
      /^wrapDefaults: option "session\.cookieName"/,
    );
  });
});

describe("wrapDefaults: types", () => {
  it("types the handler's request by the parts that are on, in both forms", () => {
    wrapDefaults(siteDefaults)((req) => {
      expectTypeOf(req.params).toEqualTypeOf<NestedParams<string | UploadedFile>>();
      expectTypeOf(req.queryParams).toEqualTypeOf<Params>();
      expectTypeOf(req.multipartParams).toEqualTypeOf<MultipartParams>();
      expectTypeOf(req.antiForgeryToken).toEqualTypeOf<string>();
      expectTypeOf(req.cookies).toEqualTypeOf<Readonly<Record<string, string>>>();
      expectTypeOf(req.session).toEqualTypeOf<Partial<Record<string, any>>>();
      return { ...text("ok"), session: { n: 1 }, flash: "hi", cookies: { a: { value: "b" } } };
    });
    wrapDefaults((req) => {
      expectTypeOf(req.params).toEqualTypeOf<NestedParams<string>>();
      // @ts-expect-error apiDefaults has no session
      req.session;
      // @ts-expect-error nor anti-forgery
      req.antiForgeryToken;
      // @ts-expect-error nor multipart
      req.multipartParams;
      return text("ok");
    }, apiDefaults);
    wrapDefaults(
      (req) => {
        expectTypeOf(req.params).toEqualTypeOf<Readonly<Record<string, string | readonly string[]>>>();
        return text("ok");
      },
      { ...apiDefaults, nested: false },
    );
  });

  it("composes: compose reads the keys of the curried form", () => {
    const app = compose(
      wrapHead,
      wrapDefaults({ ...siteDefaults, files: root }),
    )((req) => {
      expectTypeOf(req.antiForgeryToken).toEqualTypeOf<string>();
      expectTypeOf(req.session).toEqualTypeOf<Partial<Record<string, any>>>();
      return text("ok");
    });
    expectTypeOf(app).toEqualTypeOf<Handler>();
  });

  it("a config typed only as DefaultsConfig gives optional keys", () => {
    const config: DefaultsConfig = siteDefaults;
    wrapDefaults(config)((req) => {
      expectTypeOf(req.session).toEqualTypeOf<Partial<Record<string, any>> | undefined>();
      return text("ok");
    });
  });

  it("types the session by its schema", () => {
    const schema = {
      safeParse: (data: unknown) => ({ success: true as const, data: data as { user: string } }),
    };
    wrapDefaults({ ...siteDefaults, session: { schema } })((req) => {
      expectTypeOf(req.session).toEqualTypeOf<Partial<{ user: string }>>();
      return text("ok");
    });
  });
});
