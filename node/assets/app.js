// badgemesh web page: the verify view (/) and the node view (/node).
// Talks only to this node's own API. Builds the DOM with textContent, never
// innerHTML, so nothing in a badge can inject markup.
"use strict";

const MAX_BYTES = 8 * 1024 * 1024;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== undefined && c !== null) e.append(c);
  }
  return e;
}

// A link to `url` if it is an absolute http or https URL, else the text
// alone: badge data is outside input, and a `javascript:` or `data:` link
// would run or show whatever the badge's author chose when clicked.
function link(url, text) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return document.createTextNode(text);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return document.createTextNode(text);
  }
  return el("a", { href: parsed.href, rel: "noopener noreferrer" }, text);
}

function setText(id, text) {
  $(id).textContent = text;
}

// ---- time in words -------------------------------------------------------

function ago(secs) {
  if (secs === null || secs === undefined) return "at an unknown time";
  const future = secs < 0;
  let s = Math.abs(secs);
  const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  let text = "just now";
  for (const [name, size] of units) {
    if (s >= size) {
      const n = Math.floor(s / size);
      text = `${n} ${name}${n === 1 ? "" : "s"}`;
      return future ? `in ${text}` : `${text} ago`;
    }
  }
  return text;
}

function when(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return document.createTextNode(iso);
  const shown = d.toLocaleString(undefined, { dateStyle: "long", timeStyle: "short" });
  return el("time", { datetime: iso, title: iso }, shown);
}

function secsSince(iso) {
  return Math.round((Date.now() - new Date(iso).getTime()) / 1000);
}

// ---- the verify view -----------------------------------------------------

const OUTCOMES = {
  valid: { word: "VALID", icon: "✓", tone: "good",
    text: "This badge is genuine: its signature checks out and it has not been revoked. Who stands behind the issuer is shown below." },
  revoked: { word: "REVOKED", icon: "✗", tone: "bad",
    text: "The issuer has revoked this badge. It no longer counts." },
  suspended: { word: "SUSPENDED", icon: "✗", tone: "bad",
    text: "The issuer has suspended this badge. It does not count now; the issuer may lift the suspension." },
  expired: { word: "EXPIRED", icon: "✗", tone: "bad",
    text: "This badge is genuine but its validity period has ended." },
  not_yet_valid: { word: "NOT YET VALID", icon: "✗", tone: "bad",
    text: "This badge is dated in the future; it does not count yet." },
  invalid: { word: "INVALID", icon: "✗", tone: "bad",
    text: "Do not trust this badge: it is forged, has been tampered with, or was awarded to someone else." },
  indeterminate: { word: "CANNOT TELL YET", icon: "?", tone: "unsure",
    text: "This node does not know enough to decide: the issuer or badge class has not reached it yet, or its revocation data is too old. Try again after it syncs." },
};

const CHECKS = {
  signature: "Signature",
  issuer_key: "Issuer's key",
  badge_class: "Badge class",
  revocation: "Revocation",
  suspension: "Suspension",
  status: "Status",
  validity_period: "Validity period",
  recipient: "Recipient",
  issuer_trust: "Who vouches for the issuer",
  structure: "Structure",
  presentation_proof: "Holder's signature",
  challenge: "Challenge",
  domain: "Domain",
  holder_binding: "Holder is the earner",
  credentials: "Badges in it",
};

// What a presentation's outcome means: the presentation's own checks (its
// signature, the challenge and domain, the holder binding) and then the
// worst of its badges.
const PRESENTATION_OUTCOMES = {
  valid: "This presentation is genuine: its holder signed it for this challenge and domain, earned every badge in it, and every badge is valid.",
  invalid: "Do not trust this presentation: it was made for another request or verifier (a replay), tampered with, signed by someone other than its holder, or holds a badge that is not the holder's or is forged. The checks below say which.",
  revoked: "The presentation itself is genuine, but a badge in it has been revoked.",
  suspended: "The presentation itself is genuine, but a badge in it is suspended.",
  expired: "The presentation itself is genuine, but a badge in it has expired.",
  not_yet_valid: "The presentation itself is genuine, but a badge in it is not valid yet.",
  indeterminate: "This node cannot fully decide: the presentation is not signed, or a badge in it cannot be checked here yet.",
};

const STATUSES = {
  pass: ["✓", "Passed"],
  fail: ["✗", "Failed"],
  unknown: ["?", "Unknown"],
  skipped: ["–", "Not checked"],
};

// The bytes last checked, so the recipient check can send them again.
let current = null;

