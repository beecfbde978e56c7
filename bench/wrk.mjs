// Runs wrk (Debian's, pinned to one core with taskset) against a URL and parses its report:
// requests/s, latency p99, socket errors, non-2xx responses and, with bench/check.lua, the CHECK line.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The wrk script that checks every response (see bench/check.lua). */
export const CHECK_SCRIPT = fileURLToPath(new URL("./check.lua", import.meta.url));

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/**
 * Parses wrk's text report (run with --latency).
 *
 * @example
 * parseWrk("  99%    2.50ms\nRequests/sec:  12000.5\n").requestsPerSecond; // 12000.5
 */
export function parseWrk(text) {
  const number = (re) => {
    const m = re.exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  const p99 = /^\s*99(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const check = /^CHECK ok=(\d+) bad=(\d+) first=(.*)$/m.exec(text);
  return {
    requestsPerSecond: number(/^Requests\/sec:\s+([\d.]+)/m),
    requests: number(/^\s*(\d+) requests in /m),
    p99Ms: p99 === null ? undefined : Number(p99[1]) * UNIT_MS[p99[2]],
    socketErrors:
      socket === null
        ? { connect: 0, read: 0, write: 0, timeout: 0 }
        : {
            connect: Number(socket[1]),
            read: Number(socket[2]),
            write: Number(socket[3]),
            timeout: Number(socket[4]),
          },
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/) ?? 0,
    check: check === null ? undefined : { ok: Number(check[1]), bad: Number(check[2]), first: check[3] },
  };
}

/**
 * The reasons a parsed wrk run cannot be trusted: socket errors, HTTP errors, wrong responses
 * (when the check script ran), or no report at all. An empty array means the run is good.
 */
export function wrkProblems(result, { checked }) {
  const problems = [];
  if (result.requestsPerSecond === undefined || result.p99Ms === undefined) {
    problems.push("wrk printed no Requests/sec or 99% latency line");
  }
  const errors = Object.entries(result.socketErrors).filter(([, n]) => n > 0);
  if (errors.length > 0) problems.push(`socket errors: ${errors.map(([k, n]) => `${k} ${n}`).join(", ")}`);
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx/3xx responses`);
  if (checked) {
    if (result.check === undefined) problems.push("the check script printed no CHECK line");
    else if (result.check.bad > 0) {
      problems.push(`${result.check.bad} wrong responses (first: ${result.check.first})`);
    } else if (result.check.ok === 0) problems.push("no response was checked");
  }
  return problems;
}

/**
 * Runs (under `nice -n <nice>` when not 0) `taskset -c <cpu> wrk -t<threads> -c<connections> -d<duration>s --latency [-s check.lua] url [-- mode]`;
 * `script` runs another wrk Lua script instead (one that sets the request, say).
 * Resolves to the parsed report plus the raw text; rejects only when wrk cannot be started.
 */
export function runWrk(url, { cpu, nice = 0, threads, connections, duration, checkMode, script }) {
  const args = ["-c", String(cpu), "wrk", `-t${threads}`, `-c${connections}`, `-d${duration}s`];
  args.push("--latency", "--timeout", "10s");
  if (checkMode !== undefined) args.push("-s", CHECK_SCRIPT);
  else if (script !== undefined) args.push("-s", script);
  args.push(url);
  if (checkMode !== undefined) args.push("--", checkMode);
  return new Promise((resolve, reject) => {
    const [program, ...rest] =
      nice === 0 ? ["taskset", ...args] : ["nice", "-n", String(nice), "taskset", ...args];
    const child = spawn(program, rest, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const result = parseWrk(out);
      resolve({ ...result, exitCode: code, text: out });
    });
  });
}
