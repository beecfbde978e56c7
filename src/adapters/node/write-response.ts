/**
 * Writes a checked ringlet response to a Node `ServerResponse`: one `writeHead`, `Content-Length` for
 * strings and bytes, streams with backpressure, and a body source that is always either drained or
 * cancelled, whatever the client does.
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Response, ResponseHeaders } from "../../core/types.js";
import { cancelBody, isNodeReadable } from "../cancel-body.js";

/**
 * Writes `response`, which must already have passed `responseProblem`. Returns `undefined` when the whole
 * response was handed to Node synchronously, a promise (that never rejects) while a streamed body is being
 * written. `closeConnection` adds `Connection: close`; `onStreamError` hears of a body that failed after the
 * headers were sent, in which case the socket is destroyed so the client sees the truncation.
 *
 * @example
 * writeResponse(res, { status: 200, headers: {}, body: "hi" }, req.method, false, report);
 */
export function writeResponse(
  res: ServerResponse,
  response: Response,
  method: string | undefined,
  closeConnection: boolean,
  onStreamError: (error: unknown) => void,
): Promise<void> | undefined {
  const { status, headers, body } = response;
  // RFC 9110 §6.4.1, §15.3.5, §15.4.5, §9.3.2: 1xx, 204, 304 and any answer to HEAD carry no content.
  const noContent = status < 200 || status === 204 || status === 304;
  const isHead = method === "HEAD";
  if (typeof body === "string" || body instanceof Uint8Array) {
    if (noContent) {
      res.writeHead(status, withExtras(headers, -1, closeConnection));
      res.end();
      return undefined;
    }
    const length = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
    // For HEAD the length is what GET would send (RFC 9110 §9.3.2), without the bytes.
    res.writeHead(status, withExtras(headers, length, closeConnection));
    if (isHead) res.end();
    else res.end(body);
    return undefined;
  }
  if (body === undefined || body === null) {
    res.writeHead(status, withExtras(headers, noContent || isHead ? -1 : 0, closeConnection));
    res.end();
    return undefined;
  }
  res.writeHead(status, withExtras(headers, -1, closeConnection));
  if (noContent || isHead) {
    res.end();
    cancelBody(body, onStreamError);
    return undefined;
  }
  return pipeBody(res, body, onStreamError);
}

/** Headers as given, or a flat `[name, value, ...]` list when the adapter adds `content-length`/`connection`. */
function withExtras(
  headers: ResponseHeaders,
  contentLength: number,
  close: boolean,
): OutgoingHttpHeaders | OutgoingHttpHeader[] {
  // Node only reads these; the readonly types of the contract do not change what it is given.
  if (contentLength === -1 && !close) return headers as OutgoingHttpHeaders;
  const list: OutgoingHttpHeader[] = [];
  for (const name in headers) {
    // The adapter knows the length of a string or byte body: a handler's own Content-Length or
    // Transfer-Encoding could only contradict it and break the response framing (RFC 9112 §6.3).
    if (contentLength !== -1 && isFramingHeader(name)) continue;
    if (close && name.length === 10 && name.toLowerCase() === "connection") continue;
    list.push(name, headers[name] as OutgoingHttpHeader);
  }
  if (contentLength !== -1) list.push("content-length", String(contentLength));
  if (close) list.push("connection", "close");
  return list;
}

function isFramingHeader(name: string): boolean {
  // Length first: almost every name is ruled out without allocating a lower-cased copy.
  return (
    (name.length === 14 && name.toLowerCase() === "content-length") ||
    (name.length === 17 && name.toLowerCase() === "transfer-encoding")
  );
}

interface BodySource {
  next(): Promise<IteratorResult<unknown>>;
  cancel(): void;
}

function openSource(body: object): BodySource {
  if (isNodeReadable(body)) {
    const iterator = body[Symbol.asyncIterator]();
    return { next: () => iterator.next(), cancel: () => body.destroy() };
  }
  if (typeof (body as ReadableStream).getReader === "function") {
    const reader = (body as ReadableStream<unknown>).getReader();
    return { next: () => reader.read(), cancel: () => void reader.cancel().catch(ignore) };
  }
  const iterator = (body as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return {
    next: () => iterator.next(),
    cancel: () => {
      try {
        iterator.return?.()?.then(undefined, ignore);
      } catch {
        // A source that fails while being stopped has nothing left to release.
      }
    },
  };
}

/**
 * Streams `body` into `res`: waits for `drain` when Node's buffer is full, so a slow client holds the
 * producer back instead of filling memory; stops the source as soon as the client goes away.
 */
async function pipeBody(res: ServerResponse, body: object, onError: (error: unknown) => void): Promise<void> {
  let gone = false;
  let wake: (() => void) | undefined;
  let source: BodySource | undefined;
  const onClose = (): void => {
    if (res.writableFinished) return;
    gone = true;
    // Cancel now, not at the next chunk: a source that is waiting (a timer, a database cursor) stops at once.
    source?.cancel();
    wake?.();
  };
  const onDrain = (): void => wake?.();
  res.on("close", onClose);
  res.on("drain", onDrain);
  try {
    source = openSource(body);
    if (res.destroyed) onClose();
    while (!gone) {
      const step = await source.next();
      if (step.done || gone) break;
      const chunk = step.value;
      if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
        throw new TypeError(
          `response.body produced a chunk that is not a Uint8Array or a string (${chunk === null ? "null" : typeof chunk})`,
        );
      }
      if (chunk.length === 0) continue;
      if (!res.write(chunk) && !gone) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    }
    if (!gone) res.end();
  } catch (error) {
    if (!gone) {
      onError(error);
      // The status line is out: only a broken connection tells the client the body is incomplete
      // (RFC 9112 §8). Node corks the socket for the current tick; flush what was produced first.
      res.socket?.uncork();
      res.destroy();
    }
    source?.cancel();
  } finally {
    res.off("close", onClose);
    res.off("drain", onDrain);
  }
}

function ignore(): void {}