function freshnessText(r) {
  if (!r) return "No revocation data: this node does not know the issuer yet.";
  if (r.detail) return r.detail;
  if (r.revocation_list) return `Checked against the issuer's revocation list ${r.revocation_list}, held since ${r.held_since || "an unknown time"}.`;
  if (!r.as_of) return `No signed revocation list from this issuer yet (list ${r.seq}).`;
  let text = `Checked against revocation list ${r.seq}, signed ${ago(r.age_secs)}.`;
  if (r.head_seq !== null && r.head_seq !== undefined && r.head_seq > r.seq) {
    text += ` The issuer has announced list ${r.head_seq}; this node is still catching up.`;
  }
  return text;
}

function recipientText(data) {
  const r = data.recipient;
  if (typeof r === "string" && r) return r;
  if (r && typeof r === "object") {
    if (r.did) return r.did;
    if (r.type === "did" && r.id) return r.id;
    if (r.identity && !r.hashed) return r.identity;
  }
  return "A hashed email address, kept private. Enter an email below to check it.";
}

function showError(title, message, code) {
  $("result").hidden = true;
  $("error").hidden = false;
  $("error").querySelector("h2").textContent = title;
  setText("error-message", message);
  setText("error-code", code || "");
  $("error").querySelector(".error-code").hidden = !code;
  setText("status", "");
}

// One titled list in the badge card, when there is something to list.
function section(title, entries) {
  const list = entries.filter((e) => e !== null && e !== undefined && e !== "");
  if (!list.length) return [];
  return [el("h4", {}, title), el("ul", { class: "badge-list", "data-section": title }, ...list.map((e) => el("li", {}, e)))];
}

const text = (v) => (typeof v === "string" || typeof v === "number" ? String(v) : "");

// What the achievement and the award carry beyond name and criteria (OB 3.0).
function renderMore(badge, award) {
  const b = badge || {};
  const a = award || {};
  const parts = [];
  // OB 3.0 verdicts name alignment fields plainly; native badge classes
  // carry them as target_*.
  parts.push(...section("Aligned to", (b.alignments || []).map((x) => {
    const f = (k) => text(x[k] !== undefined ? x[k] : x[`target_${k}`]);
    return [f("name"), f("framework") ? ` (${f("framework")}${f("code") ? " " + f("code") : ""})` : "",
      f("url") ? ` ${f("url")}` : "", f("description") ? `: ${f("description")}` : ""].join("");
  })));
  parts.push(...section("Results", (a.results || []).map((r) =>
    [text(r.description) || "Result", ": ", text(r.level) || text(r.value) || text(r.achieved_level) || text(r.status)].join(""))));
  parts.push(...section("Possible results", (b.result_descriptions || []).map((d) =>
    [text(d.name), d.levels && d.levels.length ? ` (levels: ${d.levels.map((l) => text(l.name)).join(", ")})` : ""].join(""))));
  const credits = [];
  if (text(a.credits_earned)) credits.push(`Earned: ${text(a.credits_earned)}`);
  if (text(b.credits_available)) credits.push(`Available: ${text(b.credits_available)}`);
  parts.push(...section("Credits", credits));
  const activity = [];
  if (text(a.activity_start) || text(a.activity_end)) activity.push(`${text(a.activity_start) || "?"} to ${text(a.activity_end) || "?"}`);
  if (text(a.term)) activity.push(`Term: ${text(a.term)}`);
  if (text(a.role)) activity.push(`Role: ${text(a.role)}`);
  parts.push(...section("Activity", activity));
  parts.push(...section("Evidence", (a.evidence || []).map((e) =>
    [text(e.name), text(e.narrative) ? (text(e.name) ? ": " : "") + text(e.narrative) : "", e.url ? ` (${text(e.url)})` : ""].join(""))));
  if (text(a.narrative)) parts.push(...section("Narrative", [text(a.narrative)]));
  parts.push(...section("Related badges", (b.related || []).map((r) =>
    typeof r === "string" ? r : text(r.id) + (r.version ? ` (version ${text(r.version)})` : ""))));
  if ((b.tags || []).length) parts.push(...section("Tags", [(b.tags || []).map(text).join(", ")]));
  $("badge-more").replaceChildren(...parts);
}

