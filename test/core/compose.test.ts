import { describe, expect, it } from "vitest";
import { compose } from "../../src/core/compose.js";
import type { Handler, Request, Response } from "../../src/core/types.js";

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
