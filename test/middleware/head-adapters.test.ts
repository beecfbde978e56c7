import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFetchHandler } from "../../src/adapters/fetch.js";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { contentType, response } from "../../src/core/response.js";
import type { Handler } from "../../src/core/types.js";
import { wrapHead } from "../../src/middleware/head.js";

// RFC 9110 §9.3.2: HEAD carries the header fields GET would, Content-Length included, without the content.
const app = wrapHead(() => contentType(response("hello world"), "text/plain"));
const utf8 = wrapHead(() => contentType(response("héllo"), "text/plain; charset=utf-8"));
const stated: Handler = wrapHead(() => ({
  status: 200,
  headers: { "content-length": "abc" },
  body: undefined,
}));

describe("wrapHead through ringlet/node", () => {
  let server: RunningServer;
  let other: RunningServer;
  let bad: RunningServer;
  beforeAll(async () => {
    server = await serve(app, { port: 0, hostname: "127.0.0.1" });
    other = await serve(utf8, { port: 0, hostname: "127.0.0.1" });
    bad = await serve(stated, { port: 0, hostname: "127.0.0.1" });
  });
  afterAll(async () => {
    await Promise.all([server.close(), other.close(), bad.close()]);
  });

  it("answers HEAD with the Content-Length GET sends, and no body", async () => {
    const get = await fetch(server.url);
    const head = await fetch(server.url, { method: "HEAD" });
    expect(get.headers.get("content-length")).toBe("11");
    expect(head.headers.get("content-length")).toBe("11");
    expect(await head.text()).toBe("");
    expect(head.headers.get("content-type")).toBe("text/plain");
  });

  it("counts bytes, not characters", async () => {
    const head = await fetch(other.url, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe("6");
  });

  it("does not pass on a Content-Length that is not a number", async () => {
    const head = await fetch(bad.url, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe("0");
  });
});

describe("wrapHead through ringlet/fetch", () => {
  it("answers HEAD with the Content-Length GET sends, and no body", async () => {
    const handler = toFetchHandler(app);
    const get = await handler(new Request("http://example.com/"));
    const head = await handler(new Request("http://example.com/", { method: "HEAD" }));
    // A fetch Response leaves a known body's framing to the runtime: GET's length is its body's.
    expect((await get.arrayBuffer()).byteLength).toBe(11);
    expect(head.headers.get("content-length")).toBe("11");
    expect(head.body).toBeNull();
  });
});
