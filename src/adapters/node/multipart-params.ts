/**
 * `wrapMultipartParams`, Ring's `wrap-multipart-params`: a `multipart/form-data` body parsed as it streams
 * in (by busboy), its fields and files in `multipartParams` and merged into `params`. Files go to temp files
 * (or memory) under limits checked while reading, and are deleted once the response is sent, whatever
 * happens. In `ringlet/node` because it writes files. docs/uploads.md has the options and the threat note.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import * as z from "zod/mini";
import { mediaType } from "../../core/body.js";
import { cancelBody } from "../../core/cancel-body.js";
import { checkOptionsArgument } from "../../core/compose.js";
import { HttpError } from "../../core/http-error.js";
import { parseOptions } from "../../core/parse-options.js";
import {
  type Awaitable,
  type Handler,
  isFunction,
  isThenable,
  type Request,
  type Response,
  type ResponseBody,
} from "../../core/types.js";
import { DEFAULT_NESTED_DEPTH, type NestedParams, nestParams } from "../../middleware/nested-params.js";
import type { NestedOptions } from "../../middleware/params.js";

/** An uploaded file: where its bytes are (`path` for the temp-file store, `bytes` in memory) and what the client said of it. */
export type UploadedFile = TempFileUpload | MemoryUpload;

interface UploadBase {
  /** The client's file name, without any directory part (`C:\x\a.txt` and `../a.txt` give `a.txt`); `""` when none. */
  readonly filename: string;
  /** The part's `content-type` as the client sent it (type/subtype, lower case); never checked against the bytes. */
  readonly contentType: string;
  /** Bytes received. */
  readonly size: number;
}
/** A file of the `"temp"` store: deleted once the response has been sent. */
export interface TempFileUpload extends UploadBase {
  /** The temp file, named by ringlet (never from `filename`), readable until the response has been sent. */
  readonly path: string;
  readonly bytes?: undefined;
}
/** A file of the `"memory"` store. */
export interface MemoryUpload extends UploadBase {
  readonly bytes: Uint8Array;
  readonly path?: undefined;
}

/** One value of a multipart form: a field's text or a file. */
export type MultipartValue = string | UploadedFile;
/** Multipart fields and files by name; a repeated name gives its values in order. No prototype. */
export type MultipartParams = Readonly<Record<string, MultipartValue | readonly MultipartValue[]>>;

/** The keys `wrapMultipartParams` adds. */
export interface MultipartParamsRequestKeys {
  /** Fields and files of a `multipart/form-data` body; empty for any other request. */
  readonly multipartParams: MultipartParams;
  /** The request's existing `params` (from `wrapParams` or a router), then `multipartParams`: later wins. */
  readonly params: MultipartParams;
}

/** The keys `wrapMultipartParams({ nested: true })` adds: `params` is a tree. */
export interface NestedMultipartParamsRequestKeys {
  readonly multipartParams: MultipartParams;
  readonly params: NestedParams<MultipartValue>;
}

/** Options of `wrapMultipartParams` and `multipartParamsRequest`. Every limit answers 413 once passed. */
export interface MultipartParamsOptions {
  /** Where file contents go: `"temp"` files under `tmpDir`, or `"memory"`. Default: `"temp"`. */
  store?: "temp" | "memory" | undefined;
  /** The folder of temp files. Default: `os.tmpdir()`. */
  tmpDir?: string | undefined;
  /** The largest file, in bytes. Default: 10 MiB (10_485_760). */
  maxFileSize?: number | undefined;
  /** The most files. Default: 20. */
  maxFiles?: number | undefined;
  /** The most fields (parts that are not files). Default: 1,000. */
  maxFields?: number | undefined;
  /** The largest field value, in bytes. Default: 1 MiB (1_048_576). */
  maxFieldSize?: number | undefined;
  /** The most bytes of one part's header section. Default and most: 16 KiB (16_384), busboy's own ceiling. */
  maxHeaderSize?: number | undefined;
  /** Nest `params` by name, as `wrapParams({ nested })`. Default: `false`. */
  nested?: boolean | NestedOptions | undefined;
  /** Told when a temp file cannot be deleted. Default: one line on stderr. */
  onError?: ((error: unknown, request: Request) => void) | undefined;
}

