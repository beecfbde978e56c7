// The load for bench/ws-echo.mjs: `--connections` WebSockets to `--url`, each sending a `--size`-byte text
// message and the next one as soon as the echo arrives (one in flight per connection, a closed loop like
// wrk's). Counts echoes over `--duration` seconds after `--warmup`, checks each echo, prints one JSON line.
import { parseArgs } from "node:util";
import WebSocket from "ws";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    connections: { type: "string", default: "32" },
    size: { type: "string", default: "64" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
  },
});
const connections = Number(values.connections);
const message = "x".repeat(Number(values.size));
let counting = false;
let echoes = 0;
let wrong = 0;
const sockets = await Promise.all(
  Array.from(
    { length: connections },
    () =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(values.url);
        ws.on("open", () => resolve(ws));
        ws.on("error", reject);
      }),
  ),
);
for (const ws of sockets) {
  ws.on("message", (data, isBinary) => {
    if (isBinary || data.length !== message.length) wrong++;
    if (counting) echoes++;
    ws.send(message);
  });
  ws.send(message);
}
await new Promise((resolve) => setTimeout(resolve, Number(values.warmup) * 1000));
counting = true;
const start = process.hrtime.bigint();
await new Promise((resolve) => setTimeout(resolve, Number(values.duration) * 1000));
counting = false;
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
for (const ws of sockets) ws.terminate();
console.log(JSON.stringify({ echoes, seconds, wrong }));
