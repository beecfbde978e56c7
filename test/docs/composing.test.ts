// docs/composing.md's code blocks, each compiled as its own file: an unused @ts-expect-error fails too, so
// the mistakes the page says are compile errors must stay compile errors.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile, tsBlocks } from "./compile.js";

describe("docs/composing.md", () => {
  it("compiles, every block as its own module", () => {
    const doc = readFileSync(new URL("../../docs/composing.md", import.meta.url), "utf8");
    const blocks = tsBlocks(doc);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const files = Object.fromEntries(blocks.map((code, i) => [`block${i + 1}.ts`, code]));
    expect(compile(files)).toEqual([]);
  });
});
