// End-to-end test of an earner's public collection page in headless Chromium.
//
//   node public_page.mjs BASE_URL COLLECTION VALID_FILE SCREENSHOT_DIR
//
// COLLECTION is a published collection holding a valid badge (VALID_FILE)
// and then a revoked one, both of an issuer the node's registry lists. Opens
// BASE_URL/p/COLLECTION and checks what it shows: one card per badge with
// its verdict of now (Valid, Revoked), the badge image, the issuer in the
// words the trust check allows, Open Graph tags, a download that is the
// file as added; that the page runs no script, makes no request outside the
// node and trips nothing in its Content-Security-Policy; and that a private
// collection is a 404. Saves public.png. Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, collection, validFile, shots] = process.argv.slice(2);
if (!shots) {
  console.error("usage: node public_page.mjs BASE_URL COLLECTION VALID_FILE SCREENSHOT_DIR");
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), "badgemesh-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1000, height: 900 },
  timeout: 60_000,
});

const problems = [];
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:")) {
      problems.push(`external request: ${r.url()}`);
    }
  });
  // A Content-Security-Policy violation is a console error.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 404/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

  const res = await page.goto(`${base}/p/${collection}`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-security-policy"], /^default-src 'none'; style-src 'self'; img-src 'self' data:/);
  assert.equal(await page.title(), `${collection}: 2 badges`);
  assert.equal(
    await page.locator('meta[property="og:title"]').getAttribute("content"),
    `${collection}: 2 badges`,
  );
  assert.match(
    await page.locator('meta[property="og:description"]').getAttribute("content"),
    /Teamwork, Teamwork/,
  );
  assert.equal(await page.locator("script").count(), 0, "no script");

  const cards = page.locator("article.card");
  assert.equal(await cards.count(), 2);
  const [valid, revoked] = [cards.nth(0), cards.nth(1)];
  assert.equal(await valid.locator(".verdict-word").innerText(), "Valid");
  assert.match(await valid.locator(".verdict").getAttribute("class"), /tone-good/);
  assert.match(await valid.locator(".verdict-text").innerText(), /Example Academy \(listed by Accreditation Board/);
  assert.match(await valid.locator(".verdict-fresh").innerText(), /Revocation checked against list \d+, signed/);
  assert.equal(await revoked.locator(".verdict-word").innerText(), "Revoked");
  assert.match(await revoked.locator(".verdict").getAttribute("class"), /tone-bad/);
  assert.match(await revoked.locator(".verdict").innerText(), /revocation: revoked by update \d+ .*awarded by mistake/);
  for (const card of [valid, revoked]) {
    assert.equal(await card.locator("h2").innerText(), "Teamwork");
    assert.match(await card.innerText(), /Nominated by peers/);
    const img = card.locator("img");
    assert.ok(await img.isVisible(), "the badge image is shown");
    assert.ok((await img.evaluate((i) => i.naturalWidth)) > 0, "and it loaded");
  }

  // The download is the file as added.
  const href = await valid.locator("a[download]").getAttribute("href");
  const file = await page.request.get(`${base}${href}`);
  assert.equal(file.status(), 200);
  assert.match(file.headers()["content-disposition"], /^attachment/);
  assert.deepEqual(Buffer.from(await file.body()), readFileSync(validFile));

  await page.screenshot({ path: join(shots, "public.png"), fullPage: true });

  const hidden = await page.goto(`${base}/p/private`);
  assert.equal(hidden.status(), 404, "a private collection is not shown");

  assert.deepEqual(problems, []);
  console.log("public page: two cards (valid, revoked) with images, listed issuer, download as added; no script, no outside request; private is 404");
} catch (e) {
  failed = true;
  console.error("public page test FAILED:", e);
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
