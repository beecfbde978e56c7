/**
 * `redisStore`: a versioned `SessionStore` that keeps sessions in Redis, so several processes or machines
 * share them. One Redis command per operation (GET or GETEX, SET … EX, DEL, or EVAL of the compare-and-set
 * script; a second SET only for an update of a session deleted meanwhile), each bounded by a timeout; Redis
 * keys are the SHA-256 of the session id, so a dump of Redis holds no usable cookie. The version of a session
 * is its stored JSON text. docs/scaling.md explains its use.
 */
// `node:crypto` is allowed here: this store needs a network client anyway, and Deno, Bun and Workers (with
// `nodejs_compat`) all provide `createHash`. It hashes synchronously, unlike WebCrypto's `digest`.
import { createHash } from "node:crypto";
import * as z from "zod/mini";
import { parseOptions } from "../core/parse-options.js";
import { assertJsonRoundTrip } from "../session/json-check.js";
import { isSessionKeyShape, newSessionKey } from "../session/keys.js";
import type {
  SessionData,
  SessionStore,
  SessionVersion,
  StoreReadContext,
  VersionedSession,
} from "../session/store.js";
import { type RedisClientLike, type RedisStringReply, redisClientKind, toRedisCommands } from "./client.js";

/** Options of `redisStore`. */
export interface RedisStoreOptions {
  /**
   * A connected client: node-redis v4/v5 (`createClient()`), ioredis (`new Redis()`), either one's cluster
   * client, or any object implementing `RedisCommands`. Configure it to fail fast while Redis is down
   * (docs/scaling.md): node-redis `disableOfflineQueue: true`, ioredis `enableOfflineQueue: false`.
   */
  client: RedisClientLike;
  /** Prepended to every Redis key. Default `"ringlet:sess:"`. */
  prefix?: string;
  /** Idle lifetime in seconds, set with every write (`SET … EX`). Default `86400` (one day). */
  maxAge?: number;
  /** Also reset the lifetime on every read (`GETEX … EX`), for sliding sessions. Default `false`. */
  touch?: boolean;
  /** Milliseconds each Redis command may take before the operation rejects. Default `1000`. */
  timeoutMs?: number;
}

/**
 * A `SessionStore` backed by Redis. It is versioned (`isVersionedStore` is true: it has both methods below)
 * unless it was built on a `RedisCommands` object without `compareAndSet`.
 */
export interface RedisStore<Data extends SessionData = SessionData> extends SessionStore<Data> {
  readonly prefix: string;
  readonly maxAge: number;
  /**
   * The Redis key that holds the session `sessionKey`: the prefix followed by the lower-case hex SHA-256
   * of the session key, e.g. to end one user's session from an admin tool with `DEL`.
   */
  redisKey(sessionKey: string): string;
  /**
   * The versioned extension (docs/stores.md), present unless the client is a `RedisCommands` object without
   * `compareAndSet`. The version is the JSON text stored in Redis; see `writeSessionIfVersion`.
   */
  readVersionedSession?(
    key: string,
    context?: StoreReadContext,
  ): Promise<VersionedSession<Data> | undefined> | undefined;
  /**
   * Stores `data` under `key` only if Redis still holds exactly the text read as `version` (one Lua script,
   * atomic in Redis), with a fresh lifetime; resolves to `key`, or to `null` when the text differs or the
   * session is gone. Present whenever `readVersionedSession` is.
   */
  writeSessionIfVersion?(key: string, data: Data, version: SessionVersion): Promise<string | null> | null;
}

/** A Redis command did not answer within `timeoutMs`. */
export class RedisTimeoutError extends Error {
  readonly command: string;
  readonly timeoutMs: number;

  constructor(command: string, timeoutMs: number) {
    super(`Redis ${command} did not answer within ${timeoutMs} ms`);
    this.name = "RedisTimeoutError";
    this.command = command;
    this.timeoutMs = timeoutMs;
  }
}

const MAX_INT32 = 2 ** 31 - 1;

