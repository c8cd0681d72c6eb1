// An offline documentLoader: the SAME pinned context files the Rust crate
// compiles in (../contexts), plus did:key resolution for Ed25519 keys.
// Any other URL is an error, never a fetch.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const files = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://www.w3.org/2018/credentials/v1': 'credentials-v1.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context.json': 'ob-v3p0-context-3.0.0.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json': 'ob-v3p0-context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json': 'ob-v3p0-context-3.0.2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-v3p0-extensions.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://w3id.org/security/suites/ed25519-2020/v1': 'ed25519-signature-2020-v1.jsonld',
  'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json': 'clr-v2p0-context-2.0.1.json',
};
const contexts = new Map(Object.entries(files).map(([url, f]) =>
  [url, JSON.parse(readFileSync(join(here, '..', 'contexts', f), 'utf8'))]));

const MULTIKEY = 'https://w3id.org/security/multikey/v1';

function didKey(url) {
  const [did, fragment] = url.split('#');
  const mb = did.slice('did:key:'.length);
  if(!mb.startsWith('z6Mk') || (fragment !== undefined && fragment !== mb)) {
    throw new Error(`unsupported did:key ${url}`);
  }
  const vm = {
    '@context': MULTIKEY,
    id: `${did}#${mb}`,
    type: 'Multikey',
    controller: did,
    publicKeyMultibase: mb,
  };
  if(fragment !== undefined) {
    return vm;
  }
  // A minimal controller document; the inline context defines the two
  // DID terms used (the DID v1 context is not pinned).
  return {
    '@context': [MULTIKEY, {
      verificationMethod: {
        '@id': 'https://w3id.org/security#verificationMethod',
        '@type': '@id', '@container': '@set',
      },
      assertionMethod: {
        '@id': 'https://w3id.org/security#assertionMethod',
        '@type': '@id', '@container': '@set',
      },
    }],
    id: did,
    verificationMethod: [vm],
    assertionMethod: [vm.id],
  };
}

export async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url.startsWith('did:key:')) {
    return {contextUrl: null, documentUrl: url, document: didKey(url)};
  }
  throw new Error(`refusing to load ${url}: not pinned`);
}
