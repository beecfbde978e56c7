import { describe, expect, expectTypeOf, it } from "vitest";
import { redirect, response } from "../../src/core/response.js";
import type { Request, Response } from "../../src/core/types.js";
import { flashRequest, flashResponse, wrapFlash } from "../../src/session/flash.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionData } from "../../src/session/store.js";
import { type SessionRequestKeys, wrapSession } from "../../src/session/wrap-session.js";
import { mockRequest } from "../../src/testing/mock-request.js";

const base: Request = mockRequest("GET", "/");

function withSession(session: SessionData): Request & SessionRequestKeys {
  return { ...base, session, sessionKey: "k" };
}

describe("flashRequest", () => {
  it("moves _flash out of the session into request.flash", () => {
    const req = flashRequest(withSession({ user: 1, _flash: "Saved" }));
    expect(req.flash).toBe("Saved");
    expect(req.session).toEqual({ user: 1 });
  });

  it("leaves a request without a flash as it is", () => {
    const req = withSession({ user: 1 });
    expect(flashRequest(req)).toBe(req);
    expect("flash" in flashRequest(req)).toBe(false);
  });

  it("throws when wrapSession is not outside", () => {
    expect(() => flashRequest(base as never)).toThrow(/wrapSession must sit outside wrapFlash/);
  });
});

describe("flashResponse", () => {
  const plain = withSession({ user: 1 });
  const flashed = flashRequest(withSession({ user: 1, _flash: "old" }));

  it("stores a new flash in the request's session when the response has no session", () => {
    expect(flashResponse({ ...response("x"), flash: "new" }, plain)).toEqual({
      ...response("x"),
      session: { user: 1, _flash: "new" },
    });
  });

  it("merges a new flash into the response's session", () => {
    expect(flashResponse({ ...response("x"), session: { user: 2 }, flash: "new" }, plain)).toEqual({
      ...response("x"),
      session: { user: 2, _flash: "new" },
    });
  });

  it("session null with a new flash leaves a new session holding only the flash", () => {
    expect(flashResponse({ ...response("x"), session: null, flash: "bye" }, plain)).toEqual({
      ...response("x"),
      session: { _flash: "bye" },
      recreateSession: true,
    });
  });

  it("removes a flash that was read, even when the handler does not touch the session", () => {
    expect(flashResponse(response("x"), flashed)).toEqual({ ...response("x"), session: { user: 1 } });
  });

  it("keeps the handler's own session (already without the flash) and its null", () => {
    expect(flashResponse({ ...response("x"), session: { user: 3 } }, flashed)).toEqual({
      ...response("x"),
      session: { user: 3 },
    });
    expect(flashResponse({ ...response("x"), session: null }, flashed)).toEqual({
      ...response("x"),
      session: null,
    });
  });

  it("passes other responses through and removes an empty flash key", () => {
    const res = response("x");
    expect(flashResponse(res, plain)).toBe(res);
    expect(flashResponse({ ...res, flash: undefined }, plain)).toEqual(res);
    expect(flashResponse(undefined, plain)).toBeUndefined();
  });
});

describe("wrapFlash inside wrapSession", () => {
  function app() {
    const seen: unknown[] = [];
    const handler = wrapSession(
      wrapFlash<string, { user?: string; visits?: number }>((req) => {
        seen.push({ flash: req.flash, session: req.session });
        if (req.uri === "/save")
          return { ...redirect("/", 303), flash: "Saved", session: { ...req.session, user: "ann" } };
        if (req.uri === "/logout") return { ...redirect("/", 303), session: null, flash: "Bye" };
        if (req.uri === "/count")
          return { ...response("n"), session: { ...req.session, visits: (req.session.visits ?? 0) + 1 } };
        return response("page");
      }),
      { store: memoryStore({ sweepInterval: 0 }) },
    );
    let cookie: string | undefined;
    const get = (uri: string) => {
      const res = handler(mockRequest("GET", uri, { headers: cookie ? { cookie } : {} })) as Response;
      const line = res.headers["set-cookie"];
      if (typeof line === "string")
        cookie = line.split(";")[0]!.endsWith("=") ? undefined : line.split(";")[0];
      return res;
    };
    return { get, seen };
  }

  it("shows a flash on exactly the next request, and keeps the rest of the session", () => {
    const { get, seen } = app();
    get("/save");
    get("/");
    get("/");
    expect(seen).toEqual([
      { flash: undefined, session: {} },
      { flash: "Saved", session: { user: "ann" } },
      { flash: undefined, session: { user: "ann" } },
    ]);
  });

  it("a flash survives a handler that writes the session on the next request, then is gone", () => {
    const { get, seen } = app();
    get("/save");
    get("/count");
    get("/");
    expect(seen.slice(1)).toEqual([
      { flash: "Saved", session: { user: "ann" } },
      { flash: undefined, session: { user: "ann", visits: 1 } },
    ]);
  });

  it("logout with a flash: the old session is gone, the next request sees only the flash", () => {
    const { get, seen } = app();
    get("/save");
    get("/");
    get("/logout");
    get("/");
    get("/");
    expect(seen.slice(3)).toEqual([
      { flash: "Bye", session: {} },
      { flash: undefined, session: {} },
    ]);
  });

  it("never shows _flash to the handler nor the flash key to the outside", () => {
    const { get } = app();
    const res = get("/save");
    expect("flash" in res).toBe(false);
    expect("session" in res).toBe(false);
  });

  it("rejects unknown options", () => {
    expect(() => wrapFlash(() => response("x"), { key: "f" } as never)).toThrow(
      /wrapFlash: unknown option "key"/,
    );
  });

  it("types request.flash", () => {
    wrapFlash<string>((req) => {
      expectTypeOf(req.flash).toEqualTypeOf<string | undefined>();
      return response("x");
    });
  });
});
