// End-to-end test of a presentation dropped on the verification page, in
// headless Chromium.
//
//   node presentation.mjs BASE_URL PRESENTATION THEIRS BADGE SCREENSHOT_DIR
//
// PRESENTATION is an earner's presentation of two badges awarded to the
// earner's did:key, made for the challenge "c-4711" and the domain
// "jobs.example"; THEIRS is one that also holds somebody else's badge;
// BADGE is a plain badge file. Opens BASE_URL/, gives the challenge and
// domain, drops each file and checks what the page shows: the holder, the
// challenge and domain, every badge with its own verdict, the
// presentation's checks; the same file with another challenge (a replay)
// or another domain is invalid and says why, as is a presentation whose
// holder is not a badge's subject; a plain badge afterwards shows as a
// badge again. Saves presentation.png and replay.png. Exits non-zero on
// the first failure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { launch, watch } from "./chromium.mjs";

const [base, presentationFile, theirsFile, badgeFile, shots] = process.argv.slice(2);
if (!shots) {
  console.error("usage: node presentation.mjs BASE_URL PRESENTATION THEIRS BADGE SCREENSHOT_DIR");
  process.exit(2);
}

const { context, close } = await launch({ width: 1100, height: 900 });

const problems = [];
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  watch(page, problems, { allowed: [base, "data:"] });
  assert.equal((await page.goto(`${base}/`)).status(), 200);

  const verdict = page.locator("#verdict");
  const row = (check) => page.locator(`#checks tr[data-check="${check}"]`);
  // Drops `bytes` as a file called `name` and waits for its verdict.
  async function drop(name, bytes, outcome) {
    await page.locator("#file").setInputFiles({ name, mimeType: "application/json", buffer: bytes });
    await page.locator(`#result[data-source="${name}"] #verdict[data-outcome="${outcome}"]`).waitFor();
  }
  const vp = readFileSync(presentationFile);

  // 1. For the challenge and domain it was made for: valid.
  await page.locator("#challenge").fill("c-4711");
  await page.locator("#domain").fill("jobs.example");
  await drop(basename(presentationFile), vp, "valid");
  assert.equal(await page.locator("#result").getAttribute("data-format"), "presentation");
  assert.equal(await verdict.locator(".verdict-word").innerText(), "VALID");
  assert.match(await verdict.innerText(), /holder signed it for this challenge and domain/);
  assert.match(await verdict.innerText(), /A presentation of 2 badges\./);
  assert.ok(await page.locator("#presentation-card").isVisible());
  assert.ok(!(await page.locator("#recipient-form").isVisible()), "no recipient field for a presentation");
  assert.ok(!(await page.locator("#result .cards").isVisible()), "no single-badge cards");
  assert.match(await page.locator("#holder").innerText(), /^did:key:z6Mk/);
  assert.equal(await page.locator("#presented-challenge").innerText(), "c-4711");
  assert.equal(await page.locator("#presented-domain").innerText(), "jobs.example");
  const items = page.locator("#presented li");
  assert.equal(await items.count(), 2);
  for (let i = 0; i < 2; i++) {
    assert.equal(await items.nth(i).getAttribute("data-outcome"), "valid");
    assert.match(await items.nth(i).innerText(), /VALID\s+Teamwork, Example Academy \(listed by Accreditation Board/);
  }
  for (const c of ["presentation_proof", "challenge", "domain", "holder_binding", "credentials"]) {
    assert.match(await row(c).locator(".check-status").innerText(), /Passed/, c);
  }
  assert.match(await row("holder_binding").innerText(), /is the subject of every credential/);
  await page.screenshot({ path: join(shots, "presentation.png"), fullPage: true });

  // 2. Replayed: another challenge, then another domain.
  await page.locator("#challenge").fill("c-0001");
  await drop("replayed.json", vp, "invalid");
  assert.equal(await verdict.locator(".verdict-word").innerText(), "INVALID");
  assert.match(await row("challenge").locator(".check-status").innerText(), /Failed/);
  assert.match(await row("challenge").innerText(), /made for challenge "c-4711", not "c-0001": a replay/);
  assert.match(await row("presentation_proof").locator(".check-status").innerText(), /Passed/);
  await page.screenshot({ path: join(shots, "replay.png"), fullPage: true });
  await page.locator("#challenge").fill("c-4711");
  await page.locator("#domain").fill("evil.example");
  await drop("elsewhere.json", vp, "invalid");
  assert.match(await row("domain").innerText(), /made for domain "jobs.example", not "evil.example"/);

  // 3. Somebody else's badge in it: the holder is not its subject.
  await page.locator("#domain").fill("jobs.example");
  await drop(basename(theirsFile), readFileSync(theirsFile), "invalid");
  assert.match(await row("holder_binding").locator(".check-status").innerText(), /Failed/);
  assert.match(await row("holder_binding").innerText(), /not to the holder/);

  // 4. Tampered: a badge's name changed inside it.
  const doc = JSON.parse(vp.toString("utf8"));
  const i = doc.verifiableCredential.findIndex((c) => typeof c.name === "string");
  doc.verifiableCredential[i].name = "Rocket Science";
  await drop("tampered-presentation.json", Buffer.from(JSON.stringify(doc)), "invalid");
  assert.match(await row("presentation_proof").innerText(), /does not verify/);

  // 5. A plain badge afterwards is shown as a badge.
  await page.locator("#file").setInputFiles(badgeFile);
  await page.locator(`#result[data-source="${basename(badgeFile)}"] #verdict[data-outcome="valid"]`).waitFor();
  assert.ok(!(await page.locator("#presentation-card").isVisible()));
  assert.ok(await page.locator("#recipient-form").isVisible());
  assert.equal(await page.locator("#badge-name").innerText(), "Teamwork");

  assert.deepEqual(problems, []);
  console.log("presentation: valid for its challenge and domain (holder, badges, checks); replayed with another challenge or domain, someone else's badge and tampered are invalid with their reasons; a badge after it shows as a badge");
} catch (e) {
  failed = true;
  console.error("presentation test FAILED:", e);
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
