/**
 * `HttpError` is the one way a handler or middleware signals an HTTP error by throwing: adapters turn it
 * into a response with its status, and show its message only when `expose` is true.
 */

export interface HttpErrorOptions {
  /** Whether the message may be sent to the client. Default: `true` for 4xx, `false` for 5xx. */
  expose?: boolean;
  /** The underlying error, kept for `onError` hooks and logs. */
  cause?: unknown;
  /** Extra response headers, e.g. `allow` for a 405. */
  headers?: Record<string, string>;
}

/**
 * An error with an HTTP status.
 *
 * @example
 * throw new HttpError(413, "Request body is larger than 1048576 bytes");
 */
export class HttpError extends Error {
  readonly status: number;
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError: status must be an integer from 400 to 599, got ${String(status)}`);
    }
    super(
      message ?? defaultMessage(status),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "HttpError";
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.headers = Object.freeze({ ...options.headers });
  }
}

/** True for an `HttpError`, including one from another copy of this package. */
export function isHttpError(error: unknown): error is HttpError {
  return (
    error instanceof HttpError ||
    (error instanceof Error &&
      typeof (error as { status?: unknown }).status === "number" &&
      typeof (error as { expose?: unknown }).expose === "boolean")
  );
}

const MESSAGES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The standard reason phrase for a status, or a generic one. */
export function defaultMessage(status: number): string {
  return MESSAGES[status] ?? (status < 500 ? "Client Error" : "Server Error");
}
