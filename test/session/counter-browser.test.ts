import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { counterApp } from "../../examples/counter.js";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { chromiumAvailable, launchPersistentChromium } from "../chromium.js";

// Required in CI (.ci/run installs Chromium); elsewhere skipped, loudly, when the browser is missing.
const run = chromiumAvailable("counter-browser");

describe.runIf(run)("the counter in a real browser (headless Chromium)", () => {
  let server: RunningServer;
  let profile: string;

  beforeAll(async () => {
    server = await serve(counterApp(), { port: 0 });
    profile = await mkdtemp(join(tmpdir(), "ringlet-chromium-"));
  });

  afterAll(async () => {
    await server?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("counts up across reloads, and the HttpOnly session cookie is hidden from document.cookie", async () => {
    const context = await launchPersistentChromium(profile);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      // `localhost` as a person would type it; the server listens on 127.0.0.1.
      const url = `http://localhost:${server.port}/`;
      const texts: string[] = [];
      await page.goto(url);
      texts.push((await page.textContent("body")) ?? "");
      for (let i = 0; i < 3; i++) {
        await page.reload();
        texts.push((await page.textContent("body")) ?? "");
      }
      expect(texts).toEqual([0, 1, 2, 3].map((n) => `You accessed this page ${n} times.`));

      expect(await page.evaluate(() => document.cookie)).toBe("");
      const cookies = await context.cookies(url);
      expect(cookies).toHaveLength(1);
      expect(cookies[0]).toMatchObject({ name: "ring-session", httpOnly: true, sameSite: "Lax", path: "/" });
    } finally {
      await context.close();
    }
  });
});
