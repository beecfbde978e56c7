// The gate in front of the Redis tests (test/redis/redis-env.ts), run in a child process against a port where
// no Redis answers: in CI (`CI=true`) importing it fails, so the Redis tests cannot pass by being skipped;
// elsewhere they are skipped with a line that says so. Needs no Redis itself, so it runs everywhere.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REDIS_PORT, redisServerAvailable } from "./redis-env.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Import redis-env.ts in a fresh process with `env` over this one's, and print what it decided. */
function importRedisEnv(env: Record<string, string | undefined>): Promise<Outcome> {
  const script =
    'const env = await import("./test/redis/redis-env.ts");' +
    'console.log("redisUp=" + env.redisUp + " redisServerAvailable=" + env.redisServerAvailable);';
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

describe("the Redis test gate", () => {
  // A port held by a server that is not Redis, so that no other process can start one there meanwhile.
  let notRedis: Server;
  let port: string;
  beforeAll(async () => {
    // Read what the client sends (else its FIN is never seen and the socket stays), answer, and hang up.
    notRedis = createServer((socket) => socket.resume().end("-ERR this is not Redis\r\n"));
    await new Promise<void>((resolve) => notRedis.listen(0, "127.0.0.1", resolve));
    port = String((notRedis.address() as { port: number }).port);
  });
  afterAll(() => new Promise<void>((resolve) => notRedis.close(() => resolve())));

  it("fails in CI without Redis, and skips with a printed line elsewhere", async () => {
    const [ci, local] = await Promise.all([
      importRedisEnv({ CI: "true", RINGLET_TEST_REDIS_PORT: port }),
      importRedisEnv({ CI: undefined, RINGLET_TEST_REDIS_PORT: port }),
    ]);
    expect(ci.code).not.toBe(0);
    expect(ci.stderr).toContain(`Redis tests must run in CI, but no Redis answers at 127.0.0.1:${port}`);
    expect(ci.stdout).not.toContain("redisUp=");

    expect(local).toMatchObject({ code: 0, stderr: "" });
    expect(local.stdout).toBe(
      `skipping Redis tests: no Redis at 127.0.0.1:${port}\nredisUp=false redisServerAvailable=false\n`,
    );
  }, 60_000);

  it.skipIf(!redisServerAvailable)(
    "runs the Redis tests in CI when Redis answers",
    async () => {
      const ci = await importRedisEnv({ CI: "true", RINGLET_TEST_REDIS_PORT: String(REDIS_PORT) });
      expect(ci).toMatchObject({ code: 0, stdout: "redisUp=true redisServerAvailable=true\n" });
    },
    60_000,
  );
});