function renderBadge(badge) {
  const img = $("badge-image");
  const uri = badge && badge.image && badge.image.uri;
  // Only embedded images: the page never fetches anything from elsewhere.
  if (typeof uri === "string" && uri.startsWith("data:image/")) {
    img.src = uri;
    img.alt = `Badge image: ${badge.name}`;
    img.hidden = false;
  } else {
    img.removeAttribute("src");
    img.hidden = true;
  }
  setText("badge-name", badge ? badge.name : "Unknown badge");
  setText("badge-description", badge ? badge.description : "This node has not seen this badge class yet.");
  const crit = $("badge-criteria");
  crit.replaceChildren();
  if (badge && badge.criteria) {
    if (badge.criteria.narrative) crit.append(badge.criteria.narrative);
    if (badge.criteria.url) {
      if (badge.criteria.narrative) crit.append(" ");
      crit.append(link(badge.criteria.url, "Criteria page"));
    }
  } else {
    crit.append("Not known.");
  }
}

function renderChecks(checks) {
  const body = $("checks").querySelector("tbody");
  body.replaceChildren();
  for (const c of checks || []) {
    const [icon, word] = STATUSES[c.status] || ["?", c.status];
    body.append(el("tr", { class: `check check-${c.status}`, "data-check": c.check },
      el("th", { scope: "row" }, CHECKS[c.check] || c.check),
      el("td", { class: "check-status" }, el("span", { "aria-hidden": "true" }, icon + " "), word),
      el("td", {}, c.detail)));
  }
}

function renderEndorsements(list) {
  // Embedded OB 3.0 endorsements (checked like credentials) and the
  // endorsement records this node holds (`source: network`), which can
  // also be revoked by their endorser, expired, or not decidable yet.
  const WORDS = { valid: "Verified", revoked: "Withdrawn by its endorser", expired: "Expired",
    indeterminate: "Cannot tell yet", not_yet_valid: "Not yet valid" };
  const items = (list || []).map((e) => {
    const ok = e.outcome === "valid";
    const who = e.endorser_name ? `“${e.endorser_name}” (${e.endorser || "no id"})` : (e.endorser || "an unnamed endorser");
    const about = String(e.about || "").replace(/_/g, " ");
    const trust = e.endorser_trust && e.endorser_trust.state ? ` [${e.endorser_trust.state}]` : "";
    const when = e.endorsed_at ? ` on ${e.endorsed_at}` : "";
    return el("li", { class: ok ? "endorsement-ok" : "endorsement-bad", "data-outcome": e.outcome },
      el("strong", {}, WORDS[e.outcome] || "Does not verify"),
      ` endorsement of the ${about} by ${who}${trust}${when}`,
      e.comment ? `: ${e.comment}` : "",
      ok ? "" : ` (${e.detail || e.outcome})`);
  });
  $("endorsements").replaceChildren(...items);
  $("endorsements-card").hidden = items.length === 0;
}

// ---- pathways -------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c !== undefined && c !== null) e.append(c);
  }
  return e;
}

function stepWords(step) {
  const of = (step.of || []).length;
  return step.need === of ? `all of ${of}` : `${step.need} of ${of}`;
}

