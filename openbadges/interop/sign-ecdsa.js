// Signs an unsigned credential with ecdsa-rdfc-2019 using Digital Bazaar's
// stack, offline: once with a fresh P-256 key and once with a fresh P-384
// key, each credential's issuer set to that key's did:key. Input: a JSON
// file {"credential": {...}}. Prints {"P-256": signed, "P-384": signed};
// `created` is the credential's validFrom.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {documentLoader} from './loader.js';

const file = process.argv[2];
if(!file) {
  console.error('usage: node sign-ecdsa.js INPUT.json');
  process.exit(2);
}
const {credential} = JSON.parse(readFileSync(file, 'utf8'));
const out = {};
for(const curve of ['P-256', 'P-384']) {
  const key = await EcdsaMultikey.generate({curve});
  const did = `did:key:${key.publicKeyMultibase}`;
  key.controller = did;
  key.id = `${did}#${key.publicKeyMultibase}`;
  const unsigned = structuredClone(credential);
  unsigned.issuer = {...unsigned.issuer, id: did};
  const suite = new DataIntegrityProof({
    signer: key.signer(), cryptosuite, date: unsigned.validFrom,
  });
  out[curve] = await vc.issue({
    credential: unsigned, suite, documentLoader, now: new Date(unsigned.validFrom),
  });
}
process.stdout.write(JSON.stringify(out) + '\n');
