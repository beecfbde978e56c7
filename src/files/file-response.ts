/**
 * `fileResponse`, Ring's `file-response`: a response for one file on disk, streamed, with the validators and
 * headers a cache and a range request need, or `undefined` when there is no such file. The lookup under a root
 * (symlinks, index files) is shared with `wrapFile`; the path rules are in ./safe-path.ts.
 */
import {
  realpath as realpathCallback,
  realpathSync,
  type Stats,
  stat as statCallback,
  statSync,
} from "node:fs";
import { realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import * as z from "zod/mini";
import { parseOptions } from "../core/parse-options.js";
import { isValidHeaderValue } from "../core/response-check.js";
import type { Response } from "../core/types.js";
import { contentTypeFor } from "../middleware/content-type.js";
import { FileBody } from "./file-body.js";
import { safeSegments } from "./safe-path.js";

/**
 * Options of `wrapFile`, `fileRequest` and `fileResponse`, each with its default:
 *
 * - `indexFiles`: a path naming a directory is answered with its `index.html` (Ring's `:index-files?`).
 *   Default: `true`.
 * - `allowSymlinks`: serve a symlink whose target is outside the root (Ring's `:allow-symlinks?`). Symlinks
 *   that stay inside the root are always followed. Default: `false`.
 * - `allowDotfiles`: serve paths with a segment starting with "." (`.well-known/...`); otherwise they are no
 *   file, so `.env` or `.git/config` left in the root are never sent. Default: `false`.
 * - `cacheControl`: the `Cache-Control` value of file responses, e.g. `"public, max-age=31536000,
 *   immutable"` for fingerprinted assets. Default: none (a cache revalidates with the `ETag`).
 */
export interface FileOptions {
  indexFiles?: boolean | undefined;
  allowSymlinks?: boolean | undefined;
  allowDotfiles?: boolean | undefined;
  cacheControl?: string | undefined;
}

/** Options of `fileResponse`: `FileOptions`, plus `root`, the directory a relative `path` is under. */
export interface FileResponseOptions extends FileOptions {
  /**
   * The directory `path` must be inside: a relative `path` is joined to it by the same rules as a request
   * path (no `..`, no dotfiles unless allowed), an absolute one must lie within it. Give it whenever `path`
   * comes from a request. Default: none (`path` is the programmer's and is used as it is).
   */
  root?: string | undefined;
}

/** A directory files are served from, resolved once. */
export interface FileRoot {
  /** The absolute path. */
  readonly path: string;
  /** Its real path (symlinks resolved), which a served file's real path must be inside. */
  readonly real: string | Promise<string>;
  readonly config: FileConfig;
}

/** Resolved options. */
export interface FileConfig {
  readonly indexFiles: boolean;
  readonly allowSymlinks: boolean;
  readonly allowDotfiles: boolean;
  readonly cacheControl: string | undefined;
}

/**
 * A 200 response for the file at `path`, or `undefined` when there is none (so a handler can fall through),
 * when `path` names a directory without `index.html` (or `indexFiles` is off), or when `root` is given and
 * `path` would leave it. The body is streamed from disk; headers: `content-type` from the extension
 * (`contentTypeFor`, `application/octet-stream` when unknown), `content-length`, `last-modified`, a strong
 * `etag` (from inode, size and modification time), `accept-ranges: bytes`, `x-content-type-options: nosniff`
 * and `cache-control` when configured. For a `Range` request, pass the result through `rangeResponse`.
 * Bad options throw a `TypeError` naming the option.
 *
 * @example
 * const handler = async (request) =>
 *   (await fileResponse("report.pdf", { root: "/srv/reports" })) ?? notFound("No report yet");
 */
export async function fileResponse(
  path: string,
  options?: FileResponseOptions,
): Promise<Response | undefined> {
  if (typeof path !== "string") {
    throw new TypeError(`fileResponse: path must be a string, got ${typeof path}`);
  }
  const { root, config } = resolveResponseOptions(options);
  if (path.includes("\0")) return undefined;
  if (root === undefined) {
    const full = resolve(path);
    const found = await findPath(full, config, undefined);
    return found === undefined ? undefined : fileResponseOf(found, config);
  }
  let parts: string[];
  if (isAbsolute(path)) {
    const rel = relative(root.path, resolve(path));
    // `relative` starts with ".." exactly when the path is outside; "..foo" is a file of the root.
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    parts = rel.split(sep);
  } else {
    parts = path.split("/");
  }
  const segments = safeSegments(parts, config);
  if (segments === undefined) return undefined;
  const found = await findUnder(root, segments);
  return found === undefined ? undefined : fileResponseOf(found, config);
}

/** A file found on disk: its real path, its stats, and the name it was asked for (whose extension types it). */
export interface FoundFile {
  readonly path: string;
  readonly name: string;
  readonly stats: Stats;
}

/**
 * The file that `segments` name under `root`, following the index and symlink rules, or `undefined`.
 * Errors that mean "no such file" (missing, not a directory, no permission, a symlink loop) give `undefined`;
 * any other (out of file descriptors) is thrown, so it becomes a 500 rather than a silent fall-through.
 */
export async function findUnder(root: FileRoot, segments: readonly string[]): Promise<FoundFile | undefined> {
  const full = join(root.path, ...segments);
  // The segments cannot leave the root (safeSegments); checked again here, where the path is built.
  if (!isInside(full, root.path)) return undefined;
  return findPath(full, root.config, root);
}

async function findPath(
  full: string,
  config: FileConfig,
  root: FileRoot | undefined,
): Promise<FoundFile | undefined> {
  const found = await statFile(full, config, root);
  if (found === undefined || found.stats.isFile()) return found;
  if (!found.stats.isDirectory() || !config.indexFiles) return undefined;
  const index = await statFile(join(full, "index.html"), config, root);
  return index?.stats.isFile() === true ? index : undefined;
}

async function statFile(
  full: string,
  config: FileConfig,
  root: FileRoot | undefined,
): Promise<FoundFile | undefined> {
  try {
    const real = await realpathOf(full);
    // A symlink may point anywhere: what is served is judged by where it leads, not by its name.
    if (root !== undefined && !config.allowSymlinks && !isInside(real, await root.real)) return undefined;
    return { path: real, name: full, stats: await statOf(real) };
  } catch (error) {
    if (NO_SUCH_FILE.has((error as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw error;
  }
}

// The callback API on the per-request path: fs/promises costs more per call (bench/, the static suite).
function realpathOf(path: string): Promise<string> {
  return new Promise((resolve, reject) =>
    realpathCallback.native(path, (error, real) => (error ? reject(error) : resolve(real))),
  );
}

function statOf(path: string): Promise<Stats> {
  return new Promise((resolve, reject) =>
    statCallback(path, (error, stats) => (error ? reject(error) : resolve(stats))),
  );
}

const NO_SUCH_FILE = new Set(["ENOENT", "ENOTDIR", "ENAMETOOLONG", "ELOOP", "EACCES", "EPERM", "EINVAL"]);

/** The 200 response for a found file. */
export function fileResponseOf(found: FoundFile, config: FileConfig): Response {
  const { size, mtimeMs, ino } = found.stats;
  const headers: Record<string, string> = {
    "content-type": contentTypeFor(found.name) ?? "application/octet-stream",
    "content-length": String(size),
    "last-modified": new Date(mtimeMs).toUTCString(),
    // Strong (RFC 9110 §8.8.1): If-Range needs one. Inode, size and mtime in microseconds change with any
    // edit or replacement, as nginx's and send's validators do; two files can only share one by having the
    // same inode, size and time.
    etag: `"${ino.toString(36)}-${size.toString(36)}-${Math.floor(mtimeMs * 1000).toString(36)}"`,
    "accept-ranges": "bytes",
    "x-content-type-options": "nosniff",
  };
  if (config.cacheControl !== undefined) headers["cache-control"] = config.cacheControl;
  return { status: 200, headers, body: new FileBody(found.path, 0, size) };
}

/** Whether `child` is `parent` or a path inside it (both absolute and normalised). */
export function isInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const prefix = parent.endsWith(sep) ? parent : parent + sep;
  return child.startsWith(prefix);
}

const DEFAULTS: FileConfig = {
  indexFiles: true,
  allowSymlinks: false,
  allowDotfiles: false,
  cacheControl: undefined,
};

const fileShape = {
  indexFiles: z.optional(z.boolean({ error: "must be a boolean" })),
  allowSymlinks: z.optional(z.boolean({ error: "must be a boolean" })),
  allowDotfiles: z.optional(z.boolean({ error: "must be a boolean" })),
  cacheControl: z.optional(
    z.string({ error: "must be a Cache-Control header value" }).check(
      z.refine((value) => value.length > 0 && isValidHeaderValue(value), {
        error: "must be a Cache-Control header value, non-empty, without control characters",
      }),
    ),
  ),
};
const FileOptionsSchema = z.strictObject(fileShape);
const FileResponseOptionsSchema = z.strictObject({
  ...fileShape,
  root: z.optional(
    z.string({ error: "must be a directory path" }).check(z.minLength(1, "must be a directory path")),
  ),
});

function toConfig(given: FileOptions): FileConfig {
  return {
    indexFiles: given.indexFiles ?? DEFAULTS.indexFiles,
    allowSymlinks: given.allowSymlinks ?? DEFAULTS.allowSymlinks,
    allowDotfiles: given.allowDotfiles ?? DEFAULTS.allowDotfiles,
    cacheControl: given.cacheControl,
  };
}

/**
 * The root directory of `wrapFile` and `fileRequest`, checked now: it must exist and be a directory, since a
 * typo would otherwise make every file silently fall through. Bad options throw a `TypeError` naming them.
 */
export function fileRoot(owner: string, root: unknown, options: unknown): FileRoot {
  if (typeof root !== "string" || root === "") {
    throw new TypeError(
      `${owner}: root must be the path of a directory, got ${typeof root === "string" ? "an empty string" : typeof root}`,
    );
  }
  const config = toConfig(parseOptions(owner, FileOptionsSchema, options ?? {}));
  const path = resolve(root);
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    throw new TypeError(`${owner}: root ${JSON.stringify(root)} does not exist`, { cause: error });
  }
  // Sync on purpose: this runs once, at start-up, where an exception is the clearest report.
  if (!statSync(real, { throwIfNoEntry: false })?.isDirectory())
    throw new TypeError(`${owner}: root ${JSON.stringify(root)} is not a directory`);
  return { path, real, config };
}

// Options objects already checked, with their root: `fileResponse(path, sameOptions)` validates once.
const checked = new WeakMap<object, { root: FileRoot | undefined; config: FileConfig }>();
const NO_OPTIONS = { root: undefined, config: DEFAULTS };

function resolveResponseOptions(options: FileResponseOptions | undefined): {
  root: FileRoot | undefined;
  config: FileConfig;
} {
  if (options === undefined) return NO_OPTIONS;
  const cached = typeof options === "object" && options !== null ? checked.get(options) : undefined;
  if (cached !== undefined) return cached;
  const { root, ...rest } = parseOptions("fileResponse", FileResponseOptionsSchema, options);
  const config = toConfig(rest);
  let fileRoot: FileRoot | undefined;
  if (root !== undefined) {
    const path = resolve(root);
    // A root that does not exist has no files: every path under it is `undefined`, as for a missing file.
    // Kept unresolved then, the check can only refuse more (a root that is a symlink), never less.
    const real = realpath(path).catch(() => path);
    fileRoot = { path, real, config };
  }
  const resolved = { root: fileRoot, config };
  checked.set(options, resolved);
  return resolved;
}
