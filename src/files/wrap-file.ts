/**
 * `wrapFile`, Ring's `wrap-file`: a GET or HEAD whose path names a file under a root directory is answered
 * from disk (with `Range` support); anything else goes to the handler. Node only (`ringlet/node`). The path
 * rules are in ./safe-path.ts, the response in ./file-response.ts; docs/files.md has the threat notes.
 */
import type { Handler, Request, Response } from "../core/types.js";
import { type FileOptions, type FileRoot, fileResponseOf, fileRoot, findUnder } from "./file-response.js";
import { rangeResponse } from "./range.js";
import { requestSegments } from "./safe-path.js";

/**
 * The response for `request` from the files under `root`, or `undefined` when there is none to give: the
 * method is not GET or HEAD, the path is refused (it would leave `root`, names a dotfile, or is not valid
 * percent-encoded UTF-8), or no file is there. A GET with `Range` gets a 206 or 416 (`rangeResponse`); a HEAD
 * gets the headers with no body. The request half of `wrapFile`; `root` is checked on every call, so build a
 * `wrapFile` to check it once.
 *
 * @example
 * const handler = async (request) => (await fileRequest(request, "public")) ?? notFound();
 */
export function fileRequest(
  request: Request,
  root: string,
  options?: FileOptions,
): Promise<Response | undefined> {
  return answer(request, fileRoot("fileRequest", root, options));
}

/**
 * Serve the files under `root` for GET and HEAD requests; every other request, and every path with no file,
 * goes to `handler`. Index files, symlinks, dotfiles and `Cache-Control` are options (`FileOptions`). `root` is
 * checked now: it must be an existing directory. With only `root` (and options), returns the middleware,
 * for `compose`.
 *
 * @example
 * const app = wrapFile(routes, "public", { cacheControl: "public, max-age=3600" });
 * const same = compose(wrapFile("public"), wrapParams)(routes);
 */
export function wrapFile(
  root: string,
  options?: FileOptions,
): <Req extends Request, Res extends Response>(handler: Handler<Req, Res>) => Handler<Req, Res | Response>;
export function wrapFile<Req extends Request, Res extends Response>(
  handler: Handler<Req, Res>,
  root: string,
  options?: FileOptions,
): Handler<Req, Res | Response>;
export function wrapFile(
  handler: Handler<any, any> | string,
  root?: string | FileOptions,
  options?: FileOptions,
): Handler<any, any> | ((handler: Handler<any, any>) => Handler<any, any>) {
  if (typeof handler === "string") {
    const dir = fileRoot("wrapFile", handler, root);
    return (inner: Handler<any, any>) => wrapWith(inner, dir);
  }
  if (typeof handler !== "function") {
    throw new TypeError(
      `wrapFile: the first argument must be a handler function, or the root directory to get the middleware (got ${handler === null ? "null" : typeof handler})`,
    );
  }
  return wrapWith(handler, fileRoot("wrapFile", root, options));
}

function wrapWith(handler: Handler<any, any>, dir: FileRoot): Handler<any, any> {
  return (request: Request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return handler(request);
    return answer(request, dir).then((response) => response ?? handler(request));
  };
}

async function answer(request: Request, dir: FileRoot): Promise<Response | undefined> {
  const method = request.method;
  if (method !== "GET" && method !== "HEAD") return undefined;
  const segments = requestSegments(request.uri, dir.config);
  if (segments === undefined) return undefined;
  const found = await findUnder(dir, segments);
  if (found === undefined) return undefined;
  const response = fileResponseOf(found, dir.config);
  // RFC 9110 §14.2: Range applies to GET only; HEAD gets GET's headers (§9.3.2) and the file is never opened.
  if (method === "HEAD") return { ...response, body: undefined };
  return rangeResponse(response, request);
}
