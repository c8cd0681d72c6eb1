#!/usr/bin/env bash
# Bootstrap by name, with a real DNS server. In a network namespace of its
# own (loopback only, with its own /etc/resolv.conf, as `ip netns exec`
# provides), node A listens on 127.0.0.1 and dnsmasq answers for boot.test:
# an A record (127.0.0.1) and the TXT record libp2p's /dnsaddr/ reads
# (`_dnsaddr.boot.test`: "dnsaddr=/ip4/127.0.0.1/tcp/PORT/p2p/PEER"). Node B
# bootstraps with `/dnsaddr/boot.test`, node C with
# `/dns4/boot.test/tcp/PORT/p2p/PEER`; both must connect to A and receive
# the badge class A's issuer then creates.
#
#   bash tests/net/dns_bootstrap.sh [BADGEMESH_BINARY]
#
# Needs root (network namespaces) and dnsmasq; says it skipped, and why,
# when it cannot run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/debug/badgemesh}"
ns="bm-dns-$$"

if [ "$(id -u)" != 0 ]; then echo "dns bootstrap: skipped (needs root for a network namespace)"; exit 0; fi
if ! command -v dnsmasq >/dev/null; then echo "dns bootstrap: skipped (no dnsmasq)"; exit 0; fi
if ! ip netns add "$ns" 2>/dev/null; then echo "dns bootstrap: skipped (network namespaces not permitted here)"; exit 0; fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "/etc/netns/$ns" "$work"
}
trap cleanup EXIT
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up

# shellcheck source=../wait.sh
source "$root/tests/wait.sh"
on_timeout() {
  for d in "$work"/*/; do echo "--- $d log"; tail -20 "$d/log" || true; done
}

start_node() {
  local name="$1"; shift
  mkdir -p "$work/$name"
  # `ip netns exec` itself, not the in_ns function: it execs the node, so
  # $! is the node's pid and cleanup stops it.
  RUST_LOG="${RUST_LOG:-info}" ip netns exec "$ns" "$bin" --data-dir "$work/$name" node run \
    --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --no-mdns "$@" >"$work/$name/log" 2>&1 &
  pids+=($!)
  wait_until "node $name" in_ns "$bin" --data-dir "$work/$name" node health
}
bm() { local name="$1"; shift; in_ns "$bin" --data-dir "$work/$name" "$@"; }
json_field() { node -e 'const j = JSON.parse(require("fs").readFileSync(0)); const v = j[process.argv[1]]; console.log(Array.isArray(v) ? v[0] : v)' "$1"; }

start_node a
addr="$(bm a node info --json | json_field listen)"   # /ip4/127.0.0.1/tcp/PORT/p2p/PEER
port="$(sed -n 's|^/ip4/127.0.0.1/tcp/\([0-9]*\)/p2p/.*|\1|p' <<<"$addr")"
peer="${addr##*/p2p/}"
[ -n "$port" ] && [ -n "$peer" ] || { echo "cannot read A's address: $addr" >&2; exit 1; }

ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --user=root --bind-interfaces \
  --listen-address=127.0.0.1 --port=53 --pid-file="$work/dnsmasq.pid" \
  --address=/boot.test/127.0.0.1 \
  --txt-record="_dnsaddr.boot.test,dnsaddr=$addr" >"$work/dnsmasq.log" 2>&1 &
pids+=($!)
wait_until "dnsmasq" test -s "$work/dnsmasq.pid"

start_node b --bootstrap /dnsaddr/boot.test
start_node c --bootstrap "/dns4/boot.test/tcp/$port/p2p/$peer"
connected() { [ "$(bm "$1" node info --json | json_field peers)" -ge 1 ]; }
wait_until "B connected through /dnsaddr/boot.test" connected b
wait_until "C connected through /dns4/boot.test" connected c

bm a issuer init --name "Named Bootstrap Academy" >/dev/null
badge="$(bm a badge create --name "Found by name" --description d --criteria c)"
has_badge() { [ "$(bm "$1" node info --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).records.badge_class || 0)')" -ge 1 ]; }
wait_until "B to receive the badge class" has_badge b
wait_until "C to receive the badge class" has_badge c
echo "dns bootstrap: /dnsaddr/boot.test and /dns4/boot.test (dnsmasq in a network namespace) led B and C to A; both received badge class $badge"
