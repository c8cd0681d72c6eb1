// Verifies a VC-JWT with panva's `jose`, offline. Input: a JSON file
// {"token": "...", "jwk": {public JWK}, "now": "<date-time>"}. Checks the
// signature with that key, `nbf`/`exp` at `now`, and that `iss` is the
// issuer's id in the payload. Exit 0 and "verified", or exit 1.
import {readFileSync} from 'node:fs';
import * as jose from 'jose';

const file = process.argv[2];
if(!file) {
  console.error('usage: node verify-jwt.js INPUT.json');
  process.exit(2);
}
const {token, jwk, now} = JSON.parse(readFileSync(file, 'utf8'));
try {
  const {alg} = jose.decodeProtectedHeader(token);
  const key = await jose.importJWK(jwk, alg);
  const {payload} = await jose.jwtVerify(token, key, {currentDate: new Date(now)});
  const issuer = payload.vc?.issuer ?? payload.issuer;
  const issuerId = typeof issuer === 'string' ? issuer : issuer?.id;
  if(payload.iss !== issuerId) {
    throw new Error(`iss ${payload.iss} is not the issuer ${issuerId}`);
  }
  console.log('verified');
} catch(e) {
  console.log(`not verified: ${e.message}`);
  process.exit(1);
}
