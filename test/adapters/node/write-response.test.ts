import { createServer, type ServerResponse } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, serve, toNodeListener } from "../../../src/adapters/node.js";
import { isValidHeaderName, isValidHeaderValue } from "../../../src/core/response-check.js";
import type { Handler, Request, Response } from "../../../src/core/types.js";
import { headerValues, RawConnection, rawRequest } from "../../../src/testing/raw-http.js";

// One server; each test installs the handler it needs.
let current: Handler = () => ({ status: 200, headers: {} });
const errors: Array<[unknown, Request | undefined]> = [];
let server: RunningServer;
beforeAll(async () => {
  server = await serve((request) => current(request), {
    port: 0,
    onError: (error, request) => void errors.push([error, request]),
  });
});
afterAll(() => server.close());
beforeEach(() => {
  errors.length = 0;
});

const use = (handler: Handler) => {
  current = handler;
};
const reply = (response: Response) => use(() => response);

async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The bytes a string, byte, empty or streamed body stands for (strings as UTF-8). */
async function bodyBytes(body: Response["body"]): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string" || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<string | Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe("bodies", () => {
  it("sends a string with its UTF-8 Content-Length", async () => {
    reply({ status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: "héllo €" });
    const response = await fetch(server.url);
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength("héllo €")));
    expect(await response.text()).toBe("héllo €");
  });

  it("sends bytes with their Content-Length", async () => {
    reply({ status: 201, headers: {}, body: new Uint8Array([0, 1, 2, 255]) });
    const response = await fetch(server.url);
    expect(response.status).toBe(201);
    expect(response.headers.get("content-length")).toBe("4");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([0, 1, 2, 255]));
  });

  it("sends Content-Length: 0 for a null or missing body", async () => {
    for (const body of [null, undefined]) {
      reply({ status: 200, headers: {}, body });
      const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(headerValues(response, "content-length")).toEqual(["0"]);
      expect(headerValues(response, "transfer-encoding")).toEqual([]);
      expect(response.body.length).toBe(0);
    }
  });

  it("streams an async iterable of strings and bytes, chunked", async () => {
    reply({
      status: 200,
      headers: {},
      body: (async function* () {
        yield "one ";
        yield new TextEncoder().encode("two ");
        yield "";
        yield Buffer.from("three");
      })(),
    });
    const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(headerValues(response, "transfer-encoding")).toEqual(["chunked"]);
    expect(response.complete).toBe(true);
    expect(response.body.toString()).toBe("one two three");
  });

  it("streams a web ReadableStream and a Node Readable", async () => {
    reply({
      status: 200,
      headers: {},
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("web "));
          controller.enqueue("stream");
          controller.close();
        },
      }),
    });
    expect(await (await fetch(server.url)).text()).toBe("web stream");
    reply({ status: 200, headers: {}, body: Readable.from([Buffer.from("node "), Buffer.from("readable")]) });
    expect(await (await fetch(server.url)).text()).toBe("node readable");
  });

  it("sends each element of an array header as its own line (multiple Set-Cookie)", async () => {
    reply({
      status: 200,
      headers: { "Set-Cookie": ["a=1; Path=/", "b=2; HttpOnly", "c=3"], "x-one": "1" },
      body: "ok",
    });
    const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(headerValues(response, "set-cookie")).toEqual(["a=1; Path=/", "b=2; HttpOnly", "c=3"]);
    expect((await fetch(server.url)).headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; HttpOnly", "c=3"]);
    // with no extra header to add, the same holds on the path that hands Node the headers object as is
    reply({ status: 200, headers: { "set-cookie": ["a=1", "b=2"] }, body: Readable.from(["x"]) });
    expect(
      headerValues(await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "set-cookie"),
    ).toEqual(["a=1", "b=2"]);
  });

  it("replaces a handler's Content-Length and Transfer-Encoding for string and byte bodies", async () => {
    reply({
      status: 200,
      headers: { "Content-Length": "999", "transfer-encoding": "chunked" },
      body: "four",
    });
    const connection = await RawConnection.open(server.port);
    connection.write("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    for (let i = 0; i < 2; i++) {
      const response = await connection.readResponse();
      expect(headerValues(response, "content-length")).toEqual(["4"]);
      expect(headerValues(response, "transfer-encoding")).toEqual([]);
      expect(response.body.toString()).toBe("four");
    }
    connection.destroy();
  });

  it("drops a Trailer header, as no trailer fields are ever sent, whatever the body", async () => {
    for (const [status, body] of [
      [200, "text"],
      [200, new Uint8Array([1])],
      [200, undefined],
      [204, "ignored"],
      [200, Readable.from(["streamed"])],
    ] as const) {
      reply({ status, headers: { Trailer: "x-checksum", "x-kept": "1" }, body });
      const connection = await RawConnection.open(server.port);
      connection.write("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const response = await connection.readResponse();
      expect([response.status, response.reason]).toEqual([status, status === 200 ? "OK" : "No Content"]);
      expect(headerValues(response, "trailer")).toEqual([]);
      expect(headerValues(response, "x-kept")).toEqual(["1"]);
      expect(response.complete).toBe(true);
      connection.destroy();
    }
    expect(errors).toEqual([]);
  });

  it("answers HEAD for an empty body with the Content-Length: 0 GET would send", async () => {
    reply({ status: 200, headers: {}, body: null });
    const response = await rawRequest(server.port, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", { head: true });
    expect(headerValues(response, "content-length")).toEqual(["0"]);
  });

  it("keeps a handler's Content-Length for a streamed body", async () => {
    reply({ status: 200, headers: { "content-length": "6" }, body: Readable.from(["abc", "def"]) });
    const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(headerValues(response, "content-length")).toEqual(["6"]);
    expect(response.body.toString()).toBe("abcdef");
  });

  it("round-trips any string body (property)", async () => {
    use(async (request) => ({
      status: 200,
      headers: {},
      body: new TextDecoder().decode(await readAll(request.body ?? Readable.from([]))),
    }));
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), async (text) => {
        const response = await fetch(server.url, { method: "POST", body: text });
        expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
        expect(await response.text()).toBe(text);
      }),
      { numRuns: 50 },
    );
  });

  it("round-trips any byte body, sent with Content-Length or chunked (property)", async () => {
    use(async (request) => ({
      status: 200,
      headers: {},
      body: await readAll(request.body ?? Readable.from([])),
    }));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.boolean(), async (bytes, chunked) => {
        // (undici would send an empty chunk as the chunked terminator, so only non-empty parts are sent)
        const parts = [bytes.subarray(0, 7), bytes.subarray(7)].filter((part) => part.length > 0);
        const body = chunked ? Readable.from(parts) : bytes;
        const response = await fetch(server.url, {
          method: "PUT",
          body: body as BodyInit,
          ...(chunked ? { duplex: "half" } : {}),
        } as RequestInit);
        expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
      }),
      { numRuns: 50 },
    );
  });
});

