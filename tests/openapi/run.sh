#!/usr/bin/env bash
# The HTTP API's OpenAPI document, checked by an independent validator:
# starts one node on loopback, fetches GET /v1/openapi.json (no token) and
# validates it against the OpenAPI 3.1 JSON schema (validate.mjs). The
# Rust tests check that it lists every route the router has
# (node/src/api/openapi.rs); this checks that other tools can read it.
#
#   bash tests/openapi/run.sh   (after `npm ci` in tests/openapi)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

cargo build -p badgemesh --locked
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/debug/badgemesh"

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../wait.sh
source "$root/tests/wait.sh"
on_timeout() { tail -20 "$work/log" || true; }

RUST_LOG="${RUST_LOG:-warn}" "$bin" --data-dir "$work/node" node run \
  --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --no-mdns >"$work/log" 2>&1 &
pid=$!
wait_until "the node" test -s "$work/node/node.json"
api="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).api)' "$work/node/node.json")"
wait_until "the API" curl -fsS "$api/healthz"

curl -fsS "$api/v1/openapi.json" -o "$work/openapi.json"
node "$here/validate.mjs" "$work/openapi.json"
