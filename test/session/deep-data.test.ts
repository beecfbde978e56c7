import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { readJson } from "../../src/core/body.js";
import { response } from "../../src/core/response.js";
import { cookieStore } from "../../src/session/cookie-store/cookie-store.js";
import { assertJsonRoundTrip, MAX_SESSION_DEPTH } from "../../src/session/json-check.js";
import { memoryStore } from "../../src/session/memory-store.js";
import { snapshot } from "../../src/session/snapshot.js";
import type { SessionReport, SessionStore } from "../../src/session/store.js";
import { wrapSession } from "../../src/session/wrap-session.js";

/** `{ a: { a: … } }` with `levels` objects in all, the outermost included. */
function nested(levels: number): Record<string, unknown> {
  let inner: Record<string, unknown> = {};
  const outer = inner;
  for (let i = 1; i < levels; i++) {
    const next = {};
    inner.a = next;
    inner = next;
  }
  return outer;
}

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("session data nested too deep (issue 10)", () => {
  it("is accepted up to MAX_SESSION_DEPTH levels and refused past it with a RangeError naming the limit", () => {
    expect(MAX_SESSION_DEPTH).toBe(128);
    // The session object holds the body, so the body may have one level fewer.
    expect(() => assertJsonRoundTrip(nested(MAX_SESSION_DEPTH))).not.toThrow();
    expect(() => snapshot(nested(MAX_SESSION_DEPTH))).not.toThrow();
    expect(() => assertJsonRoundTrip(nested(MAX_SESSION_DEPTH + 1))).toThrow(
      new RangeError("session.a.a.a.a.a.a.a.a…: nested deeper than 128 levels of objects and arrays"),
    );
    expect(() => snapshot(nested(MAX_SESSION_DEPTH + 1))).toThrow(
      new RangeError("session data is nested deeper than 128 levels"),
    );
    // Deep enough to overflow the stack of a recursive walk: still the same clear error.
    expect(() => assertJsonRoundTrip(nested(20_000))).toThrow(RangeError);
    expect(() => snapshot(nested(20_000))).toThrow(/nested deeper than 128 levels/);
    // Deep through non-plain data too (the memory store's structuredClone path), and cycles stay allowed.
    const withDate = nested(MAX_SESSION_DEPTH + 1);
    withDate.when = new Date(0);
    expect(() => snapshot(withDate)).toThrow(/nested deeper than 128 levels/);
    const cyclic: Record<string, unknown> = nested(MAX_SESSION_DEPTH);
    cyclic.me = cyclic;
    expect(() => snapshot(cyclic)).not.toThrow();
  });

  for (const [name, store] of [
    ["memory store", () => memoryStore()],
    ["cookie store", () => cookieStore({ secret: new Uint8Array(32).fill(7) })],
  ] as const) {
    it(`a JSON body saved into the session through the ${name}: depth 100 is 200, depth 5,000 is 500, never 503`, async () => {
      const reports: SessionReport[] = [];
      const adapterErrors: unknown[] = [];
      const app = wrapSession(
        async (req) => ({ ...response("saved"), session: { doc: await readJson(req) } }),
        { store: store() as SessionStore, onError: (report) => reports.push(report) },
      );
      server = await serve(app, {
        port: 0,
        onError: (error) => {
          adapterErrors.push(error);
        },
      });
      const post = (levels: number) =>
        fetch(server!.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          // Written out: JSON.stringify itself overflows the stack at this depth.
          body: `${`{"a":`.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`,
        });
      const small = await post(100);
      expect(small.status).toBe(200);
      const deep = await post(5000);
      expect(deep.status).toBe(500);
      expect(reports.filter((r) => r.kind === "store-failure")).toEqual([]);
      expect(adapterErrors).toHaveLength(1);
      expect(adapterErrors[0]).toBeInstanceOf(RangeError);
      expect(String((adapterErrors[0] as Error).message)).toMatch(/nested deeper than 128 levels/);
    });
  }
});
