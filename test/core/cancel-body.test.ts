import { Readable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { cancelBody, isNodeReadable } from "../../src/core/cancel-body.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("isNodeReadable", () => {
  it("recognises a Node Readable by shape, and nothing else", () => {
    expect(isNodeReadable(Readable.from(["x"]))).toBe(true);
    expect(isNodeReadable(new ReadableStream())).toBe(false);
    expect(isNodeReadable((async function* () {})())).toBe(false);
    expect(isNodeReadable({ destroy() {}, pipe() {} })).toBe(false);
    expect(isNodeReadable(null)).toBe(false);
  });
});

describe("cancelBody", () => {
  it("destroys a Node Readable without reading it", () => {
    const read = vi.fn();
    const readable = new Readable({ read });
    cancelBody(readable);
    expect(readable.destroyed).toBe(true);
    expect(read).not.toHaveBeenCalled();
  });

  it("cancels an unlocked web stream and leaves a locked one to its reader", async () => {
    const cancel = vi.fn();
    cancelBody(new ReadableStream({ cancel }));
    await tick();
    expect(cancel).toHaveBeenCalledTimes(1);
    const lockedCancel = vi.fn();
    const locked = new ReadableStream({ cancel: lockedCancel });
    locked.getReader();
    const onError = vi.fn();
    cancelBody(locked, onError);
    await tick();
    expect(lockedCancel).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
  });

  it("returns the iterator of an async iterable, running a started generator's finally", async () => {
    const cleaned = vi.fn();
    async function* gen() {
      try {
        yield "a";
        yield "b";
      } finally {
        cleaned();
      }
    }
    const g = gen();
    await g.next();
    cancelBody(g);
    await tick();
    expect(cleaned).toHaveBeenCalledTimes(1);
  });

  it("leaves strings, bytes, null and undefined alone", () => {
    for (const body of ["x", new Uint8Array([1]), null, undefined])
      expect(() => cancelBody(body)).not.toThrow();
  });

  it("reports a source that fails while stopping, at once or later, and never throws", async () => {
    const onError = vi.fn();
    const throwsNow = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: true as const, value: undefined }),
        return: () => {
          throw new Error("now");
        },
      }),
    };
    const rejectsLater = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: true as const, value: undefined }),
        return: async () => {
          throw new Error("later");
        },
      }),
    };
    expect(() => cancelBody(throwsNow, onError)).not.toThrow();
    cancelBody(rejectsLater, onError);
    cancelBody(new ReadableStream({ cancel: () => Promise.reject(new Error("stream")) }), onError);
    await tick();
    expect(onError.mock.calls.map(([e]) => (e as Error).message).sort()).toEqual(["later", "now", "stream"]);
    expect(() => cancelBody(rejectsLater)).not.toThrow();
  });
});
