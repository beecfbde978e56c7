// Baseline for cookie sessions: raw node:http with the whole session in the cookie, opened and sealed
// again on every request with one AES-256-GCM operation each (node:crypto, random 96-bit nonce).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { parseCookie } from "cookie";

const key = randomBytes(32);

function seal(data) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  const sealed = Buffer.concat([nonce, cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
  return Buffer.concat([sealed, cipher.getAuthTag()]).toString("base64url");
}

function open(value) {
  const bytes = Buffer.from(value, "base64url");
  if (bytes.length < 12 + 16) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    return JSON.parse(plain.toString("utf8"));
  } catch {
    return undefined; // tampered, truncated or sealed under another key: a fresh session
  }
}

const server = createServer((req, res) => {
  if (req.url !== "/counter") {
    res.writeHead(404, { "content-length": 0 });
    res.end();
    return;
  }
  const header = req.headers.cookie;
  const value = header === undefined ? undefined : parseCookie(header).session;
  const session = (value === undefined ? undefined : open(value)) ?? {};
  const count = session.count ?? 0;
  const body = `count=${count}`;
  res.writeHead(200, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "set-cookie": `session=${seal({ ...session, count: count + 1 })}; Path=/; HttpOnly; SameSite=Lax`,
  });
  res.end(body);
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
