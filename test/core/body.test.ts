import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { DEFAULT_BODY_LIMIT, readBytes, readJson, readText } from "../../src/core/body.js";
import { HttpError } from "../../src/core/http-error.js";
import type { Request } from "../../src/core/types.js";

const enc = new TextEncoder();

/** A body source that records how many chunks were pulled and whether it was closed early. */
function source(chunks: Uint8Array[]) {
  const state = { pulled: 0, closed: false };
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        async next() {
          if (i >= chunks.length) return { done: true, value: undefined };
          state.pulled++;
          return { done: false, value: chunks[i++]! };
        },
        async return() {
          state.closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { body, state };
}

function request(body: AsyncIterable<Uint8Array> | undefined, headers: Record<string, string> = {}): Request {
  return {
    method: "POST",
    uri: "/",
    queryString: undefined,
    scheme: "http",
    protocol: "HTTP/1.1",
    headers,
    serverName: "localhost",
    serverPort: 80,
    remoteAddr: "127.0.0.1",
    body,
  };
}

const textRequest = (text: string, headers: Record<string, string> = {}) =>
  request(source([enc.encode(text)]).body, headers);

const JSON_HEADERS = { "content-type": "application/json" };

/** Split `bytes` at the given cut points into consecutive chunks. */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(from, p));
    from = p;
  }
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe("readBytes", () => {
  it("reads a missing body as empty", async () => {
    expect(await readBytes(request(undefined))).toEqual(new Uint8Array(0));
  });

  it("has a 1 MiB default limit", async () => {
    expect(DEFAULT_BODY_LIMIT).toBe(1_048_576);
    const exact = new Uint8Array(DEFAULT_BODY_LIMIT);
    expect((await readBytes(request(source([exact]).body))).length).toBe(DEFAULT_BODY_LIMIT);
    const error = await rejection(readBytes(request(source([exact, new Uint8Array(1)]).body)));
    expect(error.status).toBe(413);
  });

  it("reads back any chunking of a body within the limit exactly (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (bytes, cuts) => {
          const { body, state } = source(chunk(bytes, cuts));
          const out = await readBytes(request(body), { limit: bytes.length });
          expect(out).toEqual(bytes);
          expect(state.closed).toBe(false);
        },
      ),
    );
  });

  it("rejects any body over the limit with 413 and stops at the chunk that crosses it (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.nat(),
        async (bytes, cuts, l) => {
          const limit = l % bytes.length;
          const chunks = chunk(bytes, cuts);
          const { body, state } = source(chunks);
          const error = await rejection(readBytes(request(body), { limit }));
          expect(error.status).toBe(413);
          expect(error.expose).toBe(true);
          expect(error.message).toContain(`${limit}-byte limit`);
          // Pulled exactly up to the first chunk whose end passes the limit, then closed the source.
          let end = 0;
          let crossing = 0;
          while (end <= limit) end += chunks[crossing++]!.length;
          expect(state.pulled).toBe(crossing);
          expect(state.closed).toBe(true);
        },
      ),
    );
  });

  it("rejects up front, reading nothing, when content-length is over the limit", async () => {
    const { body, state } = source([new Uint8Array(10)]);
    const error = await rejection(readBytes(request(body, { "content-length": "11" }), { limit: 10 }));
    expect(error.status).toBe(413);
    expect(state.pulled).toBe(0);
  });

  it("still enforces the limit when content-length understates the body or is not a number", async () => {
    for (const declared of ["3", "x", "-1", ""]) {
      const { body } = source([new Uint8Array(6), new Uint8Array(6)]);
      const error = await rejection(readBytes(request(body, { "content-length": declared }), { limit: 10 }));
      expect(error.status).toBe(413);
    }
  });

  it("destroys a Node Readable body when the limit is passed", async () => {
    const stream = Readable.from([Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)], { objectMode: false });
    const error = await rejection(readBytes(request(stream), { limit: 10 }));
    expect(error.status).toBe(413);
    expect(stream.destroyed).toBe(true);
  });

  it("returns a plain Uint8Array even when the chunks are Buffers", async () => {
    const out = await readBytes(request(Readable.from([Buffer.from("abc")])));
    expect(out.constructor).toBe(Uint8Array);
    expect(new TextDecoder().decode(out)).toBe("abc");
  });

  it("refuses to read the same body twice", async () => {
    const req = request(source([enc.encode("x")]).body);
    await readBytes(req);
    await expect(readBytes(req)).rejects.toThrow(/request.body was already read/);
    await expect(readText(req)).rejects.toThrow(TypeError);
  });

  it("rejects a chunk that is not a Uint8Array with a TypeError naming the SPEC", async () => {
    const body = (async function* () {
      yield "text" as unknown as Uint8Array;
    })();
    await expect(readBytes(request(body))).rejects.toThrow(/yielded string, not a Uint8Array/);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10" as unknown as number])(
    "rejects limit %s, naming the option",
    async (limit) => {
      await expect(readBytes(request(undefined), { limit })).rejects.toThrow(
        /readBytes: options.limit must be a non-negative integer/,
      );
    },
  );
});

