/**
 * The body of a file response: a byte range of a file, opened only when the adapter starts reading, so a
 * response that is dropped (HEAD, a 304, a client that left) never holds a file descriptor. It is an ordinary
 * `AsyncIterable<Uint8Array>` body (docs/SPEC.md, section 5): the adapter pulls the next chunk only when the
 * client took the last one, which is the backpressure.
 */
import { createReadStream, type ReadStream } from "node:fs";

/**
 * Bytes `start` (inclusive) to `end` (exclusive) of the file at `path`.
 *
 * @example
 * const body = new FileBody("/srv/site/logo.png", 0, 1024);
 */
export class FileBody implements AsyncIterable<Uint8Array> {
  constructor(
    readonly path: string,
    readonly start: number,
    readonly end: number,
  ) {}

  /** The number of bytes the body yields. */
  get length(): number {
    return this.end - this.start;
  }

  /** The same file, bytes `start` to `end` (exclusive) of this body's range. */
  slice(start: number, end: number): FileBody {
    return new FileBody(this.path, this.start + start, this.start + end);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const { path, start, end } = this;
    const expected = end - start;
    let stream: ReadStream | undefined;
    let chunks: AsyncIterator<Uint8Array> | undefined;
    let sent = 0;
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        if (expected === 0) return { done: true, value: undefined };
        if (chunks === undefined) {
          // `end` bounds the read, so a file that grew since its stat cannot send more than Content-Length.
          stream = createReadStream(path, { start, end: end - 1, highWaterMark: 64 * 1024 });
          chunks = stream[Symbol.asyncIterator]();
        }
        const step = await chunks.next();
        if (step.done === true) {
          // A file that shrank since its stat: the headers promised more. Throwing makes the adapter break the
          // connection (RFC 9112 §8), the only way to tell the client the body is incomplete.
          if (sent < expected) throw new Error(`${path} ended after ${sent} of ${expected} bytes`);
          return step;
        }
        sent += step.value.byteLength;
        return step;
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        stream?.destroy();
        return { done: true, value: undefined };
      },
    };
  }
}
