import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultOnError, errorResponse, reportError } from "../../src/adapters/error-response.js";
import { HttpError } from "../../src/core/http-error.js";
import { responseProblem } from "../../src/core/response-check.js";
import type { Request } from "../../src/core/types.js";

const request = {
  method: "POST",
  uri: "/users/7",
  queryString: "x=1",
} as Request;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("errorResponse", () => {
  it("gives an exposed HttpError its status, message and headers", () => {
    const res = errorResponse(new HttpError(405, "Use GET", { headers: { Allow: "GET, HEAD" } }));
    expect(res).toEqual({
      status: 405,
      headers: {
        allow: "GET, HEAD",
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
      },
      body: "Use GET",
    });
    expect(responseProblem(res)).toBeUndefined();
  });

  it("hides the message of an HttpError that is not exposed", () => {
    const res = errorResponse(new HttpError(503, "redis at 10.0.0.5 refused the connection"));
    expect(res.status).toBe(503);
    expect(res.body).toBe("Service Unavailable");
    const forced = errorResponse(new HttpError(400, "secret detail", { expose: false }));
    expect(forced.status).toBe(400);
    expect(forced.body).toBe("Bad Request");
  });

  it("turns anything else into a generic 500", () => {
    for (const thrown of [
      new Error("db password is hunter2"),
      "a string",
      undefined,
      null,
      42,
      { status: 404 },
    ]) {
      const res = errorResponse(thrown);
      expect(res.status).toBe(500);
      expect(res.body).toBe("Internal Server Error");
      expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    }
  });

  it("never sends an impossible status or invalid headers from a duck-typed HttpError", () => {
    const foreign = Object.assign(new Error("teapot"), {
      status: 200,
      expose: true,
      headers: { "bad name": "x", "x-ok": "1", "x-crlf": "a\r\nb", "x-num": 3 },
    });
    const res = errorResponse(foreign);
    expect(res.status).toBe(500);
    expect(res.body).toBe("Internal Server Error");
    expect(res.headers).toEqual({
      "x-ok": "1",
      "content-type": "text/plain; charset=utf-8",
      "x-content-type-options": "nosniff",
    });
    expect(responseProblem(res)).toBeUndefined();
  });

  it("lets its own content-type win over one in HttpError.headers", () => {
    const res = errorResponse(new HttpError(400, "bad", { headers: { "Content-Type": "text/html" } }));
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });
});

describe("defaultOnError", () => {
  it("writes one line on stderr with method, target and error", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    defaultOnError(new TypeError("x is not\na function"), request);
    defaultOnError(new HttpError(400, "Malformed request target"), undefined);
    defaultOnError("thrown string", request);
    expect(spy.mock.calls).toEqual([
      ["ringlet: POST /users/7?x=1 failed: TypeError: x is not ⏎ a function"],
      ["ringlet: (no request) failed: HttpError (400): Malformed request target"],
      ['ringlet: POST /users/7?x=1 failed: non-Error value thrown: "thrown string"'],
    ]);
    for (const [line] of spy.mock.calls) expect(String(line)).not.toContain("\n");
  });

  it("never throws, even for values that cannot be printed or a broken console", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const hostile = {
      toString() {
        throw new Error("no");
      },
    };
    expect(() => defaultOnError(hostile, request)).not.toThrow();
    expect(spy.mock.calls[0]?.[0]).toBe(
      "ringlet: POST /users/7?x=1 failed: an error that cannot be described",
    );
    spy.mockImplementation(() => {
      throw new Error("EPIPE");
    });
    expect(() => defaultOnError(new Error("x"), request)).not.toThrow();
  });
});

describe("reportError", () => {
  it("passes the error and the request to the hook", () => {
    const seen: unknown[] = [];
    const error = new Error("boom");
    reportError((e, r) => void seen.push(e, r), error, request);
    expect(seen).toEqual([error, request]);
  });

  it("survives a hook that throws, logging both errors", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() =>
      reportError(
        () => {
          throw new Error("hook broke");
        },
        new Error("original"),
        request,
      ),
    ).not.toThrow();
    expect(spy.mock.calls.map(([line]) => line)).toEqual([
      "ringlet: POST /users/7?x=1 failed: Error: original",
      "ringlet: POST /users/7?x=1 failed: Error: onError itself failed: Error: hook broke",
    ]);
  });

  it("survives a hook that rejects, without an unhandled rejection", async () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      reportError(() => Promise.reject(new Error("async hook broke")), new Error("original"), undefined);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
      expect(spy.mock.calls.map(([line]) => line)).toEqual([
        "ringlet: (no request) failed: Error: original",
        "ringlet: (no request) failed: Error: onError itself failed: Error: async hook broke",
      ]);
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });
});
