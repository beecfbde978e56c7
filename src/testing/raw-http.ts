/**
 * A raw HTTP/1.1 client over `node:net` for adapter tests: it writes exact bytes (what `fetch` would refuse or
 * normalise) and reads responses one by one on a kept-alive connection with RFC 9112 §6.3 framing, so a body
 * the server should not have sent shows up as a broken next response. `checkAdapter` is built on it.
 */
import { connect, type Socket } from "node:net";

/** One response as it came over the wire. */
export interface RawResponse {
  readonly status: number;
  /** The reason phrase of the status line, e.g. `"OK"` (`""` when there is none). */
  readonly reason: string;
  /** Header lines in order, names as sent, values trimmed. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The body, decoded from chunked framing if it was chunked. */
  readonly body: Buffer;
  /** The trailer lines of a chunked body (RFC 9112 §7.1.2), in order. */
  readonly trailers: ReadonlyArray<readonly [string, string]>;
  /**
   * Whether the body ended where its framing says: the length reached, the last chunk and trailers read, or a
   * close-delimited body ended by a clean close. `false` when the connection ended or failed mid-body.
   */
  readonly complete: boolean;
}

/** Options of {@link RawConnection.open}, {@link RawConnection.openPath} and {@link rawRequest}. */
export interface RawConnectionOptions {
  /** Host to connect to with a port (default `"127.0.0.1"`); an IPv6 address without brackets. */
  host?: string;
  /** How long connecting, and then reading each response, may take before it throws (default 10 000 ms). */
  timeoutMs?: number;
}

