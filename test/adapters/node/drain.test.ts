import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../../src/adapters/node.js";
import type { Request } from "../../../src/core/types.js";
import { headerValues, RawConnection } from "../../../src/testing/raw-http.js";

let server: RunningServer;
const seen: string[] = [];
const errors: unknown[] = [];
beforeAll(async () => {
  server = await serve(
    async (request: Request) => {
      seen.push(`${request.method} ${request.uri}`);
      if (request.uri === "/stream") {
        return { status: 200, headers: {}, body: Readable.from(["streamed ", request.uri]) };
      }
      if (request.uri === "/read-one" && request.body) {
        for await (const _ of request.body) break;
      }
      return { status: 200, headers: {}, body: `answer to ${request.uri}` };
    },
    { port: 0, drainMaxBytes: 1024, drainTimeout: 300, onError: (error) => void errors.push(error) },
  );
});
afterAll(() => server.close());
beforeEach(() => {
  seen.length = 0;
  errors.length = 0;
});

const second = "GET /second HTTP/1.1\r\nHost: x\r\n\r\n";

describe("draining an unread request body", () => {
  it("reads past an unread POST body so the next request on the connection is answered", async () => {
    const connection = await RawConnection.open(server.port);
    connection.write(
      `POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n${"a".repeat(500)}${second}`,
    );
    const first = await connection.readResponse();
    const next = await connection.readResponse();
    expect([first.body.toString(), next.body.toString()]).toEqual(["answer to /first", "answer to /second"]);
    expect(headerValues(first, "connection")).toEqual(["keep-alive"]);
    expect(seen).toEqual(["POST /first", "GET /second"]);
    connection.destroy();
  });

  it("does the same for a chunked body, and when the body arrives after the response", async () => {
    const connection = await RawConnection.open(server.port);
    connection.write("POST /first HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const first = await connection.readResponse();
    expect(first.body.toString()).toBe("answer to /first");
    connection.write(`100\r\n${"b".repeat(256)}\r\n0\r\n\r\n${second}`);
    expect((await connection.readResponse()).body.toString()).toBe("answer to /second");
    connection.destroy();
  });

  it("drains what is left after a handler read part of the body", async () => {
    const connection = await RawConnection.open(server.port);
    connection.write(`POST /read-one HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\n\r\n${"c".repeat(100)}`);
    await sleep(20);
    connection.write("c".repeat(500) + second);
    expect((await connection.readResponse()).body.toString()).toBe("answer to /read-one");
    expect((await connection.readResponse()).body.toString()).toBe("answer to /second");
    connection.destroy();
  });

  it("answers with Connection: close and closes when an unread Content-Length is over the limit", async () => {
    const connection = await RawConnection.open(server.port);
    connection.write(`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n${"d".repeat(2000)}`);
    const response = await connection.readResponse();
    expect(response.body.toString()).toBe("answer to /big");
    expect(headerValues(response, "connection")).toEqual(["close"]);
    await connection.closed;
    expect(seen).toEqual(["POST /big"]);
  });

  it("closes the connection when a chunked body goes past the limit while draining", async () => {
    // a time limit far away, so only the byte limit can close the connection in time
    const patient = await serve(() => ({ status: 200, headers: {}, body: "answer" }), {
      port: 0,
      drainMaxBytes: 1024,
      drainTimeout: 20_000,
    });
    const connection = await RawConnection.open(patient.port);
    connection.write("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const response = await connection.readResponse();
    expect(response.body.toString()).toBe("answer");
    expect(headerValues(response, "connection")).toEqual(["keep-alive"]);
    const chunk = `400\r\n${"e".repeat(1024)}\r\n`;
    for (let i = 0; i < 4 && !connection.socket.destroyed; i++) {
      connection.write(chunk);
      await sleep(10);
    }
    const started = Date.now();
    expect(await connection.closed).toMatch(/end|reset/);
    // Well before the 20 s drain timeout: the byte limit closed it.
    expect(Date.now() - started).toBeLessThan(15_000);
    await patient.close();
  });

  it("drains after a streamed response that did not read the body", async () => {
    const connection = await RawConnection.open(server.port);
    connection.write(
      `POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n${"g".repeat(300)}${second}`,
    );
    const first = await connection.readResponse();
    expect(first.body.toString()).toBe("streamed /stream");
    expect((await connection.readResponse()).body.toString()).toBe("answer to /second");
    connection.destroy();
  });

  it("closes the connection when the rest of the body does not come within the time limit", async () => {
    const connection = await RawConnection.open(server.port);
    // Timed from before the request is sent, so the drain timer (300 ms) cannot have started earlier,
    // however late this process gets to read the response.
    const started = Date.now();
    connection.write(`POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${"f".repeat(10)}`);
    const response = await connection.readResponse();
    expect(response.body.toString()).toBe("answer to /slow");
    await connection.closed;
    const waited = Date.now() - started;
    // (Timers may fire up to a millisecond early by the wall clock.)
    expect(waited).toBeGreaterThanOrEqual(298);
    // Without the drain timer Node would wait for the body for requestTimeout (300 s).
    expect(waited).toBeLessThan(20_000);
    expect(errors).toEqual([]);
  });
});
