import { createHash } from "node:crypto";
import { statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { compose } from "../../src/core/compose.js";
import { notFound, text } from "../../src/core/response.js";
import type { Handler, Request, Response } from "../../src/core/types.js";
import { fileRequest, wrapFile } from "../../src/files/wrap-file.js";
import { wrapParams } from "../../src/middleware/params.js";
import { mockRequest } from "../../src/testing/mock-request.js";
import { headerValues, RawConnection, rawRequest } from "../../src/testing/raw-http.js";
import { CSS, INDEX, makeSite, SECRET, type Site, SUB_INDEX } from "./fixture.js";

const fallback: Handler = (request) => notFound(`handler: ${request.method} ${request.uri}`);

let site: Site;
const servers: RunningServer[] = [];
let plain: RunningServer;

async function start(handler: Handler): Promise<RunningServer> {
  const server = await serve(handler, { port: 0, hostname: "127.0.0.1" });
  servers.push(server);
  return server;
}

beforeAll(async () => {
  site = makeSite();
  plain = await start(wrapFile(fallback, site.root));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  site.remove();
});

async function get(server: RunningServer, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe("wrapFile over HTTP: files", () => {
  it("answers a GET naming a file with its bytes, type, length and validators", async () => {
    const res = await get(plain, "/site.css");
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(CSS);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("content-length")).toBe(String(CSS.length));
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    const mtime = statSync(join(site.root, "site.css")).mtime;
    expect(res.headers.get("last-modified")).toBe(mtime.toUTCString());
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-z]+-[0-9a-z]+-[0-9a-z]+"$/);
    expect(res.headers.get("cache-control")).toBeNull();
  });

  it("streams a 1 MB file whole, with its Content-Length rather than chunked", async () => {
    const raw = await rawRequest(plain.port, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(raw.status).toBe(200);
    expect(headerValues(raw, "content-length")).toEqual([String(site.big.length)]);
    expect(headerValues(raw, "transfer-encoding")).toEqual([]);
    expect(headerValues(raw, "content-type")).toEqual(["application/octet-stream"]);
    const digest = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
    expect(digest(raw.body)).toBe(digest(site.big));
  });

  it("sends an empty file as an empty 200", async () => {
    const res = await get(plain, "/empty.txt");
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    expect(res.headers.get("content-length")).toBe("0");
  });

  it("decodes the path: spaces and UTF-8 names are found", async () => {
    expect((await get(plain, "/with%20space.txt")).body.toString()).toBe("spaced");
    expect((await get(plain, "/%C3%A9.txt")).body.toString()).toBe("accented");
  });

  it("types a file without a known extension as application/octet-stream", async () => {
    expect((await get(plain, "/README")).headers.get("content-type")).toBe("application/octet-stream");
  });

  it("answers HEAD with GET's headers and no body, and the connection stays usable", async () => {
    const connection = await RawConnection.open(plain.port);
    try {
      connection.write("HEAD /site.css HTTP/1.1\r\nHost: x\r\n\r\n");
      const head = await connection.readResponse({ head: true });
      expect(head.status).toBe(200);
      expect(headerValues(head, "content-length")).toEqual([String(CSS.length)]);
      expect(headerValues(head, "content-type")).toEqual(["text/css; charset=utf-8"]);
      expect(headerValues(head, "etag")).toHaveLength(1);
      connection.write("GET /site.css HTTP/1.1\r\nHost: x\r\n\r\n");
      const next = await connection.readResponse();
      expect(next.body.toString()).toBe(CSS);
    } finally {
      connection.destroy();
    }
  });

  it("serves index.html for a directory, with or without the trailing slash", async () => {
    expect((await get(plain, "/")).body.toString()).toBe(INDEX);
    expect((await get(plain, "/sub")).body.toString()).toBe(SUB_INDEX);
    const sub = await get(plain, "/sub/");
    expect(sub.body.toString()).toBe(SUB_INDEX);
    expect(sub.headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  it("passes to the handler: a directory without index.html, a missing file, a file under a file", async () => {
    for (const path of ["/noindex/", "/missing.css", "/site.css/x", "/sub/nope/"]) {
      const res = await get(plain, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).toBe(`handler: GET ${path}`);
    }
  });

  it("passes every method but GET and HEAD to the handler, even for a file", async () => {
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const res = await fetch(`${plain.url}/site.css`, { method });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe(`handler: ${method} /site.css`);
    }
  });

  it("turns index files off with indexFiles: false", async () => {
    const server = await start(wrapFile(fallback, site.root, { indexFiles: false }));
    expect((await get(server, "/")).body.toString()).toBe("handler: GET /");
    expect((await get(server, "/sub/")).status).toBe(404);
    expect((await get(server, "/sub/page.txt")).body.toString()).toBe("sub page");
  });

  it("sets Cache-Control when asked", async () => {
    const server = await start(wrapFile(fallback, site.root, { cacheControl: "public, max-age=60" }));
    expect((await get(server, "/site.css")).headers.get("cache-control")).toBe("public, max-age=60");
  });

  it("gives a new ETag and Last-Modified when the file changes", async () => {
    const path = join(site.root, "changing.txt");
    writeFileSync(path, "one");
    utimesSync(path, new Date("2020-01-01T00:00:00Z"), new Date("2020-01-01T00:00:00Z"));
    const first = await get(plain, "/changing.txt");
    writeFileSync(path, "two!");
    const second = await get(plain, "/changing.txt");
    expect(first.headers.get("last-modified")).toBe("Wed, 01 Jan 2020 00:00:00 GMT");
    expect(second.headers.get("etag")).not.toBe(first.headers.get("etag"));
    expect(second.body.toString()).toBe("two!");
  });
});

describe("wrapFile over HTTP: what is refused", () => {
  it("refuses dotfiles and dot-directories by default, and serves them with allowDotfiles", async () => {
    for (const path of ["/.env", "/.git/config", "/%2eenv", "/sub/../.env"]) {
      const res = await rawRequest(plain.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).not.toContain("hunter2");
    }
    const server = await start(wrapFile(fallback, site.root, { allowDotfiles: true }));
    expect((await get(server, "/.env")).body.toString()).toBe("DB_PASSWORD=hunter2");
    expect((await get(server, "/.git/config")).body.toString()).toBe("[core]");
  });

  it("follows a symlink inside the root, refuses one leading out unless allowSymlinks", async () => {
    expect((await get(plain, "/link-in.css")).body.toString()).toBe(CSS);
    expect((await get(plain, "/link-in.css")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    for (const path of ["/link-out.txt", "/dir-out/secret.txt", "/loop-a"]) {
      const res = await get(plain, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString()).not.toContain(SECRET);
    }
    const server = await start(wrapFile(fallback, site.root, { allowSymlinks: true }));
    expect((await get(server, "/link-out.txt")).body.toString()).toBe(SECRET);
    expect((await get(server, "/dir-out/secret.txt")).body.toString()).toBe(SECRET);
  });

  it("passes a path that is not valid percent-encoded UTF-8 to the handler", async () => {
    // A malformed escape is the adapter's 400 before any handler runs; bytes that are not UTF-8 are not.
    for (const path of ["/%zz", "/site%2"]) {
      expect((await rawRequest(plain.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)).status).toBe(400);
      expect(await fileRequest({ ...mockRequest("GET", "/"), uri: path }, site.root)).toBeUndefined();
    }
    for (const path of ["/%c0%ae%c0%ae/outside", "/%ff.css", "/%00site.css", "/%ed%a0%80.css"]) {
      const res = await rawRequest(plain.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).toBe(`handler: GET ${path}`);
    }
  });
});

describe("wrapFile over HTTP: ranges", () => {
  const size = String(CSS.length);

  it("answers one range with 206, Content-Range and those bytes", async () => {
    const cases: [string, number, number][] = [
      ["bytes=0-3", 0, 4],
      ["bytes=5-", 5, CSS.length],
      ["bytes=-6", CSS.length - 6, CSS.length],
      ["bytes=2-1000", 2, CSS.length],
      ["Bytes=1-1", 1, 2],
    ];
    for (const [range, start, end] of cases) {
      const res = await get(plain, "/site.css", { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range"), range).toBe(`bytes ${start}-${end - 1}/${size}`);
      expect(res.headers.get("content-length"), range).toBe(String(end - start));
      expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
      expect(res.body.toString(), range).toBe(CSS.slice(start, end));
    }
  });

  it("serves a range from the middle of a large file", async () => {
    const res = await get(plain, "/big.bin", { range: "bytes=500000-599999" });
    expect(res.status).toBe(206);
    expect(res.body.equals(site.big.subarray(500000, 600000))).toBe(true);
  });

  it("answers a range past the end with 416 and Content-Range: bytes */size", async () => {
    for (const range of [`bytes=${size}-`, "bytes=99999-100000", "bytes=-0"]) {
      const res = await get(plain, "/site.css", { range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get("content-range"), range).toBe(`bytes */${size}`);
      expect(res.body.length).toBe(0);
    }
    const empty = await get(plain, "/empty.txt", { range: "bytes=0-" });
    expect(empty.status).toBe(416);
    expect(empty.headers.get("content-range")).toBe("bytes */0");
  });

  it("answers several ranges, another unit or a malformed header with the whole file", async () => {
    for (const range of ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=a-b", "bytes=", "bytes=--1"]) {
      const res = await get(plain, "/site.css", { range });
      expect(res.status, range).toBe(200);
      expect(res.body.toString(), range).toBe(CSS);
    }
  });

  it("honours If-Range: the range while the ETag matches, the whole file once it does not", async () => {
    const { headers } = await get(plain, "/site.css");
    const etag = headers.get("etag")!;
    const match = await get(plain, "/site.css", { range: "bytes=0-3", "if-range": etag });
    expect(match.status).toBe(206);
    const stale = await get(plain, "/site.css", { range: "bytes=0-3", "if-range": '"stale"' });
    expect(stale.status).toBe(200);
    expect(stale.body.toString()).toBe(CSS);
    const weak = await get(plain, "/site.css", { range: "bytes=0-3", "if-range": `W/${etag}` });
    expect(weak.status).toBe(200);
  });

  it("honours If-Range with a date only for the exact, strong Last-Modified", async () => {
    const path = join(site.root, "dated.txt");
    writeFileSync(path, "0123456789");
    utimesSync(path, new Date("2021-06-01T12:00:00Z"), new Date("2021-06-01T12:00:00Z"));
    const date = "Tue, 01 Jun 2021 12:00:00 GMT";
    expect((await get(plain, "/dated.txt", { range: "bytes=0-1", "if-range": date })).status).toBe(206);
    const other = "Tue, 01 Jun 2021 12:00:01 GMT";
    expect((await get(plain, "/dated.txt", { range: "bytes=0-1", "if-range": other })).status).toBe(200);
    // A file modified just now has a weak Last-Modified (RFC 9110 §8.8.2.2): no range on its date.
    const fresh = join(site.root, "fresh.txt");
    writeFileSync(fresh, "0123456789");
    const lastModified = (await get(plain, "/fresh.txt")).headers.get("last-modified")!;
    expect((await get(plain, "/fresh.txt", { range: "bytes=0-1", "if-range": lastModified })).status).toBe(
      200,
    );
  });

  it("ignores Range on HEAD", async () => {
    const head = await rawRequest(
      plain.port,
      "HEAD /site.css HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n",
      {
        head: true,
      },
    );
    expect(head.status).toBe(200);
    expect(headerValues(head, "content-length")).toEqual([size]);
  });
});

describe("wrapFile construction and composition", () => {
  it("throws at construction for a missing root, a file as root and bad options, naming them", () => {
    expect(() => wrapFile(fallback, join(site.base, "nope"))).toThrow(
      /wrapFile: root ".*nope" does not exist/,
    );
    expect(() => wrapFile(fallback, join(site.root, "site.css"))).toThrow(
      /wrapFile: root ".*" is not a directory/,
    );
    expect(() => wrapFile(fallback, "")).toThrow(
      "wrapFile: root must be the path of a directory, got an empty string",
    );
    expect(() => wrapFile(fallback, undefined as never)).toThrow(
      /wrapFile: root must be the path of a directory/,
    );
    expect(() => wrapFile(fallback, site.root, { indexFiles: "yes" } as never)).toThrow(
      'wrapFile: option "indexFiles": must be a boolean (got a string)',
    );
    expect(() => wrapFile(site.root, { allowSymlink: true } as never)).toThrow(
      'wrapFile: unknown option "allowSymlink"',
    );
    expect(() => wrapFile(site.root, { cacheControl: "a\r\nb" })).toThrow(/wrapFile: option "cacheControl"/);
    expect(() => wrapFile(42 as never, site.root)).toThrow(
      "wrapFile: the first argument must be a handler function, or the root directory to get the middleware (got number)",
    );
  });

  it("fits compose as wrapFile(root, options), and types the handler's request from the other middleware", async () => {
    const app = compose(
      wrapFile(site.root, { indexFiles: false }),
      wrapParams,
    )((request) => text(`page ${String(request.params.page)}`));
    const server = await start(app);
    expect((await get(server, "/site.css")).body.toString()).toBe(CSS);
    expect((await get(server, "/?page=2")).body.toString()).toBe("page 2");
  });

  it("calls the handler with the request it was given", async () => {
    const seen: Request[] = [];
    const app = wrapFile((request: Request): Response => {
      seen.push(request);
      return text("ok");
    }, site.root);
    const request = mockRequest("GET", "/missing");
    await app(request);
    expect(seen[0]).toBe(request);
  });
});

describe("fileRequest", () => {
  it("is the request half: a response for a file, undefined for anything else", async () => {
    const found = await fileRequest(mockRequest("GET", "/site.css"), site.root);
    expect(found?.status).toBe(200);
    expect(await fileRequest(mockRequest("GET", "/missing"), site.root)).toBeUndefined();
    expect(await fileRequest(mockRequest("POST", "/site.css"), site.root)).toBeUndefined();
    expect(await fileRequest(mockRequest("GET", "/.env"), site.root)).toBeUndefined();
    const head = await fileRequest(mockRequest("HEAD", "/site.css"), site.root);
    expect(head?.body).toBeUndefined();
    expect(head?.headers["content-length"]).toBe(String(CSS.length));
  });
});
