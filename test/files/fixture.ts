// A site on disk for the file tests: a root with pages, a dotfile, symlinks in and out of it, and a secret
// beside it that no request may reach.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SECRET = "TOP SECRET outside the root";
export const CSS = "body { color: #333; }\n";
export const INDEX = "<h1>home</h1>";
export const SUB_INDEX = "<h1>sub</h1>";

export interface Site {
  readonly base: string;
  readonly root: string;
  readonly big: Buffer;
  remove(): void;
}

export function makeSite(): Site {
  const base = mkdtempSync(join(tmpdir(), "ringlet-files-"));
  const root = join(base, "root");
  const outside = join(base, "outside");
  mkdirSync(join(root, "sub"), { recursive: true });
  mkdirSync(join(root, "noindex"));
  mkdirSync(join(root, ".git"));
  mkdirSync(outside);
  const big = randomBytes(1024 * 1024);
  writeFileSync(join(root, "index.html"), INDEX);
  writeFileSync(join(root, "site.css"), CSS);
  writeFileSync(join(root, "big.bin"), big);
  writeFileSync(join(root, "empty.txt"), "");
  writeFileSync(join(root, "with space.txt"), "spaced");
  writeFileSync(join(root, "é.txt"), "accented");
  writeFileSync(join(root, "README"), "no extension");
  writeFileSync(join(root, ".env"), "DB_PASSWORD=hunter2");
  writeFileSync(join(root, ".git", "config"), "[core]");
  writeFileSync(join(root, "sub", "index.html"), SUB_INDEX);
  writeFileSync(join(root, "sub", "page.txt"), "sub page");
  writeFileSync(join(root, "noindex", "a.txt"), "a");
  writeFileSync(join(outside, "secret.txt"), SECRET);
  symlinkSync(join(root, "site.css"), join(root, "link-in.css"));
  symlinkSync(join(outside, "secret.txt"), join(root, "link-out.txt"));
  symlinkSync(outside, join(root, "dir-out"));
  symlinkSync(join(root, "loop-b"), join(root, "loop-a"));
  symlinkSync(join(root, "loop-a"), join(root, "loop-b"));
  return { base, root, big, remove: () => rmSync(base, { recursive: true, force: true }) };
}
