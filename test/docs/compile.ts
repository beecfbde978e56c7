// Compiles documentation code as a reader would paste it: each file as its own module, `ringlet` and its
// subpaths standing for the package's entry points in src/. Returns the compiler's messages for those files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRIES: Record<string, string> = {
  ringlet: "src/index.js",
  "ringlet/fetch": "src/adapters/fetch.js",
  "ringlet/node": "src/adapters/node.js",
  "ringlet/session": "src/session/index.js",
  "ringlet/testing": "src/testing/index.js",
  "ringlet/conformance": "src/testing/conformance.js",
};

/** The ```ts blocks of a Markdown text, in order. */
export function tsBlocks(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** Type-checks `files` (name → source) together, as modules of a project, and returns the problems found. */
export function compile(files: Record<string, string>): string[] {
  // Under node_modules, so that zod, fast-check and vitest resolve as in a user's project.
  mkdirSync(join(ROOT, "node_modules/.cache"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "node_modules/.cache/ringlet-doc-"));
  try {
    const paths = Object.entries(files).map(([name, code]) => {
      const path = join(dir, name);
      const source = code.replace(/from "(ringlet(?:\/\w+)?)"/g, (whole, id: string) =>
        ENTRIES[id] === undefined ? whole : `from ${JSON.stringify(join(ROOT, ENTRIES[id]))}`,
      );
      writeFileSync(path, source);
      return path;
    });
    const program = ts.createProgram(paths, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      types: ["node"],
    });
    return ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file === undefined || paths.includes(d.file.fileName))
      .map((d) => {
        const where =
          d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        const name = d.file ? d.file.fileName.slice(dir.length + 1) : "";
        return `${name}${where ? `:${where.line + 1}` : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
