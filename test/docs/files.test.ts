// docs/files.md's code blocks, each compiled as its own file, so the examples stay true to the API.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, tsBlocks } from "./compile.js";

describe("docs/files.md", () => {
  it("compiles, every block as its own module", () => {
    const doc = readFileSync(new URL("../../docs/files.md", import.meta.url), "utf8");
    const blocks = tsBlocks(doc);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const files = Object.fromEntries(blocks.map((code, i) => [`block${i + 1}.ts`, code]));
    expect(compile(files)).toEqual([]);
  });
});
