// The files of the static suite (issue 17): a 1 KB text file and a 1 MB binary file with fixed contents,
// written under bench/results/static/ (ignored by git) by whichever process needs them first. The runner
// checks each target's answer against the same bytes.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const STATIC_ROOT = join(dirname(fileURLToPath(import.meta.url)), "results", "static");

/** The files by request path: their bytes are a function of the size alone. */
export const STATIC_FILES = { "/1k.txt": 1024, "/1m.bin": 1024 * 1024 };

export function staticBytes(size) {
  const bytes = Buffer.alloc(size);
  // A cheap deterministic sequence (xorshift32), printable for the text file.
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = size <= 1024 ? 0x61 + ((x >>> 0) % 26) : (x >>> 0) & 0xff;
  }
  return bytes;
}

/** Writes the files unless they are there with the right contents; returns the folder. */
export function ensureStaticFiles() {
  mkdirSync(STATIC_ROOT, { recursive: true });
  for (const [path, size] of Object.entries(STATIC_FILES)) {
    const file = join(STATIC_ROOT, path.slice(1));
    const want = staticBytes(size);
    let have;
    try {
      have = readFileSync(file);
    } catch {}
    if (have?.equals(want)) continue;
    // Written aside and renamed, so a server starting at the same time never serves half a file.
    const temporary = `${file}.${process.pid}`;
    writeFileSync(temporary, want);
    renameSync(temporary, file);
  }
  return STATIC_ROOT;
}
