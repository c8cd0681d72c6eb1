#!/usr/bin/env bash
# UPnP port mapping, turned on, with no gateway to find: a node started
# with --upnp in a network namespace that has only loopback (so its SSDP
# search for a gateway goes nowhere, and never onto a real LAN) starts,
# keeps serving, and reports "no gateway found" in /v1/node and
# `badgemesh node info`. No gateway is faked: this shows the flag turns the
# behaviour on and that a node without a router copes; a real mapping needs
# a real router.
#
#   bash tests/net/upnp.sh [BADGEMESH_BINARY]
#
# Needs root and network namespaces; says it skipped, and why, otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/debug/badgemesh}"
ns="bmupnp$$"

if [ "$(id -u)" != 0 ]; then echo "upnp: skipped (needs root for a network namespace)"; exit 0; fi
if ! ip netns add "$ns" 2>/dev/null; then echo "upnp: skipped (network namespaces not permitted here)"; exit 0; fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

test_name=upnp
# shellcheck source=../wait.sh
source "$root/tests/wait.sh"
on_timeout() { tail -30 "$work/log" || true; }

# `ip netns exec` itself, not the in_ns function: it execs the node, so $!
# is the node's pid and cleanup stops it.
RUST_LOG="${RUST_LOG:-info}" ip netns exec "$ns" "$bin" --data-dir "$work/node" node run --upnp \
  --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --no-mdns >"$work/log" 2>&1 &
pid=$!
wait_until "the node" test -s "$work/node/node.json"
api="$(sed -n 's/.*"api": *"\([^"]*\)".*/\1/p' "$work/node/node.json")"
upnp_is() { in_ns curl -fsS "$api/v1/node" | grep -q "\"upnp\":\"$1\""; }
wait_until "/v1/node to say upnp: no gateway found" upnp_is "no gateway found"
info="$(in_ns "$bin" --data-dir "$work/node" node info)"
echo "$info" | grep -E '^upnp +no gateway found$' >/dev/null || {
  echo "upnp: node info did not report it:" >&2; echo "$info" >&2; exit 1
}
grep -q "upnp: no gateway found" "$work/log" || { echo "upnp: not in the log" >&2; exit 1; }
in_ns curl -fsS "$api/healthz" >/dev/null
echo "$info" | grep -E '^(reachable at|upnp) '
echo "upnp: on, no gateway found, reported in /v1/node, node info and the log; the node serves"
