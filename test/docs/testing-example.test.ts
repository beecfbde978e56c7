// The worked example of docs/testing.md, run as a test. The regions below are the doc's two code blocks
// (without their import lines and `export`); a test fails when the doc and this file drift apart, and another
// compiles the doc's blocks as the two files their headings name, as a reader would paste them.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readText } from "../../src/core/body.js";
import { notFound, redirect, response, status } from "../../src/core/response.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionStore } from "../../src/session/store.js";
import { type SessionHandler, wrapSession } from "../../src/session/wrap-session.js";
import * as arbitraries from "../../src/testing/arbitraries.js";
import { createClient } from "../../src/testing/client.js";
import { compile } from "./compile.js";

// #region app.ts
type Account = { user?: string; visits?: number };

const PASSWORDS = new Map([
  ["ann", "correct horse"],
  ["bob", "battery staple"],
]);

function makeApp(store: SessionStore = memoryStore()) {
  const handler: SessionHandler<Account> = async (req) => {
    if (req.method === "POST" && req.uri === "/login") {
      const form = new URLSearchParams(await readText(req));
      const user = form.get("user") ?? "";
      if (PASSWORDS.get(user) !== form.get("password")) {
        return status(response("Wrong user name or password."), 401);
      }
      // A new session key at login: a key planted in the browser before it is worth nothing.
      return { ...redirect("/", 303), session: { user }, recreateSession: true };
    }
    if (req.method === "POST" && req.uri === "/logout") {
      return { ...redirect("/", 303), session: null };
    }
    if (req.method === "GET" && req.uri === "/") {
      if (req.session.user === undefined) return status(response("Please log in."), 401);
      const visits = (req.session.visits ?? 0) + 1;
      return {
        ...response(`Hello ${req.session.user}, visit ${visits}.`),
        session: { ...req.session, visits },
      };
    }
    return notFound();
  };
  return wrapSession(handler, { store });
}
// #endregion

// #region app.test.ts
type Action =
  | { kind: "login"; user: string; password: string }
  | { kind: "visit" }
  | { kind: "logout" }
  | { kind: "wait"; seconds: number }
  | { kind: "forge"; key: string };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant("login" as const),
    user: fc.constantFrom("ann", "bob", "eve"),
    password: fc.constantFrom("correct horse", "battery staple", ""),
  }),
  fc.constant({ kind: "visit" as const }),
  fc.constant({ kind: "logout" as const }),
  fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 3600 }) }),
  // Someone replaces the session cookie with a key of their choosing (session fixation, guessing).
  fc.record({ kind: fc.constant("forge" as const), key: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) }),
);

const IDLE_LIMIT = 1800; // seconds: the store forgets a session not used for this long

describe("login, counter, logout", () => {
  it("agrees with a model of who is logged in, for any sequence of actions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 25 }), async (actions) => {
        let time = Date.UTC(2030, 0, 1);
        const now = () => time;
        // The client and the store share one clock, so "wait" moves both.
        const app = makeApp(memoryStore({ now, maxAge: IDLE_LIMIT }));
        const client = createClient(app, { now, followRedirects: true });
        const model: { user?: string; visits: number; lastUsed: number } = { visits: 0, lastUsed: time };

        for (const step of actions) {
          // Any request that carries a live session cookie reads the session, which keeps it alive.
          if (model.user !== undefined) {
            if (time - model.lastUsed >= IDLE_LIMIT * 1000) model.user = undefined;
            else if (step.kind !== "wait" && step.kind !== "forge") model.lastUsed = time;
          }
          switch (step.kind) {
            case "login": {
              const res = await client.post("/login", { form: { user: step.user, password: step.password } });
              if (PASSWORDS.get(step.user) === step.password) {
                Object.assign(model, { user: step.user, visits: 1, lastUsed: time });
                expect(res.redirects).toEqual(["http://localhost/"]);
                expect(res.body).toBe(`Hello ${step.user}, visit 1.`);
              } else {
                expect(res.status).toBe(401);
              }
              break;
            }
            case "visit": {
              const res = await client.get("/");
              if (model.user === undefined) {
                expect([res.status, res.body]).toEqual([401, "Please log in."]);
              } else {
                model.visits++;
                expect(res.body).toBe(`Hello ${model.user}, visit ${model.visits}.`);
              }
              break;
            }
            case "logout": {
              const res = await client.post("/logout");
              model.user = undefined;
              expect(res.status).toBe(401);
              expect(client.cookies()).toEqual([]);
              break;
            }
            case "wait":
              time += step.seconds * 1000;
              break;
            case "forge":
              client.clearCookies();
              client.setCookie(`ring-session=${step.key}; Path=/; HttpOnly`);
              model.user = undefined;
              break;
          }
          // Never more than one session cookie, and never one a script could read.
          const sessions = client.cookies().filter((c) => c.name === "ring-session");
          expect(sessions.length).toBeLessThanOrEqual(1);
          expect(sessions.every((c) => c.httpOnly)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("answers a malformed cookie header as a logged-out visitor, never with an error", async () => {
    const client = createClient(makeApp());
    await fc.assert(
      fc.asyncProperty(arbitraries.malformedCookieHeader(), async (junk) => {
        const res = await client.get("/", { headers: { cookie: junk } });
        expect(res.status).toBe(401);
      }),
    );
  });

  it("answers any request the SPEC allows without a server error", async () => {
    const app = makeApp();
    await fc.assert(
      fc.asyncProperty(arbitraries.request(), async (req) => {
        const res = await app(req);
        expect(res.status).toBeLessThan(500);
      }),
    );
  });
});
// #endregion

describe("docs/testing.md", () => {
  it("shows exactly the code this file runs", () => {
    const doc = readFileSync(new URL("../../docs/testing.md", import.meta.url), "utf8");
    const self = readFileSync(new URL(import.meta.url), "utf8");
    for (const name of ["app.ts", "app.test.ts"]) {
      const region = self.split(`// #region ${name}\n`)[1]?.split("// #endregion")[0];
      const block = doc.split(`\`\`\`ts\n// ${name}\n`)[1]?.split("```")[0];
      expect(region, `region ${name} in this file`).toBeDefined();
      expect(block, `code block "// ${name}" in docs/testing.md`).toBeDefined();
      const code = block!
        .split("\n")
        .filter((line) => !line.startsWith("import "))
        .join("\n")
        .replace(/^export /gm, "")
        .trimStart();
      expect(code).toBe(region);
    }
  });
});

describe("docs/testing.md, pasted as two files", () => {
  it("compiles as app.ts and app.test.ts, the package's entry points standing in for ringlet", () => {
    const doc = readFileSync(new URL("../../docs/testing.md", import.meta.url), "utf8");
    const files: Record<string, string> = {};
    for (const name of ["app.ts", "app.test.ts"]) {
      const block = doc.split(`\`\`\`ts\n// ${name}\n`)[1]?.split("```")[0];
      expect(block, `code block "// ${name}" in docs/testing.md`).toBeDefined();
      files[name] = block!;
    }
    expect(compile(files)).toEqual([]);
  });
});
