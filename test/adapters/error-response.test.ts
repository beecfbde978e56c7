import { afterEach, describe, expect, it, vi } from "vitest";
import {
  defaultOnError,
  ERROR_INFO,
  type ErrorKind,
  errorResponse,
  handlerErrorKind,
  reportError,
} from "../../src/adapters/error-response.js";
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
    // The shared describer never calls a thrown value's own toString.
    expect(spy.mock.calls[0]?.[0]).toBe(
      "ringlet: POST /users/7?x=1 failed: non-Error value thrown: an object",
    );
    spy.mockImplementation(() => {
      throw new Error("EPIPE");
    });
    expect(() => defaultOnError(new Error("x"), request)).not.toThrow();
  });
});

describe("defaultOnError: quiet about what a client causes", () => {
  const QUIET: ErrorKind[] = ["http-error", "client-error", "client-aborted", "timeout"];
  const LOGGED: ErrorKind[] = ["handler", "response"];

  it("logs server failures and nothing else", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    for (const kind of QUIET) defaultOnError(new Error(kind), request, ERROR_INFO[kind]);
    expect(spy).not.toHaveBeenCalled();
    for (const kind of LOGGED) defaultOnError(new Error(kind), request, ERROR_INFO[kind]);
    defaultOnError(new Error("no info"), request);
    expect(spy.mock.calls.map(([line]) => line)).toEqual([
      "ringlet: POST /users/7?x=1 failed: Error: handler",
      "ringlet: POST /users/7?x=1 failed: Error: response",
      "ringlet: POST /users/7?x=1 failed: Error: no info",
    ]);
  });

  it("has one frozen info per kind", () => {
    for (const [kind, info] of Object.entries(ERROR_INFO)) {
      expect(info).toEqual({ kind });
      expect(Object.isFrozen(info)).toBe(true);
    }
    expect(Object.keys(ERROR_INFO).sort()).toEqual([...QUIET, ...LOGGED].sort());
  });

  it("still logs a hook's own failure when the error it was told of is quiet", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    reportError(
      () => {
        throw new Error("hook broke");
      },
      new Error("aborted"),
      undefined,
      ERROR_INFO["client-aborted"],
    );
    expect(spy.mock.calls.map(([line]) => line)).toEqual([
      "ringlet: (no request) failed: Error: onError itself failed: Error: hook broke",
    ]);
  });
});

describe("handlerErrorKind", () => {
  const aborted = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
  const isBodyFailure = (cause: object) => cause === aborted;

  it("is client-aborted for the request body's own failure, also when wrapped", () => {
    expect(handlerErrorKind(aborted, isBodyFailure)).toBe("client-aborted");
    const wrapped = new Error("upload failed", { cause: new Error("read failed", { cause: aborted }) });
    expect(handlerErrorKind(wrapped, isBodyFailure)).toBe("client-aborted");
  });

  it("is handler for the same kind of error from elsewhere (an upstream reset), and for cycles", () => {
    const upstream = Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    expect(handlerErrorKind(upstream, isBodyFailure)).toBe("handler");
    const cyclic = new Error("a") as Error & { cause?: unknown };
    cyclic.cause = cyclic;
    expect(handlerErrorKind(cyclic, isBodyFailure)).toBe("handler");
  });

  it("is http-error for a 4xx HttpError only; a 5xx one, or anything else, is handler", () => {
    expect(handlerErrorKind(new HttpError(404), isBodyFailure)).toBe("http-error");
    expect(handlerErrorKind(new HttpError(499), isBodyFailure)).toBe("http-error");
    expect(handlerErrorKind(new HttpError(500), isBodyFailure)).toBe("handler");
    expect(handlerErrorKind(new HttpError(503), isBodyFailure)).toBe("handler");
    const foreign = Object.assign(new Error("odd"), { status: 404.5, expose: true });
    expect(handlerErrorKind(foreign, isBodyFailure)).toBe("handler");
    for (const thrown of [new TypeError("x"), "string", undefined, null, 42]) {
      expect(handlerErrorKind(thrown, isBodyFailure)).toBe("handler");
    }
  });
});

describe("reportError", () => {
  it("passes the error and the request to the hook", () => {
    const seen: unknown[] = [];
    const error = new Error("boom");
    reportError((e, r, info) => void seen.push(e, r, info), error, request, ERROR_INFO.handler);
    expect(seen).toEqual([error, request, { kind: "handler" }]);
    // A hook written for two arguments keeps working.
    const twoArguments: (error: unknown, request: Request | undefined) => void = (e) => void seen.push(e);
    reportError(twoArguments, error, request, ERROR_INFO["client-aborted"]);
    expect(seen).toHaveLength(4);
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
        ERROR_INFO.handler,
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
      reportError(
        () => Promise.reject(new Error("async hook broke")),
        new Error("original"),
        undefined,
        ERROR_INFO.response,
      );
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
