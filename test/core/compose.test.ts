import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { wrapCookies } from "../../src/cookies/middleware.js";
import { compose } from "../../src/core/compose.js";
import { response } from "../../src/core/response.js";
import type { Handler, Request, Response } from "../../src/core/types.js";
import { wrapHead } from "../../src/middleware/head.js";
import { type Params, wrapParams } from "../../src/middleware/params.js";
import { wrapFlash } from "../../src/session/flash.js";
import { memoryStore } from "../../src/session/memory-store.js";
import { wrapSession } from "../../src/session/wrap-session.js";

const req = { method: "GET", uri: "/" } as unknown as Request;

describe("compose", () => {
  it("applies middleware in reading order: the first listed is outermost", async () => {
    const order: string[] = [];
    const tag =
      (name: string) =>
      (h: Handler): Handler =>
      async (r) => {
        order.push(`${name}:in`);
        const res = await h(r);
        order.push(`${name}:out`);
        return { ...res, headers: { ...res.headers, [`x-${name}`]: "1" } };
      };
    const handler: Handler = () => {
      order.push("handler");
      return { status: 200, headers: {} } satisfies Response;
    };
    const app = compose(tag("a"), tag("b"))(handler);
    const res = await app(req);
    expect(order).toEqual(["a:in", "b:in", "handler", "b:out", "a:out"]);
    expect(res.headers).toEqual({ "x-b": "1", "x-a": "1" });
  });

  it("with no middleware returns the handler itself", () => {
    const handler: Handler = () => ({ status: 204, headers: {} });
    expect(compose()(handler)).toBe(handler);
  });

  it("rejects a non-function at composition time, naming its position", () => {
    expect(() => compose((h: Handler) => h, 42 as never)).toThrow(/argument 1 is not a function/);
  });
});

describe("compose, typed", () => {
  type Counter = { count?: number };
  const store = memoryStore();

  it("hands an unannotated handler every key the middleware add, typed", async () => {
    const app = compose(
      wrapHead,
      wrapSession<Counter>({ store }),
      wrapParams,
    )((req) => {
      expectTypeOf(req.session.count).toEqualTypeOf<number | undefined>();
      expectTypeOf(req.params).toEqualTypeOf<Params>();
      expectTypeOf(req.queryParams).toEqualTypeOf<Params>();
      expectTypeOf(req.method).toEqualTypeOf<string>();
      // @ts-expect-error a typo in a request key
      req.sesion;
      // @ts-expect-error the session's keys are typed
      req.session.nmae;
      const count = req.session.count ?? 0;
      return { ...response(`count=${count} page=${String(req.params.page)}`), session: { count: count + 1 } };
    });
    expectTypeOf(app).toEqualTypeOf<Handler>();
    const res = await app({ ...req, queryString: "page=2", headers: {} });
    expect(res.body).toBe("count=0 page=2");
  });

  it("checks the response keys a middleware reads, as well as the request", () => {
    const stack = compose(wrapSession<Counter>({ store }));
    // @ts-expect-error the session written back must be a Counter
    stack(() => ({ ...response("x"), session: { count: "one" } }));
    stack(() => ({ ...response("x"), session: null }));
    stack(async () => ({ ...response("x"), session: { count: 1 } }));
  });

  it("types the session from a schema given through the composition", () => {
    const schema = z.object({ user: z.string() });
    compose(wrapSession({ schema }))((req) => {
      // Partial: a request without a valid session cookie gets {} whatever the schema says.
      expectTypeOf(req.session.user).toEqualTypeOf<string | undefined>();
      return response(req.session.user ?? "nobody");
    });
  });

  it("types the flash and cookies middleware too", () => {
    compose(
      wrapSession,
      wrapFlash<string>(),
      wrapCookies,
    )((req) => {
      expectTypeOf(req.flash).toEqualTypeOf<string | undefined>();
      expectTypeOf(req.cookies).toEqualTypeOf<Readonly<Record<string, string>>>();
      return { ...response("ok"), flash: "saved" };
    });
  });

  it("lets a user write a typed middleware that adds a key, with no cast", async () => {
    const wrapRequestId =
      <Req extends Request, Res extends Response>(
        handler: Handler<Req & { requestId: string }, Res>,
      ): Handler<Req, Res> =>
      (request) =>
        handler({ ...request, requestId: "r-1" });
    const app = compose(
      wrapRequestId,
      wrapParams,
    )((req) => response(`${req.requestId} ${String(req.params.a)}`));
    expect((await app({ ...req, queryString: "a=1", headers: {} })).body).toBe("r-1 1");
  });

  it("gives a middleware's options once, and the one-argument form checks them at once", async () => {
    const limited = wrapParams({ maxParams: 1 });
    expect(() =>
      limited((r) => response(String(r.params.a)))({ ...req, queryString: "a=1&b=2", headers: {} }),
    ).toThrow(expect.objectContaining({ status: 413 }));
    expect(() => wrapParams({ maxParams: 0 })).toThrow(/wrapParams: option "maxParams"/);
    expect(() => wrapSession({ nope: 1 } as never)).toThrow(/wrapSession: unknown option "nope"/);
    expect(() => wrapHead(42 as never)).toThrow(/wrapHead: the first argument must be a handler function/);
  });
});
