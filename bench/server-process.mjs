// Starts one benchmark server (bench/servers/*.mjs) in a child process pinned to a core, waits for
// the "READY <port>" line it prints, and stops it again.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SERVERS = fileURLToPath(new URL("./servers/", import.meta.url));

/**
 * Starts `taskset -c <cpu> node bench/servers/<file>` (under `nice -n <nice>` when not 0) with PORT=0 and
 * resolves once it is listening.
 *
 * @example
 * const server = await startServer("raw-node.mjs", { cpu: 0 });
 * await fetch(`${server.url}/hello`);
 * await server.stop();
 */
export function startServer(file, { cpu, nice = 0, timeoutMs = 20_000 }) {
  const command = ["taskset", "-c", String(cpu), process.execPath, `${SERVERS}${file}`];
  const [program, ...args] = nice === 0 ? command : ["nice", "-n", String(nice), ...command];
  const child = spawn(program, args, {
    env: { ...process.env, PORT: "0", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (reason) => {
      if (ready) return;
      stop().then(() => reject(new Error(`${file}: ${reason}\n${output.trim()}`)));
    };
    const timer = setTimeout(() => fail(`no READY line within ${timeoutMs} ms`), timeoutMs);
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const m = /^READY (\d+)$/m.exec(output);
      if (m !== null && !ready) {
        ready = true;
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${m[1]}`,
          output: () => output,
          schedstat: () => schedstat(child.pid),
          stop,
        });
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      fail(error.message);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(`exited (${signal ?? code}) before it was ready`);
    });
  });
}

/**
 * The scheduler's account of a process (Linux `schedstat` of every task in `/proc/<pid>/task`): nanoseconds its threads
 * spent running (all of them: V8's and libuv's helpers too), and nanoseconds its main thread waited,
 * runnable, for a core that something else held. Undefined where /proc is missing.
 */
export function schedstat(pid) {
  try {
    const fields = (path) => readFileSync(path, "utf8").split(" ").map(Number);
    let runNs = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        runNs += fields(`/proc/${pid}/task/${task}/schedstat`)[0];
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return { runNs, waitNs: fields(`/proc/${pid}/schedstat`)[1] };
  } catch {
    return undefined;
  }
}
