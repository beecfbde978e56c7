/**
 * `checkSessionStore`: a runner-agnostic conformance check for any `SessionStore`. It drives a fresh store
 * with random sequences of reads, writes, updates, deletes, hostile keys, clock steps and concurrent batches
 * (fast-check model-based commands), compares every answer with a small model, and names the law it broke.
 */
import fc from "fast-check";
import { z } from "zod";
import { describeError } from "../core/describe-value.js";
import { parseOptions } from "../core/parse-options.js";
import { type Awaitable, isFunction, isThenable } from "../core/types.js";
import { newSessionKey } from "../session/keys.js";
import {
  isVersionedStore,
  type SessionData,
  type SessionReport,
  type SessionStore,
  type StoreReadContext,
  type VersionedSessionStore,
} from "../session/store.js";
import { sessionData } from "./arbitraries.js";

/** The laws `checkSessionStore` checks; a `SessionStoreLawError` names the one that broke. */
export type SessionStoreLaw =
  /** A write without a key returns a key (a non-empty string) never returned before. */
  | "fresh-key"
  /** A read returns data equal to what was last written under that key. */
  | "read-after-write"
  /** An update keeps the key, or replaces it with a fresh one, as `updateKeepsKey` says. */
  | "update-key"
  /** A deleted key reads as absent (with `canDelete: false`: deleting neither throws nor disturbs other keys). */
  | "delete"
  /** Unknown, empty, garbage and tampered keys read as absent, without throwing. */
  | "absent-keys"
  /** Keys carry at least `minKeyBits` bits of entropy (estimated; see `checkSessionStore`). */
  | "key-entropy"
  /** Mutating the object given to a write afterwards does not change what is stored. */
  | "write-isolation"
  /** Mutating the object a read returned does not change what is stored (a frozen object is fine). */
  | "read-isolation"
  /** With `ttl`: a session reads as absent once `maxAge` has passed on the injected clock, not before. */
  | "ttl"
  /**
   * Operations on distinct keys, interleaved concurrently, do not interfere: data written or held by one
   * operation of a concurrent batch never shows up under another's key. (Other failures inside a batch,
   * such as two writes given the same key, are named by their own law; the trace shows the batch.)
   */
  | "concurrency"
  /** A report given to the read context has a known `kind` and a non-empty `reason`. */
  | "report"
  /**
   * With `versioned: true`: `readVersionedSession` returns what `readSession` does, with a version; a
   * conditional write with the version just read lands and returns the key; one with a version that a later
   * write (of other data) replaced, or on a deleted key, stores nothing and returns `null`; of several
   * concurrent conditional writes of different data with the same version, exactly one lands.
   */
  | "versioned";

/** What `makeStore` receives: the clock the store must use, in milliseconds since the epoch. */
export interface StoreFactoryContext {
  now(): number;
}

/** Options of `checkSessionStore`. */
export interface CheckSessionStoreOptions<Data extends SessionData = SessionData> {
  /**
   * `true`: an update returns the same key (the memory store). `false`: it returns a new, fresh key (the
   * cookie store). Default: either is accepted, but a new key must be fresh.
   */
  updateKeepsKey?: boolean;
  /**
   * `false` for stores that cannot revoke a key, like the cookie store (the session lives in the cookie;
   * `wrapSession` expires the cookie instead). The `delete` law then only asks that deleting does not throw,
   * that the key reads as absent or as its last data (nothing else), and that other keys are untouched; a key
   * replaced by an update is held to the same rule. Default `true`: a deleted key must read as absent.
   */
  canDelete?: boolean;
  /**
   * Check expiry against the injected clock: `makeStore` must build the store with `context.now` and this
   * `maxAge` (seconds). `refreshOnRead`: reads extend the lifetime (an idle timeout); writes always do.
   * `toleranceMs` (default 1000): around the expiry instant either answer is accepted, for stores that count
   * whole seconds. Leave `ttl` out for stores whose clock cannot be injected (Redis expires server-side).
   */
  ttl?: { maxAge: number; refreshOnRead?: boolean; toleranceMs?: number };
  /** Session data to write. Default `arbitraries.sessionData()` (JSON data, under 1000 characters as JSON). */
  data?: fc.Arbitrary<Data>;
  /** Least key entropy, in bits. Default `128`. */
  minKeyBits?: number;
  /** Random command sequences to run, each on a fresh store. Default `50`. */
  numRuns?: number;
  /** Most commands per sequence. Default `30`. */
  maxCommands?: number;
  /** Replay: the `seed`, `path` and `replayPath` printed by a failure. */
  seed?: number;
  path?: string;
  replayPath?: string;
  /** Milliseconds a store operation may take before it counts as hung. Default `5000`. */
  timeoutMs?: number;
  /** Called with each store when its sequence is done (close a connection, clear a prefix). */
  dispose?: (store: SessionStore<Data>) => Awaitable<void>;
  /**
   * `true`: the store claims the versioned extension (`readVersionedSession`, `writeSessionIfVersion`;
   * docs/stores.md) and the `versioned` law is checked. Default: checked when the store has both methods.
   */
  versioned?: boolean;
}

/** What `checkSessionStore` resolves with. */
export interface CheckSessionStoreResult {
  readonly numRuns: number;
  readonly seed: number;
  /** The key entropy estimate, in bits. */
  readonly keyBits: number;
}

/** The rejection of `checkSessionStore`: the law that broke, the shrunk counter-example and how to replay it. */
export class SessionStoreLawError extends Error {
  readonly law: SessionStoreLaw;
  /** The shrunk sequence of commands, one per line, with the keys the store returned. */
  readonly counterexample: string;
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly replayPath: string | undefined;

