/**
 * Writes a ringlet response to a Node `ServerResponse`: one `writeHead`, `Content-Length` for strings and
 * bytes, streams with backpressure, and a body source that is always either drained or cancelled, whatever
 * the client does. What the SPEC forbids never reaches the client: it is thrown before anything is sent.
 */
import { Buffer } from "node:buffer";
import type { OutgoingHttpHeader, ServerResponse } from "node:http";
import { cancelBody, isNodeReadable } from "../../core/cancel-body.js";
import { responseProblem } from "../../core/response-check.js";
import type { Request, Response, ResponseHeaders } from "../../core/types.js";
import { ERROR_INFO, type OnError, reportError } from "../error-response.js";

/**
 * Writes `response`. Returns `undefined` when the whole response was handed to Node synchronously, a promise
 * (that never rejects) while a streamed body is being written. `closeConnection` adds `Connection: close`.
 * A response that breaks the SPEC throws a `TypeError` naming the problem (`responseProblem`'s message) before
 * anything is written, as does anything Node's `writeHead` refuses. A streamed body that fails after the
 * headers were sent, or that fails to stop when cancelled, is reported to `onError` with `request`; after a
 * failure mid-stream the socket is destroyed so the client sees the truncation.
 *
 * @example
 * writeResponse(res, { status: 200, headers: {}, body: "hi" }, req.method, false, onError, request);
 */
export function writeResponse(
  res: ServerResponse,
  response: Response,
  method: string | undefined,
  closeConnection: boolean,
  onError: OnError,
  request: Request | undefined,
): Promise<void> | undefined {
  if (typeof response !== "object" || response === null) throw invalid(response);
  const { status, headers, body } = response;
  if (!Number.isInteger(status) || status < 100 || status > 599) throw invalid(response);
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) throw invalid(response);
  // RFC 9110 §6.4.1, §15.3.5, §15.4.5, §9.3.2: 1xx, 204, 304 and any answer to HEAD carry no content.
  const noContent = status < 200 || status === 204 || status === 304;
  const streamed = typeof body === "object" && body !== null && !(body instanceof Uint8Array);
  if (!noContent && !streamed) {
    // The common case. Node's writeHead checks each header name and value by the same rules as
    // responseProblem (RFC 9110 §5.1, §5.5) and throws before it sends anything, so they are not checked
    // twice; what Node lets through (a value that is not a string, an unknown body type) is checked here.
    let length: number;
    if (typeof body === "string") length = Buffer.byteLength(body);
    else if (body instanceof Uint8Array) length = body.byteLength;
    else if (body === undefined || body === null)
      length = method === "HEAD" ? headLength(response.headers) : 0;
    else throw invalid(response);
    // For HEAD the length is what GET would send (RFC 9110 §9.3.2), without the bytes.
    writeHead(res, response, headerList(response, length, closeConnection));
    if (method === "HEAD" || length === 0) res.end();
    else if (typeof body !== "string") res.end(body);
    // Node sends the header block in the same write as a string body, encoded as the body is. The header
    // bytes are Latin-1 (obs-text, 0x80-0xFF, is allowed by RFC 9110 §5.5), so a UTF-8 body would mangle
    // them: an ASCII body (as many bytes as characters) is written as Latin-1, the same bytes; any other
    // is encoded first, which makes Node write the header block on its own, as Latin-1.
    else if (length === body.length) res.end(body, "latin1");
    else res.end(Buffer.from(body, "utf8"));
    return undefined;
  }
  // Node may fail half-way through other responses, after it has decided on no content or on chunked
  // framing, which the 500 sent instead would inherit: check every character first.
  const problem = responseProblem(response);
  if (problem !== undefined) throw new TypeError(`Invalid response from handler: ${problem}`);
  writeHead(res, response, headerList(response, -1, closeConnection));
  if (!streamed) {
    res.end();
    return undefined;
  }
  // Built only here: string, byte and empty bodies, the common case, need no per-request closure.
  const report = (error: unknown): void => reportError(onError, error, request, ERROR_INFO.response);
  if (noContent || method === "HEAD") {
    res.end();
    cancelBody(body, report);
    return undefined;
  }
  return pipeBody(res, body, report);
}

/**
 * The `content-length` of a body-less answer to HEAD: the handler's own, when it is a valid one, since it
 * states what GET would send (RFC 9110 §9.3.2; `wrapHead` drops the body and keeps this header), else 0.
 */
function headLength(headers: ResponseHeaders): number {
  for (const name in headers) {
    if (name.length !== 14 || name.toLowerCase() !== "content-length") continue;
    const value = headers[name];
    return typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : 0;
  }
  return 0;
}

