// How `ringlet/redis` recognises a client by its shape (src/redis/client.ts), checked on the real client objects
// of node-redis (client, pool, cluster) and ioredis (client, cluster), none of which needs a server to be built.
// What the translated commands do in Redis is tested against the server in redis-store.test.ts.
import { Cluster, Redis } from "ioredis";
import { createClient, createClientPool, createCluster } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { type RedisCommands, redisClientKind, toRedisCommands } from "../../src/redis/client.js";

describe("redisClientKind and toRedisCommands", () => {
  const ioredis = new Redis({ lazyConnect: true });
  const ioredisCluster = new Cluster([{ host: "127.0.0.1", port: 6379 }], { lazyConnect: true });
  afterAll(() => {
    ioredis.disconnect();
    ioredisCluster.disconnect();
  });

  it.each([
    ["a node-redis client", () => createClient(), "node-redis"],
    ["a node-redis pool", () => createClientPool(), "node-redis"],
    [
      "a node-redis cluster",
      () => createCluster({ rootNodes: [{ url: "redis://127.0.0.1:6379" }] }),
      "node-redis",
    ],
    ["an ioredis client", () => ioredis, "ioredis"],
    ["an ioredis cluster", () => ioredisCluster, "ioredis"],
  ] as const)("recognises %s", (_, make, kind) => {
    const client = make();
    expect(redisClientKind(client)).toBe(kind);
    const commands = toRedisCommands(client as never);
    for (const name of ["get", "getAndTouch", "setWithTtl", "del", "compareAndSet"] as const) {
      expect(typeof commands[name]).toBe("function");
    }
  });

  it.each([
    ["a node-redis client", { get() {}, getEx() {}, set() {}, del() {} }],
    ["an ioredis client", { get() {}, getex() {}, set() {}, del() {} }],
  ])("gives no compareAndSet for %s without eval (the store is then not versioned)", (_, client) => {
    const commands = toRedisCommands(client as never);
    expect(typeof commands.getAndTouch).toBe("function");
    expect("compareAndSet" in commands).toBe(false);
  });

  it("takes a RedisCommands object as it is", () => {
    const commands: RedisCommands = {
      get: async () => null,
      getAndTouch: async () => null,
      setWithTtl: async () => "OK",
      del: async () => 1,
    };
    expect(redisClientKind(commands)).toBe("commands");
    expect(toRedisCommands(commands)).toBe(commands);
  });

  it.each([
    ["null", null],
    ["a string", "redis://127.0.0.1:6379"],
    ["a function", () => {}],
    ["an empty object", {}],
    ["an object without del", { get() {}, getEx() {}, set() {} }],
    ["an object without set", { get() {}, getEx() {}, del() {} }],
    ["an object with neither getEx nor getex", { get() {}, set() {}, del() {} }],
    ["half of RedisCommands", { get() {}, getAndTouch() {}, del() {} }],
  ])("rejects %s", (_, value) => {
    expect(redisClientKind(value)).toBeUndefined();
    expect(() => toRedisCommands(value as never)).toThrow(
      /expected a node-redis client \(get, getEx, set, del\), an ioredis client/,
    );
  });
});
