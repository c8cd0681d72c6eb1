// A printed certificate through the node's page in headless Chromium.
//
//   node certificate_page.mjs BASE_URL CERTIFICATE_PNG NOT_A_BADGE_PNG SCREENSHOT_DIR LINK_QR_PNG
//
// 1. The certificate image (from `badgemesh certificate`) is chosen in the
//    file input: the page reads its QR code (zxing-wasm, served by the node)
//    and sends the node only the code's text (`BM1:...`); the verdict is
//    valid, read from a printed certificate. The same as a JPEG (a photo).
// 2. The camera: getUserMedia is replaced by a real MediaStream of a canvas
//    that first shows a blank page (no code: the page keeps looking, and
//    sends nothing) and then the certificate, as a phone held over it
//    would. The page reads the code from the frames and shows the verdict
//    (certificate.png); no frame is ever sent.
// 3. An image without a badge, and a QR code that holds a link, each get
//    their reason, and no verdict.
// Exits non-zero on the first failure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { launch, watch } from "./chromium.mjs";

const [base, certFile, plainFile, shots, linkFile] = process.argv.slice(2);
if (!linkFile) {
  console.error("usage: node certificate_page.mjs BASE_URL CERTIFICATE_PNG NOT_A_BADGE_PNG SCREENSHOT_DIR LINK_QR_PNG");
  process.exit(2);
}

const TIMEOUT = 20_000;
const { context, close } = await launch({ width: 1100, height: 900 });

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
    // Counts the page's QR reads (the vendored reader is a global).
    window.__reads = 0;
    let zx;
    Object.defineProperty(window, "ZXingWASM", {
      configurable: true,
      get: () => zx,
      set: (v) => {
        const read = v.readBarcodes;
        v.readBarcodes = (...args) => {
          window.__reads += 1;
          return read(...args);
        };
        zx = v;
      },
    });
    window.__jpeg = async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const c = document.createElement("canvas");
      c.width = bitmap.width;
      c.height = bitmap.height;
      c.getContext("2d").drawImage(bitmap, 0, 0);
      const blob = await new Promise((resolve) => c.toBlob(resolve, "image/jpeg", 0.85));
      const buf = new Uint8Array(await blob.arrayBuffer());
      let bin = "";
      for (const b of buf) bin += String.fromCharCode(b);
      return btoa(bin);
    };
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
  watch(page, problems, { allowed: [base, "data:", "blob:"] });

  // What the page sends the node to verify.
  const sent = [];
  page.on("request", (r) => {
    if (r.url().includes("/v1/verify") && r.method() === "POST") sent.push(r.postDataBuffer() || Buffer.alloc(0));
  });
  const compact = (b) => b.subarray(0, 4).toString("latin1") === "BM1:";

  assert.equal((await page.goto(`${base}/`)).status(), 200);
  const verdict = page.locator("#verdict");
  const b64 = readFileSync(certFile).toString("base64");

  // 1. The certificate image through the file input, then as a JPEG photo.
  await page.locator("#file").setInputFiles(certFile);
  await page.locator(`#result[data-source="the QR code in ${basename(certFile)}"] #verdict[data-outcome="valid"]`).waitFor();
  assert.match(await verdict.innerText(), /Read from the QR code of a printed certificate/);
  assert.equal(await page.locator("#badge-name").innerText(), "Teamwork");
  assert.equal(sent.length, 1);
  assert.ok(compact(sent[0]), "the page sent the code's text, not the image");
  const jpeg = Buffer.from(await page.evaluate((b) => window.__jpeg(b), b64), "base64");
  await page.locator("#file").setInputFiles({ name: "photo.jpg", mimeType: "image/jpeg", buffer: jpeg });
  await page.locator(`#result[data-source="the QR code in photo.jpg"] #verdict[data-outcome="valid"]`).waitFor();
  assert.equal(sent.length, 2);
  assert.ok(compact(sent[1]));

  // 2. The camera: nothing to see at first, then the certificate.
  await page.getByRole("button", { name: "Scan a certificate with the camera" }).click();
  await page.locator("#scan:not([hidden])").waitFor();
  await page.waitForFunction(() => /Looking for a certificate/.test(document.querySelector("#status").textContent));
  // Frames without a code are read in the page and do not end the scan.
  const before = await page.evaluate(() => window.__reads);
  await page.waitForFunction((n) => window.__reads >= n + 3, before);
  assert.ok(await page.locator("#scan").isVisible(), "still scanning after frames without a code");
  assert.equal(sent.length, 2, "no frame was sent to the node");
  await page.evaluate((b) => window.__showCertificate(b), b64);
  await page.locator(`#result[data-source="the camera"] #verdict[data-outcome="valid"]`).waitFor();
  assert.ok(await page.locator("#scan").isHidden(), "the camera stops once the badge is found");
  assert.equal(await page.evaluate(() => window.__fakeCamera.opened), 1);
  assert.match(await verdict.innerText(), /Read from the QR code of a printed certificate/);
  assert.equal(sent.length, 3);
  assert.ok(compact(sent[2]), "only the code's text left the page");
  await page.screenshot({ path: join(shots, "certificate.png"), fullPage: true });

  // 3. An image with no badge at all.
  await page.locator("#file").setInputFiles(plainFile);
  await page.locator("#error:not([hidden])").waitFor();
  assert.equal(await page.locator("#error-code").innerText(), "no_badge_in_image");
  await page.locator("#file").setInputFiles(linkFile);
  await page.locator("#error-code", { hasText: "foreign_qr" }).waitFor();
  assert.match(await page.locator("#error").innerText(), /does not hold a badge/);

  assert.deepEqual(problems, []);
  console.log("browser test: a certificate's QR code read in the page from a chosen PNG, a JPEG photo and the camera (only its text sent), and an image without a badge, all as expected");
} catch (e) {
  failed = true;
  console.error("browser test FAILED:", e);
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
