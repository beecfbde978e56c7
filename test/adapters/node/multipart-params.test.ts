import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  MULTIPART_LIMITS,
  type MultipartParams,
  type MultipartValue,
  multipartParamsRequest,
  type RunningServer,
  serve,
  type UploadedFile,
  wrapMultipartParams,
} from "../../../src/adapters/node.js";
import { compose } from "../../../src/core/compose.js";
import { json, text } from "../../../src/core/response.js";
import type { Handler, Request, Response } from "../../../src/core/types.js";
import type { NestedParams } from "../../../src/middleware/nested-params.js";
import { wrapParams } from "../../../src/middleware/params.js";

const BOUNDARY = "------------------------d74496d66958873e";
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

type Part = { name: string; value: string | Uint8Array; filename?: string; type?: string; headers?: string };

/** A multipart body shaped as `curl -F` sends it. */
function body(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += "\r\n";
    if (part.type !== undefined) head += `Content-Type: ${part.type}\r\n`;
    if (part.headers !== undefined) head += part.headers;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.value), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

let dir: string;
let server: RunningServer | undefined;
const errors: unknown[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ringlet-multipart-test-"));
  errors.length = 0;
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(handler: Handler): Promise<string> {
  server = await serve(handler, {
    port: 0,
    hostname: "127.0.0.1",
    onError: (error) => {
      errors.push(error);
    },
  });
  return server.url;
}

/** Waits until the temp folder is empty (cleanup runs after the response), failing after a second. */
async function emptied(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await readdir(dir)).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(await readdir(dir)).toEqual([]);
}

function post(url: string, payload: Buffer, type = TYPE): Promise<globalThis.Response> {
  return fetch(url, { method: "POST", headers: { "content-type": type }, body: new Uint8Array(payload) });
}

/** A JSON view of params: files as their metadata plus their content read back from the temp file. */
async function describeParams(params: MultipartParams): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const one = async (v: MultipartValue) =>
    typeof v === "string"
      ? v
      : {
          filename: v.filename,
          contentType: v.contentType,
          size: v.size,
          content: v.path === undefined ? Buffer.from(v.bytes).toString() : await readFile(v.path, "utf8"),
          inTmpDir: v.path === undefined ? undefined : v.path.startsWith(dir),
        };
  for (const [k, v] of Object.entries(params))
    out[k] = Array.isArray(v) ? await Promise.all(v.map(one)) : await one(v as MultipartValue);
  return out;
}

/** A multipart request map with `body`, for calling `multipartParamsRequest` without a server. */
function multipartRequest(body: AsyncIterable<Uint8Array>): Request {
  return {
    method: "POST",
    uri: "/",
    queryString: undefined,
    scheme: "http",
    protocol: "HTTP/1.1",
    headers: { "content-type": TYPE },
    serverName: "x",
    serverPort: 80,
    remoteAddr: "",
    body,
  };
}

