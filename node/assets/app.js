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

function setText(id, text) {
  $(id).textContent = text;
}

// ---- time in words -------------------------------------------------------

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
