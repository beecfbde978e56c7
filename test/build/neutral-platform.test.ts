import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";

// The entries that must run on Deno, Bun, Workers and browsers: bundled for esbuild's "neutral" platform
// (no Node built-ins assumed) with their dependencies (zod, cookie) inlined, so a `node:` import anywhere
// in what they pull in fails the build. A runtime lookup such as `process.getBuiltinModule("node:crypto")`
// is a property access, not an import, and is allowed.
const root = fileURLToPath(new URL("../../", import.meta.url));
const ENTRIES = {
  ringlet: "src/index.ts",
  "ringlet/session": "src/session/index.ts",
  "ringlet/fetch": "src/adapters/fetch.ts",
};

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Records every import of a Node built-in (`node:fs`, `fs`, `fs/promises`, ...) with its importer. */
function recordNodeImports(found: string[]): Plugin {
  return {
    name: "record-node-imports",
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.path.startsWith("node:") || builtins.has(args.path)) {
          found.push(`${args.path} (imported by ${args.importer.replace(root, "")})`);
          return { path: args.path, external: true };
        }
        return undefined;
      });
    },
  };
}

// Each entry is bundled once for the whole file (esbuild takes a second or more per entry on a busy machine).
const bundles = new Map<string, Promise<{ nodeImports: string[]; code: string }>>();
function bundle(entry: string): Promise<{ nodeImports: string[]; code: string }> {
  let result = bundles.get(entry);
  if (result === undefined) {
    result = bundleFresh(entry);
    bundles.set(entry, result);
  }
  return result;
}

async function bundleFresh(entry: string): Promise<{ nodeImports: string[]; code: string }> {
  const nodeImports: string[] = [];
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "neutral",
    format: "esm",
    // "neutral" sets no main fields or conditions: name what a browser-like runtime resolves.
    mainFields: ["module", "main"],
    conditions: ["import", "module", "default"],
    logLevel: "silent",
    plugins: [recordNodeImports(nodeImports)],
  });
  return { nodeImports, code: result.outputFiles[0]!.text };
}

describe("builds for a browser-like platform", () => {
  for (const [name, entry] of Object.entries(ENTRIES)) {
    it(`${name} (${entry}) bundles for platform "neutral" with no node: import`, async () => {
      const { nodeImports, code } = await bundle(entry);
      expect(nodeImports).toEqual([]);
      expect(code.length).toBeGreaterThan(0);
    });
  }

  it("ringlet/session includes the cookie store's node:crypto lookup as a run-time property access only", async () => {
    const { nodeImports, code } = await bundle(ENTRIES["ringlet/session"]);
    expect(nodeImports).toEqual([]);
    // cookieStore picks node:crypto when the runtime offers it and WebCrypto otherwise (src/session/cookie-store/crypto-backend.ts).
    expect(code).toContain("getBuiltinModule");
    expect(code).toContain("cookieStore");
  });

  it("the recorder catches a node: import and a bare built-in, so the checks above can fail", async () => {
    const found: string[] = [];
    await build({
      stdin: {
        contents: 'import "node:crypto"; import { readFile } from "fs"; export { readFile };',
        loader: "ts",
      },
      bundle: true,
      write: false,
      platform: "neutral",
      logLevel: "silent",
      plugins: [recordNodeImports(found)],
    });
    expect(found).toEqual(["node:crypto (imported by <stdin>)", "fs (imported by <stdin>)"]);
  });
});