// One message per option, whatever check failed, so it says what is expected.
const integer = (what: string) => {
  const error = `expected an integer number of ${what} from 1 to ${MAX_INT32}`;
  return z
    .number({ error })
    .check(
      z.refine(Number.isInteger, { error, abort: true }),
      z.minimum(1, { error }),
      z.maximum(MAX_INT32, { error }),
    );
};

const optionsSchema = z.strictObject({
  client: z.custom<RedisClientLike>((value) => redisClientKind(value) !== undefined, {
    error: "expected a node-redis client, an ioredis client or a RedisCommands object",
  }),
  prefix: z._default(z.string({ error: "expected a string" }), "ringlet:sess:"),
  maxAge: z._default(integer("seconds"), 86_400),
  touch: z._default(z.boolean({ error: "expected a boolean" }), false),
  timeoutMs: z._default(integer("milliseconds"), 1000),
});

// Fatal: a value that is not UTF-8 was not written here, and its decoded text (with U+FFFD in place of the
// bad bytes) would not be the stored value, so it could never serve as a version.
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A session store in Redis.
 *
 * - Keys are 256-bit random ids (`newSessionKey`); a key of any other shape reads as absent without a Redis
 *   round trip and is reported as `rejected-cookie`. A write keeps the key while its session exists; a
 *   session deleted or expired meanwhile is written under a new key, so a deleted key never comes back.
 * - Values are JSON; `writeSession` throws a `TypeError` naming the path of a value that would not survive
 *   JSON. A stored value that is not a JSON object reads as absent and is reported as `invalid-session`.
 * - A Redis error or timeout rejects the operation, which `wrapSession` turns into a 503.
 * - Versioned: the version of a session is the JSON text stored for it, and `writeSessionIfVersion` is one
 *   Lua script that compares and sets (`COMPARE_AND_SET_SCRIPT`), so a write lands only on exactly the state
 *   it was computed from; the stored format is the same as without versions.
 *
 * @example
 * const client = await createClient({ url: "redis://127.0.0.1:6379", disableOfflineQueue: true })
 *   .on("error", (error) => console.error(error))
 *   .connect();
 * const app = wrapSession(handler, { store: redisStore({ client, maxAge: 3600, touch: true }) });
 */
export function redisStore<Data extends SessionData = SessionData>(
  options: RedisStoreOptions,
): RedisStore<Data> {
  const { client, prefix, maxAge, touch, timeoutMs } = parseOptions("redisStore", optionsSchema, options);
  const commands = toRedisCommands(client);
  const redisKey = (sessionKey: string): string =>
    prefix + createHash("sha256").update(sessionKey).digest("hex");

  /**
   * Read session `key` (GET, or GETEX when touching) and hand its stored text to `then`; `undefined`, without
   * a round trip, for a key of the wrong shape (reported).
   */
  const readText = <T>(
    key: string,
    context: StoreReadContext | undefined,
    then: (text: string | undefined) => T,
  ): Promise<T> | undefined => {
    if (!isSessionKeyShape(key)) {
      context?.report({ kind: "rejected-cookie", reason: "session key is not 43 base64url characters" });
      return undefined;
    }
    const reply = touch
      ? bounded("GETEX", timeoutMs, () => commands.getAndTouch(redisKey(key), maxAge))
      : bounded("GET", timeoutMs, () => commands.get(redisKey(key)));
    return reply.then((raw) => then(replyText(raw, context)));
  };

  const store: RedisStore<Data> = {
    prefix,
    maxAge,
    redisKey,

    readSession(key: string, context?: StoreReadContext) {
      return readText(key, context, (text) => decode<Data>(text, context));
    },

    writeSession(key: string | undefined, data: Data) {
      const json = encode(data);
      const write = (sessionKey: string, onlyIfExists: boolean) =>
        bounded("SET", timeoutMs, () =>
          commands.setWithTtl(redisKey(sessionKey), json, maxAge, onlyIfExists),
        );
      // One SET carries the value and its lifetime, so a failure leaves either the old value or the new one.
      // An update uses SET … XX: a session deleted meanwhile (a logout in another tab, an admin's DEL) or
      // expired is not brought back under its old key; the data gets a new key instead. A key of another
      // shape was not issued here and is never adopted (the client could have chosen it).
      if (key !== undefined && isSessionKeyShape(key)) {
        return write(key, true).then((reply) => (reply == null ? writeNew(write) : key));
      }
      return writeNew(write);
    },

    deleteSession(key: string) {
      if (!isSessionKeyShape(key)) return undefined;
      return bounded("DEL", timeoutMs, () => commands.del(redisKey(key))).then(() => undefined);
    },
  };

  const { compareAndSet } = commands;
  if (typeof compareAndSet !== "function") return store;

  // The version is the exact text Redis holds, so the stored format is the same as without versions and one
  // session stays one key. A write lands only on exactly the state its data was computed from; a session
  // that went from A to B and back to A accepts a write computed from A (ABA), which is harmless for that
  // reason: the result is the one of this request running after the others.
  store.readVersionedSession = (key, context) =>
    readText(key, context, (text) => {
      const data = decode<Data>(text, context);
      return data === undefined ? undefined : { data, version: text! };
    });

  store.writeSessionIfVersion = (key, data, version) => {
    const json = encode(data);
    // Neither a key of another shape nor a version that is not a text was handed out by this store, so no
    // stored session can match them: a conflict, without a round trip.
    if (!isSessionKeyShape(key) || typeof version !== "string") return null;
    // The script never creates a key (a deleted or expired session stays gone) and sets the value with its
    // lifetime in one SET, so a failure or timeout leaves either the old value or the new one.
    return bounded("EVAL", timeoutMs, () =>
      compareAndSet.call(commands, redisKey(key), version, json, maxAge),
    ).then((written) => {
      if (typeof written !== "boolean") {
        throw new TypeError(`RedisCommands.compareAndSet resolved to ${typeof written}, expected a boolean`);
      }
      return written ? key : null;
    });
  };
  return store;
}

