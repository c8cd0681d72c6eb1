// Signs a credential as VC-JWTs with panva's `jose`, offline: RS256, ES256
// and EdDSA, each in the VC 1.1 form (credential in the `vc` claim, with
// iss/jti/sub/nbf/exp) and the VC-JOSE form (typ `vc+jwt`, the payload is
// the credential). Input: a JSON file
//   {"credential": {...unsigned...},
//    "ed25519": {"jwk": {private OKP JWK}, "did": "did:key:z6Mk..."},
//    "p256": {"jwk": {private EC JWK}, "did": "did:key:zDn..."},
//    "rsa": {"did": "did:web:..."}}
// The Ed25519 and P-256 keys come from the caller (so their did:keys are
// known); the RSA key is made here, its public JWK is both in the `jwk`
// header and printed, and `kid` names it in the caller's DID (`#rsa-1`).
// Prints {"rsaJwk": {...}, "tokens": [{"alg", "form", "token"}]}.
import {readFileSync} from 'node:fs';
import * as jose from 'jose';

const file = process.argv[2];
if(!file) {
  console.error('usage: node sign-jwt.js INPUT.json');
  process.exit(2);
}
const input = JSON.parse(readFileSync(file, 'utf8'));
const seconds = text => Math.floor(Date.parse(text) / 1000);

const rsa = await jose.generateKeyPair('RS256', {modulusLength: 2048, extractable: true});
const rsaJwk = await jose.exportJWK(rsa.publicKey);
const signers = [
  {alg: 'RS256', key: rsa.privateKey, did: input.rsa.did, kid: `${input.rsa.did}#rsa-1`, jwk: rsaJwk},
  {alg: 'ES256', key: await jose.importJWK(input.p256.jwk, 'ES256'), did: input.p256.did,
    kid: `${input.p256.did}#${input.p256.did.slice('did:key:'.length)}`},
  {alg: 'EdDSA', key: await jose.importJWK(input.ed25519.jwk, 'EdDSA'), did: input.ed25519.did,
    kid: `${input.ed25519.did}#${input.ed25519.did.slice('did:key:'.length)}`},
];

const tokens = [];
for(const s of signers) {
  const credential = structuredClone(input.credential);
  credential.issuer = {...credential.issuer, id: s.did};
  const header = {alg: s.alg, kid: s.kid};
  if(s.jwk) {
    header.jwk = s.jwk;
  }
  // VC 1.1 form.
  const claims = {vc: credential, iss: s.did, jti: credential.id, nbf: seconds(credential.validFrom)};
  if(credential.credentialSubject?.id) {
    claims.sub = credential.credentialSubject.id;
  }
  if(credential.validUntil) {
    claims.exp = seconds(credential.validUntil);
  }
  tokens.push({alg: s.alg, form: 'vc', token: await new jose.SignJWT(claims)
    .setProtectedHeader({...header, typ: 'JWT'}).sign(s.key)});
  // VC-JOSE form.
  tokens.push({alg: s.alg, form: 'vc+jwt', token: await new jose.CompactSign(
    new TextEncoder().encode(JSON.stringify(credential)))
    .setProtectedHeader({...header, typ: 'vc+jwt', cty: 'vc'}).sign(s.key)});
}
process.stdout.write(JSON.stringify({rsaJwk, tokens}) + '\n');
