// `node bench/ws-echo.mjs`: the WebSocket echo benchmark of issue 16. ringlet/node's WebSocket (serve +
// websocketResponse) against `ws` used directly on a node:http server, 64-byte text messages over 32
// connections, one in flight each. The servers (ringlet, raw ws, a second raw ws as the control, which shows
// the noise, and raw ws doing the string work ringlet's contract asks for) run on one core, the load (bench/ws-echo-client.mjs) on the other, driving one
// server at a time in short alternating turns: head to head under the same machine load. Reported: the
// median of the per-cycle ratios of messages/s, and the servers' CPU time per message.
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureBuilt, intOption } from "./cli.mjs";
import { startServer } from "./server-process.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    turns: { type: "string", default: "20" },
    window: { type: "string", default: "0.5" },
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
  { id: "control", file: "ws-raw.mjs" },
  { id: "raw ws, strings", file: "ws-raw-strings.mjs" },
];

function runClient(urls) {
  const command = [
    "taskset",
    "-c",
    values["client-cpu"],
    process.execPath,
    fileURLToPath(new URL("./ws-echo-client.mjs", import.meta.url)),
    ...urls.map((url) => `--url=${url}`),
    `--connections=${values.connections}`,
    `--size=${values.size}`,
    `--window=${values.window}`,
    `--turns=${values.turns}`,
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One round: the three servers on one core, driven in alternating turns; per-cycle ratios and CPU/message. */
async function round(n) {
  // A different order each round, so no server always follows the same one.
  const order = TARGETS.map((_, i) => TARGETS[(i + n) % TARGETS.length]);
  const servers = [];
  try {
    for (const target of order) {
      servers.push(await startServer(target.file, { cpu: Number(values["server-cpu"]), nice }));
    }
    const urls = servers.map((server) => `${server.url.replace("http", "ws")}/echo`);
    const before = servers.map((server) => server.schedstat());
    const { turns, wrong } = await runClient(urls);
    const after = servers.map((server) => server.schedstat());
    if (wrong !== 0) throw new Error(`${wrong} wrong echoes`);
    const byId = {};
    order.forEach((target, i) => {
      const rates = turns.filter((t) => t.url === urls[i]).map((t) => t.rate);
      const messages = rates.reduce((sum, rate) => sum + rate * Number(values.window), 0);
      byId[target.id] = {
        rates,
        // Over the whole round, warm-up turns included, so a slight overestimate for every server alike.
        cpuUs:
          (after[i].runNs - before[i].runNs) /
          1000 /
          (messages * (1 + Number(values.warmup) / Number(values.turns))),
      };
    });
    const cycles = byId.ringlet.rates.length;
    const ratios = [];
    const controls = [];
    const strings = [];
    for (let c = 0; c < cycles; c++) {
      ratios.push(byId.ringlet.rates[c] / byId["raw ws"].rates[c]);
      controls.push(byId.control.rates[c] / byId["raw ws"].rates[c]);
      strings.push(byId.ringlet.rates[c] / byId["raw ws, strings"].rates[c]);
    }
    return {
      ratio: median(ratios),
      control: median(controls),
      strings: median(strings),
      cpuStrings: byId["raw ws, strings"].cpuUs / byId.ringlet.cpuUs,
      ringlet: median(byId.ringlet.rates),
      raw: median(byId["raw ws"].rates),
      cpuRatio: byId["raw ws"].cpuUs / byId.ringlet.cpuUs,
      cpuControl: byId["raw ws"].cpuUs / byId.control.cpuUs,
      ringletCpu: byId.ringlet.cpuUs,
      rawCpu: byId["raw ws"].cpuUs,
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}

console.log(
  `ws echo: ${values.size}-byte text, ${values.connections} connections, ${rounds} rounds of ${values.turns} turns of ${values.window} s per server, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
const results = [];
for (let n = 0; n < rounds; n++) {
  const r = await round(n);
  results.push(r);
  console.log(
    `round ${n + 1}: ringlet ${r.ringlet.toFixed(0)}/s, raw ws ${r.raw.toFixed(0)}/s: ${r.ratio.toFixed(3)}x (control ${r.control.toFixed(3)}x, against raw ws with strings ${r.strings.toFixed(3)}x); server CPU ${r.ringletCpu.toFixed(2)} vs ${r.rawCpu.toFixed(2)} µs/message: ${r.cpuRatio.toFixed(3)}x (control ${r.cpuControl.toFixed(3)}x, strings ${r.cpuStrings.toFixed(3)}x)`,
  );
}
const ratio = median(results.map((r) => r.ratio));
console.log(
  `median ringlet / raw ws: ${ratio.toFixed(3)}x messages/s (control ${median(results.map((r) => r.control)).toFixed(3)}x), ${median(results.map((r) => r.cpuRatio)).toFixed(3)}x by server CPU per message (control ${median(results.map((r) => r.cpuControl)).toFixed(3)}x); goal >= 0.9x: ${ratio >= 0.9 ? "met" : "NOT met"}. Against raw ws with strings: ${median(results.map((r) => r.strings)).toFixed(3)}x messages/s, ${median(results.map((r) => r.cpuStrings)).toFixed(3)}x by CPU`,
);
