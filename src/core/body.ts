/**
 * Request body readers: bytes, UTF-8 text and JSON, each under a size limit enforced while streaming.
 * Every failure a client can cause is an `HttpError` (413, 415, 400); a body can be read only once.
 */
import { HttpError } from "./http-error.js";
import type { Request } from "./types.js";

/** The default body size limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1_048_576;

/** Options of `readBytes` and `readText`. */
export interface ReadBodyOptions {
  /** The most bytes to accept; a larger body is a 413. A non-negative integer. Default: 1 MiB (1_048_576). */
  limit?: number;
}

/**
 * A schema `readJson` validates with: any Standard Schema (https://standardschema.dev), which zod 4 schemas
 * are, so a zod schema is passed as is and the result has the schema's output type.
 */
export interface BodySchema<Output = unknown> {
  readonly "~standard": {
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly output: Output } | undefined;
  };
}

type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<SchemaIssue> };

interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** Options of `readJson`. */
export interface ReadJsonOptions<S extends BodySchema | undefined = undefined> extends ReadBodyOptions {
  /** Validates the parsed value; a failure is a 400 naming the path. Default: none (the value is `unknown`). */
  schema?: S;
}

// Bodies already handed to a reader: the adapter's iterable yields its bytes once, so a second read would
// see nothing (or hang); it fails loudly instead.
const consumed = new WeakSet<object>();

/**
 * Read the whole request body as bytes. Rejects with a 413 `HttpError` as soon as the body passes
 * `limit`: up front when `content-length` already says so, else on the chunk that crosses it, and stops
 * reading there. A missing body reads as empty. The body is consumed: reading it again throws a `TypeError`.
 *
 * @example
 * const bytes = await readBytes(request, { limit: 64 * 1024 });
 */
export async function readBytes(request: Request, options?: ReadBodyOptions): Promise<Uint8Array> {
  const limit = checkedLimit("readBytes", options);
  const body = request.body;
  if (body === undefined || body === null) return new Uint8Array(0);
  if (consumed.has(body)) {
    throw new TypeError(
      "readBytes: request.body was already read; a body can be read only once, so read it once and pass the result on",
    );
  }
  consumed.add(body);
  const declared = request.headers["content-length"];
  // RFC 9110 §8.6: a valid Content-Length is the exact size, so a too-large body is refused unread.
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    throw tooLarge(limit);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop by `throw` calls the iterator's `return()`, which tells the adapter to stop reading.
  for await (const chunk of body) {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(
        `readBytes: request.body yielded ${typeof chunk}, not a Uint8Array (see docs/SPEC.md)`,
      );
    }
    total += chunk.byteLength;
    if (total > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  if (chunks.length === 1) {
    const only = chunks[0]!;
    return new Uint8Array(only.buffer, only.byteOffset, only.byteLength);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Read the request body as UTF-8 text. The `content-type` charset must be UTF-8 or absent (else 415,
 * before anything is read); bytes that are not valid UTF-8 are a 400; a leading BOM is dropped.
 *
 * @example
 * const text = await readText(request); // "hello"
 */
export async function readText(request: Request, options?: ReadBodyOptions): Promise<string> {
  checkCharset(request);
  return decodeUtf8(await readBytes(request, options));
}

/**
 * Read the request body as JSON, optionally validated by a zod schema (or any Standard Schema).
 * `content-type` must be `application/json` or `application/*+json` (RFC 6839 §3.1), else 415. A missing
 * `content-type` is a 415 too: a cross-site page can send a POST with no content type and no CORS
 * preflight, so requiring the JSON type keeps such requests out. Malformed JSON or a schema failure is a
 * 400 whose message names the path that failed.
 *
 * @example
 * const User = z.object({ name: z.string(), age: z.number().int() });
 * const user = await readJson(request, { schema: User }); // typed { name: string; age: number }
 */
export function readJson<S extends BodySchema>(
  request: Request,
  options: ReadJsonOptions<S> & { schema: S },
): Promise<SchemaOutput<S>>;
export function readJson(request: Request, options?: ReadBodyOptions): Promise<unknown>;
export async function readJson(request: Request, options?: ReadJsonOptions<BodySchema>): Promise<unknown> {
  const schema = options?.schema;
  if (schema !== undefined && typeof schema?.["~standard"]?.validate !== "function") {
    throw new TypeError("readJson: options.schema must be a zod schema (or another Standard Schema)");
  }
  const type = request.headers["content-type"];
  if (type === undefined || !isJsonMediaType(type)) {
    throw new HttpError(
      415,
      type === undefined
        ? "Expected a JSON body (content-type: application/json), but the request has no content-type"
        : `Expected a JSON body (content-type: application/json), got ${JSON.stringify(type)}`,
    );
  }
  const text = await readText(request, options);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `Malformed JSON in request body: ${(error as Error).message}`, { cause: error });
  }
  if (schema === undefined) return value;
  const result = await schema["~standard"].validate(value);
  if (result.issues) {
    throw new HttpError(400, `Request body failed validation: ${describeIssues(result.issues)}`, {
      expose: true,
      cause: result.issues,
    });
  }
  return result.value;
}

/** The output type of a schema given to `readJson`. */
export type SchemaOutput<S extends BodySchema> = NonNullable<S["~standard"]["types"]>["output"];

/**
 * Throw a 415 unless the request's `content-type` charset is UTF-8 or absent. Used by `readText` and by
 * readers that decode bytes themselves (`wrapParams`).
 */
export function checkCharset(request: Request): void {
  const type = request.headers["content-type"];
  if (type === undefined) return;
  const match = CHARSET.exec(type);
  if (match === null) return;
  const charset = (match[1] ?? match[2] ?? "").toLowerCase();
  if (charset !== "utf-8" && charset !== "utf8") {
    throw new HttpError(
      415,
      `Unsupported charset ${JSON.stringify(charset)}: request bodies are read as UTF-8`,
    );
  }
}

/** Decode UTF-8 bytes, dropping a leading BOM; invalid UTF-8 is a 400. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new HttpError(400, "Request body is not valid UTF-8", { cause: error });
  }
}

/** The media type of a `content-type` value, lower case, without parameters. */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(";");
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
// RFC 9110 §8.3.1: parameter names are case-insensitive; a value is a token or a quoted string.
const CHARSET = /;\s*charset\s*=\s*(?:"([^"]*)"|([^\s;]*))/i;
const JSON_TYPE = /^application\/(?:json|[!#$%&'*.^`|~\w-]+\+json)$/;

function isJsonMediaType(contentType: string): boolean {
  return JSON_TYPE.test(mediaType(contentType));
}

function checkedLimit(fn: string, options: ReadBodyOptions | undefined): number {
  const limit = options?.limit;
  if (limit === undefined) return DEFAULT_BODY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new TypeError(`${fn}: options.limit must be a non-negative integer (bytes), got ${String(limit)}`);
  }
  return limit;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body is larger than the ${limit}-byte limit`);
}

function describeIssues(issues: ReadonlyArray<SchemaIssue>): string {
  const shown = issues.slice(0, 5).map((issue) => `at ${formatPath(issue.path)}: ${issue.message}`);
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : "";
  return shown.join("; ") + more;
}

function formatPath(path: SchemaIssue["path"]): string {
  if (path === undefined || path.length === 0) return "(root)";
  let out = "";
  for (const part of path) {
    const key = typeof part === "object" ? part.key : part;
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}