/** `MultipartParamsOptions` with nested parameters on. */
export type NestedMultipartParamsOptions = MultipartParamsOptions & { nested: true | NestedOptions };
/** `MultipartParamsOptions` without nested parameters. */
export type FlatMultipartParamsOptions = MultipartParamsOptions & { nested?: false | undefined };

/** The default limits of `wrapMultipartParams`. */
export const MULTIPART_LIMITS = Object.freeze({
  maxFileSize: 10 * 1024 * 1024,
  maxFiles: 20,
  maxFields: 1000,
  maxFieldSize: 1024 * 1024,
  maxHeaderSize: 16 * 1024,
});

/** The uploads of one request and how to delete them: what `multipartParamsRequest` gives besides the request. */
export interface Uploads {
  /** Deletes the temp files (a no-op for the memory store); resolves once they are gone, never rejects. */
  cleanup(): Promise<void>;
}

/**
 * Parse a `multipart/form-data` request: the request with `multipartParams` and `params`, and `cleanup`,
 * which the caller must call once the files are no longer needed (`wrapMultipartParams` does it after the
 * response). Any other request gets empty `multipartParams`, synchronously. A limit passed rejects with a
 * 413 `HttpError` and a malformed body with a 400, as soon as seen, with every temp file already deleted.
 *
 * @example
 * const { request: req, uploads } = await multipartParamsRequest(request, { store: "memory" });
 * try { return handle(req); } finally { await uploads.cleanup(); }
 */
export function multipartParamsRequest<R extends Request>(
  request: R,
  options?: MultipartParamsOptions,
): Awaitable<{ request: R & MultipartParamsRequestKeys; uploads: Uploads }> {
  return addMultipart(request, resolveOptions("multipartParamsRequest", options)) as Awaitable<{
    request: R & MultipartParamsRequestKeys;
    uploads: Uploads;
  }>;
}

/**
 * The response unchanged: the files are deleted by `Uploads.cleanup`, which `wrapMultipartParams` calls
 * after the response. Exported so every middleware has both halves.
 */
export function multipartParamsResponse<Res extends Response>(
  response: Res,
  _request?: Request,
  _options?: MultipartParamsOptions,
): Res {
  return response;
}

/**
 * Parse `multipart/form-data` bodies into `multipartParams` and `params`, files in temp files deleted once
 * the response is sent (or has failed, or the client left). Options are checked once, here.
 *
 * @example
 * const app = wrapMultipartParams((req) => {
 *   const avatar = req.multipartParams.avatar; // { filename, contentType, size, path }
 *   return text(typeof avatar === "object" && !Array.isArray(avatar) ? `${avatar.size} bytes` : "no file");
 * });
 */
export function wrapMultipartParams(
  options: NestedMultipartParamsOptions,
): <Req extends Request, Res extends Response>(
  handler: Handler<Req & NestedMultipartParamsRequestKeys, Res>,
) => Handler<Req, Res>;
export function wrapMultipartParams(
  options?: FlatMultipartParamsOptions,
): <Req extends Request, Res extends Response>(
  handler: Handler<Req & MultipartParamsRequestKeys, Res>,
) => Handler<Req, Res>;
export function wrapMultipartParams<Req extends Request, Res extends Response>(
  handler: Handler<Req & NestedMultipartParamsRequestKeys, Res>,
  options: NestedMultipartParamsOptions,
): Handler<Req, Res>;
export function wrapMultipartParams<Req extends Request, Res extends Response>(
  handler: Handler<Req & MultipartParamsRequestKeys, Res>,
  options?: FlatMultipartParamsOptions,
): Handler<Req, Res>;
export function wrapMultipartParams(
  handler: Handler<any, any> | MultipartParamsOptions | undefined,
  options?: MultipartParamsOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler !== "function") {
    checkOptionsArgument("wrapMultipartParams", handler);
    const config = resolveOptions("wrapMultipartParams", handler);
    return (inner: Handler<any, any>) => wrapWith(inner, config);
  }
  return wrapWith(handler, resolveOptions("wrapMultipartParams", options));
}

