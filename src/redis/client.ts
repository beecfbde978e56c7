/**
 * The Redis commands the Redis store sends (GET, GETEX, SET … EX, DEL, and one Lua script for the
 * conditional write), and adapters that find them on a node-redis (v4/v5) or ioredis client by shape, so
 * ringlet depends on neither client at run time.
 */

/**
 * The conditional write, run atomically by Redis (EVAL: no other command runs while a script does):
 * `SET KEYS[1] ARGV[2] EX ARGV[3]` only if `GET KEYS[1]` is exactly `ARGV[1]`; answers 1 when it wrote, 0
 * when not. A missing key (deleted, expired) is never equal to a string, so it is never created here. One key,
 * declared in KEYS, so Redis Cluster routes the script to that key's node.
 */
export const COMPARE_AND_SET_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2], "EX", ARGV[3])
  return 1
end
return 0`;

/** A reply to GET/GETEX: a string, `null` for a missing key, or bytes when a client maps strings to buffers. */
export type RedisStringReply = string | Uint8Array | null | undefined;

/**
 * The commands the store needs. Implement this to use any other client.
 *
 * @example
 * const commands: RedisCommands = {
 *   get: (key) => myClient.command("GET", key),
 *   getAndTouch: (key, seconds) => myClient.command("GETEX", key, "EX", seconds),
 *   setWithTtl: (key, value, seconds, onlyIfExists) =>
 *     myClient.command("SET", key, value, "EX", seconds, ...(onlyIfExists ? ["XX"] : [])),
 *   del: (key) => myClient.command("DEL", key),
 *   // Optional: without it the store is not versioned (see `compareAndSet`).
 *   compareAndSet: (key, expected, value, seconds) =>
 *     myClient.command("EVAL", COMPARE_AND_SET_SCRIPT, 1, key, expected, value, seconds).then((n) => n === 1),
 * };
 */
export interface RedisCommands {
  /** `GET key`. */
  get(key: string): PromiseLike<RedisStringReply>;
  /** `GETEX key EX seconds`: read and reset the time to live in one step (Redis 6.2+). */
  getAndTouch(key: string, seconds: number): PromiseLike<RedisStringReply>;
  /**
   * `SET key value EX seconds`, with `XX` when `onlyIfExists`: one atomic write of the value and its time to
   * live. Resolves to `null` (or `undefined`) when `onlyIfExists` and the key does not exist, else to anything.
   */
  setWithTtl(key: string, value: string, seconds: number, onlyIfExists: boolean): PromiseLike<unknown>;
  /** `DEL key`. */
  del(key: string): PromiseLike<unknown>;
  /**
   * Optional. `SET key value EX seconds` only if the value stored under `key` is exactly `expected`, as one
   * atomic step (`EVAL COMPARE_AND_SET_SCRIPT 1 key expected value seconds`); resolves to `true` when it
   * wrote, `false` when the value differed or the key did not exist. A store built on commands without it
   * is not versioned: it has no `readVersionedSession` / `writeSessionIfVersion`, and concurrent requests of
   * one session are last-write-wins (docs/stores.md).
   */
  compareAndSet?(key: string, expected: string, value: string, seconds: number): PromiseLike<boolean>;
}

/** What the store uses of a node-redis v4/v5 client, cluster or pool (`createClient()` from `redis`). */
export interface NodeRedisClientLike {
  get(key: string): PromiseLike<unknown>;
  getEx(key: string, options: { EX: number }): PromiseLike<unknown>;
  set(key: string, value: string, options: { EX: number; XX?: boolean }): PromiseLike<unknown>;
  del(key: string): PromiseLike<unknown>;
  /** `EVAL script numkeys key… arg…` (v4 and v5 take this options form); without it the store is not versioned. */
  eval?(script: string, options: { keys: string[]; arguments: string[] }): PromiseLike<unknown>;
}

/** What the store uses of an ioredis client or cluster (`new Redis()` from `ioredis`). */
export interface IoredisClientLike {
  get(key: string): PromiseLike<unknown>;
  getex(key: string, mode: "EX", seconds: number): PromiseLike<unknown>;
  set(key: string, value: string, mode: "EX", seconds: number): PromiseLike<unknown>;
  set(key: string, value: string, mode: "EX", seconds: number, condition: "XX"): PromiseLike<unknown>;
  del(key: string): PromiseLike<unknown>;
  /** `EVAL script numkeys key… arg…`; without it the store is not versioned. */
  eval?(script: string, numKeys: number, ...keysAndArgs: string[]): PromiseLike<unknown>;
}

/** Any client the store accepts. */
export type RedisClientLike = NodeRedisClientLike | IoredisClientLike | RedisCommands;

/** Which kind of client `client` is, judged by its methods (node-redis has `getEx`, ioredis `getex`). */
export function redisClientKind(client: unknown): "commands" | "node-redis" | "ioredis" | undefined {
  if (typeof client !== "object" || client === null) return undefined;
  const c = client as Record<string, unknown>;
  if (typeof c.get !== "function" || typeof c.del !== "function") return undefined;
  // Method names of our own first: node-redis also has `setEx` (SETEX), with other arguments.
  if (typeof c.getAndTouch === "function" && typeof c.setWithTtl === "function") return "commands";
  if (typeof c.set !== "function") return undefined;
  if (typeof c.getEx === "function") return "node-redis";
  if (typeof c.getex === "function") return "ioredis";
  return undefined;
}

/**
 * The `RedisCommands` of a node-redis or ioredis client (or the object itself when it already is one).
 * Throws a `TypeError` when `client` is none of these.
 *
 * @example
 * const commands = toRedisCommands(createClient({ url: "redis://127.0.0.1:6379" }));
 */
export function toRedisCommands(client: RedisClientLike): RedisCommands {
  switch (redisClientKind(client)) {
    case "commands":
      return client as RedisCommands;
    case "node-redis": {
      const c = client as NodeRedisClientLike;
      // The `{ EX, XX }` option form is understood by node-redis v4 and v5 (v5 also has `expiration`).
      return {
        get: (key) => c.get(key) as PromiseLike<RedisStringReply>,
        getAndTouch: (key, seconds) => c.getEx(key, { EX: seconds }) as PromiseLike<RedisStringReply>,
        setWithTtl: (key, value, seconds, onlyIfExists) =>
          c.set(key, value, onlyIfExists ? { EX: seconds, XX: true } : { EX: seconds }),
        del: (key) => c.del(key),
        ...(typeof c.eval === "function" && {
          // EVAL, not EVALSHA: the script is short and Redis caches its compiled form either way, so
          // EVALSHA saved nothing measurable against it here, and it would need a NOSCRIPT fallback after a
          // SCRIPT FLUSH, a restart or a failover.
          compareAndSet: (key: string, expected: string, value: string, seconds: number) =>
            Promise.resolve(
              c.eval!(COMPARE_AND_SET_SCRIPT, { keys: [key], arguments: [expected, value, String(seconds)] }),
            ).then(isOne),
        }),
      };
    }
    case "ioredis": {
      const c = client as IoredisClientLike;
      return {
        get: (key) => c.get(key) as PromiseLike<RedisStringReply>,
        getAndTouch: (key, seconds) => c.getex(key, "EX", seconds) as PromiseLike<RedisStringReply>,
        setWithTtl: (key, value, seconds, onlyIfExists) =>
          onlyIfExists ? c.set(key, value, "EX", seconds, "XX") : c.set(key, value, "EX", seconds),
        del: (key) => c.del(key),
        ...(typeof c.eval === "function" && {
          compareAndSet: (key: string, expected: string, value: string, seconds: number) =>
            Promise.resolve(c.eval!(COMPARE_AND_SET_SCRIPT, 1, key, expected, value, String(seconds))).then(
              isOne,
            ),
        }),
      };
    }
    default:
      throw new TypeError(
        "expected a node-redis client (get, getEx, set, del), an ioredis client (get, getex, set, del) " +
          "or a RedisCommands object (get, getAndTouch, setWithTtl, del)",
      );
  }
}

/** The script's reply: 1 when it wrote. A number in both clients; `Number` also reads a type mapping's `"1"`. */
function isOne(reply: unknown): boolean {
  return (
    (typeof reply === "number" || typeof reply === "string" || typeof reply === "bigint") &&
    Number(reply) === 1
  );
}