/** The JSON text of `data`; throws at once for data that is not a plain object or would not survive JSON. */
function encode(data: SessionData): string {
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new TypeError("session: session data must be a plain object");
  }
  assertJsonRoundTrip(data);
  return JSON.stringify(data);
}

function writeNew(write: (sessionKey: string, onlyIfExists: boolean) => Promise<unknown>): Promise<string> {
  const sessionKey = newSessionKey();
  return write(sessionKey, false).then(() => sessionKey);
}

/**
 * Run one command and settle with it, or reject with a `RedisTimeoutError` after `timeoutMs`. The timer is
 * cleared as soon as the command settles, and a command that settles after the timeout is still observed,
 * so nothing leaks and no rejection goes unhandled. A command that throws synchronously rejects instead.
 */
function bounded<T>(command: string, timeoutMs: number, run: () => PromiseLike<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeoutError(command, timeoutMs)), timeoutMs);
    const settle = (ok: boolean, value: unknown) => {
      clearTimeout(timer);
      if (ok) resolve(value as T);
      else reject(value);
    };
    try {
      run().then(
        (value) => settle(true, value),
        (error: unknown) => settle(false, error),
      );
    } catch (error) {
      settle(false, error);
    }
  });
}

/** The text of a GET/GETEX reply, `undefined` for a missing key or (reported) for a reply that is no text. */
function replyText(raw: RedisStringReply, context: StoreReadContext | undefined): string | undefined {
  if (raw === null || raw === undefined || typeof raw === "string") return raw ?? undefined;
  if (raw instanceof Uint8Array) {
    try {
      return utf8.decode(raw);
    } catch (error) {
      context?.report({ kind: "invalid-session", reason: "stored session is not UTF-8", cause: error });
      return undefined;
    }
  }
  context?.report({ kind: "invalid-session", reason: `Redis answered with a ${typeof raw}, not a string` });
  return undefined;
}

function decode<Data>(text: string | undefined, context: StoreReadContext | undefined): Data | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    context?.report({ kind: "invalid-session", reason: "stored session is not valid JSON", cause: error });
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    context?.report({ kind: "invalid-session", reason: "stored session is not a JSON object" });
    return undefined;
  }
  return value as Data;
}
