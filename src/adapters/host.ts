/**
 * Host and authority parsing shared by every adapter: `serverName` and `serverPort` come from here, so the
 * Node and fetch adapters accept and refuse the same hosts. Pure functions; no `node:` imports.
 */
import { isHex } from "./request-target.js";

/** What a Host header (or the authority of a request target) says: the request map's two keys. */
export interface ServerHost {
  /** Lower-cased; an IPv6 literal keeps its brackets (`"[::1]"`). */
  readonly serverName: string;
  /** The port written after the name, else `defaultPort`. */
  readonly serverPort: number;
}

/**
 * Splits a Host (or `X-Forwarded-Host`, or an absolute-form target's authority) value,
 * `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2), into a lower-cased name and a port, using
 * `defaultPort` when it has none (`"host:"` included: `port = *DIGIT`). `undefined` when it is malformed:
 * empty, user info (`user@host`), a character outside the grammar, a port over 65535. One pass over the text.
 *
 * @example
 * parseHost("[::1]:8080", 80);  // { serverName: "[::1]", serverPort: 8080 }
 * parseHost("Example.com", 443); // { serverName: "example.com", serverPort: 443 }
 * parseHost("a b", 80);          // undefined
 */
export function parseHost(text: string, defaultPort: number): ServerHost | undefined {
  let nameEnd: number;
  if (text.charCodeAt(0) === 0x5b /* [ */) {
    nameEnd = text.indexOf("]") + 1;
    if (nameEnd === 0 || !isIpLiteral(text, 1, nameEnd - 1)) return undefined;
  } else {
    nameEnd = text.indexOf(":");
    if (nameEnd === -1) nameEnd = text.length;
    if (nameEnd === 0 || !isRegName(text, nameEnd)) return undefined;
  }
  let port = defaultPort;
  if (nameEnd < text.length) {
    if (text.charCodeAt(nameEnd) !== 0x3a /* : */) return undefined;
    const digits = text.length - nameEnd - 1;
    if (digits > 5) return undefined;
    if (digits > 0) {
      port = 0;
      for (let i = nameEnd + 1; i < text.length; i++) {
        const d = text.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) return undefined;
        port = port * 10 + d;
      }
      if (port > 65535) return undefined;
    }
  }
  return { serverName: text.slice(0, nameEnd).toLowerCase(), serverPort: port };
}

// reg-name = *( unreserved / pct-encoded / sub-delims ), RFC 3986 §3.2.2.
const REG_NAME = new Uint8Array(128);
for (const c of "-._~!$&'()*+,;=%") REG_NAME[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) REG_NAME[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) REG_NAME[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) REG_NAME[c] = 1;

function isRegName(text: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || REG_NAME[c] === 0) return false;
    if (
      c === 0x25 /* % */ &&
      !(i + 2 < end && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2)))
    ) {
      return false;
    }
  }
  return true;
}

function isIpLiteral(text: string, start: number, end: number): boolean {
  // IPv6address (hex digits, ":" and an embedded dotted IPv4); the exact grammar is the resolver's job,
  // this keeps out anything that could not be one.
  let colons = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3a) colons++;
    else if (!(isHex(c) || c === 0x2e)) return false;
  }
  return colons >= 2;
}
