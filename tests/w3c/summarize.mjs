// Reads a mocha JSON report and a known-failures file (lines: full test
// title, a tab, the reason; # comments), prints passing/total, and exits 1
// when a test fails that is not listed, or a listed one passes.
import {readFileSync, existsSync} from "node:fs";

const [report, knownFile, suite] = process.argv.slice(2);
const text = readFileSync(report, "utf8");
// Mocha's JSON reporter prints one object; anything before it is a suite's
// own console output.
const r = JSON.parse(text.slice(text.indexOf("{\n")));
const known = new Map();
if (existsSync(knownFile)) {
  for (const line of readFileSync(knownFile, "utf8").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [title, reason] = line.split("\t");
    known.set(title.trim(), (reason || "").trim());
  }
}
const failed = r.failures.map((t) => t.fullTitle);
const passed = r.passes.map((t) => t.fullTitle);
const total = passed.length + failed.length;
const unexpected = failed.filter((t) => !known.has(t));
const fixed = passed.filter((t) => known.has(t));
console.log(`${suite}: ${passed.length}/${total} passing, ${r.pending.length} pending; ${failed.length - unexpected.length} known failures`);
for (const t of unexpected) {
  const f = r.failures.find((x) => x.fullTitle === t);
  console.log(`  UNEXPECTED FAILURE: ${t}\n    ${(f.err && f.err.message || "").split("\n")[0].slice(0, 300)}`);
}
for (const t of fixed) console.log(`  NOW PASSING (remove from known-failures): ${t}`);
process.exit(unexpected.length || fixed.length ? 1 : 0);
