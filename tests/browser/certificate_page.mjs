// A printed certificate through the node's page in headless Chromium.
//
//   node certificate_page.mjs BASE_URL CERTIFICATE_PNG NOT_A_BADGE_PNG SCREENSHOT_DIR
//
// 1. The certificate image (from `badgemesh certificate`) is chosen in the
//    file input: the node reads its QR code and the page says valid, read
//    from a printed certificate.
// 2. The camera: getUserMedia is replaced by a real MediaStream of a canvas
//    that first shows a blank page (no code: the page keeps looking) and
//    then the certificate, as a phone held over it would. The page sends
//    frames to the node until it finds the badge and shows the verdict
//    (certificate.png).
// 3. An image without a badge gets its reason, and no verdict.
// Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { chromium } from "playwright-core";

const [base, certFile, plainFile, shots] = process.argv.slice(2);
if (!shots) {
  console.error("usage: node certificate_page.mjs BASE_URL CERTIFICATE_PNG NOT_A_BADGE_PNG SCREENSHOT_DIR");
  process.exit(2);
}

const TIMEOUT = 20_000;
const profile = mkdtempSync(join(tmpdir(), "badgemesh-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 1100, height: 900 },
  timeout: 60_000,
});

const problems = [];
let failed = false;
try {
  // The fake camera: a canvas stream that shows a blank frame until the
  // test hands it the certificate's bytes.
  await context.addInitScript(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 1240;
    canvas.height = 1754;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    window.__fakeCamera = { opened: 0 };
    window.__showCertificate = async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    };
    navigator.mediaDevices.getUserMedia = async () => {
      window.__fakeCamera.opened += 1;
      const stream = canvas.captureStream(10);
      // captureStream sends a frame only when the canvas changes: keep it
      // ticking like a live camera.
      const tick = setInterval(() => {
        ctx.fillStyle = "rgba(255,255,255,0.01)";
        ctx.fillRect(0, 0, 1, 1);
      }, 100);
      stream.getTracks()[0].addEventListener("ended", () => clearInterval(tick));
      return stream;
    };
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) {
      problems.push(`external request: ${r.url()}`);
    }
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

  assert.equal((await page.goto(`${base}/`)).status(), 200);
  const verdict = page.locator("#verdict");

  // 1. The certificate image through the file input.
  await page.locator("#file").setInputFiles(certFile);
  await page.locator(`#result[data-source="${basename(certFile)}"] #verdict[data-outcome="valid"]`).waitFor();
  assert.match(await verdict.innerText(), /Read from the QR code of a printed certificate/);
  assert.equal(await page.locator("#badge-name").innerText(), "Teamwork");

  // 2. The camera: nothing to see at first, then the certificate.
  await page.getByRole("button", { name: "Scan a certificate with the camera" }).click();
  await page.locator("#scan:not([hidden])").waitFor();
  await page.waitForFunction(() => /Looking for a certificate/.test(document.querySelector("#status").textContent));
  // Two requests for blank frames answered "no badge in image" must not end the scan.
  let blank = 0;
  await page.waitForResponse(async (r) => {
    if (!r.url().endsWith("/v1/verify") || r.status() !== 400) return false;
    const body = await r.json();
    assert.equal(body.error, "no_badge_in_image");
    return ++blank >= 2;
  });
  assert.ok(await page.locator("#scan").isVisible(), "still scanning after frames without a code");
  const b64 = readFileSync(certFile).toString("base64");
  await page.evaluate((b) => window.__showCertificate(b), b64);
  await page.locator(`#result[data-source="the camera"] #verdict[data-outcome="valid"]`).waitFor();
  assert.ok(await page.locator("#scan").isHidden(), "the camera stops once the badge is found");
  assert.equal(await page.evaluate(() => window.__fakeCamera.opened), 1);
  assert.match(await verdict.innerText(), /Read from the QR code of a printed certificate/);
  await page.screenshot({ path: join(shots, "certificate.png"), fullPage: true });

  // 3. An image with no badge at all.
  await page.locator("#file").setInputFiles(plainFile);
  await page.locator("#error:not([hidden])").waitFor();
  assert.equal(await page.locator("#error-code").innerText(), "no_badge_in_image");

  assert.deepEqual(problems, []);
  console.log("browser test: a certificate's QR code read from a chosen image and from the camera, and an image without a badge, all as expected");
} catch (e) {
  failed = true;
  console.error("browser test FAILED:", e);
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
