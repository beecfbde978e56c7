/**
 * `cookieStore`: a `SessionStore` that keeps the whole session in the cookie, sealed with AES-256-GCM
 * (src/session/cookie-store/seal.ts). The server keeps only a cache of recent seals; the "key" `wrapSession` sends is
 * the sealed value itself.
 * docs/stores.md documents the options and docs/security.md what the seal does and does not protect.
 */
import * as z from "zod/mini";
import { decodeBase64url } from "../../core/base64url.js";
import { parseOptions } from "../../core/parse-options.js";
import type { Awaitable } from "../../core/types.js";
import { isFunction } from "../../core/types.js";
import { CookieTooLargeError } from "../errors.js";
import { assertJsonRoundTrip } from "../json-check.js";
import type { SessionData, SessionStore, StoreReadContext } from "../store.js";
import { type CryptoBackend, type DerivedKey, defaultCryptoBackend } from "./crypto-backend.js";
import { type OpenedSeal, open, type RejectedSeal, SEAL_OVERHEAD_BYTES, seal, sealedLength } from "./seal.js";
import { SealCache } from "./seal-cache.js";

/** Options of `cookieStore`. */
export interface CookieStoreOptions {
  /**
   * The key material: 32 or more random bytes, as a `Uint8Array` or a base64 / base64url string
   * (`openssl rand -base64 32`). Default: a random key for this process only, with a warning, so
   * sessions do not survive a restart and are not shared between processes.
   */
  secret?: Uint8Array | string;
  /**
   * Secrets that are still accepted for reading, so a secret can be rotated without logging anyone out.
   * A session read under one of them is sealed with `secret` at its next write. Default: none.
   */
  previousSecrets?: readonly (Uint8Array | string)[];
  /**
   * Seconds a seal stays valid after it was written; an older one reads as absent even if the browser
   * still sends it. Default: 1209600 (14 days). Give the cookie a `maxAge` no longer than this.
   */
  maxAge?: number;
  /**
   * How many recently written or opened seals this process remembers (with their JSON), so that reading
   * one of them back skips the decryption; `0` turns it off. The cache keeps two generations of half this
   * size and drops the older one whole, so it holds between half and all of the most recent seals. Only seals that verified get in, and expiry
   * is still checked on every read. Default: 1000.
   */
  cacheSize?: number;
  /** The clock, in milliseconds since the epoch (for tests). Default: `Date.now`. */
  now?: () => number;
  /**
   * @internal The cryptography backend. Default: `node:crypto` where the runtime has it, else WebCrypto.
   */
  backend?: CryptoBackend;
}

/** The default `maxAge`: 14 days, in seconds. */
export const DEFAULT_COOKIE_STORE_MAX_AGE = 14 * 24 * 60 * 60;

/** The default `cacheSize`. */
export const DEFAULT_COOKIE_STORE_CACHE_SIZE = 1000;

/** Seconds a seal may claim to come from the future (clock skew between servers) before it is refused. */
export const COOKIE_STORE_CLOCK_SKEW = 60;

/** The size of a secret's key material, in bytes; AES-256 needs 32 bytes of entropy. */
const MIN_SECRET_BYTES = 32;

/**
 * Browsers keep cookies up to 4096 bytes of name and value (RFC 6265 §6.1). A value longer than this
 * can never fit, whatever the cookie's name (at least one character, plus `=`).
 */
const MAX_VALUE_CHARS = 4096 - 2;

/** The largest payload (JSON bytes) whose seal fits in `MAX_VALUE_CHARS` base64url characters. */
const MAX_PAYLOAD_BYTES = Math.floor((MAX_VALUE_CHARS * 3) / 4) - SEAL_OVERHEAD_BYTES;

const secretSchema = z.pipe(
  z.union([z.instanceof(Uint8Array), z.string()], {
    error: "must be a Uint8Array or a base64/base64url string of 32+ random bytes",
  }),
  z.transform((input: Uint8Array<ArrayBuffer> | string, ctx) => {
    const bytes = typeof input === "string" ? decodeSecretText(input) : input;
    if (typeof bytes === "string") {
      ctx.issues.push({ code: "custom", input, message: bytes, params: { got: "a string" } });
      return z.NEVER;
    }
    if (bytes.length < MIN_SECRET_BYTES) {
      ctx.issues.push({
        code: "custom",
        input,
        message: `must hold at least ${MIN_SECRET_BYTES} bytes after decoding`,
        params: { got: `${bytes.length} bytes` },
      });
      return z.NEVER;
    }
    return bytes;
  }),
);

