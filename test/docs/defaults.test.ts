// docs/defaults.md's code blocks, each compiled as its own module.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, tsBlocks } from "./compile.js";

describe("docs/defaults.md", () => {
  it("compiles, every block as its own module", () => {
    const doc = readFileSync(new URL("../../docs/defaults.md", import.meta.url), "utf8");
    const blocks = tsBlocks(doc);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const files = Object.fromEntries(blocks.map((code, i) => [`block${i + 1}.ts`, code]));
    expect(compile(files)).toEqual([]);
  });
});