describe("header checks", () => {
  // Names and values of string, byte and empty bodies are checked by Node's writeHead, not twice: whatever
  // text a handler puts there, the client gets either exactly that header or a clean 500.
  const headerChar = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(..."abcXYZ09-_!#$%&'*+.^`|~") },
    { weight: 2, arbitrary: fc.constantFrom(...' \t\r\n\0\x01\x7f\x80\xff:;,"()/<>=?@[]{}\\€') },
  );
  const text = fc.string({ unit: headerChar, minLength: 1, maxLength: 12 });

  it("sends any header the SPEC allows and answers a clean 500 for any other (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        text,
        text,
        fc.constantFrom<() => Response["body"]>(
          () => "body",
          () => "bödy €",
          () => new Uint8Array([1]),
          () => undefined,
          () => Readable.from(["strëam", new Uint8Array([0x21])]),
        ),
        async (name, value, makeBody) => {
          errors.length = 0;
          const body = makeBody();
          reply({ status: 200, headers: { "x-before": "1", [name]: value }, body });
          const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
          const valid = isValidHeaderName(name) && isValidHeaderValue(value);
          if (
            valid &&
            !["content-length", "transfer-encoding", "trailer", "connection"].includes(name.toLowerCase())
          ) {
            expect([response.status, response.reason]).toEqual([200, "OK"]);
            expect(headerValues(response, name.toLowerCase())).toEqual([value.trim()]);
            expect(response.body).toEqual(Buffer.from(await bodyBytes(makeBody())));
            expect(errors).toEqual([]);
          } else if (!valid) {
            expect([response.status, response.reason]).toEqual([500, "Internal Server Error"]);
            expect(headerValues(response, "x-before")).toEqual([]);
            expect(response.body.toString()).toBe("Internal Server Error");
            expect(String((errors[0]![0] as Error).message)).toMatch(
              /^Invalid response from handler: response\.headers/,
            );
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe("Latin-1 header values", () => {
  // RFC 9110 §5.5 allows obs-text (0x80-0xFF) in field values; each such character is one byte on the wire.
  // Node writes the header block together with a string body or chunk, in that string's encoding.
  it.each<[string, () => Response["body"], string]>([
    ["an ASCII string", () => "plain", "plain"],
    ["a non-ASCII string", () => "ünïcode €", "ünïcode €"],
    ["bytes", () => new TextEncoder().encode("bytes"), "bytes"],
    ["no", () => undefined, ""],
    ["a chunked", () => Readable.from(["chünk", "s"]), "chünks"],
    // With the handler's Content-Length there is no chunk-size line for Node to write first.
    ["a sized streamed", () => Readable.from(["chünk", "s"]), "chünks"],
  ])("sends them byte for byte with %s body", async (what, makeBody, text) => {
    const headers: Record<string, string> = { "x-latin": "\xff\xe9a\x80" };
    if (what.includes("sized")) headers["content-length"] = String(Buffer.byteLength(text));
    reply({ status: 200, headers, body: makeBody() });
    const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(response.status).toBe(200);
    // raw-http decodes the head as Latin-1: one character per byte.
    expect(headerValues(response, "x-latin")).toEqual(["\xff\xe9a\x80"]);
    expect(response.body.toString("utf8")).toBe(text);
    expect(errors).toEqual([]);
  });
});

describe("responses without content", () => {
  it("answers HEAD with the GET Content-Length and no body bytes", async () => {
    reply({ status: 200, headers: {}, body: "twelve bytes" });
    const connection = await RawConnection.open(server.port);
    connection.write("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const head = await connection.readResponse({ head: true });
    expect(head.status).toBe(200);
    expect(headerValues(head, "content-length")).toEqual(["12"]);
    // if HEAD had leaked a body, this would not parse as the next response
    const next = await connection.readResponse();
    expect(next.body.toString()).toBe("twelve bytes");
    connection.destroy();
  });

  it("sends no body for 204 and 304, even if the handler gave one", async () => {
    for (const status of [204, 304]) {
      reply({ status, headers: { etag: '"x"' }, body: "ignored" });
      const connection = await RawConnection.open(server.port);
      connection.write("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const first = await connection.readResponse();
      const second = await connection.readResponse();
      expect([first.status, second.status]).toEqual([status, status]);
      expect(headerValues(first, "content-length")).toEqual([]);
      connection.destroy();
    }
  });

  it("cancels a streamed body it will not send: HEAD, 204, 304", async () => {
    let cancelled = 0;
    const web = () =>
      new ReadableStream({
        pull(controller) {
          controller.enqueue("x");
        },
        cancel() {
          cancelled++;
        },
      });
    let destroyed = 0;
    const node = () =>
      new Readable({
        read() {
          this.push("x");
        },
        destroy(error, callback) {
          destroyed++;
          callback(error);
        },
      });
    let returned = 0;
    const iterable = (): AsyncIterable<string> => ({
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: "x" }),
        return: async () => {
          returned++;
          return { done: true, value: undefined };
        },
      }),
    });
    for (const [method, status] of [
      ["HEAD", 200],
      ["GET", 204],
      ["GET", 304],
    ] as const) {
      for (const body of [web, node, iterable]) {
        reply({ status, headers: {}, body: body() });
        const response = await rawRequest(server.port, `${method} / HTTP/1.1\r\nHost: x\r\n\r\n`, {
          head: true,
        });
        expect(response.status).toBe(status);
      }
    }
    await eventually(() => cancelled === 3 && destroyed === 3 && returned === 3, "all sources released");
  });
});

describe("streaming", () => {
  it("streams 10 MB to a slow reader with flat memory: the producer waits for drain", async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 160; // 10 MiB
    let produced = 0;
    let maxBuffered = 0;
    let res: ServerResponse | undefined;
    const listener = toNodeListener(() => ({
      status: 200,
      headers: {},
      body: (async function* () {
        for (let i = 0; i < TOTAL; i++) {
          // What Node holds in memory for this response, beyond what the kernel took.
          maxBuffered = Math.max(maxBuffered, res!.writableLength);
          produced++;
          yield new Uint8Array(CHUNK).fill(i);
        }
      })(),
    }));
    const node = createServer((req, response) => {
      res = response;
      listener(req, response);
    });
    await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", resolve));
    // A bare socket: the bytes are only counted (RawConnection would keep all 10 MB in one growing buffer).
    const socket = connect((node.address() as AddressInfo).port, "127.0.0.1");
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    try {
      let received = 0;
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
      });
      // The reader takes nothing from the start, so the socket buffers (a few MiB at most, far below 10)
      // fill up whatever the machine's load, and the producer must then stop.
      socket.pause();
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      await eventually(() => res?.writableNeedDrain === true, "the response to wait for drain", 20_000);
      // Stalled: nothing more produced over 200 ms (the kernel may still be moving buffered bytes for a while).
      let stalled = -1;
      for (let i = 0; i < 100 && produced !== stalled; i++) {
        stalled = produced;
        await sleep(200);
      }
      expect(produced).toBe(stalled);
      expect(produced).toBeLessThan(TOTAL);
      expect(received).toBeLessThan(TOTAL * CHUNK);
      // Then it reads slowly, in short bursts.
      while (!socket.destroyed && received < TOTAL * CHUNK) {
        socket.resume();
        await sleep(2);
        socket.pause();
        await sleep(3);
      }
      socket.resume();
      await closed;
      expect(produced).toBe(TOTAL);
      expect(received).toBeGreaterThan(TOTAL * CHUNK);
      // Never more than a few chunks queued in the process, whatever the reader's pace.
      expect(maxBuffered).toBeLessThanOrEqual(2 * CHUNK);
    } finally {
      socket.destroy();
      node.close();
    }
  }, 60_000);

  it("stops and cleans up the source when the client aborts mid-stream", async () => {
    let generatorFinally = false;
    let webCancelled = false;
    let nodeDestroyed = false;
    const sources: Record<string, () => Response["body"]> = {
      generator: () =>
        (async function* () {
          try {
            for (;;) {
              yield "tick\n";
              await sleep(5);
            }
          } finally {
            generatorFinally = true;
          }
        })(),
      // a pull that never settles: cancel must not wait for a next chunk
      web: () =>
        new ReadableStream({
          start(controller) {
            controller.enqueue("first\n");
          },
          pull: () => new Promise(() => {}),
          cancel() {
            webCancelled = true;
          },
        }),
      node: () =>
        new Readable({
          read() {
            setTimeout(() => this.push("tick\n"), 5);
          },
          destroy(error, callback) {
            nodeDestroyed = true;
            callback(error);
          },
        }),
    };
    for (const [name, make] of Object.entries(sources)) {
      reply({ status: 200, headers: {}, body: make() });
      const controller = new AbortController();
      const response = await fetch(server.url, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await eventually(
        () => (name === "generator" ? generatorFinally : name === "web" ? webCancelled : nodeDestroyed),
        `${name} source cleaned up`,
      );
    }
    expect(errors).toEqual([]);
  });

  it("reports a source that fails to stop when the client aborts, and nothing else", async () => {
    const sources: Array<() => Response["body"]> = [
      () =>
        new ReadableStream({
          start(controller) {
            controller.enqueue("first\n");
          },
          pull: () => new Promise(() => {}),
          cancel: () => Promise.reject(new Error("web source cannot stop")),
        }),
      (): AsyncIterable<string> => {
        let sent = false;
        return {
          [Symbol.asyncIterator]: () => ({
            next: async () => {
              if (sent) return new Promise<IteratorResult<string>>(() => {});
              sent = true;
              return { done: false, value: "first\n" };
            },
            return: () => {
              throw new Error("iterator cannot stop");
            },
          }),
        };
      },
    ];
    for (const make of sources) {
      errors.length = 0;
      reply({ status: 200, headers: {}, body: make() });
      const controller = new AbortController();
      const response = await fetch(`${server.url}/leaving`, { signal: controller.signal });
      await response.body!.getReader().read();
      controller.abort();
      await eventually(() => errors.length > 0, "the failed stop reported");
      expect(errors).toHaveLength(1);
      expect((errors[0]![0] as Error).message).toMatch(/cannot stop/);
      expect(errors[0]![1]?.uri).toBe("/leaving");
    }
  });

  it("cancels the body, unread, when the client left before the handler answered", async () => {
    let cancelled = false;
    let readers = 0;
    // The handler answers only once the server has seen the connection close: no timing involved.
    const serverSocketClosed = new Promise<void>((resolve) => {
      server.server.once("connection", (socket: Socket) => socket.once("close", () => resolve()));
    });
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    use(async () => {
      started();
      await serverSocketClosed;
      const body = new ReadableStream({
        cancel() {
          cancelled = true;
        },
      });
      // Streaming it would take a reader; dropping it must not.
      const getReader = body.getReader.bind(body);
      body.getReader = (() => {
        readers++;
        return getReader();
      }) as typeof body.getReader;
      return { status: 200, headers: {}, body };
    });
    const connection = await RawConnection.open(server.port);
    connection.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await handlerStarted;
    connection.destroy();
    await eventually(() => cancelled, "body cancelled");
    expect(readers).toBe(0);
    expect(errors).toEqual([]);
  });

  it("destroys the socket and reports when the body fails after the headers were sent", async () => {
    use(() => ({
      status: 200,
      headers: {},
      body: (async function* () {
        yield "partial";
        await sleep(5);
        throw new Error("disk on fire");
      })(),
    }));
    const connection = await RawConnection.open(server.port);
    connection.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    const response = await connection.readResponse();
    expect(response.status).toBe(200);
    expect(response.complete).toBe(false);
    expect(response.body.toString()).toBe("partial");
    await connection.closed;
    expect(errors).toHaveLength(1);
    expect((errors[0]![0] as Error).message).toBe("disk on fire");
    expect(errors[0]![1]?.uri).toBe("/stream");
  });

  it("destroys the socket and reports a chunk that is neither bytes nor a string", async () => {
    let cleaned = false;
    use(() => ({
      status: 200,
      headers: {},
      body: (async function* () {
        try {
          yield "ok";
          yield 42 as unknown as string;
          yield "never";
        } finally {
          cleaned = true;
        }
      })(),
    }));
    const response = await rawRequest(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(response.complete).toBe(false);
    expect(response.body.toString()).toBe("ok");
    expect(String((errors[0]![0] as Error).message)).toMatch(
      /chunk that is not a Uint8Array or a string \(number\)/,
    );
    await eventually(() => cleaned, "generator finally");
  });
});
