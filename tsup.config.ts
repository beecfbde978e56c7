import { defineConfig } from "tsup";

// One entry per public subpath of the `exports` map in package.json.
export const entries = {
  index: "src/index.ts",
  node: "src/adapters/node.ts",
  fetch: "src/adapters/fetch.ts",
  session: "src/session/index.ts",
  testing: "src/testing/index.ts",
  conformance: "src/testing/conformance.ts",
  redis: "src/redis/index.ts",
};

export default defineConfig({
  entry: entries,
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: true,
  treeshake: true,
  // mime@4 is ESM-only: the CommonJS build could not require() it on Node 20 before 20.19, so its table
  // (mime/lite, about 13 KB) is bundled into both builds, and mime is a devDependency (MIT; its notice is
  // kept in the bundle by the legal comment in src/middleware/content-type.ts).
  noExternal: [/^mime(\/|$)/],
});
