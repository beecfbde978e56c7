import { readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelBody } from "../../src/core/cancel-body.js";
import { FileBody } from "../../src/files/file-body.js";
import { makeSite, type Site } from "./fixture.js";

let site: Site;
beforeAll(() => {
  site = makeSite();
});
afterAll(() => site.remove());

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

// Linux: the process's open file descriptors.
const openFiles = () => readdirSync("/proc/self/fd").length;

describe("FileBody", () => {
  it("yields its range of the file, in chunks of at most 256 KiB", async () => {
    const body = new FileBody(join(site.root, "big.bin"), 1000, 300_000);
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    expect(Math.max(...chunks.map((c) => c.byteLength))).toBeLessThanOrEqual(256 * 1024);
    expect(Buffer.concat(chunks).equals(site.big.subarray(1000, 300_000))).toBe(true);
  });

  it("opens nothing until read, so a dropped body holds no file", async () => {
    const before = openFiles();
    const body = new FileBody(join(site.root, "big.bin"), 0, site.big.length);
    cancelBody(body);
    body[Symbol.asyncIterator]();
    expect(openFiles()).toBe(before);
    // And a missing file only fails once read.
    await expect(collect(new FileBody(join(site.root, "gone"), 0, 1))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("closes the file when stopped mid-way", async () => {
    const before = openFiles();
    const iterator = new FileBody(join(site.root, "big.bin"), 0, site.big.length)[Symbol.asyncIterator]();
    await iterator.next();
    expect(openFiles()).toBeGreaterThan(before);
    await iterator.return!();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(openFiles()).toBe(before);
  });

  it("fails when the file is shorter than the range it promised, and never reads past its end", async () => {
    const path = join(site.root, "shrinking.bin");
    writeFileSync(path, Buffer.alloc(1000, 1));
    const body = new FileBody(path, 0, 1000);
    truncateSync(path, 400);
    await expect(collect(body)).rejects.toThrow(/ended after 400 of 1000 bytes/);
    writeFileSync(path, Buffer.alloc(5000, 2));
    expect((await collect(new FileBody(path, 0, 1000))).length).toBe(1000);
  });

  it("an empty range yields nothing and opens nothing", async () => {
    expect((await collect(new FileBody("/no/such/file", 5, 5))).length).toBe(0);
  });
});

describe("FileBody and symlinks", () => {
  it("does not follow a symlink swapped in for the checked file (O_NOFOLLOW)", async () => {
    const { symlinkSync } = await import("node:fs");
    const link = join(site.root, "swapped.txt");
    symlinkSync(join(site.base, "outside", "secret.txt"), link);
    await expect(collect(new FileBody(link, 0, 5))).rejects.toMatchObject({ code: "ELOOP" });
  });
});