const optionsSchema = z.strictObject({
  secret: z.optional(secretSchema),
  previousSecrets: z.optional(z.array(secretSchema, { error: "must be an array of secrets" })),
  maxAge: z.optional(
    z
      .number({ error: "must be a number of seconds" })
      .check(
        z.refine(Number.isInteger, { error: "must be a whole number of seconds", abort: true }),
        z.positive({ error: "must be at least 1 second" }),
      ),
  ),
  cacheSize: z.optional(
    z
      .number({ error: "must be a number of entries" })
      .check(
        z.refine(Number.isInteger, { error: "must be a whole number of entries", abort: true }),
        z.nonnegative({ error: "must be 0 (off) or more" }),
      ),
  ),
  now: z.optional(z.custom<() => number>(isFunction, "must be a function returning milliseconds")),
  backend: z.optional(
    z.custom<CryptoBackend>(
      (v) => typeof v === "object" && v !== null && isFunction((v as CryptoBackend).seal),
      "must be a crypto backend",
    ),
  ),
});

// Accept both alphabets and optional padding; anything else (spaces, a passphrase with other
// characters) is refused rather than guessed at.
/**
 * The bytes of a base64 or base64url secret, or what is wrong with the text, said without showing any of it
 * (positions only: the text is a secret).
 */
function decodeSecretText(text: string): Uint8Array | string {
  const unpadded = text.replace(/={1,2}$/, "");
  const bad = /[^A-Za-z0-9+/\-_]/.exec(unpadded);
  if (bad !== null) {
    return `must be base64 or base64url text (e.g. \`openssl rand -base64 32\`); the character at index ${bad.index} is in neither alphabet`;
  }
  if (/[+/]/.test(unpadded) && /[-_]/.test(unpadded)) {
    return "mixes the base64 (+ /) and base64url (- _) alphabets: use one (e.g. `openssl rand -base64 32`)";
  }
  if (unpadded.length !== text.length && text.length % 4 !== 0) {
    return `has "=" padding but a length of ${text.length}, not a multiple of 4: was it cut?`;
  }
  if (unpadded.length % 4 === 1) {
    return `has ${unpadded.length} base64 characters, a length no byte string encodes to: was it cut?`;
  }
  const bytes = decodeBase64url(unpadded.replaceAll("+", "-").replaceAll("/", "_"));
  // Every character and the length are valid, so what is left is a last character with bits set that
  // encode nothing (43 × "a", say): text no encoder writes, most likely typed or edited by hand.
  return (
    bytes ??
    "is not canonical base64: its last character sets bits beyond the last byte, so it was not written by a base64 encoder (make one with `openssl rand -base64 32`)"
  );
}

/** `NODE_ENV` is `production`, on a runtime that has `process.env` (Node, Bun, Deno's compatibility layer). */
function isProduction(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.NODE_ENV === "production";
}

// One random key per process when no secret is given, so that every such store in the process can read
// the others' cookies, and one warning.
let processSecret: Uint8Array | undefined;

function randomProcessSecret(): Uint8Array {
  if (processSecret === undefined) {
    processSecret = globalThis.crypto.getRandomValues(new Uint8Array(MIN_SECRET_BYTES));
    console.warn(
      "ringlet cookieStore: no `secret` given, so sessions are sealed with a random key that lives only as " +
        "long as this process: they will not survive a restart or be readable by other instances. Pass " +
        "`secret` (e.g. from `openssl rand -base64 32`) in production.",
    );
  }
  return processSecret;
}

/**
 * A session store that keeps the session in the cookie itself, encrypted and authenticated with
 * AES-256-GCM. On Node every read and write is synchronous; on runtimes without `node:crypto` they return
 * Promises (WebCrypto).
 *
 * - `readSession(sealed, context)` returns the data, or `undefined` for anything that is not an intact,
 *   unexpired seal under `secret` or one of `previousSecrets`, after reporting why to `context`. It never
 *   throws.
 * - `writeSession(key, data)` checks that `data` survives JSON (a `TypeError` naming the path otherwise),
 *   seals it with `secret` and returns the new sealed value, always a different one.
 * - `deleteSession` has nothing to do: the server holds no session. A copied cookie stays valid until
 *   `maxAge`, which is why `maxAge` is bounded by default (docs/security.md).
 * - It is not versioned (no `readVersionedSession`): the session lives in each browser, so there is no
 *   shared copy to compare with, and concurrent requests keep last-write-wins (docs/stores.md).
 *
 * @example
 * const app = wrapSession(handler, { store: cookieStore({ secret: process.env.SESSION_SECRET }) });
 */
