#!/usr/bin/env bash
# Replays every input of a target's corpus and seeds once and lists those
# slower than a limit (libFuzzer prints "Executed FILE in N ms" per file).
#
#   bash fuzz/time_corpus.sh <target> [limit_ms]   (after building the target)
#
# libFuzzer's own -report_slow_units counts whole seconds; this is the
# per-input check at millisecond resolution.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$1"
limit="${2:-100}"
bin="$here/target/x86_64-unknown-linux-gnu/release/$target"
files=()
for d in "$here/corpus/$target" "$here/seeds/$target"; do
  [ -d "$d" ] && while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d" -type f -print0)
done
echo "$target: ${#files[@]} inputs, reporting those over $limit ms"
printf '%s\0' "${files[@]}" | xargs -0 -n 500 "$bin" -timeout=10 -rss_limit_mb=2048 2>&1 \
  | awk -v limit="$limit" '/^Executed .* in [0-9]+ ms$/ { n++; ms = $(NF-1); if (ms > max) max = ms; if (ms > limit) { slow++; print "SLOW " ms " ms: " $2 } }
      END { printf "%d inputs run, slowest %d ms, %d over the limit\n", n, max, slow }'
