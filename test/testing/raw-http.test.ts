import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { headerValues, RawConnection, rawRequest } from "../../src/testing/raw-http.js";

// A server that answers the first bytes of each connection with exactly what the test says, so each framing
// rule is checked against bytes no real server would be trusted to produce.
const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function listen(server: Server, address: { port: number; host: string } | { path: string }): Promise<void> {
  servers.push(server);
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve) => server.listen(address, () => resolve()));
}

/** A server on a free port that runs `reply` on each connection once the request's first bytes arrive. */
async function replying(reply: (socket: Socket, request: Buffer) => void): Promise<number> {
  const server = createServer((socket) => socket.once("data", (request) => reply(socket, request)));
  await listen(server, { port: 0, host: "127.0.0.1" });
  return (server.address() as { port: number }).port;
}

const sending = (bytes: string, then: "keep" | "end" | "reset" = "keep") =>
  replying((socket) => {
    socket.write(Buffer.from(bytes, "latin1"));
    if (then === "end") socket.end();
    if (then === "reset") setTimeout(() => socket.resetAndDestroy(), 20);
  });

const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

async function exchange(port: number, options: { head?: boolean; timeoutMs?: number } = {}) {
  const connection = await RawConnection.open(port, { timeoutMs: options.timeoutMs ?? 2000 });
  connection.write(options.head ? "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" : GET);
  return { connection, response: await connection.readResponse(options) };
}

