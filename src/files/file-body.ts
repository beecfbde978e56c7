/**
 * The body of a file response: a byte range of a file, opened only when the adapter starts reading, so a
 * response that is dropped (HEAD, a 304, a client that left) never holds a file descriptor. It is an ordinary
 * `AsyncIterable<Uint8Array>` body (docs/SPEC.md, section 5): the adapter pulls the next chunk only when the
 * client took the last one, which is the backpressure.
 */
import { Buffer } from "node:buffer";
import { close as closeFd, constants, open as openFd, read as readFd } from "node:fs";

/**
 * The most bytes read, and written to the socket, at a time. Larger than a read stream's 64 KiB because each
 * chunk costs a disk read and a socket write whatever its size (bench/, the static suite: at 64 KiB a 1 MB file
 * cost more CPU than serve-static's). A slow client holds at most about two chunks in memory.
 */
const CHUNK = 256 * 1024;

// The path is a real path (no symlinks) when it was checked; O_NOFOLLOW keeps a symlink swapped in since then
// from being followed (it is not defined on Windows, where the flag is left out).
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

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
    const { path, end } = this;
    let position = this.start;
    let file: Promise<number> | undefined;
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed || file === undefined) return;
      closed = true;
      const fd = await file;
      await new Promise<void>((resolve, reject) =>
        closeFd(fd, (error) => (error ? reject(error) : resolve())),
      );
    };
    return {
      // Positional reads on one descriptor, rather than a read stream: the adapter already pulls chunk by
      // chunk, so a stream's buffering and events would only add work. The callback API, not fs/promises: no
      // FileHandle object per request (bench/, the static suite).
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        if (closed || position >= end) {
          await close();
          return { done: true, value: undefined };
        }
        file ??= new Promise<number>((resolve, reject) =>
          openFd(path, READ_FLAGS, (error, fd) => (error ? reject(error) : resolve(fd))),
        );
        const fd = await file;
        const want = Math.min(CHUNK, end - position);
        let bytesRead: number;
        let buffer: Uint8Array;
        try {
          // Not zeroed: only the bytes the read filled are ever handed on.
          buffer = Buffer.allocUnsafe(want);
          const into = buffer;
          bytesRead = await new Promise<number>((resolve, reject) =>
            readFd(fd, into, 0, want, position, (error, n) => (error ? reject(error) : resolve(n))),
          );
        } catch (error) {
          await close().catch(() => undefined);
          throw error;
        }
        if (bytesRead === 0) {
          // A file that shrank since its stat: the headers promised more. Throwing makes the adapter break
          // the connection (RFC 9112 §8), the only way to tell the client the body is incomplete.
          await close().catch(() => undefined);
          throw new Error(`${path} ended after ${position - this.start} of ${end - this.start} bytes`);
        }
        position += bytesRead;
        // Reading at most up to `end` means a file that grew since its stat sends no more than promised.
        return { done: false, value: bytesRead === want ? buffer : buffer.subarray(0, bytesRead) };
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        // A descriptor still being opened is closed once it is open, so a cancelled body never leaks one.
        await close().catch(() => undefined);
        return { done: true, value: undefined };
      },
    };
  }
}
