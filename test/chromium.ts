// Headless Debian Chromium for the browser tests, driven by playwright-core (`npx playwright install` does not
// work on this project's machines). Where Chromium is missing outside CI the tests skip with a printed line.
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** Whether the browser tests of `name` run here; prints why not when they do not. */
export function chromiumAvailable(name: string): boolean {
  const run = existsSync(CHROMIUM) || process.env.CI === "true";
  if (!run) console.log(`${name}: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`);
  return run;
}

/** A browser with a profile of its own in `profileDir` (cookies kept between pages). */
export function launchPersistentChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, args: ARGS });
}

/** A browser without a profile directory. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
