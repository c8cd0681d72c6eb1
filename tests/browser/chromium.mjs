// What every browser test shares: a fresh headless Chromium profile, and
// the page's problems collected as they happen: a request to anywhere but
// the allowed prefixes (the page must work offline), a console error other
// than the HTTP errors a test provokes, an uncaught exception.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

// Launches Chromium on a new profile directory (a persistent context is
// Playwright's way of passing --user-data-dir); `close` removes it.
export async function launch({ width = 1100, height = 900 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "badgemesh-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
    viewport: { width, height },
    timeout: 60_000,
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// Pushes each of `page`'s problems onto `problems`.
export function watch(page, problems, { allowed, expectedConsole = /status of 4\d\d/ }) {
  page.on("request", (r) => {
    if (!allowed.some((prefix) => r.url().startsWith(prefix))) problems.push(`external request: ${r.url()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !expectedConsole.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
}
