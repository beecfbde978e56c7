// Helpers shared by the benchmark programs (run.mjs, sessions-load.mjs): integer options and building dist/
// when it is missing or older than src/ (the ringlet servers import the built package).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** An integer option of `parseArgs` values, at least `min`, or an error naming the flag. */
export function intOption(values, name, min) {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${values[name]}`);
  return n;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ once when one of `needs` (paths relative to `root`) is missing or older than src/.
 * Returns why the ringlet targets cannot run, or undefined when they can.
 */
export function ensureBuilt(root, needs, build) {
  if (needs.length === 0) return undefined;
  const paths = needs.map((file) => join(root, file));
  const stale =
    paths.some((p) => !existsSync(p)) ||
    newestMtime(join(root, "src")) > Math.min(...paths.map((p) => statSync(p).mtimeMs));
  if (!stale) return undefined;
  if (!build) return paths.every((p) => existsSync(p)) ? undefined : "dist/ is not built (--no-build)";
  process.stdout.write("dist/ is missing or older than src/: npm run build … ");
  const result = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
  if (result.status === 0) {
    console.log("done");
    return undefined;
  }
  console.log("FAILED");
  console.error(`${result.stdout}${result.stderr}`);
  return "npm run build failed (see above)";
}
