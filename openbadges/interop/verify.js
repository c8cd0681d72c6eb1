// Verifies an OB 3.0 credential (JSON file) with Digital Bazaar's stack,
// offline. Prints the result; exit status 0 if verified, 1 if not, 2 on usage.
// Status is not checked here (checkStatus accepts), only proof and dates,
// and dates are checked at the credential's validFrom (override: NOW=...).
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {documentLoader} from './loader.js';

const file = process.argv[2];
if(!file) {
  console.error('usage: node verify.js CREDENTIAL.json');
  process.exit(2);
}
const credential = JSON.parse(readFileSync(file, 'utf8'));
const now = process.env.NOW || credential.validFrom || credential.issuanceDate;
const suite = new DataIntegrityProof({cryptosuite});
const result = await vc.verifyCredential({
  credential, suite, documentLoader, now: new Date(now),
  checkStatus: async () => ({verified: true}),
});
if(result.verified) {
  console.log('verified');
  process.exit(0);
}
const errors = [result.error, ...(result.results || []).map(r => r.error)]
  .filter(Boolean).map(e => e.message || String(e));
console.log(`not verified: ${JSON.stringify(errors)}`);
process.exit(1);
