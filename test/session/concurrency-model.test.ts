/**
 * A model-based check of `wrapSession`'s conflict handling: concurrent requests of one session, with every
 * store operation and the gap between a handler's read and its answer interleaved by fast-check's scheduler.
 * The store logs each state it commits; the log must be explained, write by write, by applying one
 * request's own changes at a time (a reference written here, not the code under test).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isHttpError } from "../../src/core/http-error.js";
import { response } from "../../src/core/response.js";
import type { Request } from "../../src/core/types.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionData, SessionVersion, VersionedSessionStore } from "../../src/session/store.js";
import { wrapSession } from "../../src/session/wrap-session.js";
import { mockRequest } from "../../src/testing/mock-request.js";

type Op = { readonly set: Record<string, number>; readonly remove: readonly string[]; readonly inc?: string };

const keyName = fc.constantFrom("a", "b", "c", "d");
const op: fc.Arbitrary<Op> = fc.record(
  {
    set: fc.dictionary(keyName, fc.integer({ min: 0, max: 2 }), { maxKeys: 2 }),
    remove: fc.uniqueArray(keyName, { maxLength: 1 }),
    inc: keyName,
  },
  { requiredKeys: ["set", "remove"] },
);

/** What a handler does with the session it sees: pure, so it can be run again. */
function perform(session: SessionData, o: Op): SessionData {
  const out: SessionData = { ...session, ...o.set };
  for (const key of o.remove) delete out[key];
  if (o.inc !== undefined) out[o.inc] = ((session[o.inc] as number | undefined) ?? 0) + 1;
  return out;
}

function same(x: unknown, y: unknown): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

/** The reference merge: `next`'s changes relative to `base`, put onto `state`, and the keys both changed. */
function reference(state: SessionData, base: SessionData, next: SessionData) {
  const out: SessionData = { ...state };
  const contested: string[] = [];
  const touched = (key: string) =>
    Object.hasOwn(base, key) !== Object.hasOwn(state, key) || !same(base[key], state[key]);
  for (const key of new Set([...Object.keys(base), ...Object.keys(next)])) {
    const inNext = Object.hasOwn(next, key);
    if (inNext && Object.hasOwn(base, key) && same(base[key], next[key])) continue;
    if (!inNext && !Object.hasOwn(base, key)) continue;
    if (touched(key)) contested.push(key);
    if (inNext) out[key] = next[key];
    else delete out[key];
  }
  return { state: out, contested };
}

const canonical = (data: SessionData) =>
  JSON.stringify(Object.fromEntries(Object.entries(data).sort(([x], [y]) => (x < y ? -1 : 1))));

/**
 * Can `log` (states committed in order, after `initial`) be explained by applying each committed request's
 * changes once, in some order? Requests are `[base, next]` pairs of their last run. Backtracking search.
 */
function explain(
  initial: SessionData,
  log: readonly SessionData[],
  runs: ReadonlyArray<{ base: SessionData; next: SessionData }>,
  mustBeUncontested: boolean,
): boolean {
  const used = new Set<number>();
  const step = (j: number, state: SessionData): boolean => {
    if (j === log.length) return used.size === runs.length;
    for (let r = 0; r < runs.length; r++) {
      if (used.has(r)) continue;
      const merged = reference(state, runs[r]!.base, runs[r]!.next);
      if (mustBeUncontested && merged.contested.length > 0) continue;
      if (canonical(merged.state) !== canonical(log[j]!)) continue;
      used.add(r);
      if (step(j + 1, log[j]!)) return true;
      used.delete(r);
    }
    return false;
  };
  return step(0, initial);
}

describe("wrapSession's conflict handling against a reference model", () => {
  for (const onConflict of ["merge", "retry", "reject"] as const) {
    it(`onConflict "${onConflict}": the store's history is the requests' own changes, one at a time`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.dictionary(keyName, fc.integer({ min: 0, max: 2 }), { maxKeys: 3 }),
          fc.array(op, { minLength: 1, maxLength: 5 }),
          async (s, initial, ops) => {
            const inner = memoryStore();
            const key = inner.writeSession(undefined, initial);
            const log: SessionData[] = [];
            const later = () => s.schedule(Promise.resolve());
            const afterTurn = async <T>(operation: () => T): Promise<T> => {
              await later();
              return operation();
            };
            // Every store operation happens when the scheduler says, atomically, like a real shared store.
            const store: VersionedSessionStore = {
              readSession: (k, c) => afterTurn(() => inner.readSession(k, c)),
              readVersionedSession: (k, c) => afterTurn(() => inner.readVersionedSession(k, c)),
              writeSession: async (k, d) => {
                await later();
                const written = inner.writeSession(k, d);
                log.push(JSON.parse(JSON.stringify(d)));
                return written;
              },
              writeSessionIfVersion: async (k, d, v: SessionVersion) => {
                await later();
                const written = inner.writeSessionIfVersion(k, d, v);
                if (written !== null) log.push(JSON.parse(JSON.stringify(d)));
                return written;
              },
              deleteSession: (k) => afterTurn(() => inner.deleteSession(k)),
            };
            const lastRun = new Map<number, { base: SessionData; next: SessionData }>();
            const app = wrapSession(
              async (req: Request & { session: SessionData; id: number }) => {
                const base = req.session;
                await later();
                const next = perform(base, ops[req.id]!);
                lastRun.set(req.id, { base, next });
                return { ...response("ok"), session: next };
              },
              { store, onConflict, maxAttempts: 10, onError: () => {} },
            );
            const cookie = `ring-session=${key}`;
            const answers = ops.map((_, id) =>
              Promise.resolve(app({ ...mockRequest("GET", "/", { headers: { cookie } }), id } as never)).then(
                () => 200,
                (error: unknown) => (isHttpError(error) ? error.status : 500),
              ),
            );
            await s.waitFor(Promise.all(answers));
            const statuses = await Promise.all(answers);
            expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
            if (onConflict !== "reject") expect(statuses.every((status) => status === 200)).toBe(true);
            const committed = statuses.flatMap((status, id) => (status === 200 ? [lastRun.get(id)!] : []));
            expect(log).toHaveLength(committed.length);
            expect(explain(initial, log, committed, onConflict !== "merge")).toBe(true);
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});