export function cookieStore<Data extends SessionData = SessionData>(
  options: CookieStoreOptions = {},
): SessionStore<Data> {
  const parsed = parseOptions("cookieStore", optionsSchema, options);
  if (parsed.secret === undefined && isProduction()) {
    throw new TypeError(
      'cookieStore: option "secret" is required when NODE_ENV is "production": without it sessions are sealed ' +
        "with a random key of this process, so every restart logs everyone out and other instances cannot read " +
        "them. Make one with `openssl rand -base64 32`, keep it in your secrets, and pass it: " +
        "cookieStore({ secret: process.env.SESSION_SECRET })",
    );
  }
  const backend = parsed.backend ?? defaultCryptoBackend();
  const maxAge = parsed.maxAge ?? DEFAULT_COOKIE_STORE_MAX_AGE;
  const now = parsed.now ?? Date.now;
  const secrets = [parsed.secret ?? randomProcessSecret(), ...(parsed.previousSecrets ?? [])];
  // Derived once. On the WebCrypto backend this is a Promise until derivation finishes; from then on the
  // keys are used directly, so a read or write waits for nothing but the cipher itself.
  let keys = collect(secrets.map((secret) => backend.deriveKey(secret)));
  if (keys instanceof Promise) {
    keys.then(
      (all) => {
        keys = all;
      },
      () => {},
    );
  }
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const cacheSize = parsed.cacheSize ?? DEFAULT_COOKIE_STORE_CACHE_SIZE;
  // Seals this process wrote or verified. The browser sends back the seal it was last given, so a read is
  // usually answered here without a decryption. Holding a verified seal's contents is safe: the same text
  // always decrypts to the same bytes (decoding is canonical).
  const recent = new SealCache(cacheSize);

  // What a seal that opened means for this store: expiry, then the JSON inside.
  const accept = (
    sealed: string,
    issuedAt: number,
    json: string,
    context: StoreReadContext | undefined,
  ): Data | undefined => {
    // Valid while now < issuedAt + maxAge (issuedAt is whole seconds, rounded down).
    const age = now() / 1000 - issuedAt;
    if (age >= maxAge || -age > COOKIE_STORE_CLOCK_SKEW) {
      recent.forget(sealed);
      return reject(
        context,
        age >= maxAge
          ? `seal expired: written ${Math.floor(age)} s ago, maxAge is ${maxAge} s`
          : `seal written ${Math.ceil(-age)} s in the future, beyond the allowed clock skew`,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch {
      // Only a holder of the key can produce this: not an attack from the network, but still refused.
      return reject(context, "sealed payload is not JSON");
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      return reject(context, "sealed payload is not a JSON object");
    }
    return data as Data;
  };
  const opened = (
    sealed: string,
    result: OpenedSeal | RejectedSeal,
    context: StoreReadContext | undefined,
  ) => {
    if ("rejected" in result) return reject(context, result.rejected);
    let json: string;
    try {
      json = decoder.decode(result.payload);
    } catch {
      return reject(context, "sealed payload is not JSON");
    }
    const data = accept(sealed, result.issuedAt, json, context);
    if (data !== undefined) recent.remember(sealed, result.issuedAt, json);
    return data;
  };
  const openWith = (all: readonly DerivedKey[], sealed: string, context: StoreReadContext | undefined) => {
    const result = open(backend, all, sealed);
    return result instanceof Promise
      ? result.then((r) => opened(sealed, r, context))
      : opened(sealed, result, context);
  };
  const sealWith = (
    key: DerivedKey,
    payload: Uint8Array,
    issuedAt: number,
    json: string,
  ): Awaitable<string> => {
    const sealed = seal(backend, key, payload, issuedAt);
    if (sealed instanceof Promise) {
      return sealed.then((text) => {
        recent.remember(text, issuedAt, json);
        return text;
      });
    }
    recent.remember(sealed, issuedAt, json);
    return sealed;
  };

  return {
    readSession(sealed: string, context?: StoreReadContext): Awaitable<Data | undefined> {
      const hit = recent.get(sealed);
      if (hit !== undefined) return accept(sealed, hit.issuedAt, hit.json, context);
      // A cookie can never be longer than this; do not spend a decryption on one.
      if (sealed.length > MAX_VALUE_CHARS) {
        return reject(context, `sealed value is ${sealed.length} characters, too long`);
      }
      return keys instanceof Promise
        ? keys.then((all) => openWith(all, sealed, context))
        : openWith(keys, sealed, context);
    },

    writeSession(_key: string | undefined, data: Data): Awaitable<string> {
      assertJsonRoundTrip(data);
      const json = JSON.stringify(data);
      const payload = encoder.encode(json);
      // Refuse before encrypting: a value this long cannot be stored whatever the cookie's name.
      if (payload.length > MAX_PAYLOAD_BYTES) {
        throw new CookieTooLargeError("(sealed session)", sealedLength(payload.length) + 2);
      }
      const issuedAt = Math.floor(now() / 1000);
      // Always the current key, whatever key the incoming seal used: this is what completes a rotation.
      return keys instanceof Promise
        ? keys.then((all) => sealWith(all[0]!, payload, issuedAt, json))
        : sealWith(keys[0]!, payload, issuedAt, json);
    },

    deleteSession(): void {
      // The server holds no session to forget. wrapSession expires the cookie in the browser; a copy of
      // the seal stays valid until maxAge (docs/security.md).
    },
  };
}

function reject(context: StoreReadContext | undefined, reason: string): undefined {
  context?.report({ kind: "rejected-cookie", reason });
  return undefined;
}

function collect(keys: Awaitable<DerivedKey>[]): Awaitable<DerivedKey[]> {
  if (!keys.some((key) => key instanceof Promise)) return keys as DerivedKey[];
  const all = Promise.all(keys);
  // A failure surfaces on the first read or write (a store failure); do not also crash the process
  // with an unhandled rejection before then.
  all.catch(() => {});
  return all;
}
