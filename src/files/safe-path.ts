/**
 * Turning a request path into path segments under a root directory, refusing anything that could name a file
 * outside it. Pure string work, no file system: the checks against the disk (symlinks, what exists) are in
 * ./find-file.ts. docs/files.md, "Threats", says what each rule stops.
 */
import { percentDecodeStrict } from "../core/percent-decode.js";

/** What the segment rules allow. */
export interface SegmentRules {
  /** Segments starting with "." (`.env`, `.git`): refused unless true. */
  readonly allowDotfiles: boolean;
}

/**
 * The segments of a raw request path (`request.uri`, still percent-encoded), or `undefined` when it must not
 * be served. The whole path is decoded once, strictly: a malformed escape or bytes that are not UTF-8 (overlong
 * forms such as `%c0%ae` included) refuse it, since they have no single meaning. Decoding first means
 * `%2e%2e`, `%2f` and `%5c` are judged as the `..`, `/` and `\` they stand for; a double-encoded `%252e` is
 * the literal name `%2e`, which names no parent. Empty segments (`//`, a trailing `/`) are skipped.
 *
 * @example
 * requestSegments("/css/site.css", rules);   // ["css", "site.css"]
 * requestSegments("/a/%2e%2e/etc", rules);   // undefined
 */
export function requestSegments(uri: string, rules: SegmentRules): string[] | undefined {
  const path = percentDecodeStrict(uri);
  if (path === undefined) return undefined;
  return safeSegments(path.split("/"), rules);
}

/**
 * `parts` without empty ones, or `undefined` when any would leave the directory it is joined to or is
 * refused: `.` and `..` (and any name of dots only, which Windows reads as `.`), a name with a backslash (a
 * separator on Windows), a colon (a drive letter `C:` or an NTFS stream `file::$DATA`), NUL or another control
 * character, and a dotfile unless allowed.
 */
export function safeSegments(parts: readonly string[], rules: SegmentRules): string[] | undefined {
  const out: string[] = [];
  for (const part of parts) {
    if (part === "") continue;
    if (FORBIDDEN.test(part) || ONLY_DOTS.test(part)) return undefined;
    if (part.charCodeAt(0) === 0x2e && !rules.allowDotfiles) return undefined;
    out.push(part);
  }
  return out;
}

// C0 controls (NUL included), DEL, the Windows separator and the drive / stream separator.
const FORBIDDEN = /[\u0000-\u001f\u007f\\:]/;
const ONLY_DOTS = /^\.+$/;
