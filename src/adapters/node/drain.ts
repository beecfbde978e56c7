/**
 * After a response, whatever the handler left of the request body must be read off the connection before
 * the next keep-alive request can be parsed. This reads and discards it, within a byte and a time budget.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * True when the unread rest of the body is known to exceed `maxBytes` (its `Content-Length` says so and the
 * handler read nothing): the response should then carry `Connection: close` rather than wait for bytes
 * that will be thrown away.
 *
 * @example
 * const close = exceedsDrainBudget(req, request.headers["content-length"], 65536); // POST with Content-Length: 10000000, unread → true
 */
export function exceedsDrainBudget(
  req: IncomingMessage,
  contentLength: string | undefined,
  maxBytes: number,
): boolean {
  if (contentLength === undefined || req.complete || req.readableDidRead) return false;
  return Number(contentLength) > maxBytes;
}

/**
 * Reads and discards the rest of `req` once the response has been handed to Node. Past `maxBytes` more bytes
 * or `timeoutMs` milliseconds the connection is closed instead (after the response is out), so neither a huge
 * upload nor a client that trickles its body can hold it. Called before the response's `finish`, so Node
 * does not start its own unbounded dump of the body.
 *
 * @example
 * writeResponse(res, response, req.method, false, onError, request);
 * drainRequest(req, res, 65536, 5000);
 */
export function drainRequest(
  req: IncomingMessage,
  res: ServerResponse,
  maxBytes: number,
  timeoutMs: number,
): void {
  if (req.readableEnded || req.destroyed || res.destroyed) return;
  if (req.complete) {
    // Every byte has arrived; only Node's buffer is left. Reading it frees it.
    req.resume();
    return;
  }
  const socket = req.socket;
  let seen = 0;
  const stop = (): void => {
    clearTimeout(timer);
    req.off("data", onData);
    req.off("end", stop);
    req.off("close", stop);
    req.off("error", stop);
  };
  const giveUp = (): void => {
    stop();
    req.pause();
    // Closing before the response is out would lose it.
    if (res.writableFinished) socket.destroy();
    else {
      const close = (): void => void socket.destroy();
      res.once("finish", close);
      res.once("close", close);
    }
  };
  const onData = (chunk: Uint8Array): void => {
    seen += chunk.length;
    if (seen > maxBytes) giveUp();
  };
  const timer = setTimeout(giveUp, timeoutMs);
  timer.unref();
  req.on("data", onData);
  req.on("end", stop);
  req.on("close", stop);
  // A client that resets mid-body is not an error worth reporting: the response is already out.
  req.on("error", stop);
  req.resume();
}