function writeHead(res: ServerResponse, response: Response, list: OutgoingHttpHeader[]): void {
  try {
    res.writeHead(response.status, list);
  } catch (error) {
    // Name the key at fault, as for any invalid response, rather than Node's code.
    const problem = responseProblem(response);
    if (problem === undefined) throw error;
    throw new TypeError(`Invalid response from handler: ${problem}`, { cause: error });
  }
}

function invalid(response: unknown): TypeError {
  return new TypeError(`Invalid response from handler: ${responseProblem(response) ?? "unknown problem"}`);
}

/**
 * The headers as a flat `[name, value, ...]` list for `writeHead`, with the lines the adapter owns: with a
 * known `contentLength` (not -1) its own `content-length` replaces the handler's `content-length` and
 * `transfer-encoding`, which could only contradict it and break the framing (RFC 9112 §6.3); with `close`,
 * `connection: close` replaces the handler's `connection`; `trailer` is dropped, as no trailer fields are
 * ever sent (RFC 9110 §6.6.2). Throws for a value that is not a string or an array of strings.
 */
function headerList(response: Response, contentLength: number, close: boolean): OutgoingHttpHeader[] {
  const headers: ResponseHeaders = response.headers;
  const list: OutgoingHttpHeader[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (typeof value !== "string" && !isStringArray(value)) throw invalid(response);
    // Length first: almost every name is ruled out without a lower-cased copy.
    const n = name.length;
    if (n === 7 || n === 10 || n === 14 || n === 17) {
      const lower = name.toLowerCase();
      if (lower === "trailer") continue;
      if (close && lower === "connection") continue;
      if (contentLength !== -1 && (lower === "content-length" || lower === "transfer-encoding")) continue;
    }
    list.push(name, value as OutgoingHttpHeader);
  }
  if (contentLength !== -1) list.push("content-length", String(contentLength));
  if (close) list.push("connection", "close");
  return list;
}

function isStringArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
  return true;
}

interface BodySource {
  next(): Promise<IteratorResult<unknown>>;
  /** Stops the source once, however often it is called; a failure to stop goes to the `onError` it was opened with. */
  cancel(): void;
}

function openSource(body: object, onError: (error: unknown) => void): BodySource {
  let stop: () => unknown;
  let next: () => Promise<IteratorResult<unknown>>;
  if (isNodeReadable(body)) {
    const iterator = body[Symbol.asyncIterator]();
    next = () => iterator.next();
    stop = () => body.destroy();
  } else if (typeof (body as ReadableStream).getReader === "function") {
    const reader = (body as ReadableStream<unknown>).getReader();
    next = () => reader.read();
    stop = () => reader.cancel();
  } else {
    const iterator = (body as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    next = () => iterator.next();
    stop = () => iterator.return?.();
  }
  let stopped = false;
  const cancel = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      const result = stop();
      if (typeof (result as Promise<unknown> | undefined)?.then === "function") {
        (result as Promise<unknown>).then(undefined, onError);
      }
    } catch (error) {
      onError(error);
    }
  };
  return { next, cancel };
}

/**
 * Streams `body` into `res`: waits for `drain` when Node's buffer is full, so a slow client holds the
 * producer back instead of filling memory; stops the source as soon as the client goes away.
 */
async function pipeBody(res: ServerResponse, body: object, onError: (error: unknown) => void): Promise<void> {
  let gone = false;
  let wake: (() => void) | undefined;
  let source: BodySource | undefined;
  let sourceFailed = false;
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
    source = openSource(body, onError);
    if (res.destroyed) onClose();
    while (!gone) {
      let step: IteratorResult<unknown>;
      try {
        step = await source.next();
      } catch (error) {
        sourceFailed = true;
        throw error;
      }
      if (step.done || gone) break;
      const chunk = step.value;
      if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) {
        throw new TypeError(
          `response.body produced a chunk that is not a Uint8Array or a string (${chunk === null ? "null" : typeof chunk})`,
        );
      }
      if (chunk.length === 0) continue;
      // A string chunk is encoded here: as the first write, Node would send the Latin-1 header block
      // encoded as UTF-8 along with it (see the string body above).
      if (!res.write(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk) && !gone) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    }
    if (!gone) res.end();
  } catch (error) {
    // After the client left, the source's own ending (a premature close) is expected, not a failure.
    if (!gone) {
      onError(error);
      // The status line is out: only a broken connection tells the client the body is incomplete
      // (RFC 9112 §8). Node corks the socket for the current tick; flush what was produced first.
      res.socket?.uncork();
      res.destroy();
    }
    // A source that threw has ended; one that produced a wrong chunk is still open and must be stopped.
    if (!sourceFailed) source?.cancel();
  } finally {
    res.off("close", onClose);
    res.off("drain", onDrain);
  }
}
