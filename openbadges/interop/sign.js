// Signs an unsigned credential with eddsa-rdfc-2022 using Digital Bazaar's
// stack, offline. Input: a JSON file {"seedHex": "<32 bytes>", "credential":
// {...}}. The issuer must be the did:key of that seed. Prints the signed
// credential; `created` is the credential's validFrom.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {documentLoader} from './loader.js';

const file = process.argv[2];
if(!file) {
  console.error('usage: node sign.js INPUT.json');
  process.exit(2);
}
const {seedHex, credential} = JSON.parse(readFileSync(file, 'utf8'));
const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
const key = await Ed25519Multikey.generate({seed});
const did = `did:key:${key.publicKeyMultibase}`;
key.controller = did;
key.id = `${did}#${key.publicKeyMultibase}`;
const suite = new DataIntegrityProof({
  signer: key.signer(), cryptosuite, date: credential.validFrom,
});
const signed = await vc.issue({
  credential, suite, documentLoader, now: new Date(credential.validFrom),
});
process.stdout.write(JSON.stringify(signed, null, 2) + '\n');
