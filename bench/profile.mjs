// `node bench/profile.mjs <target-id>`: runs one benchmark server under `node --cpu-prof` while wrk
// loads it exactly as bench/run.mjs does, then prints the functions with the most self time (and their
// inclusive time), so a missed goal comes with the place where the time goes.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { SUITES } from "./suites.mjs";
import { runWrk, wrkProblems } from "./wrk.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Self and inclusive time per function (name, file and line) of a `.cpuprofile`, largest self first.
 *
 * @example
 * summarizeProfile(JSON.parse(readFileSync("CPU.cpuprofile", "utf8"))).slice(0, 10);
 */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith("file://") ? relative(ROOT, fileURLToPath(url)) : url;
    return `${functionName || "(anonymous)"} ${file}${file === "" ? "" : `:${lineNumber + 1}`}`;
  };
  const totals = new Map();
  const entry = (k) => {
    if (!totals.has(k)) totals.set(k, { name: k, selfUs: 0, totalUs: 0 });
    return totals.get(k);
  };
  let allUs = 0;
  for (const [id, us] of selfUs) {
    allUs += us;
    entry(key(byId.get(id))).selfUs += us;
    // Inclusive time: each function on the sampled stack, counted once per sample even if recursive.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = key(byId.get(at));
      if (!seen.has(k)) {
        seen.add(k);
        entry(k).totalUs += us;
      }
    }
  }
  return [...totals.values()]
    .map((t) => ({ ...t, selfShare: t.selfUs / allUs, totalShare: t.totalUs / allUs }))
    .sort((a, b) => b.selfUs - a.selfUs);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
      connections: { type: "string", default: "32" },
      top: { type: "string", default: "25" },
    },
  });
  const id = positionals[0];
  const found = Object.values(SUITES).flatMap((suite) =>
    suite.targets.filter((t) => t.id === id).map((target) => ({ suite, target })),
  )[0];
  if (found === undefined) throw new Error(`usage: node bench/profile.mjs <target-id>; unknown target ${id}`);
  const { suite, target } = found;
  const dir = mkdtempSync(join(tmpdir(), "ringlet-prof-"));
  // SIGTERM would kill the process before the profile is written; exiting normally writes it.
  const child = spawn(
    "taskset",
    [
      "-c",
      "0",
      process.execPath,
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      "--import",
      "data:text/javascript,process.on('SIGTERM',()=>process.exit(0))",
      join(ROOT, "bench/servers", target.file),
    ],
    { env: { ...process.env, PORT: "0", NODE_ENV: "production" }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /^READY (\d+)$/m.exec(out);
      if (m !== null) resolve(m[1]);
    });
    child.on("exit", () => reject(new Error(`${target.file} exited before it was ready`)));
  });
  const checked = target.checkScript ?? suite.checkScript;
  const url = `http://127.0.0.1:${port}${target.kind === "hello" ? "/hello" : "/counter"}`;
  const connections = Number(values.connections);
  const wrk = {
    cpu: 1,
    connections,
    threads: checked ? connections : 1,
    checkMode: checked ? target.kind : undefined,
  };
  await runWrk(url, { ...wrk, duration: Number(values.warmup) });
  const result = await runWrk(url, { ...wrk, duration: Number(values.duration) });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  const problems = wrkProblems(result, { checked });
  console.log(`${target.label}: ${result.requestsPerSecond?.toFixed(0)} req/s under the profiler`);
  if (problems.length > 0) console.log(`(the run had problems: ${problems.join("; ")})`);
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`no profile written in ${dir}`);
  const rows = summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")));
  console.log(`profile: ${join(dir, file)}\n\n  self%  total%  function`);
  for (const row of rows.slice(0, Number(values.top))) {
    const pct = (x) => `${(x * 100).toFixed(1)}`.padStart(5);
    console.log(`  ${pct(row.selfShare)}  ${pct(row.totalShare)}   ${row.name}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`profile: ${error.message}`);
    process.exitCode = 1;
  });
}