/** Any Unicode scalar value, with 1- to 4-byte UTF-8 forms and the BOM weighted up. */
const codePoint = fc.oneof(
  fc.constantFrom("a", "é", "€", "😀", "\uFEFF"),
  fc
    .integer({ min: 0, max: 0x10ffff })
    .filter((c) => c < 0xd800 || c > 0xdfff)
    .map((c) => String.fromCodePoint(c)),
);

describe("readText", () => {
  it("decodes UTF-8 split anywhere across chunks (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: codePoint, maxLength: 100 }),
        fc.array(fc.nat()),
        async (text, cuts) => {
          const bytes = enc.encode(text);
          const { body } = source(chunk(bytes, cuts));
          expect(await readText(request(body))).toBe(text.startsWith("\uFEFF") ? text.slice(1) : text);
        },
      ),
    );
  });

  it.each([
    "text/plain",
    "text/plain; charset=utf-8",
    "text/plain;charset=UTF-8",
    'text/plain; charset="utf-8"',
    "text/plain; CHARSET=utf8",
  ])("accepts content-type %j", async (type) => {
    expect(await readText(textRequest("héllo", { "content-type": type }))).toBe("héllo");
  });

  it("rejects another charset with 415 before reading anything", async () => {
    const { body, state } = source([enc.encode("x")]);
    const error = await rejection(
      readText(request(body, { "content-type": "text/plain; charset=iso-8859-1" })),
    );
    expect(error.status).toBe(415);
    expect(error.message).toContain('"iso-8859-1"');
    expect(state.pulled).toBe(0);
  });

  it("rejects bytes that are not UTF-8 with 400", async () => {
    const error = await rejection(readText(request(source([new Uint8Array([0x61, 0xff, 0x62])]).body)));
    expect(error.status).toBe(400);
    expect(error.message).toBe("Request body is not valid UTF-8");
  });

  it("drops a leading byte order mark", async () => {
    expect(await readText(textRequest("\uFEFFabc"))).toBe("abc");
  });

  it("enforces the limit in bytes, not characters", async () => {
    const error = await rejection(readText(textRequest("ééé"), { limit: 5 }));
    expect(error.status).toBe(413);
  });
});

