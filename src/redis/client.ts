/**
 * The four Redis commands the Redis store sends (GET, GETEX, SET … EX, DEL), and adapters that find them on
 * a node-redis (v4/v5) or ioredis client by shape, so ringlet depends on neither client at run time.
 */

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
}

/** What the store uses of a node-redis v4/v5 client, cluster or pool (`createClient()` from `redis`). */
export interface NodeRedisClientLike {
  get(key: string): PromiseLike<unknown>;
  getEx(key: string, options: { EX: number }): PromiseLike<unknown>;
  set(key: string, value: string, options: { EX: number; XX?: boolean }): PromiseLike<unknown>;
  del(key: string): PromiseLike<unknown>;
}

/** What the store uses of an ioredis client or cluster (`new Redis()` from `ioredis`). */
export interface IoredisClientLike {
  get(key: string): PromiseLike<unknown>;
  getex(key: string, mode: "EX", seconds: number): PromiseLike<unknown>;
  set(key: string, value: string, mode: "EX", seconds: number): PromiseLike<unknown>;
  set(key: string, value: string, mode: "EX", seconds: number, condition: "XX"): PromiseLike<unknown>;
  del(key: string): PromiseLike<unknown>;
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
      };
    }
    default:
      throw new TypeError(
        "expected a node-redis client (get, getEx, set, del), an ioredis client (get, getex, set, del) " +
          "or a RedisCommands object (get, getAndTouch, setWithTtl, del)",
      );
  }
}