  constructor(
    law: SessionStoreLaw,
    problem: string,
    counterexample: string,
    replay: { seed?: number | undefined; path?: string | undefined; replayPath?: string | undefined },
    cause?: unknown,
  ) {
    const how =
      replay.seed === undefined
        ? ""
        : `\nReplay with { seed: ${replay.seed}${replay.path === undefined ? "" : `, path: ${JSON.stringify(replay.path)}`}${replay.replayPath === undefined ? "" : `, replayPath: ${JSON.stringify(replay.replayPath)}`} }`;
    super(
      `checkSessionStore: law "${law}" broken: ${problem}\nCounter-example (shrunk):\n${counterexample}${how}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = "SessionStoreLawError";
    this.law = law;
    this.counterexample = counterexample;
    this.seed = replay.seed;
    this.path = replay.path;
    this.replayPath = replay.replayPath;
  }
}

const optionsSchema = z.strictObject({
  updateKeepsKey: z.boolean().optional(),
  canDelete: z.boolean().default(true),
  ttl: z
    .strictObject({
      maxAge: z.number().positive(),
      refreshOnRead: z.boolean().default(false),
      toleranceMs: z.number().int().min(0).default(1000),
    })
    .optional(),
  data: z
    .custom<fc.Arbitrary<SessionData>>(
      (value) => typeof (value as { generate?: unknown } | null)?.generate === "function",
      { message: "expected a fast-check Arbitrary" },
    )
    .optional(),
  minKeyBits: z.number().min(0).default(128),
  numRuns: z.number().int().min(1).default(50),
  maxCommands: z.number().int().min(1).default(30),
  seed: z.number().int().optional(),
  path: z.string().optional(),
  replayPath: z.string().optional(),
  timeoutMs: z.number().int().min(1).default(5000),
  dispose: z.custom<(store: SessionStore) => Awaitable<void>>(isFunction).optional(),
  versioned: z.boolean().optional(),
});

type Options = z.output<typeof optionsSchema>;

// The clock starts here, so a seal's timestamp is realistic and a replay sees the same times.
const CLOCK_START = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const ENTROPY_SAMPLES = 32;

/**
 * Check that a `SessionStore` keeps every law of the `SessionStore` behaviour. It resolves when all hold,
 * and rejects with a `SessionStoreLawError` naming the broken law and the shrunk counter-example otherwise.
 * It runs under any test runner (or none). `makeStore` is called for each sequence with the clock the store
 * must use; bad options throw at once.
 *
 * The `key-entropy` law is an estimate from 32 keys written on a fresh store: the character class of the
 * keys (decimal, hex, base32, base64/base64url, else the distinct characters seen) gives bits per character,
 * and only positions whose character varies between keys count. It catches counters, timestamps, fixed
 * prefixes and short keys; it cannot tell a CSPRNG from a weak generator.
 *
 * @example
 * await checkSessionStore(({ now }) => memoryStore({ now, maxAge: 60 }), {
 *   updateKeepsKey: true,
 *   ttl: { maxAge: 60, refreshOnRead: true },
 * });
 * await checkSessionStore(({ now }) => cookieStore({ secret, now, maxAge: 60 }), {
 *   updateKeepsKey: false,
 *   canDelete: false,
 *   ttl: { maxAge: 60 },
 * });
 */
export function checkSessionStore<Data extends SessionData = SessionData>(
  makeStore: (context: StoreFactoryContext) => Awaitable<SessionStore<Data>>,
  options: CheckSessionStoreOptions<Data> = {},
): Promise<CheckSessionStoreResult> {
  if (typeof makeStore !== "function") {
    throw new TypeError(
      `checkSessionStore: makeStore must be a function returning a SessionStore, got ${typeof makeStore}`,
    );
  }
  const parsed = parseOptions("checkSessionStore", optionsSchema, options);
  return run(makeStore as unknown as (context: StoreFactoryContext) => Awaitable<SessionStore>, parsed);
}

async function run(
  makeStore: (context: StoreFactoryContext) => Awaitable<SessionStore>,
  options: Options,
): Promise<CheckSessionStoreResult> {
  const keyBits = await checkKeyEntropy(makeStore, options);
  const data = options.data ?? sessionData();
  const details = await fc.check(
    fc.asyncProperty(
      fc.commands(commandArbitraries(options, data), {
        maxCommands: options.maxCommands,
        // fast-check's default size keeps sequences near 5 commands; lifetimes and reuse need longer ones.
        size: "max",
        ...(options.replayPath === undefined ? {} : { replayPath: options.replayPath }),
      }),
      async (cmds) => {
        const clock = { time: CLOCK_START };
        const store = await makeStore({ now: () => clock.time });
        const real: Real = { store, clock, options, trace: [], names: new Map() };
        try {
          await fc.asyncModelRun(
            () => ({ model: { entries: new Map(), time: CLOCK_START, options }, real }),
            cmds,
          );
        } finally {
          await options.dispose?.(store);
        }
      },
    ),
    {
      numRuns: options.numRuns,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.path === undefined ? {} : { path: options.path }),
    },
  );
  if (!details.failed) {
    await checkVersioned(makeStore, options, data);
    return { numRuns: details.numRuns, seed: details.seed, keyBits };
  }
  const error = details.errorInstance;
  const counterexample = details.counterexample === null ? "(none)" : String(details.counterexample[0]);
  // fast-check writes the commands' replay hint into their description: /*replayPath="…"*/.
  const replay = {
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    replayPath: /\/\*replayPath="([^"]*)"\*\//.exec(counterexample)?.[1],
  };
  if (error instanceof LawViolation) {
    throw new SessionStoreLawError(
      error.law,
      error.message,
      `${error.trace}\n(commands: ${counterexample})`,
      replay,
      error.cause,
    );
  }
  throw new Error(
    `checkSessionStore: the check could not run: ${error instanceof Error ? error.message : String(error)}` +
      `\nCounter-example:\n${counterexample}`,
    { cause: error },
  );
}

// ---- the model ----------------------------------------------------------------------------------------

/**
 * A key's state in the model. `live`: reads must return `data` (until it expires). `gone`: deleted from a
 * store that can delete; reads must be absent. `stale`: deleted from a store that cannot, or replaced by an
 * update; reads may be absent or `data`, nothing else. `expired`: the store said absent after expiry.
 */
interface Entry {
  data: SessionData;
  refreshedAt: number;
  state: "live" | "gone" | "stale" | "expired";
  /** What made the key gone or stale. */
  endedBy?: "delete" | "update";
}

interface Model {
  /** Every key the store ever returned in this sequence. */
  entries: Map<string, Entry>;
  time: number;
  options: Options;
}

interface Real {
  store: SessionStore;
  clock: { time: number };
  options: Options;
  trace: string[];
  /** Short names (`k1`, `k2`, …) for keys, so traces stay readable. */
  names: Map<string, string>;
}

class LawViolation extends Error {
  readonly law: SessionStoreLaw;
  readonly trace: string;

  constructor(law: SessionStoreLaw, message: string, real: Real, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.law = law;
    this.trace = real.trace.slice(-40).join("\n");
  }
}

type Phase = "certain-live" | "uncertain" | "certain-expired";

function phase(entry: Entry, model: Readonly<Model>): Phase {
  const options = model.options;
  if (options.ttl === undefined) return "certain-live";
  const expiresAt = entry.refreshedAt + options.ttl.maxAge * 1000;
  const tolerance = options.ttl.toleranceMs;
  if (model.time < expiresAt - tolerance) return "certain-live";
  if (model.time > expiresAt + tolerance) return "certain-expired";
  return "uncertain";
}

function liveKeys(model: Readonly<Model>): string[] {
  const keys: string[] = [];
  for (const [key, entry] of model.entries) {
    if (entry.state === "live" && phase(entry, model) === "certain-live") keys.push(key);
  }
  return keys;
}

function knownKeys(model: Readonly<Model>, accept: (entry: Entry) => boolean): string[] {
  const keys: string[] = [];
  for (const [key, entry] of model.entries) if (accept(entry)) keys.push(key);
  return keys;
}

// ---- store calls: bounded in time, throws turned into violations of the law being checked ----------------

async function call<T>(
  real: Real,
  law: SessionStoreLaw,
  what: string,
  operation: () => Awaitable<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const result = operation();
    if (!isThenable(result)) return result;
    return await Promise.race([
      result,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new LawViolation(law, `${what} did not settle within ${real.options.timeoutMs} ms`, real)),
          real.options.timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    if (error instanceof LawViolation) throw error;
    throw new LawViolation(law, `${what} threw ${describeError(error)}`, real, error);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function read(real: Real, law: SessionStoreLaw, key: string, context?: StoreReadContext) {
  return call(real, law, `readSession(${name(real, key)})`, () => real.store.readSession(key, context));
}

function isAbsent(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

function name(real: Real, key: string): string {
  const known = real.names.get(key);
  if (known !== undefined) return known;
  return JSON.stringify(key.length > 24 ? `${key.slice(0, 24)}…(${key.length} chars)` : key);
}

// The short name of a key a store returned (a new one for a key not seen yet), or what it returned instead.
function label(real: Real, key: unknown): string {
  if (typeof key !== "string") return show(key);
  return real.names.get(key) ?? register(real, key);
}

function register(real: Real, key: string): string {
  const short = `k${real.names.size + 1}`;
  real.names.set(key, short);
  return short;
}

// ---- commands -----------------------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>;

function commandArbitraries(options: Options, data: fc.Arbitrary<SessionData>): fc.Arbitrary<Cmd>[] {
  const pick = fc.nat({ max: 1000 });
  const arbs: fc.Arbitrary<Cmd>[] = [
    data.map((d) => new WriteNew(d)),
    fc.tuple(pick, data).map(([p, d]) => new Update(p, d)),
    pick.map((p) => new Read(p)),
    pick.map((p) => new Delete(p)),
    pick.map((p) => new ReadGone(p)),
    hostileKey().map((k) => new ReadUnknown(k)),
    fc
      .array(
        fc.record({
          op: fc.constantFrom("create" as const, "read" as const, "update" as const, "delete" as const),
          pick,
          data,
          hops: fc.nat({ max: 3 }),
        }),
        { minLength: 2, maxLength: 6 },
      )
      .map((ops) => new Concurrent(ops)),
  ];
  if (options.ttl !== undefined) {
    const maxAgeMs = options.ttl.maxAge * 1000;
    const tolerance = options.ttl.toleranceMs;
    // Steps that cross a lifetime alone (M + 2T + 1, 2M), and steps any two of which cross it while each alone
    // does not (0.6M, 0.8M, M - 2T - 1), so both a write's and a read's refresh are put to the test.
    const steps = [
      maxAgeMs / 4,
      0.6 * maxAgeMs,
      0.8 * maxAgeMs,
      maxAgeMs - 2 * tolerance - 1,
      maxAgeMs + 2 * tolerance + 1,
      2 * maxAgeMs,
    ].map((ms) => Math.max(1, Math.round(ms)));
    const advance = fc
      .oneof(
        { weight: 3, arbitrary: fc.constantFrom(...steps) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: Math.max(1, 2 * maxAgeMs) }) },
      )
      .map((ms) => new Advance(ms));
    // Listed twice: expiry needs a write, a step or two of the clock and a read, in that order.
    arbs.push(advance, advance);
  }
  return arbs;
}

// A write without a key: the fresh-key, read-after-write and write-isolation laws.
class WriteNew implements Cmd {
  constructor(readonly data: SessionData) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const given = structuredClone(this.data);
    const key = await call(real, "fresh-key", "writeSession(undefined, …)", () =>
      real.store.writeSession(undefined, given),
    );
    real.trace.push(`writeSession(undefined, ${show(this.data)}) → ${label(real, key)}`);
    assertFresh(real, model, key, "fresh-key", "writeSession(undefined, …)");
    model.entries.set(key, { data: structuredClone(this.data), refreshedAt: model.time, state: "live" });
    await checkStored(model, real, key, given);
  }
  toString = () => `writeNew(${show(this.data)})`;
}

// An update of a live key: the update-key law, then as for a new write.
class Update implements Cmd {
  constructor(
    readonly pick: number,
    readonly data: SessionData,
  ) {}
  check = (model: Readonly<Model>) => liveKeys(model).length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const keys = liveKeys(model);
    const key = keys[this.pick % keys.length]!;
    const given = structuredClone(this.data);
    const what = `writeSession(${name(real, key)}, …)`;
    const next = await call(real, "update-key", what, () => real.store.writeSession(key, given));
    real.trace.push(`writeSession(${name(real, key)}, ${show(this.data)}) → ${label(real, next)}`);
    checkUpdatedKey(real, model, key, next, what, "update-key");
    applyUpdate(model, key, next, this.data);
    await checkStored(model, real, next, given);
  }
  toString = () => `update(#${this.pick}, ${show(this.data)})`;
}

// A read of any key the model still follows: read-after-write, ttl and read-isolation.
class Read implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => knownKeys(model, (e) => e.state === "live").length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const keys = knownKeys(model, (e) => e.state === "live");
    const key = keys[this.pick % keys.length]!;
    const entry = model.entries.get(key)!;
    const value = await readLive(model, real, key, entry);
    if (isAbsent(value)) return;
    mutate(value);
    const again = await read(real, "read-isolation", key);
    if (!jsonEqual(again, entry.data)) {
      throw new LawViolation(
        "read-isolation",
        `after changing the object a read of ${name(real, key)} returned, it reads ${show(again)}, expected ${show(entry.data)}`,
        real,
      );
    }
  }
  toString = () => `read(#${this.pick})`;
}

// Read a key the model holds as live, judge the answer by where the key is in its lifetime, update the model.
async function readLive(model: Model, real: Real, key: string, entry: Entry): Promise<unknown> {
  const when = phase(entry, model);
  const value = await read(real, when === "certain-live" ? "read-after-write" : "ttl", key);
  real.trace.push(`readSession(${name(real, key)}) → ${show(value)}`);
  if (when === "certain-expired") {
    if (!isAbsent(value)) {
      throw new LawViolation(
        "ttl",
        `${name(real, key)} should have expired ${ago(entry, model, real)} but reads ${show(value)}`,
        real,
      );
    }
    entry.state = "expired";
    return value;
  }
  if (isAbsent(value)) {
    if (when === "uncertain") {
      entry.state = "expired";
      return value;
    }
    throw new LawViolation(
      real.options.ttl === undefined ? "read-after-write" : "ttl",
      `${name(real, key)} reads as absent, expected ${show(entry.data)}${real.options.ttl === undefined ? "" : ` ${ago(entry, model, real)}`}`,
      real,
    );
  }
  if (!jsonEqual(value, entry.data)) {
    throw new LawViolation(
      "read-after-write",
      `${name(real, key)} reads ${show(value)}, expected ${show(entry.data)}`,
      real,
    );
  }
  if (real.options.ttl?.refreshOnRead) entry.refreshedAt = model.time;
  return value;
}

// A delete of a live key: the delete law.
class Delete implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => liveKeys(model).length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const keys = liveKeys(model);
    const key = keys[this.pick % keys.length]!;
    await call(real, "delete", `deleteSession(${name(real, key)})`, () => real.store.deleteSession(key));
    real.trace.push(`deleteSession(${name(real, key)})`);
    const entry = model.entries.get(key)!;
    entry.state = real.options.canDelete ? "gone" : "stale";
    entry.endedBy = "delete";
    await checkGone(model, real, key, entry);
  }
  toString = () => `delete(#${this.pick})`;
}

