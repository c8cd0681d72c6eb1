#!/usr/bin/env bash
# Two nodes, each behind its own NAT, meet through a relay and punch a hole.
#
#   public (10.0.0.0/24, a bridge): relay R at 10.0.0.1; the routers' WAN
#     sides 10.0.0.11 and 10.0.0.12
#   router 1 masquerades 192.168.1.0/24 (node A at .2) behind 10.0.0.11
#   router 2 masquerades 192.168.2.0/24 (node B at .2) behind 10.0.0.12
#
# Each in a network namespace of its own, the routers with nftables. A and B
# cannot dial each other (private addresses, no port forwarding); both know
# only R. A reserves a relayed address at R; B is given that address; B
# connects to A through R; DCUtR punches a hole through both NATs; then A's
# issuer publishes records, and B must receive them. Prints the time from
# B's start to its first direct connection to A, hole punches, and which
# connections the records came on (gossip and sync do not run over a
# relayed connection, which is limited, so every record should cross a direct
# one).
#
#   bash tests/net/nat.sh [BADGEMESH_BINARY]
#
# Needs root, network namespaces, nftables and node; says it skipped, and
# why, when it cannot run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/debug/badgemesh}"
id=$$
pub="bmp$id" r1="bmr1$id" r2="bmr2$id" na="bma$id" nb="bmb$id"

if [ "$(id -u)" != 0 ]; then echo "nat: skipped (needs root for network namespaces)"; exit 0; fi
if ! command -v nft >/dev/null; then echo "nat: skipped (no nft)"; exit 0; fi
if ! ip netns add "$pub" 2>/dev/null; then echo "nat: skipped (network namespaces not permitted here)"; exit 0; fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "$pub" "$r1" "$r2" "$na" "$nb"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
for n in "$r1" "$r2" "$na" "$nb"; do ip netns add "$n"; done
for n in "$pub" "$r1" "$r2" "$na" "$nb"; do ip -n "$n" link set lo up; done

ip -n "$pub" link add br0 type bridge
ip -n "$pub" addr add 10.0.0.1/24 dev br0
ip -n "$pub" link set br0 up
# router N: WAN 10.0.0.1N, LAN 192.168.N.1, node 192.168.N.2 behind it.
nat_router() {
  local n="$1" router="$2" node="$3"
  ip link add "w$n$id" type veth peer name "p$n$id"
  ip link set "w$n$id" netns "$router"
  ip link set "p$n$id" netns "$pub"
  ip -n "$pub" link set "p$n$id" master br0 up
  ip -n "$router" addr add "10.0.0.1$n/24" dev "w$n$id"
  ip -n "$router" link set "w$n$id" up
  ip link add "l$n$id" type veth peer name "n$n$id"
  ip link set "l$n$id" netns "$router"
  ip link set "n$n$id" netns "$node"
  ip -n "$router" addr add "192.168.$n.1/24" dev "l$n$id"
  ip -n "$router" link set "l$n$id" up
  ip -n "$node" addr add "192.168.$n.2/24" dev "n$n$id"
  ip -n "$node" link set "n$n$id" up
  ip -n "$node" route add default via "192.168.$n.1"
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$router" nft -f - <<NFT
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "w$n$id" masquerade
  }
}
table ip filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "l$n$id" accept
    ct state established,related accept
  }
  # Like a home router: unsolicited packets from outside are dropped, and
  # so never leave a connection-tracking entry behind (one left by a punch
  # packet that arrived first would make the masquerade pick another port).
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "w$n$id" ct state new drop
  }
}
NFT
}
nat_router 1 "$r1" "$na"
nat_router 2 "$r2" "$nb"

wait_until() {
  local what="$1"; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $what" >&2
  for d in "$work"/*/; do echo "--- $d log" >&2; tail -25 "$d/log" >&2 || true; done
  rm -rf "${TMPDIR:-/tmp}/badgemesh-nat-failed" && cp -r "$work" "${TMPDIR:-/tmp}/badgemesh-nat-failed" || true
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

echo "== relay R on the public side; A behind NAT 1 reserves an address at R"
start_node relay "$pub" --listen /ip4/10.0.0.1/udp/4747/quic-v1 --announce /ip4/10.0.0.1/udp/4747/quic-v1
relay_id="$(bm relay "$pub" node info --json | field peer_id)"
relay="/ip4/10.0.0.1/udp/4747/quic-v1/p2p/$relay_id"
start_node a "$na" --listen /ip4/0.0.0.0/udp/4747/quic-v1 --relay "$relay" --bootstrap "$relay" --no-relay-server
a_id="$(bm a "$na" node info --json | field peer_id)"
reserved() { [ -n "$(bm a "$na" node info --json | field reachability relayed_listen)" ]; }
wait_until "A's reservation at R" reserved
if ip netns exec "$nb" ping -c1 -W1 192.168.1.2 >/dev/null 2>&1; then
  echo "B can reach A's private address: the NAT setup is wrong" >&2; exit 1
fi

echo "== B behind NAT 2 is given only A's relayed address"
started=$(date +%s.%N)
start_node b "$nb" --listen /ip4/0.0.0.0/udp/4747/quic-v1 --bootstrap "$relay/p2p-circuit/p2p/$a_id" --no-relay-server
direct_to_a() {
  bm b "$nb" peers --json | node -e '
    const peers = JSON.parse(require("fs").readFileSync(0));
    const a = peers.find((p) => p.peer_id === process.argv[1]);
    process.exit(a && a.addresses.some((x) => !x.includes("p2p-circuit")) ? 0 : 1)' "$a_id"
}
wait_until "a direct connection from B to A" direct_to_a
direct_after=$(echo "$(date +%s.%N) - $started" | bc)
bm b "$nb" peers --json | node -e '
  const peers = JSON.parse(require("fs").readFileSync(0));
  for (const p of peers) console.log("  B is connected to", p.peer_id.slice(-8), "at", p.addresses.join(", "))'

echo "== A's issuer publishes; B receives by gossip and sync"
bm a "$na" issuer init --name "Behind Two NATs Academy" >/dev/null
for i in 1 2 3; do bm a "$na" badge create --name "Badge $i" --description d --criteria c >/dev/null; done
received() { [ "$(bm b "$nb" node info --json | field records badge_class)" = 3 ]; }
wait_until "B to hold A's three badge classes" received
ra="$(bm a "$na" node info --json)"
rb="$(bm b "$nb" node info --json)"
punched=$(( $(field reachability hole_punches_succeeded <<<"$ra") + $(field reachability hole_punches_succeeded <<<"$rb") ))
[ "$punched" -ge 1 ] || { echo "no hole punch succeeded" >&2; exit 1; }
# Every record B received, counted by the connection it came on (gossip by
# its source's, sync answers by their own).
via_direct=$(field reachability records_direct <<<"$rb")
via_relayed=$(field reachability records_relayed <<<"$rb")
[ "$via_direct" -ge 3 ] || { echo "B counted $via_direct records over direct connections" >&2; exit 1; }
printf 'nat: B reached A (each behind its own NAT) through relay R, then directly by hole punching in %.2f s from its start; hole punches succeeded: %s; B: %s direct and %s relayed connections; 3 of 3 badge classes received; records B received: %s over direct connections, %s over relayed ones (%.0f %% direct)\n' \
  "$direct_after" "$punched" "$(field reachability direct_connections <<<"$rb")" "$(field reachability relayed_connections <<<"$rb")" \
  "$via_direct" "$via_relayed" "$(echo "100 * $via_direct / ($via_direct + $via_relayed)" | bc -l)"
