// Makes presentation.json: an Open Badges 3.0 credential and a Verifiable
// Presentation of it, both signed by Digital Bazaar's libraries
// (@digitalbazaar/vc, data-integrity, eddsa-rdfc-2022-cryptosuite,
// ed25519-multikey), not by badgemesh. The holder's key is the key pair
// of the W3C vc-di-eddsa specification's test vectors
// (../w3c-eddsa-rdfc-2022/keyPair.json); the issuer's is made from a fixed
// seed. With a second argument, it verifies that file (a presentation
// badgemesh made) with the same libraries and prints the result.
//
//   cd DIR_WITH_node_modules && node make.mjs OUT.json [OURS.json]
//
// (node_modules: those `npm ci` installs for tests/w3c/vc-data-model-2.0-test-suite.)
import {readFileSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import * as vc from "@digitalbazaar/vc";
import {DataIntegrityProof} from "@digitalbazaar/data-integrity";
import {cryptosuite} from "@digitalbazaar/eddsa-rdfc-2022-cryptosuite";
import * as Ed25519Multikey from "@digitalbazaar/ed25519-multikey";
import * as DidKey from "@digitalbazaar/did-method-key";
import {decode as b58} from "base58-universal";

const here = dirname(fileURLToPath(import.meta.url));
const contexts = join(here, "../../../contexts");
const CONTEXTS = {
  "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
  "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
  "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
};
const didKey = DidKey.driver();
didKey.use({multibaseMultikeyHeader: "z6Mk", fromMultibase: Ed25519Multikey.from});
async function documentLoader(url) {
  if (CONTEXTS[url]) {
    return {documentUrl: url, document: JSON.parse(readFileSync(join(contexts, CONTEXTS[url]), "utf8"))};
  }
  if (url.startsWith("did:key:")) {
    return {documentUrl: url, document: await didKey.get({url})};
  }
  throw new Error(`not loaded here: ${url}`);
}

async function key(seed) {
  const k = await Ed25519Multikey.generate({seed});
  const did = `did:key:${k.publicKeyMultibase}`;
  k.controller = did;
  k.id = `${did}#${k.publicKeyMultibase}`;
  return k;
}

const [out, ours] = process.argv.slice(2);
// The specification's key pair: the multibase secret is 0x8026 + seed.
const spec = JSON.parse(readFileSync(join(here, "../w3c-eddsa-rdfc-2022/keyPair.json"), "utf8"));
const holder = await key(b58(spec.privateKeyMultibase.slice(1)).slice(2));
if (holder.publicKeyMultibase !== spec.publicKeyMultibase) throw new Error("not the spec's key");
const issuer = await key(new Uint8Array(32).fill(7));
const suite = (signer) => new DataIntegrityProof({signer: signer.signer(), cryptosuite,
  date: "2026-12-01T00:00:00Z"});

const credential = {
  "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
  id: "urn:uuid:6f4c0e3e-2f1a-4d5b-9c7e-1a2b3c4d5e6f",
  type: ["VerifiableCredential", "OpenBadgeCredential"],
  name: "Interoperability",
  issuer: {id: issuer.controller, type: ["Profile"], name: "Digital Bazaar signed this"},
  validFrom: "2026-01-01T00:00:00Z",
  credentialSubject: {
    id: holder.controller,
    type: ["AchievementSubject"],
    achievement: {
      id: "urn:uuid:0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
      type: ["Achievement"],
      name: "Interoperability",
      description: "Signed by another implementation.",
      criteria: {narrative: "Verify a presentation made elsewhere."},
    },
  },
};
const signed = await vc.issue({credential, suite: suite(issuer), documentLoader});
const presentation = {
  "@context": ["https://www.w3.org/ns/credentials/v2"],
  type: ["VerifiablePresentation"],
  holder: holder.controller,
  verifiableCredential: [signed],
};
const vp = await vc.signPresentation({presentation, suite: suite(holder), documentLoader,
  challenge: "c-digitalbazaar", domain: "jobs.example"});
writeFileSync(out, JSON.stringify(vp, null, 2) + "\n");
const check = async (p, challenge) => {
  const r = await vc.verify({presentation: p, challenge, domain: "jobs.example",
    suite: new DataIntegrityProof({cryptosuite}), documentLoader});
  const why = [r.error, ...(r.credentialResults ?? []).map((c) => c.error), r.presentationResult?.error]
    .filter(Boolean).flatMap((e) => e.errors ?? [e]).map((e) => String(e.message ?? e));
  return r.verified ? "verified" : `NOT verified: ${why.join("; ")}`;
};
console.log(`${out}: ${await check(vp, "c-digitalbazaar")}`);
if (ours) {
  const p = JSON.parse(readFileSync(ours, "utf8"));
  console.log(`${ours} (challenge ${p.proof.challenge}): ${await check(p, p.proof.challenge)}`);
}
