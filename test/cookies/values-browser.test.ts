// Cookie values through a real browser: what `wrapCookies` sends in Set-Cookie, headless Chromium stores and
// sends back in its Cookie header, and `request.cookies` must read exactly the strings the handler set.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { wrapCookies } from "../../src/cookies/middleware.js";
import { json, text } from "../../src/core/response.js";
import { chromiumAvailable, launchChromium } from "../chromium.js";

// Required in CI (.ci/run installs Chromium); elsewhere skipped, loudly, when the browser is missing.
const run = chromiumAvailable("values-browser");

const VALUES = [
  "v;w x",
  'say "hi", then; leave',
  "a=b; Domain=evil.example",
  "line\r\nSet-Cookie: x=y",
  "tab\there\0nul\x7fdel",
  "%41 stays %41, 100% too",
  "back\\slash",
  "é€😀 日本",
  " padded ",
  '"quoted"',
  "",
  // Seeded, so a failure is the same on every run.
  ...fc.sample(fc.string({ unit: "binary", maxLength: 12 }), { numRuns: 30, seed: 13 }),
];

describe.runIf(run)("cookie values in a real browser (headless Chromium)", () => {
  let server: RunningServer;

  beforeAll(async () => {
    const app = wrapCookies((req) => {
      if (req.uri === "/set") {
        const cookies = Object.fromEntries(VALUES.map((value, i) => [`c${i}`, { value, path: "/" }]));
        return { ...text("set"), cookies };
      }
      return json(req.cookies);
    });
    server = await serve(app, { port: 0 });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("reads back every value the handler set, byte for byte", async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const base = `http://localhost:${server.port}`;
      await page.goto(`${base}/set`);
      const read = await page.goto(`${base}/read`);
      const cookies = (await read!.json()) as Record<string, string>;
      expect(cookies).toEqual(Object.fromEntries(VALUES.map((value, i) => [`c${i}`, value])));
    } finally {
      await browser.close();
    }
  });
});
