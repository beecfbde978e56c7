// Micro-benchmark of the cookie store's seal (src/session/seal.ts): microseconds per seal and per open
// on the node:crypto and WebCrypto backends, and per cookieStore write and read, beside a bare
// node:crypto AES-256-GCM encryption (per-call randomBytes nonce) measured in the same run.
//   npx tsx bench/seal.ts [--ms 1000]
import * as nodeCrypto from "node:crypto";
import { cookieStore } from "../src/session/cookie-store.js";
import {
  type CryptoBackend,
  type DerivedKey,
  nodeCryptoBackend,
  webCryptoBackend,
} from "../src/session/crypto-backend.js";
import { open, seal } from "../src/session/seal.js";

const msArg = process.argv.indexOf("--ms");
const budgetMs = msArg > 0 ? Number(process.argv[msArg + 1]) : 1000;
const secret = nodeCrypto.randomBytes(32);
const session = { count: 42, user: "ada" };
const payload = new TextEncoder().encode(JSON.stringify(session));
const rows: [string, number][] = [];

// Runs `op` in batches until the time budget is spent, after a warm-up of a quarter of it.
async function measure(name: string, op: () => unknown): Promise<number> {
  const run = async (ms: number) => {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < 256; i++) {
        const result = op();
        if (result instanceof Promise) await result;
      }
      n += 256;
      elapsed = performance.now() - start;
    }
    return (elapsed * 1000) / n;
  };
  await run(budgetMs / 4);
  const us = await run(budgetMs);
  rows.push([name, us]);
  return us;
}

const baseKey = Buffer.from(secret);
const baseline = await measure("baseline: createCipheriv GCM + randomBytes(12)", () => {
  const cipher = nodeCrypto.createCipheriv("aes-256-gcm", baseKey, nodeCrypto.randomBytes(12));
  const body = cipher.update(payload);
  cipher.final();
  return Buffer.concat([body, cipher.getAuthTag()]).toString("base64url");
});

for (const backend of [nodeCryptoBackend()!, webCryptoBackend()] as CryptoBackend[]) {
  const key: DerivedKey = await backend.deriveKey(secret);
  const sealed = await seal(backend, key, payload, 1_700_000_000);
  await measure(`${backend.name}: seal`, () => seal(backend, key, payload, 1_700_000_000));
  await measure(`${backend.name}: open`, () => open(backend, [key], sealed));
  const store = cookieStore({ secret, backend });
  const cookie = await store.writeSession(undefined, session);
  await measure(`${backend.name}: cookieStore.writeSession`, () => store.writeSession(cookie, session));
  await measure(`${backend.name}: cookieStore.readSession`, () => store.readSession(cookie));
}

console.log(`node ${process.version}, payload ${payload.length} bytes, ${budgetMs} ms per row`);
for (const [name, us] of rows) {
  console.log(
    `${name.padEnd(48)} ${us.toFixed(2).padStart(7)} us/op  ${(baseline / us).toFixed(2)}x baseline`,
  );
}
