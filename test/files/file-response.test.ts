import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { notFound } from "../../src/core/response.js";
import type { Handler, Response } from "../../src/core/types.js";
import type { FileBody } from "../../src/files/file-body.js";
import { fileResponse } from "../../src/files/file-response.js";
import { rangeResponse } from "../../src/files/range.js";
import { CSS, INDEX, makeSite, SECRET, type Site, SUB_INDEX } from "./fixture.js";

let site: Site;
beforeAll(() => {
  site = makeSite();
});
afterAll(() => site.remove());

async function bodyOf(response: Response | undefined): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of response!.body as FileBody) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe("fileResponse", () => {
  it("answers an absolute path with the file, typed by its extension", async () => {
    const res = await fileResponse(join(site.root, "site.css"));
    expect(res?.status).toBe(200);
    expect(res?.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(res?.headers["content-length"]).toBe(String(CSS.length));
    expect(await bodyOf(res)).toBe(CSS);
  });

  it("returns undefined for no such file, so a handler can fall through", async () => {
    expect(await fileResponse(join(site.root, "missing.css"))).toBeUndefined();
    expect(await fileResponse(join(site.root, "noindex"))).toBeUndefined();
    expect(await fileResponse(join(site.root, "site.css", "x"))).toBeUndefined();
    expect(await fileResponse(join(site.root, "loop-a"))).toBeUndefined();
  });

  it("serves a directory's index.html unless indexFiles is false", async () => {
    expect(await bodyOf(await fileResponse(join(site.root, "sub")))).toBe(SUB_INDEX);
    expect(await fileResponse(join(site.root, "sub"), { indexFiles: false })).toBeUndefined();
  });

  it("with root, joins a relative path by the request rules", async () => {
    const root = site.root;
    expect(await bodyOf(await fileResponse("site.css", { root }))).toBe(CSS);
    expect(await bodyOf(await fileResponse("sub/page.txt", { root }))).toBe("sub page");
    expect(await bodyOf(await fileResponse("", { root }))).toBe(INDEX);
    for (const path of [
      "../outside/secret.txt",
      "sub/../../outside/secret.txt",
      "..\\outside\\secret.txt",
      ".env",
      "C:/x",
      "a\0b",
      "link-out.txt",
      "dir-out/secret.txt",
    ]) {
      expect(await fileResponse(path, { root }), path).toBeUndefined();
    }
    // A relative path is not percent-decoded: it is a file name, not a URL.
    expect(await fileResponse("with%20space.txt", { root })).toBeUndefined();
    expect(await bodyOf(await fileResponse("with space.txt", { root }))).toBe("spaced");
  });

  it("with root, takes an absolute path only inside it", async () => {
    const root = join(site.root, "sub");
    expect(await bodyOf(await fileResponse(join(root, "page.txt"), { root }))).toBe("sub page");
    expect(await fileResponse(join(site.root, "site.css"), { root })).toBeUndefined();
    expect(await fileResponse(join(site.base, "outside", "secret.txt"), { root })).toBeUndefined();
    expect(await fileResponse(`${root}2/x`, { root })).toBeUndefined();
    expect(await fileResponse(join(root, ".."), { root })).toBeUndefined();
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(root, "..dots.txt"), "two dots");
    expect(await bodyOf(await fileResponse(join(root, "..dots.txt"), { root, allowDotfiles: true }))).toBe(
      "two dots",
    );
  });

  it("follows symlinks out of the root only with allowSymlinks, dotfiles only with allowDotfiles", async () => {
    const root = site.root;
    expect(await bodyOf(await fileResponse("link-out.txt", { root, allowSymlinks: true }))).toBe(SECRET);
    expect(await bodyOf(await fileResponse(".env", { root, allowDotfiles: true }))).toBe(
      "DB_PASSWORD=hunter2",
    );
  });

  it("answers nothing under a root that does not exist", async () => {
    expect(await fileResponse("site.css", { root: join(site.base, "nope") })).toBeUndefined();
  });

  it("sets Cache-Control when asked", async () => {
    const res = await fileResponse("site.css", { root: site.root, cacheControl: "no-cache" });
    expect(res?.headers["cache-control"]).toBe("no-cache");
  });

  it("throws for a path that is not a string and for bad options, naming them", async () => {
    await expect(fileResponse(7 as never)).rejects.toThrow("fileResponse: path must be a string, got number");
    await expect(fileResponse("x", { root: "" })).rejects.toThrow(
      /fileResponse: option "root": must be a directory path/,
    );
    await expect(fileResponse("x", { rooot: "/" } as never)).rejects.toThrow(
      'fileResponse: unknown option "rooot"',
    );
    await expect(fileResponse("x", { allowDotfiles: 1 } as never)).rejects.toThrow(
      'fileResponse: option "allowDotfiles": must be a boolean (got 1)',
    );
  });

  it("works in a handler over HTTP, with rangeResponse for ranges", async () => {
    const handler: Handler = async (request) => {
      const name = request.uri.slice("/download/".length);
      const found = await fileResponse(name, { root: site.root });
      return found === undefined ? notFound("no such download") : rangeResponse(found, request);
    };
    const server: RunningServer = await serve(handler, { port: 0, hostname: "127.0.0.1" });
    try {
      const whole = await fetch(`${server.url}/download/site.css`);
      expect(await whole.text()).toBe(CSS);
      const part = await fetch(`${server.url}/download/site.css`, { headers: { range: "bytes=0-3" } });
      expect(part.status).toBe(206);
      expect(await part.text()).toBe(CSS.slice(0, 4));
      const missing = await fetch(`${server.url}/download/nothing`);
      expect(missing.status).toBe(404);
      await missing.text();
    } finally {
      await server.close();
    }
  });
});