describe("wrapMultipartParams over HTTP through serve()", () => {
  it("parses a curl -F body: fields and a file in a temp file, deleted after the response", async () => {
    const url = await start(
      wrapMultipartParams(async (req) => json(await describeParams(req.multipartParams)), { tmpDir: dir }),
    );
    const res = await post(
      url,
      body([
        { name: "user", value: "ann" },
        { name: "note", value: "héllo ✓" },
        { name: "avatar", value: "file content", filename: "../../etc/a.txt", type: "text/plain" },
        { name: "tag", value: "a" },
        { name: "tag", value: "b" },
      ]),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      user: "ann",
      note: "héllo ✓",
      avatar: {
        filename: "a.txt",
        contentType: "text/plain",
        size: 12,
        content: "file content",
        inTmpDir: true,
      },
      tag: ["a", "b"],
    });
    await emptied();
  });

  it("parses what fetch's FormData sends, with the memory store", async () => {
    const url = await start(
      wrapMultipartParams(async (req) => json(await describeParams(req.params)), {
        store: "memory",
        tmpDir: dir,
      }),
    );
    const form = new FormData();
    form.append("title", "report");
    form.append(
      "doc",
      new Blob([new Uint8Array([104, 105])], { type: "application/pdf" }),
      "rapport été.pdf",
    );
    const res = await fetch(url, { method: "POST", body: form });
    expect(await res.json()).toEqual({
      title: "report",
      doc: { filename: "rapport été.pdf", contentType: "application/pdf", size: 2, content: "hi" },
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it("merges into params over wrapParams' query params, and nests with { nested: true }", async () => {
    const flat = await start(
      wrapParams(wrapMultipartParams(async (req) => json(await describeParams(req.params)), { tmpDir: dir })),
    );
    const res = await post(`${flat}/?page=2&user=query`, body([{ name: "user", value: "form" }]));
    expect(await res.json()).toEqual({ page: "2", user: "form" });
    await server!.close();

    const nested = await start(
      wrapMultipartParams(
        (req) => {
          const user = req.params.user as NestedParams<MultipartValue>;
          const avatar = user.avatar as UploadedFile;
          return json({ name: user.name, avatar: avatar.filename, roles: user.roles });
        },
        { tmpDir: dir, nested: true },
      ),
    );
    const res2 = await post(
      nested,
      body([
        { name: "user[name]", value: "Ann" },
        { name: "user[roles][]", value: "admin" },
        { name: "user[avatar]", value: "x", filename: "me.png", type: "image/png" },
        { name: "__proto__[polluted]", value: "1" },
      ]),
    );
    expect(await res2.json()).toEqual({ name: "Ann", avatar: "me.png", roles: ["admin"] });
    await server!.close();

    // Flat wrapParams outside, nested multipart inside: query and multipart names nest into one tree.
    const both = await start(
      wrapParams(wrapMultipartParams((req) => json(req.params), { tmpDir: dir, nested: true })),
    );
    const res3 = await post(`${both}/?user[id]=7`, body([{ name: "user[name]", value: "Ann" }]));
    expect(await res3.json()).toEqual({ user: { id: "7", name: "Ann" } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps a file input left empty as a file named "" of size 0, as browsers send it', async () => {
    const url = await start(
      wrapMultipartParams(async (req) => json(await describeParams(req.multipartParams)), { tmpDir: dir }),
    );
    const res = await post(
      url,
      body([{ name: "f", value: "", filename: "", type: "application/octet-stream" }]),
    );
    expect(await res.json()).toEqual({
      f: { filename: "", contentType: "application/octet-stream", size: 0, content: "", inTmpDir: true },
    });
    await emptied();
  });

  it("keeps __proto__ and constructor as plain field names", async () => {
    const url = await start(
      wrapMultipartParams((req) => json(Object.keys(req.multipartParams)), { tmpDir: dir }),
    );
    const res = await post(
      url,
      body([
        { name: "__proto__", value: "x" },
        { name: "constructor", value: "y" },
      ]),
    );
    expect(await res.json()).toEqual(["__proto__", "constructor"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("deletes the temp files once a streamed response body has been sent", async () => {
    const url = await start(
      wrapMultipartParams(
        (req) => {
          const file = req.multipartParams.file as UploadedFile;
          return { status: 200, headers: {}, body: createReadStream(file.path!) };
        },
        { tmpDir: dir },
      ),
    );
    const big = "x".repeat(300_000);
    const res = await post(url, body([{ name: "file", value: big, filename: "big.txt" }]));
    expect(await res.text()).toBe(big);
    await emptied();
  });

  it("deletes them when a streamed body fails, and when the handler throws", async () => {
    const url = await start(
      wrapMultipartParams(
        (req): Response => {
          if (req.uri === "/throw") throw new Error("boom");
          const failing = new Readable({
            read() {
              this.push("partial");
              this.destroy(new Error("disk gone"));
            },
          });
          return { status: 200, headers: {}, body: failing };
        },
        { tmpDir: dir },
      ),
    );
    const payload = body([{ name: "f", value: "data", filename: "f.txt" }]);
    await post(url, payload)
      .then((res) => res.text())
      .catch(() => undefined);
    await emptied();
    expect((await post(`${url}/throw`, payload)).status).toBe(500);
    await emptied();
  });

  it("does nothing to a request that is not multipart, synchronously", async () => {
    const app = wrapMultipartParams((req) => json({ mp: req.multipartParams, params: req.params }), {
      tmpDir: dir,
    });
    const req: Request = {
      method: "GET",
      uri: "/",
      queryString: undefined,
      scheme: "http",
      protocol: "HTTP/1.1",
      headers: {},
      serverName: "x",
      serverPort: 80,
      remoteAddr: "",
      body: undefined,
    };
    const res = app(req);
    expect(res).not.toBeInstanceOf(Promise);
    const url = await start(app as Handler);
    const urlencoded = await post(url, Buffer.from("a=1"), "application/x-www-form-urlencoded");
    expect(await urlencoded.json()).toEqual({ mp: {}, params: {} });
  });

  it("answers malformed bodies with 400 and leaves no file", async () => {
    const url = await start(wrapMultipartParams(() => text("ok"), { tmpDir: dir }));
    expect((await post(url, body([]), "multipart/form-data")).status).toBe(400);
    const truncated = body([{ name: "f", value: "x".repeat(100_000), filename: "f" }]).subarray(0, 50_000);
    expect((await post(url, truncated)).status).toBe(400);
    expect(
      (await post(url, Buffer.from(`--${BOUNDARY}\r\nbad header line\r\n\r\nx\r\n--${BOUNDARY}--`))).status,
    ).toBe(400);
    await emptied();
  });
});

describe("wrapMultipartParams limits: each a 413, and no file left", () => {
  const cases: [string, Partial<Record<keyof typeof MULTIPART_LIMITS, number>>, Part[], Part[]][] = [
    [
      "maxFileSize",
      { maxFileSize: 1000 },
      [{ name: "f", value: "x".repeat(1000), filename: "ok" }],
      [{ name: "f", value: "x".repeat(1001), filename: "big" }],
    ],
    [
      "maxFiles",
      { maxFiles: 2 },
      [1, 2].map((i) => ({ name: `f${i}`, value: "x", filename: `${i}` })),
      [1, 2, 3].map((i) => ({ name: `f${i}`, value: "x", filename: `${i}` })),
    ],
    [
      "maxFields",
      { maxFields: 3 },
      [1, 2, 3].map((i) => ({ name: `a${i}`, value: "x" })),
      [1, 2, 3, 4].map((i) => ({ name: `a${i}`, value: "x" })),
    ],
    [
      "maxFieldSize",
      { maxFieldSize: 100 },
      [{ name: "a", value: "x".repeat(100) }],
      [{ name: "a", value: "x".repeat(101) }],
    ],
    [
      "maxHeaderSize",
      { maxHeaderSize: 200 },
      [{ name: "a", value: "x", headers: `X-Pad: ${"p".repeat(100)}\r\n` }],
      [{ name: "a", value: "x", headers: `X-Pad: ${"p".repeat(200)}\r\n` }],
    ],
  ];
  for (const store of ["temp", "memory"] as const) {
    for (const [name, limits, within, over] of cases) {
      it(`${name} (${store} store): at the limit accepted, past it 413`, async () => {
        const url = await start(wrapMultipartParams(() => text("ok"), { tmpDir: dir, store, ...limits }));
        // A file part before the offending one, so a temp file exists when the limit is hit.
        const first: Part = { name: "early", value: "y".repeat(500), filename: "early.bin" };
        const extra = name === "maxFiles" ? [] : [first];
        const ok = await post(url, body([...(name === "maxFiles" ? [] : extra), ...within]));
        expect(ok.status).toBe(200);
        const res = await post(url, body([...extra, ...over]));
        expect(res.status).toBe(413);
        await emptied();
      });
    }
  }

  it("has the safe defaults: 10 MiB per file, 20 files, 1,000 fields, 1 MiB per field, 16 KiB of part headers", async () => {
    expect(MULTIPART_LIMITS).toEqual({
      maxFileSize: 10 * 1024 * 1024,
      maxFiles: 20,
      maxFields: 1000,
      maxFieldSize: 1024 * 1024,
      maxHeaderSize: 16 * 1024,
    });
    const url = await start(wrapMultipartParams(() => text("ok"), { tmpDir: dir }));
    const many = (n: number, f: (i: number) => Part) => Array.from({ length: n }, (_, i) => f(i));
    const file = (i: number): Part => ({ name: `f${i}`, value: "x", filename: `${i}` });
    const field = (i: number): Part => ({ name: `a${i}`, value: "x" });
    const statuses = async (parts: Part[]) => (await post(url, body(parts))).status;
    expect(await statuses(many(20, file))).toBe(200);
    expect(await statuses(many(21, file))).toBe(413);
    expect(await statuses(many(1000, field))).toBe(200);
    expect(await statuses(many(1001, field))).toBe(413);
    expect(await statuses([{ name: "a", value: "x".repeat(1024 * 1024) }])).toBe(200);
    expect(await statuses([{ name: "a", value: "x".repeat(1024 * 1024 + 1) }])).toBe(413);
    expect(await statuses([{ name: "f", value: new Uint8Array(10 * 1024 * 1024), filename: "f" }])).toBe(200);
    expect(await statuses([{ name: "f", value: new Uint8Array(10 * 1024 * 1024 + 1), filename: "f" }])).toBe(
      413,
    );
    expect(await statuses([{ name: "a", value: "x", headers: `X-Pad: ${"p".repeat(16_000)}\r\n` }])).toBe(
      200,
    );
    expect(await statuses([{ name: "a", value: "x", headers: `X-Pad: ${"p".repeat(16_400)}\r\n` }])).toBe(
      413,
    );
    await emptied();
  });

  it("answers 413 before the whole body is read", async () => {
    const url = new URL(
      await start(wrapMultipartParams(() => text("ok"), { tmpDir: dir, maxFileSize: 1024 })),
    );
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="big"\r\n\r\n`;
    const declared = 50 * 1024 * 1024;
    const socket = connect(Number(url.port), url.hostname);
    const response = new Promise<string>((resolve, reject) => {
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString("latin1");
        if (data.includes("\r\n\r\n")) resolve(data);
      });
      socket.on("error", reject);
    });
    socket.write(
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${TYPE}\r\nContent-Length: ${declared}\r\n\r\n${head}`,
    );
    socket.write(Buffer.alloc(64 * 1024, 0x61));
    // Only 64 KiB of 50 MiB sent, and the answer is already there.
    expect((await response).split("\r\n")[0]).toBe("HTTP/1.1 413 Payload Too Large");
    socket.destroy();
    await emptied();
  });

  it("deletes the partial temp file of a client that leaves mid-upload, without calling the handler", async () => {
    let called = false;
    const url = new URL(
      await start(
        wrapMultipartParams(
          () => {
            called = true;
            return text("ok");
          },
          { tmpDir: dir },
        ),
      ),
    );
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="f"\r\n\r\n`;
    const socket = connect(Number(url.port), url.hostname);
    socket.write(
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${TYPE}\r\nContent-Length: 1000000\r\n\r\n${head}`,
    );
    socket.write(Buffer.alloc(200_000, 0x61));
    // Wait for the temp file to exist, then leave.
    for (let i = 0; i < 200 && (await readdir(dir)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect((await readdir(dir)).length).toBe(1);
    socket.destroy();
    await emptied();
    expect(called).toBe(false);
  });
});

describe("the part header limit, whatever the chunking (property)", () => {
  /** The request for `payload` delivered in pieces cut at `cuts`. */
  function chunked(payload: Buffer, cuts: number[]): Request {
    const points = [...new Set(cuts.map((c) => c % (payload.length + 1)))].sort((a, b) => a - b);
    return multipartRequest(
      (async function* () {
        let from = 0;
        for (const p of [...points, payload.length]) {
          if (p > from) yield new Uint8Array(payload.subarray(from, p));
          from = p;
        }
      })(),
    );
  }

  it("refuses a header section over maxHeaderSize and accepts one within it, however the body is cut", async () => {
    const max = 300;
    // The measured section: "\r\n" after the boundary line, the header lines, and the blank line.
    const sectionOf = (pad: number) =>
      2 + `Content-Disposition: form-data; name="a"\r\nX-Pad: ${"p".repeat(pad)}\r\n`.length + 2;
    const base = sectionOf(0);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: max - base - 5, max: max - base + 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        async (pad, cuts, fileFirst) => {
          const parts: Part[] = [{ name: "a", value: "x", headers: `X-Pad: ${"p".repeat(pad)}\r\n` }];
          if (fileFirst) parts.unshift({ name: "f", value: "\r\n\r\n--x\r\n", filename: "f" });
          const payload = body(parts);
          const expectedOk = sectionOf(pad) <= max;
          const parsed = multipartParamsRequest(chunked(payload, cuts), {
            store: "memory",
            maxHeaderSize: max,
          });
          const outcome = await Promise.resolve(parsed).then(
            async ({ uploads }) => {
              await uploads.cleanup();
              return 200;
            },
            (error: { status?: number }) => error.status,
          );
          expect(outcome).toBe(expectedOk ? 200 : 413);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("wrapMultipartParams options and types", () => {
  it("rejects bad options at construction, naming them", () => {
    expect(() => wrapMultipartParams({ store: "disk" } as never)).toThrow(
      'wrapMultipartParams: option "store": must be "temp" or "memory" (got a string)',
    );
    expect(() => wrapMultipartParams({ maxFiles: -1 })).toThrow(
      'wrapMultipartParams: option "maxFiles": must be a non-negative integer (files) (got -1)',
    );
    expect(() => wrapMultipartParams({ maxHeaderSize: 20_000 })).toThrow(
      'wrapMultipartParams: option "maxHeaderSize": must be an integer from 1 to 16384 (bytes) (got 20000)',
    );
    expect(() => wrapMultipartParams({ tmpDir: "" })).toThrow(
      'wrapMultipartParams: option "tmpDir": must be a non-empty string (a folder) (got an empty string)',
    );
    expect(() => wrapMultipartParams({ limit: 1 } as never)).toThrow(
      'wrapMultipartParams: unknown option "limit"',
    );
  });

  it("types the request in compose: multipartParams, and params nested with { nested }", () => {
    compose(wrapMultipartParams({ tmpDir: dir }))((req) => {
      expectTypeOf(req.multipartParams).toEqualTypeOf<MultipartParams>();
      return text("x");
    });
    compose(wrapMultipartParams({ nested: true }))((req) => {
      expectTypeOf(req.params).toEqualTypeOf<NestedParams<MultipartValue>>();
      return text("x");
    });
  });

  it("lets go of each chunk of the body once busboy and the temp file are done with it", async () => {
    // Run with the real collector: chunks read long ago must be collectable while the upload goes on.
    // (A promise raced against every read once kept them all until the request ended.)
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const payload = body([{ name: "f", value: "x".repeat(40 * 65536), filename: "f" }]);
    const refs: WeakRef<Uint8Array>[] = [];
    let alive = -1;
    const req = multipartRequest(
      (async function* () {
        for (let at = 0; at < payload.length; at += 65536) {
          // A fresh copy per chunk, as a socket gives, so nothing else holds it.
          const chunk = new Uint8Array(payload.subarray(at, at + 65536));
          refs.push(new WeakRef(chunk));
          yield chunk;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
        gc();
        alive = refs.slice(0, -4).filter((ref) => ref.deref() !== undefined).length;
      })(),
    );
    const { request, uploads } = await multipartParamsRequest(req, { tmpDir: dir });
    expect((request.multipartParams.f as UploadedFile).size).toBe(40 * 65536);
    await uploads.cleanup();
    expect(refs.length).toBeGreaterThan(30);
    expect(alive).toBe(0);
  });

  it("multipartParamsRequest hands back cleanup for callers outside wrapMultipartParams", async () => {
    const payload = body([{ name: "f", value: "abc", filename: "f" }]);
    const req = multipartRequest(
      (async function* () {
        yield new Uint8Array(payload);
      })(),
    );
    const { request, uploads } = await multipartParamsRequest(req, { tmpDir: dir });
    const file = request.multipartParams.f as UploadedFile;
    expect(await readFile(file.path!, "utf8")).toBe("abc");
    await uploads.cleanup();
    expect(await readdir(dir)).toEqual([]);
  });
});
