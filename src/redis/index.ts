/**
 * `ringlet/redis`: the Redis session store, for sessions shared by several processes or machines. It takes
 * a node-redis or ioredis client the application already has; neither is a dependency of ringlet.
 */

export {
  COMPARE_AND_SET_SCRIPT,
  type IoredisClientLike,
  type NodeRedisClientLike,
  type RedisClientLike,
  type RedisCommands,
  type RedisStringReply,
  redisClientKind,
  toRedisCommands,
} from "./client.js";
export { type RedisStore, type RedisStoreOptions, RedisTimeoutError, redisStore } from "./redis-store.js";