function shorten(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// The graph `GET /v1/badges/{id}/pathway` answers, as an SVG: one row per
// level (what the badge leads to on top, the badge, then its prerequisites
// level by level), an arrow from each prerequisite to the badge it is a
// step towards, the step ("all of 2", "1 of 3") written under that badge.
// Text goes in with textContent, like everything on this page.
function pathwaySvg(g) {
  const W = 190, H = 44, GAP_X = 24, GAP_Y = 70, PAD = 12;
  const rows = new Map();
  for (const b of g.badges || []) {
    const row = b.depth + 1;
    if (!rows.has(row)) rows.set(row, []);
    rows.get(row).push(b);
  }
  const widest = Math.max(1, ...[...rows.values()].map((r) => r.length));
  const width = PAD * 2 + widest * W + (widest - 1) * GAP_X;
  const rowNums = [...rows.keys()].sort((a, b) => a - b);
  const height = PAD * 2 + rowNums.length * H + (rowNums.length - 1) * GAP_Y;
  const pos = new Map();
  rowNums.forEach((row, ri) => {
    const list = rows.get(row);
    const used = list.length * W + (list.length - 1) * GAP_X;
    const x0 = (width - used) / 2;
    list.forEach((b, i) => pos.set(b.id, { x: x0 + i * (W + GAP_X), y: PAD + ri * (H + GAP_Y), b }));
  });
  const root = svg("svg", {
    class: "pathway-svg", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": "Pathway graph",
  });
  root.append(svg("defs", {}, svg("marker", {
    id: "pw-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse",
  }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#1d4f91" }))));
  for (const p of g.pathways || []) {
    const to = pos.get(p.goal);
    if (!to) continue;
    (p.steps || []).forEach((step, si) => {
      for (const id of step.of || []) {
        const from = pos.get(id);
        if (!from) continue;
        const x1 = from.x + W / 2, x2 = to.x + W / 2;
        const [y1, y2] = from.y > to.y ? [from.y, to.y + H] : [from.y + H, to.y];
        root.append(svg("path", {
          class: "pw-edge", d: `M ${x1} ${y1} C ${x1} ${(y1 + y2) / 2}, ${x2} ${(y1 + y2) / 2}, ${x2} ${y2}`,
          "marker-end": "url(#pw-arrow)", "data-from": id, "data-to": p.goal,
        }, svg("title", {}, `step ${si + 1} of ${p.name || "a pathway"}: ${stepWords(step)}`)));
      }
    });
  }
  for (const { x, y, b } of pos.values()) {
    const cls = b.id === g.goal ? "pw-badge pw-goal" : (b.name ? "pw-badge" : "pw-badge pw-unknown");
    const name = b.name || "a badge class not held here";
    const group = svg("g", { class: cls, "data-badge": b.id },
      svg("title", {}, `${name} (${b.id})`),
      svg("rect", { x, y, width: W, height: H, rx: 8 }),
      svg("text", { x: x + 10, y: y + 18 }, shorten(name, 24)),
      svg("text", { x: x + 10, y: y + 35, class: "pw-step" },
        b.issuer ? `by did:key:…${String(b.issuer).slice(-8)}` : shorten(b.id, 30)));
    root.append(group);
  }
  // Under each goal, its steps.
  for (const p of g.pathways || []) {
    const to = pos.get(p.goal);
    if (!to) continue;
    const words = (p.steps || []).map(stepWords).join(" · ");
    root.append(svg("text", { x: to.x + W + 6, y: to.y + H - 4, class: "pw-step" }, shorten(words, 40)));
  }
  return root;
}

// Each verdict's graph request is numbered: an answer that arrives after a
// newer verdict was shown is dropped.
let pathwaySeq = 0;

async function renderPathway(badgeClass) {
  const seq = ++pathwaySeq;
  const card = $("pathway-card");
  card.hidden = true;
  $("pathway-graph").replaceChildren();
  $("pathway-notes").replaceChildren();
  if (typeof badgeClass !== "string" || !/^[a-z0-9]+$/.test(badgeClass)) return;
  let g;
  try {
    const res = await fetch(`/v1/badges/${badgeClass}/pathway`, { headers: { Accept: "application/json" } });
    if (!res.ok) return;
    g = await res.json();
  } catch {
    return;
  }
  if (seq !== pathwaySeq || !(g.pathways || []).length) return;
  $("pathway-graph").append(pathwaySvg(g));
  const notes = [];
  for (const c of g.cycles || []) {
    notes.push(el("li", {}, `A cycle between declared pathways (not followed): ${c.join(" requires ")}`));
  }
  if (g.truncated) notes.push(el("li", {}, "The graph is larger than shown."));
  $("pathway-notes").replaceChildren(...notes);
  card.hidden = false;
  card.dataset.badge = badgeClass;
}

function renderWarnings(warnings) {
  const list = $("warnings");
  list.replaceChildren(...(warnings || []).map((w) => el("li", {}, w)));
  $("warnings-card").hidden = !(warnings && warnings.length);
}

// A presentation: its own checks, who holds it and for what, and each
// badge it carries with its own outcome.
function renderPresentation(data, source) {
  const o = OUTCOMES[data.outcome] || OUTCOMES.indeterminate;
  const v = $("verdict");
  v.className = `verdict tone-${o.tone}`;
  v.dataset.outcome = data.outcome;
  v.querySelector(".verdict-icon").textContent = o.icon;
  v.querySelector(".verdict-word").textContent = o.word;
  v.querySelector(".verdict-text").textContent =
    PRESENTATION_OUTCOMES[data.outcome] || PRESENTATION_OUTCOMES.indeterminate;
  const n = (data.credentials || []).length;
  v.querySelector(".verdict-fresh").textContent = `A presentation of ${n} badge${n === 1 ? "" : "s"}.`;
  setText("holder", data.holder || "Not named");
  setText("presented-challenge", data.challenge || "None");
  setText("presented-domain", data.domain || "None");
  const items = (data.credentials || []).map((c, i) => {
    const co = OUTCOMES[c.outcome] || OUTCOMES.indeterminate;
    const name = (c.badge && c.badge.name) || "Unknown badge";
    const who = (c.trust && c.trust.summary) ||
      (c.issuer_name ? `signed by a key that calls itself “${c.issuer_name}”` : (c.issuer || ""));
    const li = el("li", { "data-outcome": c.outcome, "data-index": String(i + 1) },
      el("span", { class: `pill ${co.tone}` }, co.word), " ", el("strong", {}, name), who ? `, ${who}` : "");
    for (const ch of c.checks || []) {
      if (ch.status === "fail" || (ch.status === "unknown" && ch.check !== "issuer_trust")) {
        li.append(el("p", { class: "why" }, `${CHECKS[ch.check] || ch.check}: ${ch.detail}`));
      }
    }
    return li;
  });
  $("presented").replaceChildren(...items);
  $("presentation-card").hidden = false;
  pathwaySeq++;
  for (const id of ["recipient-form", "endorsements-card", "pathway-card"]) $(id).hidden = true;
  document.querySelector("#result .cards").hidden = true;
  renderChecks(data.checks);
  renderWarnings(data.warnings);
  $("error").hidden = true;
  $("result").hidden = false;
  $("result").dataset.source = source;
  $("result").dataset.format = "presentation";
  setText("status", "");
}

function renderVerdict(data, source) {
  if (data.format === "presentation") {
    renderPresentation(data, source);
    return;
  }
  $("presentation-card").hidden = true;
  $("recipient-form").hidden = false;
  document.querySelector("#result .cards").hidden = false;
  $("result").dataset.format = data.format || "";
  const o = OUTCOMES[data.outcome] || OUTCOMES.indeterminate;
  const v = $("verdict");
  v.className = `verdict tone-${o.tone}`;
  v.dataset.outcome = data.outcome;
  v.querySelector(".verdict-icon").textContent = o.icon;
  v.querySelector(".verdict-word").textContent = o.word;
  let text = o.text;
  if (data.issuer_equivocated) text += " Warning: this issuer has signed conflicting records.";
  if (data.trust && data.trust.impersonation) {
    text += " Warning: the issuer's name or website looks like that of a listed organisation it is not.";
  } else if (data.trust && data.trust.state === "delisted") {
    text += " Warning: a registry you follow has withdrawn its listing of this issuer.";
  }
  if (data.carrier === "qr" || data.carrier === "compact") text += " Read from the QR code of a printed certificate, which holds the signed badge itself.";
  v.querySelector(".verdict-text").textContent = text;
  v.querySelector(".verdict-fresh").textContent = freshnessText(data.revocation);

  renderBadge(data.badge);
  renderMore(data.badge, data.award);
  renderTrust(data);
  setText("issuer-did", data.issuer || "");
  setText("recipient", recipientText(data));
  $("issued").replaceChildren(when(data.issued_on) || "Not known");
  $("expires").replaceChildren(data.expires ? when(data.expires) : "No expiry date");
  setText("freshness", freshnessText(data.revocation));
  setText("assertion-id", data.assertion || "");
  renderChecks(data.checks);
  renderWarnings(data.warnings);
  renderEndorsements(data.endorsements);
  renderPathway(data.outcome === "invalid" ? null : data.badge_class);

  $("error").hidden = true;
  $("result").hidden = false;
  $("result").dataset.source = source;
  setText("status", "");
}

// Who issued it. A name is stated as fact only when a registry this node
// follows (or its own list) vouches for the issuer; otherwise it is the
// issuer's own claim, in quotes, and its website is not a link.
function trustTone(t) {
  if (!t) return ["unsure", "Not checked"];
  if (t.state === "listed") return ["good", "Listed"];
  if (t.impersonation) return ["bad", "Likely impersonation"];
  if (t.state === "delisted") return ["bad", "De-listed"];
  if (t.state === "stale") return ["unsure", "Listing out of date"];
  return ["unsure", "Unverified"];
}

function renderTrust(data) {
  const t = data.trust;
  const [tone, word] = trustTone(t);
  const box = $("issuer-trust");
  box.dataset.trust = t ? (t.impersonation ? "impersonation" : t.state) : "none";
  box.className = `trust trust-${tone}`;
  box.replaceChildren(el("span", { class: `pill ${tone}` }, word), " ", (t && t.summary) || "");
  for (const d of (t && t.domains) || []) {
    box.append(el("br"), `Domain ${d.origin} linked, checked ${d.checked_at} by ${d.checked_by}.`);
  }
  const claimed = data.issuer_name;
  const listed = t && t.state === "listed" && t.name;
  setText("issuer-name", listed
    ? t.name
    : claimed ? `\u201c${claimed}\u201d (the name this key gives itself)` : "Unknown issuer (not seen by this node yet)");
  const url = $("issuer-url");
  const listedLink = listed && /^https?:\/\//i.test(data.issuer_url || "");
  url.replaceChildren(!data.issuer_url ? "Not given"
    : listedLink ? link(data.issuer_url, data.issuer_url)
    : `${data.issuer_url} (claimed, not verified)`);
}

function renderRecipient(data, email) {
  const c = (data.checks || []).find((x) => x.check === "recipient");
  const out = $("recipient-result");
  out.className = "";
  if (!c || c.status === "skipped") {
    out.textContent = "";
  } else if (c.status === "pass") {
    out.className = "ok";
    out.textContent = `✓ ${email} is the recipient of this badge.`;
  } else {
    out.className = "no";
    out.textContent = `✗ ${email} is not the recipient of this badge (${c.detail}).`;
  }
}

async function verifyBytes(bytes, source, email) {
  if (bytes.byteLength > MAX_BYTES) {
    showError("This file is too large", "Badges are at most 8 MiB.", "payload_too_large");
    return;
  }
  current = { bytes, source };
  setText("status", `Checking ${source}…`);
  const query = new URLSearchParams();
  if (email) query.set("recipient", email);
  // A presentation must carry the verifier's challenge and domain; a badge
  // ignores them.
  for (const k of ["challenge", "domain"]) {
    const v = $(k).value.trim();
    if (v) query.set(k, v);
  }
  const qs = query.toString();
  const url = qs ? `/v1/verify?${qs}` : "/v1/verify";
  let res;
  let data;
  try {
    res = await fetch(url, {
      method: "POST",
      body: bytes,
      headers: { "Content-Type": "application/octet-stream" },
    });
    data = await res.json();
  } catch (e) {
    showError("The node did not answer", `Is the node still running? (${e.message})`, "");
    return;
  }
  if (!res.ok) {
    showError("This could not be checked", data.message || `The node answered ${res.status}.`, data.error);
    return;
  }
  renderVerdict(data, source);
  renderRecipient(data, email);
}

// ---- printed certificates: their QR code, read in the page ---------------
// A certificate's QR code holds the whole signed badge as text (`BM1:...`).
// The page reads it itself with zxing-wasm (ZXing-C++ as WebAssembly,
// vendored and served by this node), from a photo in any format the browser
// opens or from the camera, and sends the node only the code's text, so
// camera frames never leave the page. Without WebAssembly, the node reads
// the code from PNGs instead.
const SCAN_FOR_MS = 60_000;
const COMPACT = /^\s*BM1:/i;
let zxing = null;

function qrReader() {
  if (!window.ZXingWASM || typeof WebAssembly !== "object") return null;
  if (!zxing) {
    window.ZXingWASM.prepareZXingModule({ overrides: { locateFile: (path) => `/vendor/${path}` } });
    zxing = window.ZXingWASM;
  }
  return zxing;
}

// The badge text of the first code that holds one; "" when there are codes
// but none holds a badge; null when there is no code (or no reader).
async function readCode(input) {
  const zx = qrReader();
  if (!zx) return null;
  let results;
  try {
    results = await zx.readBarcodes(input, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 8 });
  } catch (e) {
    return null;
  }
  const valid = results.filter((r) => r.isValid);
  const ours = valid.find((r) => COMPACT.test(r.text));
  if (ours) return ours.text.trim();
  return valid.length ? "" : null;
}

function foreignCode() {
  showError(
    "This QR code does not hold a badge",
    "A badgemesh certificate's code holds the signed badge itself, as text that starts with BM1:. This one holds something else (a link, say).",
    "foreign_qr",
  );
}

async function verifyFile(file) {
  if (!file) return;
  $("email").value = "";
  // A photo or a scan of a certificate: its code is read here. An image
  // without a code (a baked badge) goes to the node whole.
  if (file.type.startsWith("image/") && file.type !== "image/svg+xml") {
    setText("status", `Looking for a QR code in ${file.name}…`);
    const text = await readCode(file);
    if (text === "") return foreignCode();
    if (text) return verifyBytes(new TextEncoder().encode(text), `the QR code in ${file.name}`, null);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  await verifyBytes(bytes, file.name, null);
}

let scanning = null;

function stopScan() {
  if (!scanning) return;
  for (const t of scanning.stream.getTracks()) t.stop();
  scanning = null;
  $("scan-video").srcObject = null;
  $("scan").hidden = true;
}

// One frame: its code's text read here ("" for a code that is not a
// badge's, null for none yet), or, without a reader in the page, the
// node's answer to the frame as a PNG.
async function readFrame(video, canvas) {
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(video, 0, 0);
  if (qrReader()) {
    return { text: await readCode(ctx.getImageData(0, 0, canvas.width, canvas.height)) };
  }
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  if (!blob) return { text: null };
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const res = await fetch("/v1/verify", {
    method: "POST",
    body: bytes,
    headers: { "Content-Type": "application/octet-stream" },
  });
  const data = await res.json();
  if (res.ok) return { verdict: data, bytes };
  if (data.error === "no_badge_in_image") return { text: null };
  return { error: data };
}

async function startScan() {
  if (scanning) return;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch (e) {
    showError("The camera could not be opened", e.message, "");
    return;
  }
  const me = { stream };
  scanning = me;
  const video = $("scan-video");
  video.srcObject = stream;
  $("scan").hidden = false;
  await video.play().catch(() => {});
  setText("status", "Looking for a certificate's QR code…");
  const canvas = document.createElement("canvas");
  const started = Date.now();
  while (scanning === me && Date.now() - started < SCAN_FOR_MS) {
    if (video.videoWidth > 0) {
      let frame;
      try {
        frame = await readFrame(video, canvas);
      } catch (e) {
        stopScan();
        showError("The node did not answer", `Is the node still running? (${e.message})`, "");
        return;
      }
      if (scanning !== me) return;
      if (frame.text === "") {
        stopScan();
        return foreignCode();
      }
      if (frame.text) {
        stopScan();
        $("email").value = "";
        return verifyBytes(new TextEncoder().encode(frame.text), "the camera", null);
      }
      if (frame.verdict) {
        stopScan();
        current = { bytes: frame.bytes, source: "the camera" };
        $("email").value = "";
        renderVerdict(frame.verdict, "the camera");
        renderRecipient(frame.verdict, null);
        return;
      }
      if (frame.error) {
        stopScan();
        showError("This code could not be checked", frame.error.message || "The node refused it.", frame.error.error);
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (scanning === me) {
    stopScan();
    setText("status", "No certificate's QR code was seen. Hold it closer, flat and in good light, and try again.");
  }
}

function initVerify() {
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    $("scan-start").hidden = false;
    $("scan-start").addEventListener("click", startScan);
    $("scan-stop").addEventListener("click", () => {
      stopScan();
      setText("status", "");
    });
  }
  const input = $("file");
  input.addEventListener("change", () => verifyFile(input.files[0]));

  const drop = $("drop");
  for (const ev of ["dragenter", "dragover"]) {
    drop.addEventListener(ev, (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const ev of ["dragleave", "drop"]) {
    drop.addEventListener(ev, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) verifyFile(f);
  });

  $("paste-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("paste").value;
    if (!text.trim()) {
      setText("status", "Paste a badge first.");
      return;
    }
    $("email").value = "";
    verifyBytes(new TextEncoder().encode(text), "the pasted text", null);
  });

  $("recipient-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const email = $("email").value.trim();
    if (!current) return;
    verifyBytes(current.bytes, current.source, email || null);
  });
}

// ---- the node view -------------------------------------------------------

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  const data = await res.json();
  if (!res.ok) throw new Error(data.message || `${path}: ${res.status}`);
  return data;
}

function facts(dl, rows) {
  dl.replaceChildren();
  for (const [k, v] of rows) {
    dl.append(el("dt", {}, k), el("dd", {}, v));
  }
}

function code(text) {
  return el("code", { class: "id" }, String(text));
}

function syncState(f) {
  if (!f.as_of) return el("span", { class: "pill unsure" }, "no revocation data signed yet");
  if (f.head_seq !== null && f.head_seq !== undefined && f.head_seq > f.seq) {
    return el("span", { class: "pill bad" },
      `behind: has list ${f.seq}, the issuer announced list ${f.head_seq}`);
  }
  return el("span", { class: "pill good" }, `up to date: list ${f.seq}, signed ${ago(secsSince(f.as_of))}`);
}

function issuerSection(full, badges) {
  const name = (full.profile && full.profile.name) || "Unnamed issuer";
  const f = full.freshness || {};
  const dl = el("dl", { class: "facts" });
  const head = full.head
    ? el("span", {}, `list ${full.head.seq}, signed `, when(full.head.at),
      full.head.next_update ? el("span", {}, "; next by ", when(full.head.next_update)) : null)
    : "none yet";
  facts(dl, [
    ["DID", code(full.did)],
    ["Website", full.profile && full.profile.url
      ? link(full.profile.url, full.profile.url) : "Not given"],
    ["Revocation data", syncState(f)],
    ["Last signed head", head],
    ["Revoked awards", String(full.revoked)],
    ["Keys", String((full.keys || []).length)],
  ]);
  const sec = el("article", { class: "card issuer", "data-did": full.did },
    el("h3", {}, name, full.local ? el("span", { class: "pill good" }, "this node's issuer") : null),
    dl);
  if ((full.equivocations || []).length) {
    sec.append(el("p", { class: "warn", role: "note" },
      `⚠ This issuer has signed ${full.equivocations.length} pair(s) of conflicting records.`));
  }
  sec.append(el("h4", {}, `Badge classes (${badges.length})`));
  if (badges.length) {
    const body = el("tbody");
    for (const b of badges) {
      body.append(el("tr", {},
        el("th", { scope: "row" }, b.name),
        el("td", {}, b.description),
        el("td", {}, code(b.id))));
    }
    sec.append(el("table", { class: "list" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Name"), el("th", { scope: "col" }, "Description"),
        el("th", { scope: "col" }, "Id"))),
      body));
  } else {
    sec.append(el("p", {}, "None known."));
  }
  return sec;
}

function registriesTable(trust) {
  const regs = trust.registries || [];
  const parts = [];
  if (!regs.length) {
    parts.push(el("p", {}, "No trust registry followed: issuers' names are their own claims. " +
      "Follow one with `badgemesh trust follow DID --name NAME`."));
  } else {
    const body = el("tbody");
    for (const r of regs) {
      const fresh = r.list_seq ? `list ${r.list_seq}, signed ${ago(r.age_secs)}` : "no list received yet";
      body.append(el("tr", { "data-registry": r.did },
        el("th", { scope: "row" }, r.name),
        el("td", {}, code(r.did)),
        el("td", {}, fresh + (r.disputed ? " (disputed: it signed conflicting lists)" : "")),
        el("td", {}, String(r.listed))));
    }
    parts.push(el("table", { class: "list" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Registry"), el("th", { scope: "col" }, "DID"),
        el("th", { scope: "col" }, "Freshness"), el("th", { scope: "col" }, "Entries"))),
      body));
  }
  const local = trust.local || [];
  if (local.length) parts.push(el("p", {}, `${local.length} issuer(s) on this node's own list.`));
  return parts;
}

function peersTable(peers) {
  if (!peers.length) return el("p", {}, "Not connected to any peer.");
  const body = el("tbody");
  for (const p of peers) {
    body.append(el("tr", {},
      el("th", { scope: "row" }, code(p.peer_id)),
      el("td", {}, [...new Set(p.addresses || [])].join(", ")),
      el("td", {}, (p.score === null || p.score === undefined ? "–" : p.score.toFixed(1)) +
        (p.graylisted ? " (graylisted: sent invalid records)" : ""))));
  }
  return el("table", { class: "list" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "Peer"), el("th", { scope: "col" }, "Addresses"),
      el("th", { scope: "col" }, "Gossip score"))),
    body);
}

