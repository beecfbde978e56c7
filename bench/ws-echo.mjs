// `node bench/ws-echo.mjs`: the WebSocket echo benchmark of issue 16. ringlet/node's WebSocket (serve +
// websocketResponse) against `ws` used directly on a node:http server, 64-byte text messages over 32
// connections, one in flight each. Each server runs pinned to one core, the load (bench/ws-echo-client.mjs)
// on the other. Every round measures ringlet, raw ws and a second raw ws (the control, which shows the
// noise) in a rotating order; the report is the median of the per-round ratios, by messages/s and by the
// server's CPU time per message (which depends far less on what else runs on the machine).
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuilt, intOption } from "./cli.mjs";
import { startServer } from "./server-process.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "32" },
    size: { type: "string", default: "64" },
    "server-cpu": { type: "string", default: "0" },
    "client-cpu": { type: "string", default: "1" },
    nice: { type: "string", default: "0" },
    "no-build": { type: "boolean", default: false },
  },
});
const rounds = intOption(values, "rounds", 1);
const nice = Number(values.nice);
const built = ensureBuilt(ROOT, ["dist/node.js", "dist/index.js"], !values["no-build"]);
if (built !== undefined) throw new Error(built);

const TARGETS = [
  { id: "ringlet", file: "ws-ringlet.mjs" },
  { id: "raw ws", file: "ws-raw.mjs" },
  { id: "raw ws (control)", file: "ws-raw.mjs" },
];

function runClient(url) {
  const command = [
    "taskset",
    "-c",
    values["client-cpu"],
    process.execPath,
    fileURLToPath(new URL("./ws-echo-client.mjs", import.meta.url)),
    `--url=${url}`,
    `--connections=${values.connections}`,
    `--size=${values.size}`,
    `--duration=${values.duration}`,
    `--warmup=${values.warmup}`,
  ];
  const [program, ...args] = nice === 0 ? command : ["nice", "-n", String(nice), ...command];
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`)),
    );
  });
}

async function measure(target) {
  const server = await startServer(target.file, { cpu: Number(values["server-cpu"]), nice });
  try {
    const url = `${server.url.replace("http", "ws")}/echo`;
    const before = server.schedstat();
    const warmupMs = Number(values.warmup) * 1000;
    // CPU time is read over the measured window only: sampled when the client's warm-up ends.
    let atStart;
    const sample = setTimeout(() => {
      atStart = server.schedstat();
    }, warmupMs + 150);
    const result = await runClient(url);
    clearTimeout(sample);
    const after = server.schedstat();
    if (result.wrong !== 0) throw new Error(`${target.id}: ${result.wrong} wrong echoes`);
    const from = atStart ?? before;
    const cpuNs = after !== undefined && from !== undefined ? after.runNs - from.runNs : Number.NaN;
    return {
      rate: result.echoes / result.seconds,
      cpuUsPerMessage: cpuNs / 1000 / result.echoes,
      busy: cpuNs / 1e9 / result.seconds,
    };
  } finally {
    await server.stop();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log(
  `ws echo: ${values.size}-byte text, ${values.connections} connections, ${rounds} rounds of ${values.warmup}+${values.duration} s, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
const rows = [];
for (let round = 0; round < rounds; round++) {
  const order = TARGETS.map((_, i) => TARGETS[(i + round) % TARGETS.length]);
  const results = {};
  for (const target of order) results[target.id] = await measure(target);
  rows.push(results);
  const r = results.ringlet;
  const raw = results["raw ws"];
  const control = results["raw ws (control)"];
  console.log(
    `round ${round + 1} (${order.map((t) => t.id).join(", ")}): ringlet ${r.rate.toFixed(0)}/s ${r.cpuUsPerMessage.toFixed(2)} µs (busy ${(r.busy * 100).toFixed(0)}%), raw ${raw.rate.toFixed(0)}/s ${raw.cpuUsPerMessage.toFixed(2)} µs (busy ${(raw.busy * 100).toFixed(0)}%), control ${control.rate.toFixed(0)}/s; ratio ${(r.rate / raw.rate).toFixed(3)}x, control ${(control.rate / raw.rate).toFixed(3)}x`,
  );
}
const ratio = median(rows.map((x) => x.ringlet.rate / x["raw ws"].rate));
const control = median(rows.map((x) => x["raw ws (control)"].rate / x["raw ws"].rate));
const cpuRatio = median(rows.map((x) => x["raw ws"].cpuUsPerMessage / x.ringlet.cpuUsPerMessage));
const cpuControl = median(
  rows.map((x) => x["raw ws"].cpuUsPerMessage / x["raw ws (control)"].cpuUsPerMessage),
);
console.log(
  `median ringlet / raw ws: ${ratio.toFixed(3)}x messages/s (control ${control.toFixed(3)}x), ${cpuRatio.toFixed(3)}x by server CPU per message (control ${cpuControl.toFixed(3)}x); goal >= 0.9x: ${ratio >= 0.9 ? "met" : "NOT met"}`,
);
