import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, serve } from "../../src/adapters/node.js";
import { notFound, response } from "../../src/core/response.js";
import type { Request } from "../../src/core/types.js";
import { type ParamsRequestKeys, wrapParams } from "../../src/middleware/params.js";
import {
  type AntiForgeryFailure,
  antiForgeryField,
  wrapAntiForgery,
} from "../../src/session/anti-forgery.js";
import { memoryStore } from "../../src/session/memory-store.js";
import { type UntypedSession, wrapSession } from "../../src/session/wrap-session.js";
import { chromiumAvailable, launchPersistentChromium } from "../chromium.js";

// Required in CI (.ci/run installs Chromium); elsewhere skipped, loudly, when the browser is missing.
const run = chromiumAvailable("anti-forgery-browser");

const html = (body: string) => ({
  status: 200,
  headers: { "content-type": "text/html; charset=utf-8" },
  body: `<!doctype html><html><body>${body}</body></html>`,
});

describe.runIf(run)("wrapAntiForgery in a real browser (headless Chromium)", () => {
  let site: RunningServer;
  let other: RunningServer;
  let profile: string;
  let context: BrowserContext;
  const failures: AntiForgeryFailure[] = [];
  /** The form the other origin serves: the site's own form, token included, posting to the site. */
  let copiedForm = "";

  beforeAll(async () => {
    const app = wrapSession(
      wrapParams(
        wrapAntiForgery<UntypedSession, Request & ParamsRequestKeys>(
          (req) => {
            if (req.uri === "/form") {
              return html(
                `<form method="post" action="/save">${antiForgeryField(req)}<input name="note" value="hi"><button id="go">Save</button></form>`,
              );
            }
            if (req.uri === "/save" && req.method === "POST") {
              const saves = Number(req.session.saves ?? 0) + 1;
              return {
                ...response(`saved ${saves}: ${String(req.formParams.note)}`),
                session: { ...req.session, saves },
              };
            }
            return notFound("");
          },
          {
            errorHandler: (_request, failure) => {
              failures.push(failure);
              return {
                status: 403,
                headers: { "content-type": "text/plain" },
                body: "Invalid anti-forgery token",
              };
            },
          },
        ),
      ),
      { store: memoryStore({ sweepInterval: 0 }) },
    );
    site = await serve(app, { port: 0 });
    other = await serve((req) => (req.uri === "/" ? html(copiedForm) : notFound("")), { port: 0 });
    profile = await mkdtemp(join(tmpdir(), "ringlet-chromium-"));
    context = await launchPersistentChromium(profile);
  });

  afterAll(async () => {
    await context?.close();
    await site?.close();
    await other?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("a form posts with its token (200); the same form from another origin is refused (403)", async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const siteUrl = `http://localhost:${site.port}`;

    await page.goto(`${siteUrl}/form`);
    const token = await page.inputValue('input[name="__anti-forgery-token"]');
    expect(token).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const [saved] = await Promise.all([page.waitForNavigation(), page.click("#go")]);
    expect(saved?.status()).toBe(200);
    expect(await page.textContent("body")).toBe("saved 1: hi");
    expect(failures).toEqual([]);

    // A page on another loopback port carries the site's form, its valid token copied in, posting to the site.
    copiedForm = `<form method="post" action="${siteUrl}/save"><input type="hidden" name="__anti-forgery-token" value="${token}"><input name="note" value="forged"><button id="go">Win a prize</button></form>`;

    // 127.0.0.1 is another site than localhost: Chromium sends Sec-Fetch-Site: cross-site (and the Lax
    // session cookie stays home).
    await page.goto(`http://127.0.0.1:${other.port}/`);
    const [crossSite] = await Promise.all([page.waitForNavigation(), page.click("#go")]);
    expect(crossSite?.status()).toBe(403);
    expect(await page.textContent("body")).toBe("Invalid anti-forgery token");
    expect(failures.map((f) => f.kind)).toEqual(["cross-site"]);

    // localhost on another port is the same site but another origin: the cookie and the token arrive, and
    // the Origin header still refuses it.
    await page.goto(`http://localhost:${other.port}/`);
    const [crossOrigin] = await Promise.all([page.waitForNavigation(), page.click("#go")]);
    expect(crossOrigin?.status()).toBe(403);
    expect(failures.map((f) => f.kind)).toEqual(["cross-site", "cross-origin"]);

    // The site's own form still works, and nothing forged was saved.
    await page.goto(`${siteUrl}/form`);
    const [again] = await Promise.all([page.waitForNavigation(), page.click("#go")]);
    expect(again?.status()).toBe(200);
    expect(await page.textContent("body")).toBe("saved 2: hi");
  });
});