describe("readJson", () => {
  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/merge-patch+json",
    "application/vnd.api+json",
  ])("parses a body with content-type %j", async (type) => {
    expect(await readJson(textRequest('{"a":[1,2]}', { "content-type": type }))).toEqual({ a: [1, 2] });
  });

  it.each([
    "text/plain",
    "application/jsonx",
    "application/json-seq",
    "text/json",
    "multipart/form-data",
    "application/x-www-form-urlencoded",
  ])("rejects content-type %j with 415", async (type) => {
    const error = await rejection(readJson(textRequest("{}", { "content-type": type })));
    expect(error.status).toBe(415);
    expect(error.message).toContain(JSON.stringify(type));
  });

  it("rejects a request without content-type with 415, reading nothing", async () => {
    const { body, state } = source([enc.encode("{}")]);
    const error = await rejection(readJson(request(body)));
    expect(error.status).toBe(415);
    expect(error.message).toMatch(/no content-type/);
    expect(state.pulled).toBe(0);
  });

  it.each(["{", "{'a':1}", "", "[1,]", "undefined"])(
    "rejects malformed JSON %j with an exposed 400",
    async (text) => {
      const error = await rejection(readJson(textRequest(text, JSON_HEADERS)));
      expect(error.status).toBe(400);
      expect(error.expose).toBe(true);
      expect(error.message).toMatch(/^Malformed JSON in request body: /);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    },
  );

  it("applies the limit and the charset rule", async () => {
    expect((await rejection(readJson(textRequest('"abcdef"', JSON_HEADERS), { limit: 4 }))).status).toBe(413);
    const latin1 = { "content-type": "application/json; charset=latin1" };
    expect((await rejection(readJson(textRequest("{}", latin1)))).status).toBe(415);
  });

  it("keeps __proto__ as an own key without touching prototypes", async () => {
    const value = (await readJson(textRequest('{"__proto__":{"polluted":1}}', JSON_HEADERS))) as object;
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  describe("with a zod schema", () => {
    const User = z.object({
      name: z.string(),
      age: z.number().int().default(18),
      tags: z.array(z.string()).optional(),
    });

    it("returns the schema's output, typed", async () => {
      const user = await readJson(textRequest('{"name":"ann"}', JSON_HEADERS), { schema: User });
      expectTypeOf(user).toEqualTypeOf<{ name: string; age: number; tags?: string[] | undefined }>();
      expect(user).toEqual({ name: "ann", age: 18 });
      expectTypeOf(await readJson(textRequest("1", JSON_HEADERS))).toEqualTypeOf<unknown>();
    });

    it("rejects a failure with an exposed 400 naming the path", async () => {
      const error = await rejection(
        readJson(textRequest('{"name":"ann","age":"x","tags":["a",2]}', JSON_HEADERS), { schema: User }),
      );
      expect(error.status).toBe(400);
      expect(error.expose).toBe(true);
      expect(error.message).toMatch(/^Request body failed validation: /);
      expect(error.message).toMatch(/at age: .*expected number/);
      expect(error.message).toMatch(/at tags\[1\]: .*expected string/);
    });

    it("names the root and odd keys readably", async () => {
      const root = await rejection(readJson(textRequest("[]", JSON_HEADERS), { schema: User }));
      expect(root.message).toMatch(/at \(root\): /);
      const Odd = z.object({ "a b": z.object({ c: z.string() }) });
      const odd = await rejection(readJson(textRequest('{"a b":{"c":1}}', JSON_HEADERS), { schema: Odd }));
      expect(odd.message).toMatch(/at \["a b"\]\.c: /);
    });

    it("runs async refinements", async () => {
      const Name = z.string().refine(async (s) => s !== "taken", "name is taken");
      expect(await readJson(textRequest('"free"', JSON_HEADERS), { schema: Name })).toBe("free");
      const error = await rejection(readJson(textRequest('"taken"', JSON_HEADERS), { schema: Name }));
      expect(error.message).toBe("Request body failed validation: at (root): name is taken");
    });

    it("caps a long list of issues", async () => {
      const Many = z.array(z.string());
      const error = await rejection(readJson(textRequest("[1,2,3,4,5,6,7]", JSON_HEADERS), { schema: Many }));
      expect(error.message).toMatch(/at \[4\]: [^;]*; and 2 more$/);
    });

    it("rejects something that is not a schema with a TypeError", async () => {
      await expect(readJson(textRequest("1", JSON_HEADERS), { schema: {} as never })).rejects.toThrow(
        /readJson: options.schema must be a zod schema/,
      );
    });
  });
});