function wrapWith(handler: Handler<any, any>, config: Config): Handler<any, any> {
  return (request: Request) => {
    const parsed = addMultipart(request, config);
    if (!isThenable(parsed)) return handler(parsed.request);
    return parsed.then(async ({ request: next, uploads }) => {
      let response: Response;
      try {
        response = await handler(next);
      } catch (error) {
        await uploads.cleanup();
        throw error;
      }
      return withCleanup(response, uploads, config, request);
    });
  };
}

/**
 * The response, its files deleted now when its body is already in memory, or once a streamed body has
 * been sent, has failed or has been cancelled (by the adapter, `wrapHead` or `wrapNotModified`).
 */
function withCleanup(response: Response, uploads: Uploads, config: Config, request: Request): Response {
  const body = response?.body;
  if (typeof body !== "object" || body === null || body instanceof Uint8Array) {
    void uploads.cleanup().catch((error: unknown) => config.onError(error, request));
    return response;
  }
  return { ...response, body: cleanupAfter(body, uploads) };
}

function cleanupAfter(body: Exclude<ResponseBody, string | Uint8Array | null | undefined>, uploads: Uploads) {
  let done = false;
  const finish = async (): Promise<void> => {
    if (done) return;
    done = true;
    await uploads.cleanup();
  };
  const iterable: AsyncIterable<Uint8Array | string> = {
    [Symbol.asyncIterator]() {
      // Built only when the adapter first asks, so a body that is only cancelled is never started.
      let inner: AsyncIterator<Uint8Array | string> | undefined;
      const source = () => {
        inner ??= (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
        return inner;
      };
      return {
        async next() {
          try {
            const step = await source().next();
            if (step.done) await finish();
            return step;
          } catch (error) {
            await finish();
            throw error;
          }
        },
        async return(value?: unknown) {
          try {
            if (inner !== undefined) await inner.return?.(value);
            // Never iterated: stop the original body as the adapter would have.
            else cancelBody(body);
          } finally {
            await finish();
          }
          return { done: true, value: undefined };
        },
      };
    },
  };
  return iterable;
}

const EMPTY: MultipartParams = Object.freeze(Object.create(null));
const NO_UPLOADS: Uploads = { cleanup: () => Promise.resolve() };

function addMultipart(
  request: Request,
  config: Config,
): Awaitable<{ request: Request & MultipartParamsRequestKeys; uploads: Uploads }> {
  if ((request as Partial<MultipartParamsRequestKeys>).multipartParams !== undefined) {
    return { request: request as Request & MultipartParamsRequestKeys, uploads: NO_UPLOADS };
  }
  const type = request.headers["content-type"];
  if (request.body === undefined || type === undefined || mediaType(type) !== "multipart/form-data") {
    return { request: withParams(request, EMPTY, config), uploads: NO_UPLOADS };
  }
  return readMultipart(request, type, config).then(({ params, uploads }) => ({
    request: withParams(request, params, config),
    uploads,
  }));
}

function withParams(
  request: Request,
  multipartParams: MultipartParams,
  config: Config,
): Request & MultipartParamsRequestKeys {
  const given = (request as { params?: unknown }).params;
  const existing = typeof given === "object" && given !== null ? given : undefined;
  let params: MultipartParams = Object.assign(Object.create(null), existing, multipartParams);
  if (config.maxDepth !== undefined) {
    params = nestParams(params as Record<string, MultipartValue>, config) as unknown as MultipartParams;
  }
  return { ...request, multipartParams, params };
}

/** Reads the whole body through busboy; on any failure deletes what it wrote and rejects. */
async function readMultipart(
  request: Request,
  type: string,
  config: Config,
): Promise<{ params: MultipartParams; uploads: Uploads }> {
  const paths: string[] = [];
  const tasks: Promise<void>[] = [];
  const cleanup = async (): Promise<void> => {
    // Every file task has settled, so no file can be created after this deletes.
    await Promise.allSettled(tasks);
    const failures = await Promise.allSettled(paths.splice(0).map((path) => unlink(path)));
    for (const result of failures) {
      if (result.status === "rejected" && (result.reason as NodeJS.ErrnoException)?.code !== "ENOENT") {
        config.onError(result.reason, request);
      }
    }
  };

  let parser: ReturnType<typeof busboy>;
  try {
    parser = busboy({
      headers: { "content-type": type },
      // Browsers send names and file names as raw UTF-8 (WHATWG HTML's form-data encoding).
      defParamCharset: "utf8",
      limits: {
        // busboy reports a limit when a value reaches it; one more byte makes it "passed".
        fileSize: config.maxFileSize + 1,
        files: config.maxFiles,
        fields: config.maxFields,
        fieldSize: config.maxFieldSize + 1,
      },
    });
  } catch (error) {
    throw new HttpError(400, `Malformed multipart body: ${(error as Error).message}`, { cause: error });
  }

  const entries: [string, MultipartValue][] = [];
  let failure: unknown;
  let interrupt: ((error: unknown) => void) | undefined;
  const fail = (error: unknown): void => {
    if (failure !== undefined) return;
    failure = error;
    parser.destroy();
    interrupt?.(error);
  };
  /**
   * `promise`, or a rejection as soon as the upload fails: a limit found by a file's consumer must not wait
   * for a client that sends no more. Each wait gets its own promise, dropped once settled. (One long-lived
   * "failed" promise raced against every read kept a reaction per read, and with it every chunk of the body,
   * reachable until the request ended.)
   */
  const unlessFailed = <T>(promise: Promise<T>): Promise<T> => {
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<T>((resolve, reject) => {
      interrupt = reject;
      promise.then(resolve, reject);
    });
  };
  const tooLarge = (what: string) => fail(new HttpError(413, `Multipart body has ${what}`));

  parser.on("field", (name, value, info) => {
    if (info.valueTruncated) return tooLarge(`a field over ${config.maxFieldSize} bytes`);
    entries.push([name, value]);
  });
  parser.on("file", (name, stream, info) => {
    const filename = info.filename ?? "";
    const task = (
      config.store === "memory" ? toMemory(stream, config) : toTempFile(stream, config, paths)
    ).then(
      (stored) => {
        if (stored === undefined) return tooLarge(`a file over ${config.maxFileSize} bytes`);
        const file = { filename, contentType: info.mimeType.toLowerCase(), ...stored };
        entries.push([name, file as UploadedFile]);
      },
      (error: unknown) => fail(failure === undefined ? error : failure),
    );
    tasks.push(task);
  });
  parser.on("filesLimit", () => tooLarge(`more than ${config.maxFiles} files`));
  parser.on("fieldsLimit", () => tooLarge(`more than ${config.maxFields} fields`));
  parser.on("error", (error: Error) => {
    fail(
      meter.exceeded
        ? new HttpError(413, `Multipart body has a part header over ${config.maxHeaderSize} bytes`)
        : new HttpError(400, `Malformed multipart body: ${error.message}`, { cause: error }),
    );
  });
  const finished = new Promise<void>((resolve) => parser.once("finish", () => resolve()));

  const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(type);
  const meter = new PartHeaderMeter(boundary?.[1] ?? boundary?.[2] ?? "", config.maxHeaderSize);
  const chunks = request.body![Symbol.asyncIterator]();
  try {
    for (;;) {
      const step = await unlessFailed(chunks.next());
      if (step.done) break;
      const chunk = step.value;
      if (!meter.push(chunk)) {
        fail(new HttpError(413, `Multipart body has a part header over ${config.maxHeaderSize} bytes`));
        break;
      }
      if (!parser.write(chunk)) {
        await unlessFailed(new Promise((resolve) => parser.once("drain", resolve)));
      }
    }
    if (failure === undefined) {
      parser.end();
      await unlessFailed(finished);
      await Promise.all(tasks);
    }
  } catch (error) {
    // A limit or bad input (already recorded), or the client left mid-upload: passed on as it is.
    fail(error);
  }
  if (failure !== undefined) {
    // Tells the adapter to stop reading the request; not awaited, as a read may still be pending.
    chunks.return?.().catch(() => {});
  }
  if (failure !== undefined) {
    parser.destroy();
    await cleanup();
    throw failure;
  }
  const params: Record<string, MultipartValue | MultipartValue[]> = Object.create(null);
  for (const [name, value] of entries) {
    const previous = params[name];
    if (previous === undefined) params[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else params[name] = [previous, value];
  }
  return { params, uploads: { cleanup } };
}

/** A file's bytes in memory, or `undefined` when it passed `maxFileSize`. */
async function toMemory(
  stream: Readable,
  config: Config,
): Promise<{ size: number; bytes: Uint8Array } | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    // Leaving the loop destroys the stream, and busboy skips the rest of the part.
    if (size > config.maxFileSize) return undefined;
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks, size);
  return { size, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** A file written to a new temp file (recorded in `paths` before a byte is written), or `undefined` past `maxFileSize`. */
async function toTempFile(
  stream: Readable,
  config: Config,
  paths: string[],
): Promise<{ size: number; path: string } | undefined> {
  // The name is ours alone (never the client's filename) and "wx" refuses to follow or reuse an existing
  // file; 0o600 keeps other local users out.
  const path = join(config.tmpDir, `ringlet-upload-${randomUUID()}`);
  // Recorded before it exists: cleanup waits for this task to settle, then deletes whatever was created.
  paths.push(path);
  const file = createWriteStream(path, { flags: "wx", mode: 0o600 });
  let size = 0;
  let over = false;
  stream.on("data", (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size > config.maxFileSize && !over) {
      over = true;
      stream.destroy();
    }
  });
  try {
    await pipeline(stream, file);
  } catch (error) {
    if (over) return undefined;
    // Not ours: "wx" found a file of that name, which cleanup must not delete.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") paths.splice(paths.indexOf(path), 1);
    throw error;
  }
  return over ? undefined : { size, path };
}

/**
 * Counts the bytes of each part's header section, from a boundary line to the blank line that ends it, so
 * a header section over `max` is a 413 (busboy stops at 16 KiB too, but reports it as malformed input).
 */
class PartHeaderMeter {
  readonly #delimiter: Buffer;
  readonly #max: number;
  // The stream starts as if after "\r\n", so the first boundary line is found like the others.
  #tail: Buffer = Buffer.from("\r\n");
  #inHeader = false;
  #headerBytes = 0;
  exceeded = false;

  constructor(boundary: string, max: number) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
    this.#max = max;
  }

  /** Feeds `chunk`; false once a header section has passed the limit. */
  push(chunk: Uint8Array): boolean {
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Positions are in the tail (bytes kept back from the last chunk) followed by `data`, without copying
    // `data`: only the few bytes where the two meet are searched in a small joined buffer.
    const tail = this.#tail;
    const end = tail.length + data.length;
    let at = 0;
    for (;;) {
      if (this.#inHeader) {
        const found = find(tail, data, CRLFCRLF, at);
        // Tail bytes were counted when they arrived.
        const from = Math.max(at, tail.length);
        if (found === -1) {
          this.#headerBytes += end - from;
          this.#tail = keep(tail, data, Math.max(at, end - 3));
          break;
        }
        this.#headerBytes += Math.max(0, found + 4 - from);
        if (this.#headerBytes > this.#max) break;
        this.#inHeader = false;
        at = found + 4;
      } else {
        const found = find(tail, data, this.#delimiter, at);
        if (found === -1) {
          this.#tail = keep(tail, data, Math.max(at, end - this.#delimiter.length + 1));
          break;
        }
        this.#inHeader = true;
        this.#headerBytes = 0;
        at = found + this.#delimiter.length;
      }
    }
    this.exceeded = this.#headerBytes > this.#max;
    return !this.exceeded;
  }
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/** The first `needle` at or after position `from` of `tail` followed by `data`, or -1. */
function find(tail: Buffer, data: Buffer, needle: Buffer, from: number): number {
  if (from < tail.length) {
    const joined = Buffer.concat([tail.subarray(from), data.subarray(0, needle.length - 1)]);
    const k = joined.indexOf(needle);
    if (k !== -1) return from + k;
  }
  const k = data.indexOf(needle, Math.max(0, from - tail.length));
  return k === -1 ? -1 : k + tail.length;
}

/** A copy of the bytes from position `from` of `tail` followed by `data` (a few bytes: the next tail). */
function keep(tail: Buffer, data: Buffer, from: number): Buffer {
  if (from >= tail.length) return Buffer.from(data.subarray(from - tail.length));
  return Buffer.concat([tail.subarray(from), data]);
}

type Config = {
  store: "temp" | "memory";
  tmpDir: string;
  maxFileSize: number;
  maxFiles: number;
  maxFields: number;
  maxFieldSize: number;
  maxHeaderSize: number;
  maxDepth: number | undefined;
  onError: (error: unknown, request: Request) => void;
};

const count = (what: string) =>
  z.optional(
    z
      .int({ error: `must be a non-negative integer (${what})` })
      .check(z.minimum(0, `must be a non-negative integer (${what})`)),
  );

const OptionsSchema = z.strictObject({
  store: z.optional(z.enum(["temp", "memory"], { error: 'must be "temp" or "memory"' })),
  tmpDir: z.optional(
    z
      .string({ error: "must be a non-empty string (a folder)" })
      .check(z.minLength(1, "must be a non-empty string (a folder)")),
  ),
  maxFileSize: count("bytes"),
  maxFiles: count("files"),
  maxFields: count("fields"),
  maxFieldSize: count("bytes"),
  maxHeaderSize: z.optional(
    z
      .int({ error: "must be an integer from 1 to 16384 (bytes)" })
      .check(
        z.minimum(1, "must be an integer from 1 to 16384 (bytes)"),
        z.maximum(16384, "must be an integer from 1 to 16384 (bytes)"),
      ),
  ),
  nested: z.optional(
    z.union(
      [
        z.boolean(),
        z.strictObject({
          maxDepth: z.optional(
            z.int({ error: "must be a positive integer" }).check(z.minimum(1, "must be a positive integer")),
          ),
        }),
      ],
      { error: "must be a boolean or { maxDepth }" },
    ),
  ),
  onError: z.optional(
    z.custom<MultipartParamsOptions["onError"]>(isFunction, "must be a function (error, request) => void"),
  ),
});

const checked = new WeakMap<object, Config>();

function resolveOptions(owner: string, options: MultipartParamsOptions | undefined): Config {
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const given = parseOptions(owner, OptionsSchema, options ?? {});
  const nested = given.nested;
  const config: Config = {
    store: given.store ?? "temp",
    tmpDir: given.tmpDir ?? tmpdir(),
    maxFileSize: given.maxFileSize ?? MULTIPART_LIMITS.maxFileSize,
    maxFiles: given.maxFiles ?? MULTIPART_LIMITS.maxFiles,
    maxFields: given.maxFields ?? MULTIPART_LIMITS.maxFields,
    maxFieldSize: given.maxFieldSize ?? MULTIPART_LIMITS.maxFieldSize,
    maxHeaderSize: given.maxHeaderSize ?? MULTIPART_LIMITS.maxHeaderSize,
    maxDepth:
      nested === undefined || nested === false
        ? undefined
        : nested === true
          ? DEFAULT_NESTED_DEPTH
          : (nested.maxDepth ?? DEFAULT_NESTED_DEPTH),
    onError: given.onError ?? defaultOnError,
  };
  if (options !== undefined) checked.set(options, config);
  return config;
}

function defaultOnError(error: unknown, request: Request): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    `wrapMultipartParams: deleting an upload of ${request.method} ${request.uri} failed: ${message}`,
  );
}
