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
test_name=nat
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
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
for n in "$r1" "$r2" "$na" "$nb"; do ip netns add "$n"; done
for n in "$pub" "$r1" "$r2" "$na" "$nb"; do ip -n "$n" link set lo up; done

public_side
nat_router 1 "$r1" "$na"
nat_router 2 "$r2" "$nb"

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
