/**
 * The model-based session test, shared by every store: random sequences of handler actions go through the real
 * `wrapSession` with a tough-cookie jar that applies each Set-Cookie as a browser would, and at every step the
 * session the handler sees must agree with a small reference model. `sessionModelProperty(target)` runs it.
 */
import fc from "fast-check";
import { CookieJar } from "tough-cookie";
import { expect } from "vitest";
import type { Request, Response } from "../../src/core/types.js";
import type { SessionData, SessionStore } from "../../src/session/store.js";
import { wrapSession } from "../../src/session/wrap-session.js";
import { type SessionAction, sessionAction, sessionActionResponse } from "../../src/testing/arbitraries.js";
import { mockRequest } from "../../src/testing/mock-request.js";

/** A store under test, and how it ages sessions. */
export interface ModelTarget {
  /** Build a fresh store that reads time from `now` (milliseconds). */
  makeStore(now: () => number): SessionStore;
  /** Sessions expire this many ms after the last read or write (`"idle"`) or after the last write (`"written"`). */
  ttlMs: number;
  expiry: "idle" | "written";
  /** Whether every write hands out a new key (cookie store) or keeps it (server stores). */
  newKeyOnWrite: boolean;
}

const URL_ = "http://localhost/";
const NAME = "ring-session";

interface Model {
  session: SessionData | undefined;
  touchedAt: number;
  writtenAt: number;
}

interface Real {
  jar: CookieJar;
  time: { now: number };
  send(
    action: SessionAction,
  ): Promise<{ response: Response; seen: { session: unknown; sessionKey: unknown } }>;
}

type Step =
  | { kind: "action"; action: SessionAction }
  | { kind: "tamper"; value: string }
  | { kind: "wait"; ms: number };

function jarKey(jar: CookieJar): string | undefined {
  return jar.getCookiesSync(URL_).find((c) => c.key === NAME)?.value;
}

function setCookieLines(response: Response): string[] {
  const value = response.headers["set-cookie"];
  return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
}

class ModelCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    private readonly step: Step,
    private readonly target: ModelTarget,
  ) {}

  check(): boolean {
    return true;
  }

  async run(model: Model, real: Real): Promise<void> {
    const step = this.step;
    if (step.kind === "wait") {
      real.time.now += step.ms;
      const since = this.target.expiry === "idle" ? model.touchedAt : model.writtenAt;
      if (model.session !== undefined && real.time.now - since >= this.target.ttlMs)
        model.session = undefined;
      return;
    }
    if (step.kind === "tamper") {
      // A client choosing its own key: it must never be adopted.
      real.jar.setCookieSync(`${NAME}=${step.value}; Path=/`, URL_);
      model.session = undefined;
      return;
    }
    const action = step.action;
    const before = jarKey(real.jar);
    const { response, seen } = await real.send(action);

    // What the handler saw must be the model's session, with a key exactly when there is a session.
    expect(seen.session).toEqual(model.session ?? {});
    expect(seen.sessionKey === undefined).toBe(model.session === undefined);
    if (model.session !== undefined) expect(seen.sessionKey).toBe(before);
    expect(Object.keys(response).sort()).toEqual(["body", "headers", "status"]);

    const lines = setCookieLines(response);
    for (const line of lines) real.jar.setCookieSync(line, URL_);
    const after = jarKey(real.jar);
    const had = model.session !== undefined;
    const now = real.time.now;
    if (had) model.touchedAt = now;

    switch (action.kind) {
      case "read":
      case "noop":
        expect(lines).toEqual([]);
        break;
      case "attrs":
        expect(lines).toHaveLength(had ? 1 : 0);
        if (had) {
          expect(lines[0]).toContain(`Max-Age=${action.attrs.maxAge}`);
          expect(after).toBe(before);
        }
        break;
      case "delete":
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/^ring-session=;.*Max-Age=0/);
        expect(after).toBeUndefined();
        model.session = undefined;
        break;
      case "write":
      case "recreate": {
        const keepsKey = had && action.kind === "write" && !this.target.newKeyOnWrite;
        expect(lines).toHaveLength(keepsKey ? 0 : 1);
        expect(after).toBeDefined();
        if (keepsKey) expect(after).toBe(before);
        else expect(after).not.toBe(before); // new sessions never take the client's (or an old) key
        model.session = action.data;
        model.touchedAt = now;
        model.writtenAt = now;
        break;
      }
    }
  }

  toString(): string {
    return JSON.stringify(this.step);
  }
}

function request(cookie: string): Request {
  return mockRequest("GET", "/", cookie === "" ? {} : { headers: { cookie } });
}

function steps(target: ModelTarget): fc.Arbitrary<fc.AsyncCommand<Model, Real>>[] {
  const make = (step: fc.Arbitrary<Step>) => step.map((s) => new ModelCommand(s, target));
  const action = sessionAction({ maxJsonLength: 400 });
  return [
    make(action.map((a) => ({ kind: "action", action: a }))),
    make(action.map((a) => ({ kind: "action", action: a }))),
    make(action.map((a) => ({ kind: "action", action: a }))),
    make(
      fc
        .string({ unit: fc.constantFrom(..."AZaz09-_.~!"), minLength: 0, maxLength: 60 })
        .map((value) => ({ kind: "tamper", value })),
    ),
    // Small waits add up to far less than the time-to-live; a long one always expires the session.
    make(
      fc
        .oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 10_000 }) },
          { weight: 1, arbitrary: fc.constant(target.ttlMs + 10_000) },
        )
        .map((ms) => ({ kind: "wait", ms })),
    ),
  ];
}

/**
 * The model-based property for `target`: run it with `fc.assert(sessionModelProperty(target), { numRuns })`.
 */
export function sessionModelProperty(target: ModelTarget) {
  return fc.asyncProperty(fc.commands(steps(target), { maxCommands: 40 }), async (commands) => {
    const time = { now: 1_700_000_000_000 };
    const store = target.makeStore(() => time.now);
    const jar = new CookieJar();
    const seen = { session: undefined as unknown, sessionKey: undefined as unknown };
    let next: SessionAction = { kind: "noop" };
    const app = wrapSession(
      (req) => {
        seen.session = structuredClone(req.session);
        seen.sessionKey = req.sessionKey;
        return { status: 200, headers: {}, body: "ok", ...sessionActionResponse(next) };
      },
      { store },
    );
    const real: Real = {
      jar,
      time,
      async send(action) {
        next = action;
        seen.session = undefined;
        seen.sessionKey = undefined;
        const response = (await app(request(jar.getCookieStringSync(URL_)))) as Response;
        return { response, seen: { ...seen } };
      },
    };
    await fc.asyncModelRun(
      () => ({ model: { session: undefined, touchedAt: 0, writtenAt: 0 }, real }),
      commands,
    );
  });
}
