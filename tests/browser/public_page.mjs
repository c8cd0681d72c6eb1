// End-to-end test of an earner's public collection page in headless Chromium.
//
//   node public_page.mjs BASE_URL COLLECTION VALID_FILE SCREENSHOT_DIR [SITE_DIR]
//
// (SITE_DIR is served by a plain static file server started here, as any
// web host would, on another loopback port.)
//
// COLLECTION is a published collection holding a valid badge (VALID_FILE)
// and then a revoked one, both of an issuer the node's registry lists. Opens
// BASE_URL/p/COLLECTION and checks what it shows: one card per badge with
// its verdict of now (Valid, Revoked), the badge image, the issuer in the
// words the trust check allows, Open Graph tags, a download that is the
// file as added; that the page runs no script, makes no request outside the
// node and trips nothing in its Content-Security-Policy; and that a private
// collection is a 404; that the valid badge (only) links to LinkedIn's
// Add to profile form. With SITE_DIR, the collection's static copy
// (`backpack publish`) served as plain files shows the same cards with its
// stylesheet and images beside it. Saves public.png (and static.png).
// Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:http";
import { extname, normalize } from "node:path";
import { launch, watch } from "./chromium.mjs";

const [base, collection, validFile, shots, siteDir] = process.argv.slice(2);
if (!shots) {
  console.error("usage: node public_page.mjs BASE_URL COLLECTION VALID_FILE SCREENSHOT_DIR");
  process.exit(2);
}

// A plain static file server for SITE_DIR: no headers of ours, as a web
// host would serve the copy.
let siteUrl = null;
let siteServer = null;
if (siteDir) {
  const types = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json" };
  siteServer = createServer((req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^\/+/, "") || "index.html";
    if (rel.startsWith("..")) { res.writeHead(403).end(); return; }
    try {
      const body = readFileSync(join(siteDir, rel));
      res.writeHead(200, { "Content-Type": types[extname(rel)] || "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => siteServer.listen(0, "127.0.0.1", ok));
  siteUrl = `http://127.0.0.1:${siteServer.address().port}`;
}

const { context, close } = await launch({ width: 1000, height: 900 });

const problems = [];
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  watch(page, problems, { allowed: [base, "data:", ...(siteUrl ? [siteUrl] : [])], expectedConsole: /status of 404/ });

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

  // LinkedIn's form, filled in, for the valid badge only.
  const linkedin = valid.locator('a[href^="https://www.linkedin.com/profile/add?"]');
  assert.equal(await linkedin.innerText(), "Add to profile");
  assert.match(
    await linkedin.getAttribute("href"),
    /^https:\/\/www\.linkedin\.com\/profile\/add\?startTask=CERTIFICATION_NAME&name=Teamwork&organizationName=Example%20Academy&issueYear=\d{4}&issueMonth=\d{1,2}&certId=/,
  );
  assert.equal(await revoked.locator('a[href*="linkedin.com"]').count(), 0, "none for a revoked badge");

  // The download is the file as added.
  const href = await valid.locator("a[download]").getAttribute("href");
  const file = await page.request.get(`${base}${href}`);
  assert.equal(file.status(), 200);
  assert.match(file.headers()["content-disposition"], /^attachment/);
  assert.deepEqual(Buffer.from(await file.body()), readFileSync(validFile));

  await page.screenshot({ path: join(shots, "public.png"), fullPage: true });

  const hidden = await page.goto(`${base}/p/private`);
  assert.equal(hidden.status(), 404, "a private collection is not shown");

  // The static copy (`backpack publish`), opened from the disk: the same
  // cards, its stylesheet and images beside it, nothing from elsewhere.
  if (siteDir) {
    const before = problems.length;
    const res = await page.goto(`${siteUrl}/`);
    assert.equal(res.status(), 200);
    const copy = page.locator("article.card");
    assert.equal(await copy.count(), 2);
    assert.equal(await copy.nth(0).locator(".verdict-word").innerText(), "Valid");
    assert.equal(await copy.nth(1).locator(".verdict-word").innerText(), "Revoked");
    assert.equal(await page.locator("script").count(), 0);
    for (let i = 0; i < 2; i++) {
      const img = copy.nth(i).locator("img");
      assert.ok((await img.evaluate((im) => im.naturalWidth)) > 0, "the image beside the page loaded");
    }
    const styled = await copy.nth(0).evaluate((c) => getComputedStyle(c).borderTopStyle);
    assert.notEqual(styled, "none", "app.css beside the page applies");
    const href = await copy.nth(0).locator("a[download]").getAttribute("href");
    assert.match(href, /^badges\/[0-9a-f]{12}\.badge$/);
    const file = await page.request.get(`${siteUrl}/${href}`);
    assert.deepEqual(Buffer.from(await file.body()), readFileSync(validFile));
    await page.screenshot({ path: join(shots, "static.png"), fullPage: true });
    assert.equal(problems.length, before, problems.join("\n"));
  }

  assert.deepEqual(problems, []);
  console.log("public page: two cards (valid, revoked) with images, listed issuer, download as added, LinkedIn for the valid one; no script, no outside request; private is 404; the static copy served as plain files shows the same");
} catch (e) {
  failed = true;
  console.error("public page test FAILED:", e);
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await close();
  if (siteServer) siteServer.close();
}
process.exit(failed ? 1 : 0);