/** Options of {@link RawConnection.readResponse}. */
export interface RawReadOptions {
  /** The response answers a HEAD request: it has no body whatever its headers say (RFC 9112 §6.3). */
  head?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * One HTTP/1.1 connection written byte for byte. Read one response at a time with `readResponse`.
 *
 * @example
 * const connection = await RawConnection.open(server.port);
 * connection.write("GET / HTTP/1.1\r\nHost: x\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n");
 * const response = await connection.readResponse();
 * connection.destroy();
 */
export class RawConnection {
  /** The underlying socket, for what this class does not cover (a half-close with `end()`, a reset). */
  readonly socket: Socket;
  /** Resolves when the connection closes: `"reset"` when it failed (e.g. ECONNRESET), else `"end"`. */
  readonly closed: Promise<"end" | "reset">;
  readonly #timeoutMs: number;
  #buffer: Buffer = Buffer.alloc(0);
  /** No more bytes will come: the server closed its side or the socket closed. */
  #ended = false;
  #error: Error | undefined;
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket, timeoutMs: number) {
    this.socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on("error", (error) => {
      this.#error = error;
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.#ended = true;
        this.#wake();
        resolve(this.#error === undefined ? "end" : "reset");
      });
    });
  }

  /** Connects to `host:port` (default host `127.0.0.1`); rejects with an Error if that fails or times out. */
  static open(port: number, options: RawConnectionOptions = {}): Promise<RawConnection> {
    const host = options.host ?? "127.0.0.1";
    const where = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return RawConnection.#connect(() => connect({ host, port }), where, options.timeoutMs);
  }

  /** Connects to a server listening on a Unix domain socket (or a Windows named pipe) at `path`. */
  static openPath(
    path: string,
    options: Pick<RawConnectionOptions, "timeoutMs"> = {},
  ): Promise<RawConnection> {
    return RawConnection.#connect(() => connect({ path }), path, options.timeoutMs);
  }

  static #connect(open: () => Socket, where: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = open();
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        reject(new Error(`could not connect to ${where}: ${error.message}`, { cause: error }));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(new RawConnection(socket, timeoutMs));
      });
    });
  }

  /** Sends bytes as they are; a string is sent as Latin-1, one byte per character. */
  write(data: string | Uint8Array): void {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Reads the next final response; 1xx interim responses (100 Continue, 103 Early Hints) are skipped, 101 is
   * returned. Throws an Error when the head is malformed, when the connection ends before a full head, or when
   * no complete response came within the timeout; a body cut short is returned with `complete: false`.
   */
  async readResponse(options: RawReadOptions = {}): Promise<RawResponse> {
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      const headEnd = await this.#until(deadline, "a response head", () => this.#buffer.indexOf("\r\n\r\n"));
      if (headEnd === -1) {
        throw new Error(
          `the connection ${this.#how()} before a complete response head; received ${preview(this.#buffer)}`,
        );
      }
      const [statusLine = "", ...lines] = this.#take(headEnd + 4)
        .subarray(0, headEnd)
        .toString("latin1")
        .split("\r\n");
      const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (match === null) throw new Error(`malformed status line ${JSON.stringify(statusLine)}`);
      const status = Number(match[1]);
      const response = { status, reason: match[2] ?? "", headers: lines.map(parseField) };
      if (status < 200 && status !== 101) continue;
      const noBody = { ...response, body: Buffer.alloc(0), trailers: [], complete: true };
      // RFC 9112 §6.3: no content after HEAD, 1xx, 204 and 304; then chunked; then Content-Length; else
      // everything until the server closes the connection.
      if (options.head || status < 200 || status === 204 || status === 304) return noBody;
      const te = fieldValue(response.headers, "transfer-encoding");
      if (te !== undefined && /(?:^|,)\s*chunked\s*$/i.test(te)) {
        return {
          ...response,
          ...(await this.#chunked(deadline, `the chunked body of a ${status} response`)),
        };
      }
      const cl = fieldValue(response.headers, "content-length");
      if (cl !== undefined) {
        if (!/^\d+$/.test(cl)) throw new Error(`malformed content-length ${JSON.stringify(cl)}`);
        const length = Number(cl);
        const what = `the ${length}-byte body of a ${status} response`;
        const got = await this.#until(deadline, what, () => (this.#buffer.length >= length ? length : -1));
        const body = this.#take(Math.min(length, this.#buffer.length));
        return { ...response, body, trailers: [], complete: got !== -1 };
      }
      await this.#until(deadline, `the close that ends the body of a ${status} response`, () => -1);
      return { ...response, body: this.#take(this.#buffer.length), trailers: [], complete: !this.#error };
    }
  }

  async #chunked(
    deadline: number,
    what: string,
  ): Promise<Pick<RawResponse, "body" | "trailers" | "complete">> {
    const parts: Buffer[] = [];
    const cut = () => ({ body: Buffer.concat(parts), trailers: [], complete: false });
    for (;;) {
      const lineEnd = await this.#until(deadline, what, () => this.#buffer.indexOf("\r\n"));
      if (lineEnd === -1) return cut();
      const sizeLine = this.#take(lineEnd + 2)
        .subarray(0, lineEnd)
        .toString("latin1");
      // A chunk extension (`;name=value`) may follow the size (RFC 9112 §7.1.1).
      const hex = sizeLine.split(";")[0]!.trim();
      if (!/^[0-9a-f]+$/i.test(hex)) throw new Error(`malformed chunk size line ${JSON.stringify(sizeLine)}`);
      const size = Number.parseInt(hex, 16);
      if (size === 0) {
        // The trailer section: field lines ended by an empty line (RFC 9112 §7.1.2).
        const trailers: Array<readonly [string, string]> = [];
        for (;;) {
          const end = await this.#until(deadline, what, () => this.#buffer.indexOf("\r\n"));
          if (end === -1) return { ...cut(), trailers };
          const line = this.#take(end + 2)
            .subarray(0, end)
            .toString("latin1");
          if (line === "") return { body: Buffer.concat(parts), trailers, complete: true };
          trailers.push(parseField(line));
        }
      }
      const got = await this.#until(deadline, what, () => (this.#buffer.length >= size + 2 ? size : -1));
      if (got === -1) {
        parts.push(this.#take(Math.min(size, this.#buffer.length)));
        return cut();
      }
      parts.push(this.#take(size));
      if (this.#buffer[0] !== 0x0d || this.#buffer[1] !== 0x0a) {
        throw new Error(`a ${size}-byte chunk is not followed by CRLF`);
      }
      this.#take(2);
    }
  }

  /** Removes and returns the first `length` bytes read and not yet consumed. */
  #take(length: number): Buffer {
    const out = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return out;
  }

  /**
   * Waits until `find()` returns an index other than -1; returns -1 once no more bytes can come (closed or
   * failed), and throws at the deadline naming `what` it waited for and the bytes it had.
   */
  async #until(deadline: number, what: string, find: () => number): Promise<number> {
    for (;;) {
      const at = find();
      if (at !== -1 || this.#ended || this.#error !== undefined) return at;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no complete response within ${this.#timeoutMs} ms: still waiting for ${what}; unread bytes: ${preview(this.#buffer)}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
        this.#waiters.push(resolve);
      });
      clearTimeout(timer);
    }
  }

  #how(): string {
    return this.#error === undefined ? "closed" : `failed (${this.#error.message})`;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Sends `text` on a fresh connection to `port`, reads one response and closes the connection.
 *
 * @example
 * const response = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 */
export async function rawRequest(
  port: number,
  text: string | Uint8Array,
  options: RawConnectionOptions & RawReadOptions = {},
): Promise<RawResponse> {
  const connection = await RawConnection.open(port, options);
  try {
    connection.write(text);
    return await connection.readResponse(options);
  } finally {
    connection.destroy();
  }
}

/**
 * Every value of the header `name` (matched without regard to case), one per line, in order.
 *
 * @example
 * headerValues(response, "set-cookie"); // ["a=1; Path=/", "b=2"]
 */
export function headerValues(response: Pick<RawResponse, "headers">, name: string): string[] {
  const lower = name.toLowerCase();
  return response.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

function parseField(line: string): readonly [string, string] {
  const colon = line.indexOf(":");
  if (colon <= 0) throw new Error(`malformed header line ${JSON.stringify(line)}`);
  return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
}

/** The header's lines joined with ", " (RFC 9110 §5.3), or `undefined` when absent. */
function fieldValue(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
  const values = headerValues({ headers }, name);
  return values.length === 0 ? undefined : values.join(", ");
}

function preview(bytes: Buffer): string {
  const text = JSON.stringify(bytes.subarray(0, 200).toString("latin1"));
  return bytes.length > 200 ? `${text}… (${bytes.length} bytes)` : text;
}