// A read of a deleted, replaced or expired key.
class ReadGone implements Cmd {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => knownKeys(model, (e) => e.state !== "live").length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const keys = knownKeys(model, (e) => e.state !== "live");
    const key = keys[this.pick % keys.length]!;
    const entry = model.entries.get(key)!;
    await checkGone(model, real, key, entry);
  }
  toString = () => `readGone(#${this.pick})`;
}

/** A key no write returned: made up, empty, garbage, or a known key with one character changed. */
type HostileKey =
  | { kind: "random"; noise: number }
  | { kind: "empty" }
  | { kind: "garbage"; key: string }
  | { kind: "tampered"; pick: number; at: number; by: number };

function hostileKey(): fc.Arbitrary<HostileKey & { withContext: boolean }> {
  const garbage = fc.oneof(
    // UTF-16 code units, so lone surrogates occur too.
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength: 64,
    }),
    fc.constantFrom(
      "__proto__",
      "constructor",
      "toString",
      "hasOwnProperty",
      "valueOf",
      " ",
      "\u0000",
      "%00",
      "\ud800",
      "../../etc/passwd",
      "*",
      "null",
      "undefined",
      "[object Object]",
      "x".repeat(10_000),
    ),
  );
  const key = fc.oneof(
    fc.nat().map((noise) => ({ kind: "random", noise }) as HostileKey),
    fc.constant({ kind: "empty" } as HostileKey),
    garbage.map((k) => ({ kind: "garbage", key: k }) as HostileKey),
    fc
      .record({
        pick: fc.nat({ max: 1000 }),
        at: fc.nat({ max: 10_000 }),
        by: fc.integer({ min: 1, max: 63 }),
      })
      .map((t) => ({ kind: "tampered", ...t }) as HostileKey),
  );
  return fc.tuple(key, fc.boolean()).map(([k, withContext]) => ({ ...k, withContext }));
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Unknown, empty, garbage and tampered keys: the absent-keys law (and the report law for the context).
class ReadUnknown implements Cmd {
  constructor(readonly hostile: HostileKey & { withContext: boolean }) {}
  check = (model: Readonly<Model>) => this.hostile.kind !== "tampered" || model.entries.size > 0;
  async run(model: Model, real: Real): Promise<void> {
    const key = this.makeKey(model);
    if (key === undefined || model.entries.has(key)) return;
    const reports: unknown[] = [];
    const context: StoreReadContext | undefined = this.hostile.withContext
      ? { report: (report: SessionReport) => void reports.push(report) }
      : undefined;
    const value = await read(real, "absent-keys", key, context);
    real.trace.push(`readSession(${name(real, key)}) [${this.hostile.kind}] → ${show(value)}`);
    if (!isAbsent(value)) {
      throw new LawViolation(
        "absent-keys",
        `the ${this.hostile.kind} key ${name(real, key)} reads ${show(value)}`,
        real,
      );
    }
    for (const report of reports) checkReport(real, report);
  }
  makeKey(model: Model): string | undefined {
    const hostile = this.hostile;
    switch (hostile.kind) {
      case "empty":
        return "";
      case "garbage":
        return hostile.key;
      case "random": {
        // The shape of a real key (same length, same alphabet) when there is one.
        const sample = model.entries.keys().next().value as string | undefined;
        if (sample === undefined) return newSessionKey();
        const alphabet = [...new Set(sample)].join("") || BASE64URL;
        const next = mulberry32(hostile.noise);
        return Array.from(sample, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
      }
      case "tampered": {
        const keys = [...model.entries.keys()];
        const key = keys[hostile.pick % keys.length]!;
        // Never the last character: its low bits may be padding that a lenient decoder ignores.
        if (key.length < 2) return undefined;
        const at = hostile.at % (key.length - 1);
        const index = BASE64URL.indexOf(key[at]!);
        const replacement = index === -1 ? "A" : BASE64URL[(index + hostile.by) % 64]!;
        if (replacement === key[at]) return undefined;
        return key.slice(0, at) + replacement + key.slice(at + 1);
      }
    }
  }
  toString = () => `readUnknown(${JSON.stringify(this.hostile).slice(0, 80)})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    model.time += this.ms;
    real.clock.time = model.time;
    real.trace.push(`clock +${this.ms} ms`);
    // Every key the model follows is read at once, so a lifetime crossed by this step cannot go unnoticed.
    for (const [key, entry] of model.entries) {
      if (entry.state === "live") await readLive(model, real, key, entry);
      else await checkGone(model, real, key, entry);
    }
  }
  toString = () => `advance(${this.ms} ms)`;
}

interface ConcurrentOp {
  op: "create" | "read" | "update" | "delete";
  pick: number;
  data: SessionData;
  hops: number;
}

// Operations on distinct keys, started together in an interleaving the hops decide.
class Concurrent implements Cmd {
  constructor(readonly ops: ConcurrentOp[]) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const available = liveKeys(model);
    const used = new Set<string>();
    const planned: Array<ConcurrentOp & { key?: string; given?: SessionData }> = [];
    for (const op of this.ops) {
      if (op.op === "create") {
        planned.push({ ...op, given: structuredClone(op.data) });
        continue;
      }
      if (available.length === 0) continue;
      const key = available[op.pick % available.length]!;
      if (used.has(key)) continue;
      used.add(key);
      planned.push({ ...op, key, given: structuredClone(op.data) });
    }
    const store = real.store;
    // A hang or a throw is blamed on the operation's own law; "concurrency" is kept for cross-talk between
    // the operations of the batch (a key or data that belongs to another of them).
    const results = await Promise.all(
      planned.map(async (p) => {
        for (let i = 0; i < p.hops; i++) await Promise.resolve();
        switch (p.op) {
          case "create":
            return call(real, "fresh-key", "writeSession(undefined, …)", () =>
              store.writeSession(undefined, p.given!),
            );
          case "update":
            return call(real, "update-key", `writeSession(${name(real, p.key!)}, …)`, () =>
              store.writeSession(p.key!, p.given!),
            );
          case "read":
            return read(real, "read-after-write", p.key!);
          case "delete":
            return call(real, "delete", `deleteSession(${name(real, p.key!)})`, () =>
              store.deleteSession(p.key!),
            );
        }
      }),
    );
    real.trace.push(
      `concurrently: ${planned
        .map((p, i) => {
          const target = p.key === undefined ? "undefined" : name(real, p.key);
          if (p.op === "read") return `readSession(${target}) → ${show(results[i])}`;
          if (p.op === "delete") return `deleteSession(${target})`;
          return `writeSession(${target}, ${show(p.data)}) → ${label(real, results[i])}`;
        })
        .join(" | ")}`,
    );
    // Data some other operation of the batch wrote or held: finding it where it does not belong is cross-talk.
    const othersData = (self: number): SessionData[] =>
      planned.flatMap((p, i) => {
        if (i === self) return [];
        const held = p.key === undefined ? [] : [model.entries.get(p.key)!.data];
        return p.op === "create" || p.op === "update" ? [p.data, ...held] : held;
      });
    const dataBefore = new Map(
      planned.flatMap((p) => (p.key === undefined ? [] : [[p.key, model.entries.get(p.key)!.data] as const])),
    );
    const blame = (self: number, value: unknown, own: SessionStoreLaw): SessionStoreLaw => {
      const mine = planned[self]!.key;
      if (mine !== undefined && jsonEqual(value, dataBefore.get(mine))) return own;
      return othersData(self).some((d) => jsonEqual(value, d)) ? "concurrency" : own;
    };
    const toCheck: Array<[string, number]> = [];
    for (const [i, p] of planned.entries()) {
      const result = results[i];
      switch (p.op) {
        case "create":
        case "update": {
          const what = `writeSession(${p.key === undefined ? "undefined" : name(real, p.key)}, …) in a concurrent batch`;
          // A key handed to two writes breaks freshness whether or not they overlapped; the trace shows the batch.
          if (p.op === "create") assertFresh(real, model, result, "fresh-key", what);
          else checkUpdatedKey(real, model, p.key!, result, what, "update-key");
          if (p.op === "create") {
            model.entries.set(result as string, {
              data: structuredClone(p.data),
              refreshedAt: model.time,
              state: "live",
            });
          } else {
            applyUpdate(model, p.key!, result as string, p.data);
          }
          toCheck.push([result as string, i]);
          break;
        }
        case "read": {
          const expected = dataBefore.get(p.key!)!;
          if (!jsonEqual(result, expected)) {
            throw new LawViolation(
              blame(i, result, "read-after-write"),
              `${name(real, p.key!)} reads ${show(result)} in a concurrent batch, expected ${show(expected)}`,
              real,
            );
          }
          const entry = model.entries.get(p.key!)!;
          if (real.options.ttl?.refreshOnRead) entry.refreshedAt = model.time;
          break;
        }
        case "delete": {
          const entry = model.entries.get(p.key!)!;
          entry.state = real.options.canDelete ? "gone" : "stale";
          entry.endedBy = "delete";
          toCheck.push([p.key!, i]);
          break;
        }
      }
    }
    // Every key the batch wrote or deleted must now read as the model says.
    for (const [key, i] of toCheck) {
      const entry = model.entries.get(key)!;
      const value = await read(real, "read-after-write", key);
      real.trace.push(`readSession(${name(real, key)}) → ${show(value)}`);
      if (entry.state === "live" ? !jsonEqual(value, entry.data) : !goneValueOk(entry, value)) {
        throw new LawViolation(
          blame(i, value, entry.state === "live" ? "read-after-write" : "delete"),
          `after a concurrent batch, ${name(real, key)} reads ${show(value)}, expected ${entry.state === "live" ? show(entry.data) : entry.state === "gone" ? "absent" : `absent or ${show(entry.data)}`}`,
          real,
        );
      }
      if (entry.state === "live" && real.options.ttl?.refreshOnRead) entry.refreshedAt = model.time;
    }
  }
  toString = () =>
    `concurrently(${this.ops.map((o) => `${o.op}${o.op === "create" || o.op === "update" ? `(${show(o.data)})` : ""}#${o.pick}+${o.hops}`).join(" ")})`;
}

// ---- shared checks ----------------------------------------------------------------------------------

function assertKey(real: Real, key: unknown, law: SessionStoreLaw, what: string): asserts key is string {
  if (typeof key !== "string" || key === "") {
    throw new LawViolation(law, `${what} returned ${show(key)}, not a non-empty string key`, real);
  }
}

function assertFresh(
  real: Real,
  model: Readonly<Model>,
  key: unknown,
  law: SessionStoreLaw,
  what: string,
): asserts key is string {
  assertKey(real, key, law, what);
  if (model.entries.has(key)) {
    throw new LawViolation(law, `${what} returned ${name(real, key)}, a key it had returned before`, real);
  }
}

function checkUpdatedKey(
  real: Real,
  model: Model,
  key: string,
  next: unknown,
  what: string,
  law: SessionStoreLaw,
): asserts next is string {
  assertKey(real, next, law, what);
  const keeps = real.options.updateKeepsKey;
  if (keeps === true && next !== key) {
    throw new LawViolation(law, `${what} returned a new key, but updateKeepsKey is true`, real);
  }
  if (keeps === false && next === key) {
    throw new LawViolation(law, `${what} returned the same key, but updateKeepsKey is false`, real);
  }
  if (next !== key && model.entries.has(next)) {
    throw new LawViolation(law, `${what} returned ${name(real, next)}, a key it had returned before`, real);
  }
}

function applyUpdate(model: Model, key: string, next: string, data: SessionData): void {
  if (next !== key) {
    // The old key is no longer the session's; whether it still reads its old data is the store's business.
    const old = model.entries.get(key)!;
    old.state = "stale";
    old.endedBy = "update";
  }
  model.entries.set(next, { data: structuredClone(data), refreshedAt: model.time, state: "live" });
}

// After a write: the data reads back, and changing the caller's object does not change it.
async function checkStored(model: Model, real: Real, key: string, given: SessionData): Promise<void> {
  const entry = model.entries.get(key)!;
  const value = await read(real, "read-after-write", key);
  if (!jsonEqual(value, entry.data)) {
    throw new LawViolation(
      "read-after-write",
      `${name(real, key)} reads ${show(value)} right after the write, expected ${show(entry.data)}`,
      real,
    );
  }
  mutate(given);
  const again = await read(real, "write-isolation", key);
  if (!jsonEqual(again, entry.data)) {
    throw new LawViolation(
      "write-isolation",
      `after the caller changed the object it wrote, ${name(real, key)} reads ${show(again)}, expected ${show(entry.data)}`,
      real,
    );
  }
}

function goneValueOk(entry: Entry, value: unknown): boolean {
  if (isAbsent(value)) return true;
  return entry.state === "stale" && jsonEqual(value, entry.data);
}

async function checkGone(model: Model, real: Real, key: string, entry: Entry): Promise<void> {
  const law = entry.state === "expired" ? "ttl" : entry.endedBy === "update" ? "update-key" : "delete";
  const when = phase(entry, model);
  const value = await read(real, law, key);
  real.trace.push(`readSession(${name(real, key)}) [${entry.state}] → ${show(value)}`);
  if (entry.state === "stale" && when === "certain-expired" && !isAbsent(value)) {
    throw new LawViolation(
      "ttl",
      `${name(real, key)} should have expired ${ago(entry, model, real)} but reads ${show(value)}`,
      real,
    );
  }
  if (!goneValueOk(entry, value)) {
    const expected = entry.state === "stale" ? `absent or ${show(entry.data)}` : "absent";
    const why =
      entry.state === "expired" ? "expired" : entry.state === "gone" ? "deleted" : "deleted or replaced";
    throw new LawViolation(
      law,
      `${name(real, key)} was ${why} but reads ${show(value)}, expected ${expected}`,
      real,
    );
  }
  if (entry.state === "stale" && !isAbsent(value) && real.options.ttl?.refreshOnRead)
    entry.refreshedAt = model.time;
}

function checkReport(real: Real, report: unknown): void {
  const r = report as Partial<SessionReport> | null;
  const kinds = ["rejected-cookie", "invalid-session", "store-failure"];
  if (
    typeof r !== "object" ||
    r === null ||
    !kinds.includes(r.kind as string) ||
    typeof r.reason !== "string" ||
    r.reason === ""
  ) {
    throw new LawViolation(
      "report",
      `the store reported ${show(report)}; a report needs a kind among ${kinds.join(", ")} and a reason`,
      real,
    );
  }
}

// ---- key entropy ------------------------------------------------------------------------------------

const CLASSES: Array<[RegExp, number]> = [
  [/^[0-9]*$/, 10],
  [/^[0-9a-f]*$/, 16],
  [/^[0-9A-F]*$/, 16],
  [/^[A-Z2-7=]*$/, 32],
  [/^[A-Za-z0-9+/=_.-]*$/, 64],
];

/**
 * Bits of entropy in `keys`, estimated from above: bits per character from the keys' character class, times
 * the positions (up to the shortest key) whose character is not the same in every key.
 *
 * @example
 * estimateKeyBits(Array.from({ length: 32 }, newSessionKey)).bits;          // 258 (43 base64url characters)
 * estimateKeyBits(Array.from({ length: 32 }, () => crypto.randomUUID())).bits; // 124: under 128
 */
export function estimateKeyBits(keys: readonly string[]): {
  bits: number;
  varying: number;
  alphabet: number;
} {
  if (keys.length < 2) return { bits: 0, varying: 0, alphabet: 0 };
  const shortest = Math.min(...keys.map((k) => k.length));
  let varying = 0;
  // The class is judged on the varying characters only, so fixed separators (a UUID's dashes, a seal's
  // version prefix) neither count as positions nor widen the alphabet.
  let chars = "";
  for (let i = 0; i < shortest; i++) {
    const c = keys[0]![i];
    if (keys.some((k) => k[i] !== c)) {
      varying++;
      for (const k of keys) chars += k[i];
    }
  }
  if (varying === 0) return { bits: 0, varying: 0, alphabet: 0 };
  const alphabet = CLASSES.find(([pattern]) => pattern.test(chars))?.[1] ?? new Set(chars).size;
  return { bits: varying * Math.log2(alphabet), varying, alphabet };
}

async function checkKeyEntropy(
  makeStore: (context: StoreFactoryContext) => Awaitable<SessionStore>,
  options: Options,
): Promise<number> {
  const clock = { time: CLOCK_START };
  const store = await makeStore({ now: () => clock.time });
  const real: Real = { store, clock, options, trace: [], names: new Map() };
  const keys: string[] = [];
  const seen = new Map<string, Entry>();
  try {
    for (let i = 0; i < ENTROPY_SAMPLES; i++) {
      const key = await call(real, "fresh-key", "writeSession(undefined, {})", () =>
        store.writeSession(undefined, {}),
      );
      real.trace.push(`writeSession(undefined, {}) → ${label(real, key)}`);
      assertFresh(
        real,
        { entries: seen, time: clock.time, options },
        key,
        "fresh-key",
        `write ${i + 1} of ${ENTROPY_SAMPLES}`,
      );
      seen.set(key, { data: {}, refreshedAt: clock.time, state: "live" });
      keys.push(key);
    }
  } catch (error) {
    if (error instanceof LawViolation) {
      throw new SessionStoreLawError(
        error.law,
        error.message,
        `${ENTROPY_SAMPLES} writes of {} on a fresh store\nTrace:\n${error.trace}`,
        {},
      );
    }
    throw error;
  } finally {
    await options.dispose?.(store);
  }
  const estimate = estimateKeyBits(keys);
  if (estimate.bits < options.minKeyBits) {
    throw new SessionStoreLawError(
      "key-entropy",
      `keys carry at most ${estimate.bits.toFixed(1)} bits (${estimate.varying} varying characters × log2(${estimate.alphabet})), fewer than ${options.minKeyBits}`,
      `${ENTROPY_SAMPLES} writes of {} on a fresh store, e.g.\n${keys
        .slice(0, 3)
        .map((k) => JSON.stringify(k))
        .join("\n")}`,
      {},
    );
  }
  return estimate.bits;
}

// ---- helpers ------------------------------------------------------------------------------------------

/** Equality of JSON data: key order does not matter, `-0` equals `0`. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => jsonEqual(v, other[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

// Change an object the store should no longer be sharing: add a key at every level. A frozen object refuses.
function mutate(value: unknown, depth = 0): void {
  if (typeof value !== "object" || value === null || depth > 8) return;
  try {
    for (const child of Object.values(value)) mutate(child, depth + 1);
    if (Array.isArray(value)) value.push("ringlet-probe");
    else (value as Record<string, unknown>).ringletProbe = depth;
  } catch {
    // Frozen (or otherwise read-only) data is isolated by construction.
  }
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function ago(entry: Entry, model: Model, real: Real): string {
  const ms = model.time - entry.refreshedAt;
  return `(last written${real.options.ttl?.refreshOnRead ? " or read" : ""} ${ms} ms ago, maxAge ${real.options.ttl?.maxAge} s)`;
}

// A small seeded generator, so a replayed counter-example makes up the same keys.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the versioned extension ------------------------------------------------------------------------

/**
 * The `versioned` law, on fresh stores: read with a version, write conditionally, see a stale version and a
 * deleted key refused, and a concurrent batch of conditional writes on one version let exactly one through.
 */
async function checkVersioned(
  makeStore: (context: StoreFactoryContext) => Awaitable<SessionStore>,
  options: Options,
  data: fc.Arbitrary<SessionData>,
): Promise<void> {
  const probe = await makeStore({ now: () => CLOCK_START });
  const claims = isVersionedStore(probe);
  await options.dispose?.(probe);
  if (options.versioned === undefined && !claims) return;
  if (!claims) {
    throw new SessionStoreLawError(
      "versioned",
      "versioned: true, but the store lacks readVersionedSession or writeSessionIfVersion",
      "(no commands)",
      {},
    );
  }
  if (options.versioned === false) return;
  const details = await fc.check(
    fc.asyncProperty(data, data, fc.integer({ min: 2, max: 5 }), async (first, second, writers) => {
      const clock = { time: CLOCK_START };
      const store = (await makeStore({ now: () => clock.time })) as VersionedSessionStore;
      const real: Real = { store, clock, options, trace: [], names: new Map() };
      const law = "versioned" as const;
      const fail = (problem: string) => {
        throw new LawViolation(law, problem, real);
      };
      // Distinct markers, so "other data" is always other.
      const one = { ...first, "ringlet:n": 1 };
      const two = { ...second, "ringlet:n": 2 };
      const step = <T>(what: string, op: () => Awaitable<T>) => {
        real.trace.push(what);
        return call(real, law, what, op);
      };
      try {
        const key = await step("writeSession(undefined, data1)", () => store.writeSession(undefined, one));
        assertKey(real, key, "fresh-key", "writeSession");
        register(real, key);
        const k = name(real, key);
        const read1 = await step(`readVersionedSession(${k})`, () => store.readVersionedSession(key));
        if (isAbsent(read1) || !jsonEqual(read1.data, one)) {
          fail(`readVersionedSession(${k}) returned ${show(read1?.data)} after writing ${show(one)}`);
        }
        const v1 = read1!.version;
        const wrote = await step(`writeSessionIfVersion(${k}, data2, v1)`, () =>
          store.writeSessionIfVersion(key, two, v1),
        );
        if (wrote !== key)
          fail(`a conditional write with the version just read returned ${show(wrote)}, not the key`);
        const stale = await step(`writeSessionIfVersion(${k}, data1, v1) (stale)`, () =>
          store.writeSessionIfVersion(key, one, v1),
        );
        if (stale !== null)
          fail(`a conditional write with a replaced version returned ${show(stale)}, not null`);
        const after = await step(`readSession(${k})`, () => store.readSession(key));
        if (!jsonEqual(after, two))
          fail(`after a refused write the session reads ${show(after)}, not ${show(two)}`);
        const read2 = await step(`readVersionedSession(${k})`, () => store.readVersionedSession(key));
        if (isAbsent(read2)) fail(`readVersionedSession(${k}) is absent after a write`);
        const batch = await Promise.all(
          Array.from({ length: writers }, (_, i) =>
            step(`writeSessionIfVersion(${k}, data${i + 3}, v2) (concurrent)`, () =>
              store.writeSessionIfVersion(key, { ...second, "ringlet:n": i + 3 }, read2!.version),
            ),
          ),
        );
        const landed = batch.filter((result) => result !== null).length;
        if (landed !== 1)
          fail(`${landed} of ${writers} concurrent conditional writes on one version landed, not 1`);
        if (options.canDelete) {
          const read3 = await step(`readVersionedSession(${k})`, () => store.readVersionedSession(key));
          await step(`deleteSession(${k})`, () => store.deleteSession(key));
          const gone = await step(`writeSessionIfVersion(${k}, data1, v3) (deleted)`, () =>
            store.writeSessionIfVersion(key, one, read3!.version),
          );
          if (gone !== null)
            fail(`a conditional write on a deleted session returned ${show(gone)}, not null`);
          const absent = await step(`readSession(${k})`, () => store.readSession(key));
          if (!isAbsent(absent)) fail(`a refused write brought a deleted session back: ${show(absent)}`);
        }
      } finally {
        await options.dispose?.(store);
      }
    }),
    {
      numRuns: options.numRuns,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    },
  );
  if (!details.failed) return;
  const error = details.errorInstance;
  if (error instanceof LawViolation) {
    throw new SessionStoreLawError(
      error.law,
      error.message,
      error.trace,
      { seed: details.seed },
      error.cause,
    );
  }
  throw new Error(
    `checkSessionStore: the versioned check could not run: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
