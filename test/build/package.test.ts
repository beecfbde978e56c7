// The package as a user gets it: built and packed from a copy of what `files` ships, installed with
// `npm install --omit=dev` into an empty application. Checks that production installs only the runtime
// dependencies, that `ringlet/testing` loads without its optional peers, and that every relative link of the
// packed README resolves inside the package. Slow (a build, a pack and an install): one setup for the file.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  files: string[];
  dependencies: Record<string, string>;
};

let work: string;
let packed: { filename: string; files: { path: string }[] };
let app: string;

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    // The user's view: no CI switches or workspace settings of this repository leak into npm.
    env: { ...process.env, npm_config_workspaces: "false" },
  });
  return stdout;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "ringlet-package-"));
  const stage = join(work, "stage");
  mkdirSync(stage);
  cpSync(join(root, "package.json"), join(stage, "package.json"));
  for (const entry of pkg.files) {
    if (entry === "dist") continue;
    cpSync(join(root, entry), join(stage, entry), { recursive: true });
  }
  // Built into the copy, so the repository's own dist is left alone.
  await run("npx", ["tsup", "--out-dir", join(stage, "dist"), "--silent"], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [info] = JSON.parse(await npm(["pack", "--json", "--pack-destination", work], stage));
  packed = info;
  app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await npm(["install", "--omit=dev", "--prefer-offline", join(work, packed.filename)], app);
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** The relative links of a shipped Markdown file, as paths from the package root (fragments dropped). */
function relativeLinks(page: string): string[] {
  const text = readFileSync(join(app, "node_modules/ringlet", page), "utf8");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link) && !link.startsWith("#"))
    .map((link) => normalize(join(dirname(page), link.replace(/#.*$/, ""))));
}

/** Whether `path` is a file of the tarball, and is there once installed. */
function shipped(path: string): boolean {
  return (
    packed.files.some((file) => file.path === path) && existsSync(join(app, "node_modules/ringlet", path))
  );
}

describe("the packed package", () => {
  it("installs with --omit=dev only ringlet and its runtime dependencies", () => {
    const lock = JSON.parse(readFileSync(join(app, "node_modules/.package-lock.json"), "utf8")) as {
      packages: Record<string, unknown>;
    };
    const installed = Object.keys(lock.packages)
      .map((path) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length))
      .sort();
    // streamsearch: busboy's one dependency.
    expect(installed).toEqual(["ringlet", "streamsearch", ...Object.keys(pkg.dependencies)].sort());
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["busboy", "cookie", "ws", "zod"]);
  });

  it("loads ringlet/testing and runs mockRequest without fast-check or tough-cookie, and says what createClient needs", async () => {
    const script = `
      const { mockRequest, createClient } = await import("ringlet/testing");
      const req = mockRequest("GET", "/a?b=1", { cookies: { n: "v;w x" } });
      const out = { uri: req.uri, queryString: req.queryString, cookie: req.headers.cookie };
      try { createClient(() => ({ status: 200, headers: {} })); } catch (error) { out.client = error.message; }
      try { await import("ringlet/conformance"); } catch (error) { out.conformance = error.message; }
      const cjs = (await import("node:module")).createRequire(import.meta.url)("ringlet/testing");
      out.cjs = cjs.mockRequest("GET", "/").uri;
      console.log(JSON.stringify(out));
    `;
    writeFileSync(join(app, "check.mjs"), script);
    const { stdout } = await run(process.execPath, ["check.mjs"], { cwd: app });
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ uri: "/a", queryString: "b=1", cookie: "n=v%3Bw%20x", cjs: "/" });
    expect(out.client).toBe(
      "createClient needs the optional peer dependency tough-cookie: npm install -D tough-cookie",
    );
    expect(out.conformance).toMatch(/fast-check/);
  });

  it("ships every file the README links to, so the links work inside node_modules/ringlet", () => {
    const links = relativeLinks("README.md");
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter((link) => !shipped(link))).toEqual([]);
  });

  it("ships the targets of the relative links in every Markdown file it ships (docs link to each other)", () => {
    const pages = packed.files.map((file) => file.path).filter((path) => path.endsWith(".md"));
    expect(pages).toContain("docs/SPEC.md");
    const missing = pages.flatMap((page) =>
      relativeLinks(page)
        .filter((link) => !shipped(link))
        .map((link) => `${page} -> ${link}`),
    );
    expect(missing).toEqual([]);
  });
  it("carries mime's table in both builds (mime is ESM-only, so it is bundled, not installed)", async () => {
    const script = `
      import { createRequire } from "node:module";
      const require = createRequire(import.meta.url);
      const esm = await import("ringlet");
      const cjs = require("ringlet");
      const node = require("ringlet/node");
      let mime = "not installed";
      try { require.resolve("mime"); mime = "installed"; } catch {}
      console.log(JSON.stringify({
        esm: esm.contentTypeFor("/a.css"),
        cjs: cjs.contentTypeFor("/a.png"),
        wrapFile: typeof node.wrapFile,
        mime,
      }));
    `;
    writeFileSync(join(app, "mime.mjs"), script);
    const { stdout } = await run(process.execPath, ["mime.mjs"], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({
      esm: "text/css; charset=utf-8",
      cjs: "image/png",
      wrapFile: "function",
      mime: "not installed",
    });
  });

  // Last of the file: it adds tough-cookie to the application the tests above check without it.
  it("runs createClient from the ESM and the CommonJS build once tough-cookie is installed", async () => {
    await npm(["install", "--prefer-offline", "--no-save", "tough-cookie@6"], app);
    const script = `
      import { createRequire } from "node:module";
      const app = (req) => ({ status: 200, headers: { "set-cookie": "n=v%3Bw; Path=/" }, body: req.headers.cookie ?? "" });
      const bodies = [];
      for (const { createClient } of [await import("ringlet/testing"), createRequire(import.meta.url)("ringlet/testing")]) {
        const client = createClient(app);
        await client.get("/");
        bodies.push((await client.get("/")).body, client.cookie("n"));
      }
      console.log(JSON.stringify(bodies));
    `;
    writeFileSync(join(app, "client.mjs"), script);
    const { stdout } = await run(process.execPath, ["client.mjs"], { cwd: app });
    expect(JSON.parse(stdout)).toEqual(["n=v%3Bw", "v%3Bw", "n=v%3Bw", "v%3Bw"]);
  }, 120_000);
});
