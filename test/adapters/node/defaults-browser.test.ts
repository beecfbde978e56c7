// wrapDefaults(siteDefaults + a static folder) in a real browser (headless Chromium): a page loads its CSS and
// image from the folder, uploads a file through a multipart form carrying the anti-forgery field, and on
// reload gets 304s for the CSS and the image (the folder's files are served with `Cache-Control: no-cache`,
// so Chromium revalidates them on every use).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningServer,
  serve,
  siteDefaults,
  type UploadedFile,
  wrapDefaults,
} from "../../../src/adapters/node.js";
import { notFound, text } from "../../../src/core/response.js";
import { andThen, type Handler } from "../../../src/core/types.js";
import { antiForgeryField } from "../../../src/session/anti-forgery.js";
import { chromiumAvailable, launchChromium } from "../../chromium.js";

// Required in CI (.ci/run installs Chromium); elsewhere skipped, loudly, when the browser is missing.
const run = chromiumAvailable("defaults-browser");

// A 1x1 PNG, so the <img> really decodes.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
const CSS = "body { color: rgb(1, 2, 3); }\n";

describe.runIf(run)("wrapDefaults(siteDefaults) in a real browser (headless Chromium)", () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  /** What the server answered, as "status uri", in order. */
  const sent: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "ringlet-defaults-browser-"));
    mkdirSync(join(root, "img"));
    writeFileSync(join(root, "site.css"), CSS);
    writeFileSync(join(root, "img", "dot.png"), PNG);
    const app = wrapDefaults(
      (req) => {
        if (req.uri === "/" && req.method === "GET") {
          return {
            status: 200,
            // No charset here: the default charset middleware adds it.
            headers: { "content-type": "text/html" },
            body: `<!doctype html><html><head><link rel="stylesheet" href="/site.css"></head><body>
<img id="dot" src="/img/dot.png" alt="">
<form method="post" action="/upload" enctype="multipart/form-data">${antiForgeryField(req)}
<input type="file" name="file"><input name="note" value="hi"><button id="go">Upload</button></form>
</body></html>`,
          };
        }
        if (req.uri === "/upload" && req.method === "POST") {
          const file = req.params.file as UploadedFile;
          const content = readFileSync(file.path!, "utf8");
          return text(
            `uploaded ${file.filename} (${file.size} bytes, ${content}) with note ${String(req.params.note)}`,
          );
        }
        return notFound("not found");
      },
      { ...siteDefaults, files: { root, cacheControl: "no-cache" } },
    );
    const logged: Handler = (req) =>
      andThen(app(req), (res) => {
        sent.push(`${res.status} ${req.uri}`);
        return res;
      });
    server = await serve(logged, { port: 0, hostname: "127.0.0.1" });
    browser = await launchChromium();
    context = await browser.newContext();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("loads CSS and image from the folder, uploads a file with the token, and gets 304s on reload", async () => {
    const page = await context.newPage();
    const seen: string[] = [];
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname;
      if (path === "/site.css" || path === "/img/dot.png") seen.push(`${response.status()} ${path}`);
    });
    const base = `http://127.0.0.1:${server.port}`;

    const first = await page.goto(`${base}/`);
    expect(first?.status()).toBe(200);
    expect(first?.headers()["content-type"]).toBe("text/html; charset=utf-8");
    expect(first?.headers()["x-frame-options"]).toBe("SAMEORIGIN");
    await page.waitForFunction(() => (document.getElementById("dot") as HTMLImageElement).complete);
    expect(await page.evaluate(() => getComputedStyle(document.body).color)).toBe("rgb(1, 2, 3)");
    expect(await page.evaluate(() => (document.getElementById("dot") as HTMLImageElement).naturalWidth)).toBe(
      1,
    );
    expect(seen.sort()).toEqual(["200 /img/dot.png", "200 /site.css"]);

    // Reload: Chromium revalidates both with If-None-Match and is answered 304.
    seen.length = 0;
    sent.length = 0;
    await page.reload();
    await page.waitForFunction(() => (document.getElementById("dot") as HTMLImageElement).complete);
    expect(await page.evaluate(() => getComputedStyle(document.body).color)).toBe("rgb(1, 2, 3)");
    expect(sent.filter((line) => line !== "200 /").sort()).toEqual(["304 /img/dot.png", "304 /site.css"]);
    expect(seen.sort()).toEqual(["304 /img/dot.png", "304 /site.css"]);

    // Upload a file through the multipart form; the anti-forgery field rides along as a form part.
    await page.setInputFiles('input[type="file"]', {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("twelve bytes"),
    });
    const [uploaded] = await Promise.all([page.waitForNavigation(), page.click("#go")]);
    expect(uploaded?.status()).toBe(200);
    expect(await page.textContent("body")).toBe("uploaded notes.txt (12 bytes, twelve bytes) with note hi");
  });
});
