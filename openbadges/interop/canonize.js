// Prints jsonld.js's canonical N-Quads (RDFC-1.0) of a JSON-LD file, offline,
// with the options Digital Bazaar's rdfc cryptosuites use (safe mode, no
// base, rdfDirection "i18n-datatype") unless told otherwise:
//   node canonize.js FILE [--rdf-direction=i18n-datatype|compound-literal|null]
// `null` is jsonld.canonize's own default. A FILE ending in `.nq` is read as
// N-Quads and only canonicalized (rdf-canonize): used for the output of
// another JSON-LD processor (PyLD for rdfDirection "compound-literal",
// which jsonld.js refuses). Exit status 0 with the N-Quads
// on stdout; 1 with "refused: CODE: MESSAGE" when jsonld.js refuses the
// document; 2 on usage.
import {readFileSync} from 'node:fs';
import jsonld from 'jsonld';
import {documentLoader} from './loader.js';

const args = process.argv.slice(2);
const file = args.find(a => !a.startsWith('--'));
let rdfDirection = 'i18n-datatype';
for(const a of args) {
  if(a.startsWith('--rdf-direction=')) {
    const v = a.slice('--rdf-direction='.length);
    rdfDirection = v === 'null' ? null : v;
  }
}
if(!file) {
  console.error('usage: node canonize.js FILE [--rdf-direction=MODE]');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
try {
  if(file.endsWith('.nq')) {
    process.stdout.write(await jsonld.canonize(text, {
      algorithm: 'RDFC-1.0', format: 'application/n-quads',
      inputFormat: 'application/n-quads',
    }));
    process.exit(0);
  }
  const doc = JSON.parse(text);
  const nquads = await jsonld.canonize(doc, {
    algorithm: 'RDFC-1.0', format: 'application/n-quads',
    documentLoader, safe: true, base: null, rdfDirection,
  });
  process.stdout.write(nquads);
} catch(e) {
  const event = e.details && e.details.event;
  const code = event ? event.code : (e.details?.code || e.name);
  console.log(`refused: ${code || e.name}: ${e.message}`);
  process.exit(1);
}
