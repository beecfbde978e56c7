// The load for bench/ws-echo.mjs. It opens `--connections` WebSockets to each `--url` and drives one server
// at a time, in turns of `--window` seconds (A, B, C, A, B, C, ...): in its turn each connection of that
// server sends a `--size`-byte text message and the next one as soon as the echo arrives (one in flight per
// connection, a closed loop like wrk's); the others idle. Short alternating turns put every server under the
// same load from the rest of the machine, which drifts over seconds, so adjacent turns compare fairly.
// Prints one JSON line: the echoes of each turn after `--warmup` turns, and how many echoes were wrong.
import { parseArgs } from "node:util";
import WebSocket from "ws";

const { values } = parseArgs({
  options: {
    url: { type: "string", multiple: true },
    connections: { type: "string", default: "32" },
    size: { type: "string", default: "64" },
    window: { type: "string", default: "0.5" },
    turns: { type: "string", default: "20" },
    warmup: { type: "string", default: "2" },
  },
});
const connections = Number(values.connections);
const message = "x".repeat(Number(values.size));
const windowMs = Number(values.window) * 1000;
let wrong = 0;

const open = (url) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("open", () => resolve(ws));
    ws.on("error", reject);
  });

const sets = [];
for (const url of values.url) {
  const set = {
    url,
    active: false,
    echoes: 0,
    sockets: await Promise.all(Array.from({ length: connections }, () => open(url))),
  };
  for (const ws of set.sockets) {
    ws.on("message", (data, isBinary) => {
      if (isBinary || data.length !== message.length) wrong++;
      if (!set.active) return;
      set.echoes++;
      ws.send(message);
    });
  }
  sets.push(set);
}

const turns = [];
const total = Number(values.warmup) + Number(values.turns);
for (let turn = 0; turn < total * sets.length; turn++) {
  const set = sets[turn % sets.length];
  set.echoes = 0;
  set.active = true;
  const start = process.hrtime.bigint();
  for (const ws of set.sockets) ws.send(message);
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  set.active = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (turn >= Number(values.warmup) * sets.length) turns.push({ url: set.url, rate: set.echoes / seconds });
  // Let the last echoes of this turn come back before the next server's turn starts.
  await new Promise((resolve) => setTimeout(resolve, 20));
}
for (const set of sets) for (const ws of set.sockets) ws.terminate();
console.log(JSON.stringify({ turns, wrong }));
