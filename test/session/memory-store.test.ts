import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isSessionKeyShape } from "../../src/session/keys.js";
import { memoryStore } from "../../src/session/memory-store.js";
import type { SessionReport } from "../../src/session/store.js";

function clock(start = 1_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => (time += ms) };
}

function recorder() {
  const reports: SessionReport[] = [];
  return { reports, context: { report: (r: SessionReport) => reports.push(r) } };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("memoryStore", () => {
  it("writes under a new 256-bit key and reads the data back", () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { count: 1 });
    expect(isSessionKeyShape(key)).toBe(true);
    expect(store.readSession(key)).toEqual({ count: 1 });
    expect(store.writeSession(undefined, { count: 1 })).not.toBe(key);
    store.clear();
  });

  it("keeps the key on update while the session is alive", () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { a: 1 });
    expect(store.writeSession(key, { a: 2 })).toBe(key);
    expect(store.readSession(key)).toEqual({ a: 2 });
    store.clear();
  });

  it("gives a new key when asked to update an unknown or deleted key (a deleted key never comes back)", () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { a: 1 });
    store.deleteSession(key);
    const next = store.writeSession(key, { a: 2 });
    expect(next).not.toBe(key);
    expect(store.readSession(key)).toBeUndefined();
    expect(store.readSession(next)).toEqual({ a: 2 });
    const chosen = "A".repeat(43);
    expect(store.writeSession(chosen, { a: 3 })).not.toBe(chosen);
    store.clear();
  });

  it("reports why a read found nothing, and never throws for a bad key", () => {
    const store = memoryStore();
    const { reports, context } = recorder();
    expect(store.readSession("short", context)).toBeUndefined();
    expect(store.readSession("x".repeat(43), context)).toBeUndefined();
    expect(store.readSession(5 as unknown as string, context)).toBeUndefined();
    expect(reports.map((r) => [r.kind, r.reason])).toEqual([
      ["rejected-cookie", "not a memory-store session key"],
      ["rejected-cookie", "unknown session key"],
      ["rejected-cookie", "not a memory-store session key"],
    ]);
    fc.assert(
      fc.property(fc.string(), (key) => {
        expect(store.readSession(key)).toBeUndefined();
      }),
    );
  });

  it("isolates stored data from later mutation of the written object", () => {
    const store = memoryStore();
    const data = { user: { roles: ["a"] }, n: 1 };
    const key = store.writeSession(undefined, data);
    data.user.roles.push("b");
    data.n = 2;
    expect(store.readSession(key)).toEqual({ user: { roles: ["a"] }, n: 1 });
    store.clear();
  });

  it("hands out plain data frozen, so a reader cannot change what is stored", () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, { user: { roles: ["a"] } });
    const read = store.readSession(key) as { user: { roles: string[] } };
    expect(Object.isFrozen(read)).toBe(true);
    expect(() => read.user.roles.push("b")).toThrow(TypeError);
    expect(store.readSession(key)).toEqual({ user: { roles: ["a"] } });
    store.clear();
  });

  it("clones non-plain data (Date, Map, cycles) on write and on every read", () => {
    const store = memoryStore();
    const cyclic: Record<string, unknown> = { when: new Date(5), tags: new Map([["a", 1]]) };
    cyclic.self = cyclic;
    const key = store.writeSession(undefined, cyclic);
    (cyclic.when as Date).setTime(9);
    const first = store.readSession(key) as { when: Date; tags: Map<string, number>; self: unknown };
    expect(first.when.getTime()).toBe(5);
    expect(first.self).toBe(first);
    first.tags.set("b", 2);
    expect((store.readSession(key) as { tags: Map<string, number> }).tags.size).toBe(1);
    store.clear();
  });

  it("keeps an own __proto__ key as data, not as a prototype", () => {
    const store = memoryStore();
    const key = store.writeSession(undefined, JSON.parse('{"__proto__": {"admin": true}}'));
    const read = store.readSession(key) as Record<string, unknown>;
    expect((read as { admin?: unknown }).admin).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(read, "__proto__")?.value).toEqual({ admin: true });
    store.clear();
  });

  it("refuses data that is not an object", () => {
    const store = memoryStore();
    expect(() => store.writeSession(undefined, null as never)).toThrow(/data must be an object/);
    expect(() => store.writeSession(undefined, [] as never)).toThrow(/data must be an object, got an array/);
  });

  it("forgets a session idle for maxAge seconds, and a read or write refreshes it", () => {
    const time = clock();
    const store = memoryStore({ maxAge: 10, now: time.now, sweepInterval: 0 });
    const { reports, context } = recorder();
    const key = store.writeSession(undefined, { a: 1 });
    time.advance(9_999);
    expect(store.readSession(key)).toEqual({ a: 1 }); // refreshed: now expires at +10 s from here
    time.advance(9_999);
    expect(store.writeSession(key, { a: 2 })).toBe(key); // refreshed again
    time.advance(9_999);
    expect(store.readSession(key)).toEqual({ a: 2 });
    time.advance(10_000);
    expect(store.readSession(key, context)).toBeUndefined();
    expect(reports).toEqual([{ kind: "rejected-cookie", reason: "session expired" }]);
    expect(store.size).toBe(0);
  });

  it("writes an expired key's data under a new key", () => {
    const time = clock();
    const store = memoryStore({ maxAge: 1, now: time.now, sweepInterval: 0 });
    const key = store.writeSession(undefined, { a: 1 });
    time.advance(1_000);
    const next = store.writeSession(key, { a: 2 });
    expect(next).not.toBe(key);
    expect(store.size).toBe(1);
  });

  it("evicts the least recently used session beyond maxEntries", () => {
    const time = clock();
    const store = memoryStore({ maxEntries: 3, sweepInterval: 0, now: time.now });
    const step = () => time.advance(1_000);
    const a = store.writeSession(undefined, { n: "a" });
    step();
    const b = store.writeSession(undefined, { n: "b" });
    step();
    const c = store.writeSession(undefined, { n: "c" });
    step();
    store.readSession(a); // a is now the most recently used; b is the least
    step();
    const d = store.writeSession(undefined, { n: "d" });
    expect(store.size).toBe(3);
    expect(store.readSession(b)).toBeUndefined();
    step();
    store.readSession(a);
    store.readSession(d);
    step();
    store.writeSession(c, { n: "c2" }); // a write touches too: a is now the oldest
    step();
    store.writeSession(undefined, { n: "e" });
    expect(store.readSession(a)).toBeUndefined();
    expect(store.readSession(c)).toEqual({ n: "c2" });
  });

  it("refreshes expiry and LRU order at most once per second per session (cheap hot path)", () => {
    const time = clock();
    const store = memoryStore({ maxAge: 1000, maxEntries: 2, sweepInterval: 0, now: time.now });
    const a = store.writeSession(undefined, { n: "a" });
    time.advance(500);
    const b = store.writeSession(undefined, { n: "b" });
    store.readSession(a); // within the second: a keeps its place (and its expiry)
    store.writeSession(undefined, { n: "c" });
    expect(store.readSession(a)).toBeUndefined();
    expect(store.readSession(b)).toEqual({ n: "b" });
    // b was written and read at +500 ms, so it lives until +1000.5 s: not a second less.
    time.advance(999_999);
    expect(store.readSession(b)).toEqual({ n: "b" });
  });

  it("sweeps expired sessions on a timer that runs only while sessions are held", () => {
    vi.useFakeTimers();
    const time = clock();
    const store = memoryStore({ maxAge: 5, sweepInterval: 1, now: time.now });
    expect(vi.getTimerCount()).toBe(0);
    store.writeSession(undefined, { a: 1 });
    const late = store.writeSession(undefined, { b: 1 });
    expect(vi.getTimerCount()).toBe(1);
    time.advance(3_000);
    store.readSession(late);
    time.advance(2_500); // the first has been idle 5.5 s, the second 2.5 s
    vi.advanceTimersByTime(1_000);
    // `size` sweeps too, so inspect through reads: only the refreshed session is left.
    expect(store.readSession(late)).toEqual({ b: 1 });
    time.advance(5_000);
    vi.advanceTimersByTime(1_000);
    expect(vi.getTimerCount()).toBe(0); // empty store: the timer stopped
    store.writeSession(undefined, { c: 1 });
    expect(vi.getTimerCount()).toBe(1);
    store.clear();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("does not keep the process alive with its sweep timer", async () => {
    const script =
      'import { memoryStore } from "./src/session/memory-store.ts";' +
      'const s = memoryStore({ sweepInterval: 3600 }); s.writeSession(undefined, { a: 1 }); console.log("wrote");';
    const started = Date.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: process.cwd(),
        timeout: 15_000,
      },
    );
    expect(stdout.trim()).toBe("wrote");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("defaults to 24 h idle time-to-live, 10 000 sessions and a sweep every 60 s", () => {
    vi.useFakeTimers();
    const time = clock();
    const store = memoryStore({ now: time.now });
    const first = store.writeSession(undefined, { n: 0 });
    time.advance(86_400_000 - 1);
    expect(store.readSession(first)).toEqual({ n: 0 });
    const idle = store.writeSession(undefined, { n: 1 });
    time.advance(86_400_000);
    expect(store.readSession(idle)).toBeUndefined();
    // The sweep: first has been idle 24 h too; the timer runs at 60 s and stops once the store is empty.
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(59_999);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(vi.getTimerCount()).toBe(0);
    const keys = Array.from({ length: 10_001 }, (_, n) => store.writeSession(undefined, { n }));
    expect(store.size).toBe(10_000);
    expect(store.readSession(keys[0]!)).toBeUndefined();
    expect(store.readSession(keys[1]!)).toEqual({ n: 1 });
    store.clear();
  });

  it("counts and clears sessions", () => {
    const store = memoryStore({ sweepInterval: 0 });
    expect(store.size).toBe(0);
    const key = store.writeSession(undefined, {});
    store.writeSession(undefined, {});
    expect(store.size).toBe(2);
    store.deleteSession(key);
    expect(store.size).toBe(1);
    store.clear();
    expect(store.size).toBe(0);
  });

  it("validates its options once, naming the bad one", () => {
    expect(() => memoryStore({ maxAge: 0 })).toThrow(
      'memoryStore: option "maxAge": must be >0 (seconds) (got 0)',
    );
    expect(() => memoryStore({ maxAge: 1.5 })).toThrow(/option "maxAge"/);
    expect(() => memoryStore({ maxEntries: -1 })).toThrow(/option "maxEntries"/);
    expect(() => memoryStore({ sweepInterval: -1 })).toThrow(/option "sweepInterval"/);
    expect(() => memoryStore({ now: 5 as never })).toThrow(/option "now": must be a function \(got 5\)/);
    expect(() => memoryStore({ ttl: 5 } as never)).toThrow(/memoryStore: unknown option "ttl"/);
    expect(() => memoryStore(5 as never)).toThrow(/memoryStore: options must be an object/);
  });
});
