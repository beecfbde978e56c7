/**
 * Stopping a response body that will not be sent (HEAD, 204, 304, an invalid response, a client that left),
 * shared by the adapters, wrapHead and the test client, so files, cursors and timers behind a body are always
 * released. No `node:` imports.
 */
import type { NodeReadableLike } from "./types.js";

/**
 * True for a Node `stream.Readable` (by shape: `pipe`, `destroy` and async iteration), which is stopped with
 * `destroy()` rather than through its iterator.
 *
 * @example
 * isNodeReadable(fs.createReadStream("x")); // true
 * isNodeReadable(new ReadableStream());     // false
 */
export function isNodeReadable(body: unknown): body is NodeReadableLike {
  return (
    typeof body === "object" &&
    body !== null &&
    typeof (body as { pipe?: unknown }).pipe === "function" &&
    typeof (body as { destroy?: unknown }).destroy === "function" &&
    typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/**
 * Stops `body` without reading it: a Node stream is destroyed, an unlocked web stream cancelled, an async
 * iterator returned; strings, bytes and anything else are left alone. It never throws: an error raised
 * while stopping (at once or later) goes to `onError` when given, as the body's own failure.
 *
 * @example
 * if (request.method === "HEAD") cancelBody(response.body, (error) => report(error, request));
 */
export function cancelBody(body: unknown, onError?: (error: unknown) => void): void {
  if (typeof body !== "object" || body === null || body instanceof Uint8Array) return;
  let stopped: unknown;
  try {
    if (isNodeReadable(body)) {
      body.destroy();
    } else if (typeof (body as ReadableStream).getReader === "function") {
      const stream = body as ReadableStream;
      // A locked stream belongs to whoever holds its reader; cancelling it would only reject.
      if (!stream.locked) stopped = stream.cancel();
    } else if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      stopped = (body as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
    }
  } catch (error) {
    onError?.(error);
    return;
  }
  if (typeof (stopped as Promise<unknown> | undefined)?.then === "function") {
    (stopped as Promise<unknown>).then(undefined, (error: unknown) => onError?.(error));
  }
}
