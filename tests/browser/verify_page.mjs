// End-to-end test of the node's web page in headless Chromium.
//
//   node verify_page.mjs BASE_URL VALID REVOKED TAMPERED SCREENSHOT_DIR UNLISTED IMPERSONATION
//
// Opens BASE_URL/, uploads each badge through the file input, waits for the
// verdict (Playwright auto-waiting, no fixed sleeps), asserts what the page
// shows, and saves valid.png, revoked.png and tampered.png. Also checks the
// recipient field, dragging a file onto the drop zone, text that is not a
// badge, who vouches for the issuer (listed, unverified and impersonation:
// unverified.png, impersonation.png), and the /node view (node.png). Exits
// non-zero on
// the first failure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { launch, watch } from "./chromium.mjs";

const [base, validFile, revokedFile, tamperedFile, shots, unlistedFile, fakeFile, endorsedFile, fullFile] =
  process.argv.slice(2);
if (!fakeFile) {
  console.error("usage: node verify_page.mjs BASE_URL VALID REVOKED TAMPERED SCREENSHOT_DIR UNLISTED IMPERSONATION");
  process.exit(2);
}

const TIMEOUT = 15_000;
const { context, close } = await launch({ width: 1100, height: 900 });

const problems = [];
let failed = false;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  // The page must work offline: every request goes to the node itself, and
  // nothing is blocked by the Content-Security-Policy.
  watch(page, problems, { allowed: [base, "data:"] });

  const res = await page.goto(`${base}/`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-security-policy"], /^default-src 'self'/);
  assert.equal(res.headers()["x-content-type-options"], "nosniff");
  assert.equal(await page.title(), "Verify a badge · badgemesh");

  const verdict = page.locator("#verdict");
  const row = (check) => page.locator(`#checks tr[data-check="${check}"] .check-status`);

  // Uploads `file` and waits until the verdict for it is shown.
  async function drop(file, outcome) {
    await page.locator("#file").setInputFiles(file);
    await page.locator(`#result[data-source="${basename(file)}"] #verdict[data-outcome="${outcome}"]`).waitFor();
  }

  // 1. A valid badge.
  await drop(validFile, "valid");
  assert.equal(await verdict.locator(".verdict-word").innerText(), "VALID");
  assert.match(await verdict.getAttribute("class"), /tone-good/);
  assert.match(await verdict.innerText(), /Checked against revocation list \d+, signed (just now|\d+ \w+ ago)\./);
  assert.equal(await page.locator("#badge-name").innerText(), "Teamwork");
  assert.equal(await page.locator("#badge-description").innerText(), "Works well with others");
  assert.equal(await page.locator("#badge-criteria").innerText(), "Nominated by peers");
  assert.equal(await page.locator("#issuer-name").innerText(), "Example Academy");
  assert.equal(await page.locator("#issuer-url").innerText(), "https://academy.example");
  assert.equal(await page.locator("#issuer-url a").count(), 1, "a listed issuer's website is a link");
  const trust = page.locator("#issuer-trust");
  assert.equal(await trust.getAttribute("data-trust"), "listed");
  assert.match(await trust.innerText(), /Listed.*Example Academy \(listed by Accreditation Board, list \d+/s);
  assert.match(await row("issuer_trust").innerText(), /Passed/);
  assert.match(await page.locator("#issuer-did").innerText(), /^did:key:z6Mk/);
  assert.match(await page.locator("#issued").innerText(), /\d{4}/);
  assert.equal(await page.locator("#expires").innerText(), "No expiry date");
  assert.ok(await page.locator("#badge-image").isVisible(), "embedded badge image shown");
  for (const c of ["signature", "issuer_key", "badge_class", "revocation", "validity_period"]) {
    assert.match(await row(c).innerText(), /Passed/, c);
  }
  assert.match(await row("recipient").innerText(), /Not checked/);
  // Endorsement records the network carried: the club vouches for the badge
  // class, and withdrew its endorsement of the academy (listed as withdrawn).
  const held = page.locator("#endorsements li");
  assert.equal(await held.count(), 2);
  assert.equal(await held.nth(0).getAttribute("data-outcome"), "valid");
  assert.match(await held.nth(0).innerText(),
    /^Verified endorsement of the badge class by “Community Coding Club” \(did:key:z6Mk\w+\) \[unlisted\] on \d{4}-\d\d-\d\dT[\d:]+Z: We run our mentoring on it$/);
  assert.equal(await held.nth(1).getAttribute("data-outcome"), "revoked");
  assert.match(await held.nth(1).innerText(),
    /^Withdrawn by its endorser endorsement of the issuer by “Community Coding Club”.*: Shared workshops \(revoked by the endorser in update \d+/);
  await page.locator("#endorsements-card").screenshot({ path: join(shots, "endorsements.png") });
  // The pathway the academy declared: Teamwork and one of the club's badges
  // lead to Mentor; drawn as an SVG with an arrow from each prerequisite.
  const pathway = page.locator("#pathway-card");
  await pathway.waitFor({ state: "visible" });
  const boxes = pathway.locator("svg g[data-badge]");
  assert.equal(await boxes.count(), 3);
  const names = await pathway.locator("svg g[data-badge] text:first-of-type").allTextContents();
  assert.deepEqual([...names].sort(), ["Mentor", "Teamwork", "Teamwork"]);
  assert.equal(await pathway.locator("svg .pw-edge").count(), 2);
  assert.equal(await pathway.locator("svg .pw-goal").count(), 1, "the verified badge is highlighted");
  assert.match(await pathway.locator("svg").innerHTML(), /all of 1 · all of 1/);
  await pathway.screenshot({ path: join(shots, "pathway.png") });
  await page.screenshot({ path: join(shots, "valid.png"), fullPage: true });

  // The recipient field: the right email passes, another makes it invalid.
  await page.locator("#email").fill("ada@example.org");
  await page.getByRole("button", { name: "Check recipient" }).click();
  await page.locator("#recipient-result.ok").waitFor();
  assert.match(await page.locator("#recipient-result").innerText(), /ada@example.org is the recipient/);
  assert.match(await row("recipient").innerText(), /Passed/);
  await page.locator("#email").fill("eve@example.org");
  await page.locator("#email").press("Enter");
  await page.locator("#recipient-result.no").waitFor();
  await verdict.and(page.locator('[data-outcome="invalid"]')).waitFor();
  assert.match(await row("recipient").innerText(), /Failed/);
  await page.locator("#email").blur();

  // 2. A revoked badge.
  await drop(revokedFile, "revoked");
  assert.equal(await verdict.locator(".verdict-word").innerText(), "REVOKED");
  assert.match(await verdict.getAttribute("class"), /tone-bad/);
  assert.match(await row("revocation").innerText(), /Failed/);
  assert.match(await page.locator('#checks tr[data-check="revocation"]').innerText(), /revoked by update \d+/);
  assert.match(await row("signature").innerText(), /Passed/);
  await page.screenshot({ path: join(shots, "revoked.png"), fullPage: true });

  // 3. A tampered badge.
  await drop(tamperedFile, "invalid");
  assert.equal(await verdict.locator(".verdict-word").innerText(), "INVALID");
  assert.match(await verdict.getAttribute("class"), /tone-bad/);
  assert.match(await row("signature").innerText(), /Failed/);
  assert.match(await page.locator('#checks tr[data-check="signature"]').innerText(), /forged or tampered/);
  await page.screenshot({ path: join(shots, "tampered.png"), fullPage: true });

  // An issuer no followed registry lists: valid, but its name is a claim.
  await drop(unlistedFile, "valid");
  assert.equal(await trust.getAttribute("data-trust"), "unlisted");
  assert.match(await trust.innerText(), /Unverified.*calls itself “Community Coding Club”.*no registry you follow vouches/s);
  assert.match(await page.locator("#issuer-name").innerText(), /^“Community Coding Club” \(the name this key gives itself\)$/);
  assert.equal(await page.locator("#issuer-url a").count(), 0, "a claimed website is not a link");
  assert.match(await page.locator("#issuer-url").innerText(), /claimed, not verified/);
  await page.screenshot({ path: join(shots, "unverified.png"), fullPage: true });

  // An issuer whose name is confusable with the listed academy's.
  await drop(fakeFile, "valid");
  assert.equal(await trust.getAttribute("data-trust"), "impersonation");
  assert.match(await trust.getAttribute("class"), /trust-bad/);
  assert.match(await trust.innerText(), /Likely impersonation.*looks like Example Academy/s);
  assert.match(await row("issuer_trust").innerText(), /Failed/);
  await page.screenshot({ path: join(shots, "impersonation.png"), fullPage: true });

  // An OB 3.0 credential with two endorsements (one altered after signing)
  // and a subject naming nobody: valid, with warnings, each endorsement shown.
  await drop(endorsedFile, "valid");
  assert.ok(await page.locator("#warnings-card").isVisible(), "warnings shown");
  const warnings = await page.locator("#warnings").innerText();
  assert.match(warnings, /neither an id nor an identifier/);
  assert.match(warnings, /an endorsement of the achievement does not verify/);
  const endorsements = page.locator("#endorsements li");
  assert.equal(await endorsements.count(), 2);
  assert.equal(await endorsements.nth(0).getAttribute("data-outcome"), "valid");
  assert.match(await endorsements.nth(0).innerText(), /Verified endorsement of the achievement by “The Board”.*In good standing/);
  assert.equal(await endorsements.nth(1).getAttribute("data-outcome"), "invalid");
  assert.match(await endorsements.nth(1).innerText(), /Does not verify.*signature does not verify/);
  await page.screenshot({ path: join(shots, "endorsed.png"), fullPage: true });
  // The whole OB 3.0 data model: what the achievement and the award carry.
  await drop(fullFile, "valid");
  const more = (title) => page.locator(`#badge-more ul[data-section="${title}"]`).innerText();
  assert.match(await more("Aligned to"), /Collaboration \(Example Skills Framework SK-12\)/);
  assert.match(await more("Aligned to"), /Communication/);
  assert.match(await more("Results"), /Team project rubric: Exemplary/);
  assert.match(await more("Possible results"), /levels: Emerging, Proficient, Exemplary/);
  assert.match(await more("Credits"), /Earned: 3.*Available: 3/s);
  assert.match(await more("Activity"), /2025-09-01.*2025-12-15/s);
  assert.match(await more("Evidence"), /Bridge project: Led a team of four/);
  assert.match(await more("Related badges"), /teamwork-v1 \(version 1\)/);
  assert.match(await more("Tags"), /teamwork, projects/);
  await page.screenshot({ path: join(shots, "data-model.png"), fullPage: true });

  // The next verdict clears them (the club's badge: nobody endorses it).
  await drop(unlistedFile, "valid");
  assert.ok(await page.locator("#warnings-card").isHidden(), "no warnings for a clean badge");
  assert.ok(await page.locator("#endorsements-card").isHidden(), "no endorsements");
  // The club's badge is the other step towards the academy's Mentor.
  await page.locator("#pathway-card").waitFor({ state: "visible" });
  assert.equal(await page.locator("#pathway-card svg .pw-goal text:first-of-type").textContent(), "Teamwork");
  assert.equal(await page.locator("#pathway-card svg g[data-badge]").count(), 3);
  assert.equal(await page.locator("#badge-more ul").count(), 0, "nothing more for a plain badge");

  // Dragging a file onto the drop zone works like choosing it.
  const bytes = [...readFileSync(validFile)];
  const dt = await page.evaluateHandle((b) => {
    const t = new DataTransfer();
    t.items.add(new File([new Uint8Array(b)], "dragged.badge"));
    return t;
  }, bytes);
  await page.locator("#drop").dispatchEvent("drop", { dataTransfer: dt });
  await page.locator('#result[data-source="dragged.badge"] #verdict[data-outcome="valid"]').waitFor();

  // Something that is not a badge: the node's error, shown plainly.
  await page.locator("#paste").fill("hello, this is not a badge");
  await page.getByRole("button", { name: "Verify pasted text" }).click();
  await page.locator("#error:not([hidden])").waitFor();
  assert.equal(await page.locator("#error-code").innerText(), "unrecognised_format");
  assert.ok(await page.locator("#result").isHidden());

  // The node view.
  await page.getByRole("link", { name: "What this node knows" }).click();
  await page.locator("#issuers article.issuer").first().waitFor();
  const issuer = page.locator("#issuers article.issuer").filter({ hasText: "Example Academy" });
  assert.match(await issuer.innerText(), /Teamwork/);
  assert.match(await issuer.innerText(), /up to date: list \d+/);
  assert.match(await issuer.innerText(), /Revoked awards\s+1/);
  await page.locator("#peers table").waitFor();
  const board = page.locator(`#registries tr[data-registry]`);
  await board.first().waitFor();
  assert.match(await board.first().innerText(), /Accreditation Board.*list \d+/s);
  assert.ok((await page.locator("#peers tbody tr").count()) >= 1, "a connected peer is listed");
  await page.screenshot({ path: join(shots, "node.png"), fullPage: true });

  assert.deepEqual(problems, []);
  console.log("browser test: valid, revoked, tampered, recipient, endorsements and warnings, the whole data model, error and node view all as expected");
} catch (e) {
  failed = true;
  console.error("browser test FAILED:", e);
  if (problems.length) console.error(problems.join("\n"));
} finally {
  await close();
}
process.exit(failed ? 1 : 0);