describe("RawConnection reads responses framed by RFC 9112 §6.3", () => {
  it("decodes a chunked body with a chunk extension and keeps its trailers apart from the headers", async () => {
    const port = await sending(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
        "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\nX-Other:  a \r\n\r\n" +
        "HTTP/1.1 204 No Content\r\n\r\n",
    );
    const { connection, response } = await exchange(port);
    expect(response).toMatchObject({ status: 200, reason: "OK", complete: true });
    expect(response.body.toString()).toBe("hello world");
    expect(response.trailers).toEqual([
      ["X-Sum", "42"],
      ["X-Other", "a"],
    ]);
    expect(headerValues(response, "x-sum")).toEqual([]);
    // The trailers were consumed: the next response starts right after them.
    expect((await connection.readResponse()).status).toBe(204);
    connection.destroy();
  });

  it("skips 100 Continue and 103 Early Hints and returns the final response", async () => {
    const port = await sending(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" +
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    const { connection, response } = await exchange(port);
    expect([response.status, response.body.toString()]).toEqual([200, "ok"]);
    expect(headerValues(response, "link")).toEqual([]);
    connection.destroy();
  });

  it("returns 101 Switching Protocols, with no body", async () => {
    const port = await sending("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n\x81\x00");
    const { connection, response } = await exchange(port);
    expect([response.status, response.body.length, response.complete]).toEqual([101, 0, true]);
    connection.destroy();
  });

  it("reads exactly Content-Length bytes, leaving a pipelined response for the next read", async () => {
    const port = await sending(
      "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    );
    const { connection, response } = await exchange(port);
    expect([response.body.toString(), response.complete]).toEqual(["hello", true]);
    expect(await connection.readResponse()).toMatchObject({
      status: 404,
      reason: "Not Found",
      complete: true,
    });
    connection.destroy();
  });

  it("prefers chunked framing over a Content-Length beside it", async () => {
    const port = await sending(
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
    );
    const { connection, response } = await exchange(port);
    expect([response.body.toString(), response.complete]).toEqual(["ab", true]);
    connection.destroy();
  });

  it("reads no body for HEAD, 204 and 304, whatever their headers say", async () => {
    const head = await sending(
      "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
    );
    const { connection, response } = await exchange(head, { head: true });
    expect([response.status, response.body.length]).toEqual([200, 0]);
    expect(headerValues(response, "Content-Length")).toEqual(["12"]);
    expect((await connection.readResponse()).body.toString()).toBe("x");
    connection.destroy();
    for (const status of [204, 304]) {
      const port = await sending(
        `HTTP/1.1 ${status} X\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`,
      );
      const { connection, response } = await exchange(port);
      expect([response.status, response.body.length]).toEqual([status, 0]);
      expect((await connection.readResponse()).status).toBe(200);
      connection.destroy();
    }
  });

  it("reads a body without length or chunking until the server closes the connection", async () => {
    const port = await replying((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nfirst ");
      setTimeout(() => socket.end("and last"), 20);
    });
    const { connection, response } = await exchange(port);
    expect([response.body.toString(), response.complete]).toEqual(["first and last", true]);
    expect(await connection.closed).toBe("end");
  });
});

describe("RawConnection reports a body cut short with complete: false", () => {
  it("for a Content-Length body", async () => {
    const port = await sending("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "end");
    const { response } = await exchange(port);
    expect([response.status, response.body.toString(), response.complete]).toEqual([200, "abc", false]);
  });

  it("for a chunked body, mid-chunk and before the last chunk", async () => {
    const midChunk = await sending(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n9\r\npart",
      "end",
    );
    const a = (await exchange(midChunk)).response;
    expect([a.body.toString(), a.complete]).toEqual(["okpart", false]);
    const beforeLast = await sending(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n",
      "end",
    );
    const b = (await exchange(beforeLast)).response;
    expect([b.body.toString(), b.complete]).toEqual(["ok", false]);
  });

  it("for a close-delimited body ended by a reset, and `closed` says reset", async () => {
    const port = await sending("HTTP/1.1 200 OK\r\n\r\npartial", "reset");
    const { connection, response } = await exchange(port);
    expect([response.body.toString(), response.complete]).toEqual(["partial", false]);
    expect(await connection.closed).toBe("reset");
  });
});

describe("RawConnection fails with a clear Error", () => {
  it("when no complete response comes within the timeout, naming what it waited for and what it had", async () => {
    const port = await sending("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    const started = Date.now();
    await expect(exchange(port, { timeoutMs: 200 })).rejects.toThrow(
      'no complete response within 200 ms: still waiting for the 10-byte body of a 200 response; unread bytes: "abc"',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const silent = await replying(() => {});
    await expect(exchange(silent, { timeoutMs: 100 })).rejects.toThrow(
      'no complete response within 100 ms: still waiting for a response head; unread bytes: ""',
    );
  });

  it("when the connection closes before a complete head", async () => {
    const port = await sending("HTTP/1.1 200 OK\r\nX-Half", "end");
    await expect(exchange(port)).rejects.toThrow(
      'the connection closed before a complete response head; received "HTTP/1.1 200 OK\\r\\nX-Half"',
    );
  });

  it("for a malformed status line, header line, Content-Length or chunk size", async () => {
    const cases: Array<[string, string]> = [
      ["HTTP/2 200 OK\r\n\r\n", 'malformed status line "HTTP/2 200 OK"'],
      ["HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 'malformed header line "no colon"'],
      ["HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", 'malformed content-length "1, 2"'],
      ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 'malformed chunk size line "zz"'],
      [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
        "a 1-byte chunk is not followed by CRLF",
      ],
    ];
    for (const [bytes, message] of cases) {
      await expect(exchange(await sending(bytes))).rejects.toThrow(message);
    }
  });

  it("when it cannot connect", async () => {
    const port = await replying(() => {});
    await new Promise((resolve) => servers.pop()!.close(resolve));
    await expect(RawConnection.open(port)).rejects.toThrow(
      `could not connect to 127.0.0.1:${port}: connect ECONNREFUSED`,
    );
  });
});

describe("RawConnection's connection", () => {
  it("sends a string as Latin-1, one byte per character, and bytes as they are", async () => {
    const received: Buffer[] = [];
    const server = createServer((socket) =>
      socket.on("data", (bytes: Buffer) => {
        received.push(bytes);
        if (Buffer.concat(received).length >= 4) socket.end("HTTP/1.1 204 No Content\r\n\r\n");
      }),
    );
    await listen(server, { port: 0, host: "127.0.0.1" });
    const port = (server.address() as { port: number }).port;
    const connection = await RawConnection.open(port);
    connection.write("\xff\xe9");
    connection.write(Uint8Array.of(0x00, 0x80));
    expect((await connection.readResponse()).status).toBe(204);
    expect([...Buffer.concat(received)]).toEqual([0xff, 0xe9, 0x00, 0x80]);
    expect(await connection.closed).toBe("end");
  });

  it("opens a Unix domain socket with openPath", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ringlet-raw-"));
    try {
      const path = join(dir, "s.sock");
      const server = createServer((socket) =>
        socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nunix")),
      );
      await listen(server, { path });
      const connection = await RawConnection.openPath(path);
      connection.write(GET);
      expect((await connection.readResponse()).body.toString()).toBe("unix");
      connection.destroy();
      expect(await connection.closed).toBe("end");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rawRequest sends one request on a fresh connection; headerValues matches names in any case", async () => {
    const port = await sending(
      "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    );
    const response = await rawRequest(port, GET);
    expect(headerValues(response, "Set-Cookie")).toEqual(["a=1", "b=2"]);
    expect(response.headers).toEqual([
      ["Set-Cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["Content-Length", "0"],
    ]);
  });
});
