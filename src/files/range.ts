/**
 * Range requests (RFC 9110 §14) for file responses: one byte range is a 206 with `Content-Range`, a range that
 * starts past the end is a 416, and anything else (several ranges, another unit, a malformed header, an
 * `If-Range` that no longer matches) is answered with the whole file, which §14.2 allows.
 */
import { parseHttpDate } from "../core/http-date.js";
import type { Request, Response, ResponseHeaders } from "../core/types.js";
import { FileBody } from "./file-body.js";

/** What a `Range` header asks of a representation of `size` bytes. */
export type RangeDecision =
  | { readonly kind: "whole" }
  | { readonly kind: "unsatisfiable" }
  | { readonly kind: "part"; readonly start: number; readonly end: number };

/**
 * Read a `Range` header for `size` bytes. One `bytes` range only: `a-b`, `a-` or `-n` (the last n bytes).
 * `end` is exclusive.
 *
 * @example
 * parseRange("bytes=0-99", 1000);  // { kind: "part", start: 0, end: 100 }
 * parseRange("bytes=-10", 1000);   // { kind: "part", start: 990, end: 1000 }
 * parseRange("bytes=2000-", 1000); // { kind: "unsatisfiable" }
 */
export function parseRange(header: string, size: number): RangeDecision {
  const eq = header.indexOf("=");
  // RFC 9110 §14.1: the unit is case-insensitive; a unit other than bytes is ignored (§14.2).
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== "bytes") return WHOLE;
  const spec = header.slice(eq + 1).trim();
  const match = RANGE_SPEC.exec(spec);
  if (match === null) return WHOLE;
  const [, first, last] = match as unknown as [string, string, string];
  if (first === "") {
    // suffix-range: the last n bytes; "-0" or any suffix of an empty file selects nothing (§14.1.2).
    if (last === "") return WHOLE;
    const n = Number(last);
    if (n === 0 || size === 0) return UNSATISFIABLE;
    return { kind: "part", start: Math.max(0, size - n), end: size };
  }
  const start = Number(first);
  const end = last === "" ? size : Number(last) + 1;
  // §14.1.1: a last-pos before its first-pos makes the range invalid, so the header is ignored.
  if (last !== "" && end <= start) return WHOLE;
  if (start >= size) return UNSATISFIABLE;
  return { kind: "part", start, end: Math.min(end, size) };
}

/**
 * `response` answered for `request`'s `Range`: a 200 GET response whose body is a file (from `fileResponse`)
 * or bytes becomes a 206 with `Content-Range` and the selected bytes, or a 416 with `Content-Range: bytes
 * *\/size` when the range starts past the end. `If-Range` (§13.1.5) is honoured: the range applies only while
 * the response's strong `ETag`, or its `Last-Modified` when that is a strong validator, still matches. Any
 * other response, request or header is returned as it is.
 *
 * @example
 * return rangeResponse(await fileResponse("video.mp4", { root }), request);
 */
export function rangeResponse<Res extends Response>(response: Res, request: Request): Res | Response {
  const range = request.headers.range;
  if (range === undefined || request.method !== "GET" || response.status !== 200) return response;
  const body = response.body;
  const size =
    body instanceof FileBody ? body.length : body instanceof Uint8Array ? body.byteLength : undefined;
  if (size === undefined) return response;
  const ifRange = request.headers["if-range"];
  if (ifRange !== undefined && !ifRangeMatches(ifRange, response.headers)) return response;
  const decision = parseRange(range, size);
  if (decision.kind === "whole") return response;
  if (decision.kind === "unsatisfiable") {
    return {
      status: 416,
      headers: { ...withoutContent(response.headers), "content-range": `bytes */${size}` },
      body: undefined,
    };
  }
  const { start, end } = decision;
  return {
    ...response,
    status: 206,
    headers: {
      ...withoutContent(response.headers),
      ...pick(response.headers, "content-type"),
      "content-range": `bytes ${start}-${end - 1}/${size}`,
      "content-length": String(end - start),
    },
    body: body instanceof FileBody ? body.slice(start, end) : (body as Uint8Array).subarray(start, end),
  };
}

/**
 * §13.1.5: an entity tag matches by strong comparison (never a weak `W/` tag); a date matches only the exact
 * `Last-Modified`, and only when that is strong, i.e. at least a second older than now (§8.8.2.2), since a file
 * changed twice within one second keeps its `Last-Modified`.
 */
function ifRangeMatches(ifRange: string, headers: ResponseHeaders): boolean {
  const value = ifRange.trim();
  if (value.startsWith('"')) {
    const etag = headers.etag;
    return typeof etag === "string" && etag === value;
  }
  if (value.startsWith("W/")) return false;
  const lastModified = headers["last-modified"];
  if (typeof lastModified !== "string" || lastModified !== value) return false;
  const seconds = parseHttpDate(lastModified);
  // Last-Modified is whole seconds: the file may have changed up to a second after the stated time.
  return seconds !== undefined && Date.now() - seconds * 1000 >= 2000;
}

const WHOLE: RangeDecision = { kind: "whole" };
const UNSATISFIABLE: RangeDecision = { kind: "unsatisfiable" };
// One range-spec: int-range or suffix-range, digits only (§14.1.1). A list ("0-1,5-6") does not match.
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/** The headers without those that describe the whole content, which a 206 or 416 restates or drops. */
function withoutContent(headers: ResponseHeaders): Record<string, string | readonly string[]> {
  const out: Record<string, string | readonly string[]> = {};
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (lower !== "content-length" && lower !== "content-type" && lower !== "content-range") {
      out[name] = headers[name]!;
    }
  }
  return out;
}

function pick(headers: ResponseHeaders, name: string): Record<string, string | readonly string[]> {
  for (const key in headers) if (key.toLowerCase() === name) return { [key]: headers[key]! };
  return {};
}
