#!/usr/bin/env bash
# Browser end-to-end test of the web page: builds `badgemesh`, starts an
# issuer node and a verifier node on loopback, issues a badge with two awards,
# revokes one, tampers with a copy of the other, and checks all three through
# the verifier's page in headless Chromium (verify_page.mjs).
#
#   bash tests/browser/run.sh [--screenshots DIR]   (after `npm ci` in tests/browser)
#
# Screenshots go to a temporary directory unless DIR is given; refresh the
# README's with `--screenshots docs/screenshots`. Needs /usr/bin/chromium (or
# $CHROMIUM), node and curl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shots=""
if [ "${1:-}" = "--screenshots" ]; then shots="$(mkdir -p "$2" && cd "$2" && pwd)"; fi
cd "$root"

echo "== build badgemesh"
cargo build -p badgemesh --locked
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/debug/badgemesh"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Polls (0.1 s steps, 30 s deadline) until the command succeeds.
wait_until() {
  local what="$1"; shift
  for _ in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $what" >&2
  for d in "$work"/*/; do echo "--- $d log" >&2; tail -20 "$d/log" >&2 || true; done
  return 1
}

# Prints a field of a data dir's node.json.
node_json() {
  node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1])); const v = j[process.argv[2]]; console.log(Array.isArray(v) ? v[0] : v)' \
    "$1/node.json" "$2"
}

start_node() {
  local name="$1"; shift
  local dir="$work/$name"
  mkdir -p "$dir"
  RUST_LOG="${RUST_LOG:-warn}" "$bin" --data-dir "$dir" node run \
    --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --no-mdns "$@" >"$dir/log" 2>&1 &
  pids+=($!)
  wait_until "$name node" test -s "$dir/node.json"
  wait_until "$name API" curl -fsS "$(node_json "$dir" api)/healthz"
}

echo "== start an issuer node and a verifier node"
start_node issuer
issuer="$work/issuer"
start_node verifier --bootstrap "$(node_json "$issuer" listen)"
verifier="$work/verifier"
api="$(node_json "$verifier" api)"

echo "== issue a badge, award it twice, revoke one award"
bm() { "$bin" --data-dir "$issuer" "$@"; }
bm issuer init --name "Example Academy" --url https://academy.example >/dev/null
badge=$(bm badge create --name Teamwork --description "Works well with others" \
  --criteria "Nominated by peers" --image "$here/teamwork.svg")
bm award "$badge" --to ada@example.org --out "$work/valid.badge" >/dev/null
revoked_id=$(bm award "$badge" --to ada@example.org --out "$work/revoked.badge")
bm revoke "$revoked_id" --reason "awarded by mistake" >/dev/null

# A tampered copy: the last byte (in the signature) flipped.
node -e 'const fs = require("fs"); const b = fs.readFileSync(process.argv[1]); b[b.length - 1] ^= 0xff; fs.writeFileSync(process.argv[2], b)' \
  "$work/valid.badge" "$work/tampered.badge"

echo "== wait for the verifier to sync the badge class and the revocation"
synced() {
  curl -fsS "$api/v1/issuers" | node -e '
    const list = JSON.parse(require("fs").readFileSync(0));
    process.exit(list.some((i) => i.badge_classes >= 1 && i.revoked >= 1) ? 0 : 1)'
}
wait_until "sync" synced

echo "== headless Chromium against $api"
shots="${shots:-$work/screenshots}"
mkdir -p "$shots"
node "$here/verify_page.mjs" "$api" "$work/valid.badge" "$work/revoked.badge" \
  "$work/tampered.badge" "$shots"
echo "screenshots in $shots"
