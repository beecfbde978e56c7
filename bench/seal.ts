// Micro-benchmark of the cookie store's seal (src/session/cookie-store/seal.ts). Prints microseconds of CPU
// time per seal and per open on the node:crypto and WebCrypto backends and per cookieStore write and read, beside
// the same work as a bare node:crypto AES-256-GCM seal (per-call randomBytes(12) nonce, as in
// bench/servers/raw-node-aes.mjs) and as @fastify/secure-session (libsodium secretbox), all in one run.
// CPU time (process.cpuUsage, all threads) rather than wall time, so other load on the machine changes
// the numbers little; cases run in interleaved rounds and the best round counts.
//   npx tsx bench/seal.ts [--ms 300] [--rounds 5]
import * as nodeCrypto from "node:crypto";
import { createRequire } from "node:module";
import { cookieStore } from "../src/session/cookie-store/cookie-store.js";
import {
  type CryptoBackend,
  nodeCryptoBackend,
  webCryptoBackend,
} from "../src/session/cookie-store/crypto-backend.js";
import { open, seal } from "../src/session/cookie-store/seal.js";

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const budgetMs = arg("--ms", 300);
const rounds = arg("--rounds", 5);
const secret = nodeCrypto.randomBytes(32);
const session = { count: 42, user: "ada" };
const payload = new TextEncoder().encode(JSON.stringify(session));
const cases: [string, () => unknown][] = [];

// The seal and open of bench/servers/raw-node-aes.mjs.
const rawSeal = (data: unknown) => {
  const nonce = nodeCrypto.randomBytes(12);
  const cipher = nodeCrypto.createCipheriv("aes-256-gcm", secret, nonce);
  const sealed = Buffer.concat([nonce, cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
  return Buffer.concat([sealed, cipher.getAuthTag()]).toString("base64url");
};
const rawOpen = (value: string) => {
  const bytes = Buffer.from(value, "base64url");
  const decipher = nodeCrypto.createDecipheriv("aes-256-gcm", secret, bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  return JSON.parse(plain.toString("utf8"));
};
const rawCookie = rawSeal(session);
cases.push(["raw-node-aes: seal (JSON, randomBytes, GCM)", () => rawSeal(session)]);
cases.push(["raw-node-aes: open", () => rawOpen(rawCookie)]);

// The encode and decode of @fastify/secure-session 8 (its dependency sodium-native, resolved from it).
const sodium = createRequire(createRequire(import.meta.url).resolve("@fastify/secure-session"))(
  "sodium-native",
);
const sodiumSeal = (data: unknown) => {
  const nonce = Buffer.allocUnsafe(sodium.crypto_secretbox_NONCEBYTES);
  sodium.randombytes_buf(nonce);
  const msg = Buffer.from(JSON.stringify(data));
  const cipher = Buffer.allocUnsafe(msg.length + sodium.crypto_secretbox_MACBYTES);
  sodium.crypto_secretbox_easy(cipher, msg, nonce, secret);
  return `${cipher.toString("base64")};${nonce.toString("base64")}`;
};
const sodiumOpen = (cookie: string) => {
  const [text, nonceText] = cookie.split(";");
  const cipher = Buffer.from(text!, "base64");
  const msg = Buffer.allocUnsafe(cipher.length - sodium.crypto_secretbox_MACBYTES);
  if (!sodium.crypto_secretbox_open_easy(msg, cipher, Buffer.from(nonceText!, "base64"), secret)) return null;
  return JSON.parse(msg.toString());
};
const sodiumCookie = sodiumSeal(session);
cases.push(["secure-session: seal (JSON, secretbox)", () => sodiumSeal(session)]);
cases.push(["secure-session: open", () => sodiumOpen(sodiumCookie)]);

for (const backend of [nodeCryptoBackend()!, webCryptoBackend()] as CryptoBackend[]) {
  const key = await backend.deriveKey(secret);
  const sealed = await seal(backend, key, payload, 1_700_000_000);
  const store = cookieStore({ secret, backend });
  const cookie = await store.writeSession(undefined, session);
  const uncached = cookieStore({ secret, backend, cacheSize: 0 });
  cases.push(
    [`${backend.name}: seal`, () => seal(backend, key, payload, 1_700_000_000)],
    [`${backend.name}: open`, () => open(backend, [key], sealed)],
    [`${backend.name}: cookieStore.writeSession`, () => store.writeSession(cookie, session)],
    [`${backend.name}: cookieStore.readSession, cached`, () => store.readSession(cookie)],
    [`${backend.name}: cookieStore.readSession, cacheSize 0`, () => uncached.readSession(cookie)],
  );
}

// CPU microseconds per call of `op`, run for `ms` of wall time, awaiting only what is a Promise.
async function run(op: () => unknown, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 256; i++) {
      const result = op();
      if (result instanceof Promise) await result;
    }
    n += 256;
  }
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / n;
}

const best = new Map<string, number>();
for (const [, op] of cases) await run(op, budgetMs / 3); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, op] of cases)
    best.set(name, Math.min(best.get(name) ?? Infinity, await run(op, budgetMs)));
}

const pair = (a: string, b: string) => best.get(a)! + best.get(b)!;
console.log(
  `node ${process.version}, payload ${payload.length} bytes, CPU time, best of ${rounds} × ${budgetMs} ms`,
);
for (const [name, us] of best) console.log(`${name.padEnd(50)} ${us.toFixed(2).padStart(7)} us/op`);
const write = (backend: string) => `${backend}: cookieStore.writeSession`;
const ours = pair("node: cookieStore.readSession, cached", write("node"));
console.log("\nread + write per request              us/op   vs cookieStore (node, cached)");
for (const [label, us] of [
  ["cookieStore, node:crypto, cached", ours],
  [
    "cookieStore, node:crypto, cacheSize 0",
    pair("node: cookieStore.readSession, cacheSize 0", write("node")),
  ],
  ["cookieStore, WebCrypto, cached", pair("webcrypto: cookieStore.readSession, cached", write("webcrypto"))],
  [
    "cookieStore, WebCrypto, cacheSize 0",
    pair("webcrypto: cookieStore.readSession, cacheSize 0", write("webcrypto")),
  ],
  ["raw-node-aes", pair("raw-node-aes: open", "raw-node-aes: seal (JSON, randomBytes, GCM)")],
  ["@fastify/secure-session", pair("secure-session: open", "secure-session: seal (JSON, secretbox)")],
] as const) {
  console.log(`${label.padEnd(40)} ${us.toFixed(2).padStart(7)}   ${(us / ours).toFixed(2)}×`);
}