async function loadNode() {
  setText("status", "Loading…");
  try {
    const [node, issuers, peers, trust] = await Promise.all([
      getJson("/v1/node"), getJson("/v1/issuers"), getJson("/v1/peers"), getJson("/v1/trust")]);
    $("registries").replaceChildren(...registriesTable(trust));
    const records = Object.entries(node.records || {}).map(([k, n]) => `${n} ${k}`).join(", ");
    facts($("node-facts"), [
      ["Peer id", code(node.peer_id)],
      ["Version", node.version],
      ["Listening on", (node.listen || []).join(", ") || "nothing"],
      ["Connected peers", String(node.peers)],
      ["Issuers known", String(node.issuers)],
      ["Records stored", records || "none"],
      ["Waiting for predecessors", String(node.pending)],
      ["This node's issuer", node.local_issuer ? code(node.local_issuer) : "none"],
    ]);
    const sections = await Promise.all(issuers.map(async (i) => {
      const did = encodeURIComponent(i.did);
      const [full, badges] = await Promise.all([
        getJson(`/v1/issuers/${did}`), getJson(`/v1/badges?issuer=${did}`)]);
      return issuerSection(full, badges);
    }));
    $("issuers").replaceChildren(...(sections.length ? sections : [el("p", {}, "No issuers known yet.")]));
    $("peers").replaceChildren(peersTable(peers));
    setText("status", `Updated ${new Date().toLocaleTimeString()}.`);
  } catch (e) {
    setText("status", `Could not load: ${e.message}`);
  }
}

function initNode() {
  $("refresh").addEventListener("click", loadNode);
  loadNode();
}

if (document.body.dataset.view === "verify") initVerify();
if (document.body.dataset.view === "node") initNode();
