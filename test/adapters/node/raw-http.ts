/**
 * A raw HTTP/1.1 client over `net` for the adapter tests: it sends exact bytes (what `fetch` would refuse or
 * normalise) and parses responses one by one on a kept-alive connection.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  readonly status: number;
  /** The reason phrase of the status line, e.g. `"OK"`. */
  readonly reason: string;
  /** Header lines in order, names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /** Whether the body was terminated properly (length reached, last chunk, or close-delimited). */
  readonly complete: boolean;
}

export class RawConnection {
  readonly socket: Socket;
  /** Resolves when the server closes the connection: `"end"` for a clean close, `"reset"` for a reset. */
  readonly closed: Promise<"end" | "reset">;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      let reset = false;
      socket.on("error", () => {
        reset = true;
      });
      socket.on("close", () => {
        this.#ended = true;
        this.#wake();
        resolve(reset ? "reset" : "end");
      });
    });
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  /** A connection to a server listening on a Unix domain socket. */
  static openPath(path: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(path, () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(data: string | Uint8Array): void {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Reads the next response. `head: true` for a response to HEAD (no body whatever the headers say). */
  async readResponse(options: { head?: boolean } = {}): Promise<RawResponse> {
    const headEnd = await this.#until(() => this.#buffer.indexOf("\r\n\r\n"));
    const head = this.#buffer.subarray(0, headEnd).toString("latin1");
    this.#buffer = this.#buffer.subarray(headEnd + 4);
    const [statusLine, ...lines] = head.split("\r\n");
    const status = Number(statusLine!.split(" ")[1]);
    const reason = statusLine!.split(" ").slice(2).join(" ");
    const headers = lines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()] as const;
    });
    const header = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
    if (options.head || status === 204 || status === 304 || status < 200) {
      return { status, reason, headers, body: Buffer.alloc(0), complete: true };
    }
    const length = header("content-length");
    if (length !== undefined) {
      const n = Number(length);
      const got = await this.#until(() => (this.#buffer.length >= n ? n : -1), true);
      const body = this.#buffer.subarray(0, Math.min(n, this.#buffer.length));
      this.#buffer = this.#buffer.subarray(body.length);
      return { status, reason, headers, body, complete: got !== -1 };
    }
    if (header("transfer-encoding")?.toLowerCase() === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = await this.#until(() => this.#buffer.indexOf("\r\n"), true);
        if (lineEnd === -1) return { status, reason, headers, body: Buffer.concat(parts), complete: false };
        const size = Number.parseInt(this.#buffer.subarray(0, lineEnd).toString("latin1"), 16);
        const need = lineEnd + 2 + size + 2;
        const got = await this.#until(() => (this.#buffer.length >= need ? need : -1), true);
        if (got === -1) {
          parts.push(this.#buffer.subarray(lineEnd + 2));
          this.#buffer = Buffer.alloc(0);
          return { status, reason, headers, body: Buffer.concat(parts), complete: false };
        }
        parts.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        this.#buffer = this.#buffer.subarray(need);
        if (size === 0) return { status, reason, headers, body: Buffer.concat(parts), complete: true };
      }
    }
    await this.#until(() => -1, true);
    const body = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return { status, reason, headers, body, complete: true };
  }

  /** Waits until `find` gives an index ≥ 0; at end of stream returns -1 when `allowEnd`, else throws. */
  async #until(find: () => number, allowEnd = false): Promise<number> {
    for (;;) {
      const at = find();
      if (at !== -1) return at;
      if (this.#ended) {
        if (allowEnd) return -1;
        throw new Error(
          `connection closed before a full response head; got ${JSON.stringify(this.#buffer.toString("latin1"))}`,
        );
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Sends `text` on a fresh connection and reads one response. */
export async function rawRequest(
  port: number,
  text: string,
  options: { head?: boolean } = {},
): Promise<RawResponse> {
  const connection = await RawConnection.open(port);
  try {
    connection.write(text);
    return await connection.readResponse(options);
  } finally {
    connection.destroy();
  }
}

export function headerValues(response: RawResponse, name: string): string[] {
  return response.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}
