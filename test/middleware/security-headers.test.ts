import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { compose } from "../../src/core/compose.js";
import { text } from "../../src/core/response.js";
import type { Response } from "../../src/core/types.js";
import {
  securityHeadersRequest,
  securityHeadersResponse,
  wrapSecurityHeaders,
} from "../../src/middleware/security-headers.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const http = mockRequest("GET", "/");
const https = mockRequest("GET", "/", { scheme: "https" });
const ALL_HTTP = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "content-security-policy": "frame-ancestors 'self'",
  "referrer-policy": "strict-origin-when-cross-origin",
};

describe("securityHeadersResponse", () => {
  it("adds the four headers on http, and HSTS only on https (RFC 6797 §7.2)", () => {
    expect(securityHeadersResponse(text("x"), http).headers).toEqual({
      "content-type": "text/plain; charset=utf-8",
      ...ALL_HTTP,
    });
    expect(securityHeadersResponse(text("x"), https).headers).toMatchObject({
      ...ALL_HTTP,
      "strict-transport-security": "max-age=31536000; includeSubDomains",
    });
  });

  it("keeps a header the response sets itself, in any case, and does not add a second one", () => {
    const own: Response = {
      status: 200,
      headers: { "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'" },
    };
    const out = securityHeadersResponse(own, http).headers;
    expect(out["X-Frame-Options"]).toBe("DENY");
    expect(out["x-frame-options"]).toBeUndefined();
    expect(out["Content-Security-Policy"]).toBe("default-src 'self'");
    expect(out["content-security-policy"]).toBeUndefined();
    expect(out["x-content-type-options"]).toBe("nosniff");
  });

  it("turns each header off with false and configures HSTS", () => {
    const options = {
      contentTypeOptions: false,
      frameOptions: "DENY",
      contentSecurityPolicy: false,
      referrerPolicy: "no-referrer",
      hsts: { maxAge: 0, includeSubDomains: false },
    } as const;
    expect(securityHeadersResponse({ status: 200, headers: {} }, https, options).headers).toEqual({
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "strict-transport-security": "max-age=0",
    });
    const none = {
      contentTypeOptions: false,
      frameOptions: false,
      contentSecurityPolicy: false,
      referrerPolicy: false,
      hsts: false,
    } as const;
    const res: Response = { status: 200, headers: {} };
    expect(securityHeadersResponse(res, https, none)).toBe(res);
  });

  it("leaves the request alone", () => {
    expect(securityHeadersRequest(http)).toBe(http);
  });

  it("throws at construction on bad options, naming the option", () => {
    expect(() => wrapSecurityHeaders({ frameOptions: "ALLOW-FROM x" as never })).toThrow(
      /^wrapSecurityHeaders: option "frameOptions": must be "SAMEORIGIN", "DENY" or false/,
    );
    expect(() => wrapSecurityHeaders({ referrerPolicy: "everywhere" as never })).toThrow(
      /^wrapSecurityHeaders: option "referrerPolicy": must be a Referrer-Policy value/,
    );
    expect(() => wrapSecurityHeaders({ contentSecurityPolicy: "a\nb" })).toThrow(
      /^wrapSecurityHeaders: option "contentSecurityPolicy": /,
    );
    expect(() => wrapSecurityHeaders({ hsts: { maxAge: -1 } })).toThrow(/^wrapSecurityHeaders: option "hsts/);
    expect(() => wrapSecurityHeaders({ xss: true } as never)).toThrow(
      'wrapSecurityHeaders: unknown option "xss"',
    );
    expect(() => wrapSecurityHeaders(() => text("x"), { hsts: "yes" as never })).toThrow(
      /^wrapSecurityHeaders: option "hsts": /,
    );
  });
});

describe("wrapSecurityHeaders over HTTP", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(
      compose(wrapSecurityHeaders({ frameOptions: "DENY" }))(() => text("hi")),
      {
        port: 0,
        hostname: "127.0.0.1",
        trustProxy: true,
      },
    );
  });
  afterAll(() => server.close());

  it("sends the headers, HSTS only for a forwarded https request", async () => {
    const plain = await fetch(server.url);
    expect(plain.headers.get("x-frame-options")).toBe("DENY");
    expect(plain.headers.get("x-content-type-options")).toBe("nosniff");
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    const secure = await fetch(server.url, { headers: { "x-forwarded-proto": "https" } });
    expect(secure.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
  });
});
