// Verification throughput of Digital Bazaar's stack on one credential, one
// thread: the baseline the Rust benchmark (benches/ob3.rs) reports its own
// rate against, in the same run. Prints "<verifications per second>".
// Usage: node bench.js CREDENTIAL.json [SECONDS]
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {documentLoader} from './loader.js';

const [file, seconds = '3'] = process.argv.slice(2);
if(!file) {
  console.error('usage: node bench.js CREDENTIAL.json [SECONDS]');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
const credential = JSON.parse(text);
const now = new Date(credential.validFrom || credential.issuanceDate);
const suite = new DataIntegrityProof({cryptosuite});
const once = async () => {
  // Parsed each time, as the Rust side parses bytes each time.
  const result = await vc.verifyCredential({
    credential: JSON.parse(text), suite, documentLoader, now,
    checkStatus: async () => ({verified: true}),
  });
  if(!result.verified) {
    console.error('not verified');
    process.exit(1);
  }
};
// Warm up (context caches, JIT), then count for the window.
const warmEnd = Date.now() + 1000;
while(Date.now() < warmEnd) {
  await once();
}
const start = process.hrtime.bigint();
const windowNs = BigInt(Math.round(Number(seconds) * 1e9));
let n = 0;
while(process.hrtime.bigint() - start < windowNs) {
  await once();
  n++;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
console.log((n / elapsed).toFixed(1));
