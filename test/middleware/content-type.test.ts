import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { compose } from "../../src/core/compose.js";
import { json, response, text } from "../../src/core/response.js";
import type { Handler, Response } from "../../src/core/types.js";
import {
  contentTypeFor,
  contentTypeRequest,
  contentTypeResponse,
  wrapContentType,
} from "../../src/middleware/content-type.js";
import { mockRequest } from "../../src/testing/mock-request.js";

describe("contentTypeFor", () => {
  it.each([
    ["/site.css", "text/css; charset=utf-8"],
    ["/index.html", "text/html; charset=utf-8"],
    ["app.js", "text/javascript; charset=utf-8"],
    ["/a/b/notes.txt", "text/plain; charset=utf-8"],
    ["/data.json", "application/json"],
    ["/logo.svg", "image/svg+xml"],
    ["/photo.JPG", "image/jpeg"],
    ["/favicon.ico", "image/vnd.microsoft.icon"],
    ["/font.woff2", "font/woff2"],
    ["png", "image/png"],
    [".wasm", "application/wasm"],
  ])("%s is %s", (path, type) => {
    expect(contentTypeFor(path)).toBe(type);
  });

  it.each(["/README", "/api/users", "/.env", "/", "/file.unknownext", ""])("%j is unknown", (path) => {
    expect(contentTypeFor(path)).toBeUndefined();
  });
});

describe("contentTypeResponse", () => {
  const get = (uri: string) => mockRequest("GET", uri);

  it("adds the type of the path's extension to a response without one", () => {
    expect(contentTypeResponse(response("body {}"), get("/css/site.css")).headers).toEqual({
      "content-type": "text/css; charset=utf-8",
    });
  });

  it("leaves a response that has a content-type, in any case, as it is", () => {
    const given: Response = { status: 200, headers: { "Content-Type": "text/x-mine" }, body: "x" };
    expect(contentTypeResponse(given, get("/site.css"))).toBe(given);
    const helper = json({ a: 1 });
    expect(contentTypeResponse(helper, get("/page.html"))).toBe(helper);
  });

  it("gives application/octet-stream (Ring's default) for an unknown or missing extension, or defaultType", () => {
    expect(contentTypeResponse(response("x"), get("/download")).headers["content-type"]).toBe(
      "application/octet-stream",
    );
    expect(
      contentTypeResponse(response("x"), get("/a.zzz"), { defaultType: "text/plain; charset=utf-8" }).headers[
        "content-type"
      ],
    ).toBe("text/plain; charset=utf-8");
  });

  it("reads the extension after percent-decoding, and ignores the query string", () => {
    expect(contentTypeResponse(response("x"), get("/a%2Ecss")).headers["content-type"]).toBe(
      "text/css; charset=utf-8",
    );
    expect(contentTypeResponse(response("x"), get("/a.png?v=1.css")).headers["content-type"]).toBe(
      "image/png",
    );
  });

  it("does not read an extension from a directory name", () => {
    expect(contentTypeResponse(response("x"), get("/v1.2/users")).headers["content-type"]).toBe(
      "application/octet-stream",
    );
  });

  it("uses mimeTypes before the table, extension in any case with or without its dot", () => {
    const options = { mimeTypes: { MAP: "application/json", ".ts": "text/typescript" } };
    expect(contentTypeResponse(response("x"), get("/a.js.map"), options).headers["content-type"]).toBe(
      "application/json",
    );
    expect(contentTypeResponse(response("x"), get("/src/a.ts"), options).headers["content-type"]).toBe(
      "text/typescript",
    );
  });

  it.each([101, 204, 304])("leaves a %d, which has no content, alone", (status) => {
    const given: Response = { status, headers: {} };
    expect(contentTypeResponse(given, get("/a.css"))).toBe(given);
  });

  it("keeps the other headers and keys, and does not change the response it was given", () => {
    const given = Object.freeze({
      status: 201,
      headers: Object.freeze({ etag: '"1"' }),
      body: "x",
      extra: 1,
    });
    const out = contentTypeResponse(given, get("/a.txt"));
    expect(out).toEqual({
      status: 201,
      headers: { etag: '"1"', "content-type": "text/plain; charset=utf-8" },
      body: "x",
      extra: 1,
    });
    expect(given.headers).toEqual({ etag: '"1"' });
  });
});

describe("contentTypeRequest", () => {
  it("returns the request itself", () => {
    const request = mockRequest("GET", "/a.css");
    expect(contentTypeRequest(request)).toBe(request);
  });
});

describe("wrapContentType options", () => {
  const handler: Handler = () => response("x");

  it("throws at construction for a bad option, naming it", () => {
    expect(() => wrapContentType(handler, { defaultType: "" })).toThrow(
      /wrapContentType: option "defaultType": must be a content type/,
    );
    expect(() => wrapContentType(handler, { mimeTypes: { css: "text/css\r\nx-injected: 1" } })).toThrow(
      /wrapContentType: option "mimeTypes.css": must be a content type/,
    );
    expect(() => wrapContentType(handler, { mimeTypes: { css: 1 as unknown as string } })).toThrow(
      /wrapContentType: option "mimeTypes.css"/,
    );
    expect(() => wrapContentType(handler, { typo: 1 } as never)).toThrow(
      'wrapContentType: unknown option "typo"',
    );
    expect(() => wrapContentType({ defaultType: 7 } as never)).toThrow(/option "defaultType"/);
    expect(() => wrapContentType("x" as never)).toThrow(
      /wrapContentType: the first argument must be a handler/,
    );
    expect(() => contentTypeResponse(response("x"), mockRequest("GET", "/"), { bad: 1 } as never)).toThrow(
      'contentTypeResponse: unknown option "bad"',
    );
  });

  it("stays synchronous for a synchronous handler, and works on a promise", async () => {
    const sync = wrapContentType(handler)(mockRequest("GET", "/a.css"));
    expect((sync as Response).headers["content-type"]).toBe("text/css; charset=utf-8");
    const async = wrapContentType(async () => response("x"))(mockRequest("GET", "/a.svg"));
    expect(async).toBeInstanceOf(Promise);
    expect((await async).headers["content-type"]).toBe("image/svg+xml");
  });

  it("fits compose in its options form", () => {
    const app = compose(wrapContentType({ defaultType: "text/plain" }))(() => response("x"));
    expect((app(mockRequest("GET", "/none")) as Response).headers["content-type"]).toBe("text/plain");
  });
});

describe("wrapContentType through serve()", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const app = wrapContentType((request) =>
      request.uri === "/typed.css" ? text("already typed") : response(`body of ${request.uri}`),
    );
    server = await serve(app, { port: 0, hostname: "127.0.0.1" });
  });
  afterAll(() => server.close());

  it("sends the type of the extension, keeps a stated one, and defaults the rest", async () => {
    const css = await fetch(`${server.url}/styles/site.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const typed = await fetch(`${server.url}/typed.css`);
    expect(typed.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const none = await fetch(`${server.url}/api/thing`);
    expect(none.headers.get("content-type")).toBe("application/octet-stream");
    await Promise.all([css.text(), typed.text(), none.text()]);
  });
});
