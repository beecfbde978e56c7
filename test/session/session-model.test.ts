import fc from "fast-check";
import { describe, it } from "vitest";
import { cookieStore } from "../../src/session/cookie-store/cookie-store.js";
import { memoryStore } from "../../src/session/memory-store.js";
import { sessionModelProperty } from "./model.js";

const HOUR = 3_600_000;

describe("wrapSession agrees with the reference model (fast-check commands, tough-cookie jar)", () => {
  it("with memoryStore (idle time-to-live, key kept on write)", async () => {
    await fc.assert(
      sessionModelProperty({
        makeStore: (now) => memoryStore({ maxAge: HOUR / 1000, now, sweepInterval: 0 }),
        ttlMs: HOUR,
        expiry: "idle",
        newKeyOnWrite: false,
      }),
      { numRuns: 100 },
    );
  });

  it("with cookieStore (seal valid for maxAge after each write, new value on every write)", async () => {
    const secret = new Uint8Array(32).fill(7);
    await fc.assert(
      sessionModelProperty({
        makeStore: (now) => cookieStore({ secret, maxAge: HOUR / 1000, now }),
        ttlMs: HOUR,
        expiry: "written",
        newKeyOnWrite: true,
      }),
      { numRuns: 100 },
    );
  });
});
