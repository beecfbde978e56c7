/**
 * A `ws` client for the WebSocket tests: messages, pings and the close are collected so a test can await the
 * next one; a refused handshake resolves with the HTTP status and body instead of throwing.
 */
import type { IncomingMessage } from "node:http";
import WebSocket, { type ClientOptions } from "ws";

export interface Received {
  readonly data: string | Buffer;
  readonly binary: boolean;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly messages: Received[] = [];
  readonly pings: Buffer[] = [];
  readonly pongs: Buffer[] = [];
  /** The 101 response (its headers), once open. */
  upgrade: IncomingMessage | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("upgrade", (response) => {
      this.upgrade = response;
    });
    ws.on("message", (data: Buffer, binary: boolean) => {
      this.messages.push({ data: binary ? data : data.toString(), binary });
      this.#wake();
    });
    ws.on("ping", (data: Buffer) => {
      this.pings.push(data);
      this.#wake();
    });
    ws.on("pong", (data: Buffer) => {
      this.pongs.push(data);
      this.#wake();
    });
    ws.on("error", () => {});
    this.closed = new Promise((resolve) => {
      ws.on("close", (code: number, reason: Buffer) => {
        resolve({ code, reason: reason.toString() });
        this.#wake();
      });
    });
  }

  /** Opens a connection; rejects with `{ status, body, headers }` when the server answers with HTTP. */
  static open(url: string, protocols?: string[], options: ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      const client = new TestClient(ws);
      ws.once("open", () => resolve(client));
      ws.once("unexpected-response", (_request, response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          reject(
            new RefusedError(response.statusCode ?? 0, Buffer.concat(chunks).toString(), response.headers),
          ),
        );
      });
      ws.once("error", (error) => reject(error));
    });
  }

  /** Resolves with the `n`th message (1-based), waiting for it. */
  async message(n = this.messages.length + 1): Promise<Received> {
    await this.until(() => this.messages.length >= n);
    return this.messages[n - 1]!;
  }

  async until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("TestClient: timed out waiting");
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: IncomingMessage["headers"],
  ) {
    super(`refused with ${status}`);
  }
}

/** The handshake refusal a promise rejected with. */
export async function refusal(opening: Promise<unknown>): Promise<RefusedError> {
  try {
    await opening;
  } catch (error) {
    if (error instanceof RefusedError) return error;
    throw error;
  }
  throw new Error("the handshake was accepted");
}

export function wsUrl(httpUrl: string, path = "/"): string {
  return `${httpUrl.replace(/^http/, "ws")}${path}`;
}
