import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatApp } from "../../../examples/chat.js";
import { type RunningServer, serve } from "../../../src/adapters/node.js";
import { chromiumAvailable, launchPersistentChromium } from "../../chromium.js";

// Required in CI (.ci/run installs Chromium); elsewhere skipped, loudly, when the browser is missing.
const run = chromiumAvailable("websocket-browser");

describe.runIf(run)("WebSockets in a real browser (headless Chromium)", () => {
  let app: RunningServer;
  let other: RunningServer;
  let profile: string;
  const reports: Array<{ error: unknown; kind: string }> = [];

  beforeAll(async () => {
    app = await serve(chatApp(), {
      port: 0,
      onError: (error, _request, info) => void reports.push({ error, kind: info.kind }),
    });
    // Another origin on another loopback port: same site as the app (ports do not count for sites), so the
    // browser sends the app's SameSite=Lax cookie with the handshake; only the Origin check stops it.
    other = await serve(
      () => ({
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8" },
        body: `<!doctype html><script>
          window.events = [];
          const socket = new WebSocket("ws://localhost:${app.port}/chat");
          socket.onopen = () => events.push("open");
          socket.onmessage = (event) => events.push("message " + event.data);
          socket.onerror = () => events.push("error");
          socket.onclose = (event) => events.push("close " + event.code);
        </script>`,
      }),
      { port: 0 },
    );
    profile = await mkdtemp(join(tmpdir(), "ringlet-chromium-"));
  });

  afterAll(async () => {
    await app?.close();
    await other?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("chats from a same-origin page, and refuses the cross-origin page with 403", async () => {
    const context = await launchPersistentChromium(profile);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const base = `http://localhost:${app.port}`;
      await page.goto(`${base}/login?user=alice`);
      expect(await page.textContent("body")).toBe("hello alice");
      await page.goto(`${base}/`);
      await page.waitForSelector("li:has-text('welcome alice')");
      await page.fill("#text", "hi from Chromium");
      await page.click("button");
      await page.waitForSelector("li:has-text('alice: hi from Chromium')");

      const evil = await context.newPage();
      await evil.goto(`http://localhost:${other.port}/`);
      await evil.waitForFunction(() => (window as unknown as { events: string[] }).events.length >= 2);
      const events = await evil.evaluate(() => (window as unknown as { events: string[] }).events);
      expect(events).toEqual(["error", "close 1006"]);
      const refused = reports.filter((r) => r.kind === "client-error").map((r) => String(r.error));
      expect(refused).toEqual([
        `HttpError: WebSocket origin "http://localhost:${other.port}" is not allowed`,
      ]);
      // The same-origin page is still connected.
      expect(await page.locator("li", { hasText: "closed" }).count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 30000);
});
