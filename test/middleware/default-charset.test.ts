import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import type { Response } from "../../src/core/types.js";
import {
  defaultCharsetRequest,
  defaultCharsetResponse,
  wrapDefaultCharset,
} from "../../src/middleware/default-charset.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const request = mockRequest("GET", "/");
const typed = (type: string): Response => ({ status: 200, headers: { "content-type": type }, body: "x" });

describe("defaultCharsetResponse", () => {
  it.each([
    ["text/html", "text/html; charset=utf-8"],
    ["Text/CSS", "Text/CSS; charset=utf-8"],
    ["text/plain; format=flowed", "text/plain; format=flowed; charset=utf-8"],
    ["text/html; charset=iso-8859-1", "text/html; charset=iso-8859-1"],
    ["text/html;Charset=UTF-8", "text/html;Charset=UTF-8"],
    ["application/json", "application/json"],
    ["image/svg+xml", "image/svg+xml"],
    ["application/octet-stream", "application/octet-stream"],
  ])("%s becomes %s", (type, expected) => {
    expect(defaultCharsetResponse(typed(type), request).headers["content-type"]).toBe(expected);
  });

  it("finds content-type in any case, and leaves a response without one alone", () => {
    const upper: Response = { status: 200, headers: { "Content-Type": "text/html" } };
    expect(defaultCharsetResponse(upper, request).headers).toEqual({
      "Content-Type": "text/html; charset=utf-8",
    });
    const none: Response = { status: 200, headers: {} };
    expect(defaultCharsetResponse(none, request)).toBe(none);
  });

  it("adds the configured charset", () => {
    expect(
      defaultCharsetResponse(typed("text/html"), request, { charset: "iso-8859-1" }).headers["content-type"],
    ).toBe("text/html; charset=iso-8859-1");
  });

  it("leaves the request alone", () => {
    expect(defaultCharsetRequest(request)).toBe(request);
  });

  it("throws at construction on bad options, naming the option", () => {
    expect(() => wrapDefaultCharset({ charset: "utf 8" })).toThrow(/^wrapDefaultCharset: option "charset": /);
    expect(() => wrapDefaultCharset({ encoding: "utf-8" } as never)).toThrow(
      'wrapDefaultCharset: unknown option "encoding"',
    );
    expect(() => wrapDefaultCharset(42 as never)).toThrow(/^wrapDefaultCharset: the first argument/);
  });
});

describe("wrapDefaultCharset over HTTP", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(
      wrapDefaultCharset(() => typed("text/html")),
      { port: 0, hostname: "127.0.0.1" },
    );
  });
  afterAll(() => server.close());

  it("sends text/html with charset=utf-8", async () => {
    expect((await fetch(server.url)).headers.get("content-type")).toBe("text/html; charset=utf-8");
  });
});
