/**
 * Errors of the session layer: a store that failed (503, with the cause attached) and a sealed cookie
 * too large for a browser to keep.
 */
import { HttpError } from "../core/http-error.js";

/**
 * A session store threw or rejected. `wrapSession` throws this so the adapter answers 503; the message
 * sent to the client is generic, the store's own error is `cause`.
 */
export class SessionStoreError extends HttpError {
  readonly operation: "readSession" | "writeSession" | "deleteSession";

  constructor(operation: "readSession" | "writeSession" | "deleteSession", cause: unknown) {
    super(503, `Session store failed in ${operation}`, { cause, expose: false });
    this.name = "SessionStoreError";
    this.operation = operation;
  }
}

/** A `Set-Cookie` line would exceed the 4096 bytes browsers keep (RFC 6265 §6.1); the write is refused. */
export class CookieTooLargeError extends Error {
  readonly size: number;
  readonly limit: number;

  constructor(cookieName: string, size: number, limit = 4096) {
    super(`Cookie "${cookieName}" would be ${size} bytes in Set-Cookie, over the ${limit}-byte limit`);
    this.name = "CookieTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A session write met a concurrent one that changed the same keys, and `wrapSession`'s `onConflict` is
 * `"reject"` (or `"retry"` ran out of attempts): 409 Conflict. `contested` names the keys, never their values.
 */
export class SessionConflictError extends HttpError {
  readonly contested: readonly string[];

  constructor(contested: readonly string[], message = "The session was changed by a concurrent request") {
    super(409, message);
    this.name = "SessionConflictError";
    this.contested = Object.freeze([...contested]);
  }
}
