#!/usr/bin/env bash
# AutoNAT v2 across a real NAT: a public relay learns its own address from
# a peer instead of being told it, and a node behind NAT is not fooled.
#
#   public (10.0.0.0/24, a bridge): relay R at 10.0.0.1:4747 and a peer P at
#     10.0.0.1:4749, both QUIC; the router's WAN side 10.0.0.11
#   the router masquerades 192.168.1.0/24 (node A at .2) and drops
#     unsolicited input, like a home router
#
# R has no --announce; it dials P (its bootstrap), and P, an AutoNAT server
# on the connection R made, dials R's address back: R must report it
# confirmed (time printed). A starts at once with R as its relay: a relay
# serves reservations only once it knows an address of its own, so A's
# first request is refused and A asks again on the connection it keeps
# until it gets one. A's own candidate, the router's mapped port, is
# tested by R: the dial-back meets the router's drop, and A must report no
# direct address confirmed.
#
#   bash tests/net/autonat.sh [BADGEMESH_BINARY]
#
# Needs root, network namespaces, nftables and node; says it skipped, and
# why, when it cannot run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/debug/badgemesh}"
id=$$
pub="bmap$id" r1="bmar$id" na="bmaa$id"

if [ "$(id -u)" != 0 ]; then echo "autonat: skipped (needs root for network namespaces)"; exit 0; fi
if ! command -v nft >/dev/null; then echo "autonat: skipped (no nft)"; exit 0; fi
if ! ip netns add "$pub" 2>/dev/null; then echo "autonat: skipped (network namespaces not permitted here)"; exit 0; fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "$pub" "$r1" "$na"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
for n in "$r1" "$na"; do ip netns add "$n"; done
for n in "$pub" "$r1" "$na"; do ip -n "$n" link set lo up; done

ip -n "$pub" link add br0 type bridge
ip -n "$pub" addr add 10.0.0.1/24 dev br0
ip -n "$pub" link set br0 up
ip link add "w$id" type veth peer name "p$id"
ip link set "w$id" netns "$r1"
ip link set "p$id" netns "$pub"
ip -n "$pub" link set "p$id" master br0 up
ip -n "$r1" addr add 10.0.0.11/24 dev "w$id"
ip -n "$r1" link set "w$id" up
ip link add "l$id" type veth peer name "n$id"
ip link set "l$id" netns "$r1"
ip link set "n$id" netns "$na"
ip -n "$r1" addr add 192.168.1.1/24 dev "l$id"
ip -n "$r1" link set "l$id" up
ip -n "$na" addr add 192.168.1.2/24 dev "n$id"
ip -n "$na" link set "n$id" up
ip -n "$na" route add default via 192.168.1.1
ip netns exec "$r1" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$r1" nft -f - <<NFT
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "w$id" masquerade
  }
}
table ip filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "l$id" accept
    ct state established,related accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "w$id" ct state new drop
  }
}
NFT

# Polls (0.1 s steps, at most 600 tries) until the command succeeds.
wait_until() {
  local what="$1"; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "autonat: timed out waiting for $what" >&2
  for d in "$work"/*/; do echo "--- $d log" >&2; tail -25 "$d/log" >&2 || true; done
  return 1
}
start_node() {
  local name="$1" ns="$2"; shift 2
  mkdir -p "$work/$name"
  RUST_LOG="${RUST_LOG:-info}" ip netns exec "$ns" "$bin" --data-dir "$work/$name" node run \
    --api 127.0.0.1:0 --no-mdns "$@" >"$work/$name/log" 2>&1 &
  pids+=($!)
  wait_until "node $name" ip netns exec "$ns" "$bin" --data-dir "$work/$name" node health
}
bm() { local name="$1" ns="$2"; shift 2; ip netns exec "$ns" "$bin" --data-dir "$work/$name" "$@"; }
field() { node -e 'const j = JSON.parse(require("fs").readFileSync(0)); let v = j; for (const k of process.argv.slice(1)) v = v == null ? v : v[k]; console.log(Array.isArray(v) ? v.join(" ") : v)' "$@"; }

echo "== P and R on the public side; R, not told its address, bootstraps from P"
start_node peer "$pub" --listen /ip4/10.0.0.1/udp/4749/quic-v1 --no-relay-server
p_addr="/ip4/10.0.0.1/udp/4749/quic-v1/p2p/$(bm peer "$pub" node info --json | field peer_id)"
started=$(date +%s.%N)
start_node relay "$pub" --listen /ip4/10.0.0.1/udp/4747/quic-v1 --bootstrap "$p_addr"
relay="/ip4/10.0.0.1/udp/4747/quic-v1/p2p/$(bm relay "$pub" node info --json | field peer_id)"

echo "== A behind the NAT asks R for a reservation at once, before R knows its address"
start_node a "$na" --listen /ip4/0.0.0.0/udp/4747/quic-v1 --relay "$relay" --bootstrap "$relay" --no-relay-server
confirmed() { [ -n "$(bm relay "$pub" node info --json | field reachability external)" ]; }
wait_until "R's address confirmed by AutoNAT" confirmed
confirmed_after=$(echo "$(date +%s.%N) - $started" | bc)
r_external="$(bm relay "$pub" node info --json | field reachability external)"
[ "$r_external" = /ip4/10.0.0.1/udp/4747/quic-v1 ] || { echo "autonat: R confirmed $r_external" >&2; exit 1; }
reserved() { [ -n "$(bm a "$na" node info --json | field reachability relayed_listen)" ]; }
wait_until "A's reservation at R" reserved
# A relay serves reservations only once it has an address: A's first
# request was refused, and A asked again on the connection it kept.
refused=no
if grep -q "no reservation at the relay" "$work/a/log"; then refused=yes; fi
# Its candidate (the router's mapped port) is tested: R's dial-back meets
# the router's drop, and A says so once.
tested_line() { grep 'autonat: not reachable from outside' "$work/a/log"; }
wait_until "A's candidate to be tested" tested_line
tested="$(tested_line | head -1 | sed -n 's/.*tested_addr=\([^ ]*\).*/\1/p')"
# Its relayed address is external (reachable through R); a direct one
# would be a false confirmation.
a_external="$(bm a "$na" node info --json | field reachability external)"
a_direct="$(tr ' ' '\n' <<<"$a_external" | grep -v p2p-circuit || true)"
[ -z "$a_direct" ] || { echo "autonat: A, behind the NAT, reports $a_direct confirmed" >&2; exit 1; }
printf 'autonat: R confirmed its address %s by AutoNAT v2 in %.2f s from its start (no --announce); A reserved at R (refused first, before R knew its address: %s; its relayed address external), and its candidate (%s) failed the dial-back behind the NAT\n' \
  "$r_external" "$confirmed_after" "$refused" "$tested"
