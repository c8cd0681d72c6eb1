# Shared by the network tests that put nodes behind NAT routers in network
# namespaces (nat.sh, autonat.sh). Source it after setting:
#   test_name  the prefix of messages ("nat", "autonat")
#   id         a suffix unique to the run (interface names)
#   bin        the badgemesh binary
#   work       a scratch directory, one subdirectory per node
#   pub        the public namespace (made by public_side)
# and an array `pids` that the script's cleanup kills.

# The public side: a bridge at 10.0.0.1/24 in namespace $pub.
public_side() {
  ip -n "$pub" link add br0 type bridge
  ip -n "$pub" addr add 10.0.0.1/24 dev br0
  ip -n "$pub" link set br0 up
}

# Router N (namespace $2): WAN 10.0.0.1N on the public bridge, LAN
# 192.168.N.1, the node's namespace ($3) at 192.168.N.2 behind it. It
# masquerades the LAN and, like a home router, drops unsolicited packets
# from outside, which so never leave a connection-tracking entry behind
# (one left by a punch packet that arrived first would make the masquerade
# pick another port).
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
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "w$n$id" ct state new drop
  }
}
NFT
}

# Polling: 60 s deadlines; on timeout every node's log is printed and the
# run kept in $TMPDIR/badgemesh-NAME-failed.
# shellcheck source=../wait.sh
source "$(dirname "${BASH_SOURCE[0]}")/../wait.sh"
wait_secs=60
on_timeout() {
  for d in "$work"/*/; do echo "--- $d log"; tail -25 "$d/log" || true; done
  rm -rf "${TMPDIR:-/tmp}/badgemesh-$test_name-failed" &&
    cp -r "$work" "${TMPDIR:-/tmp}/badgemesh-$test_name-failed" || true
}

# Starts node NAME in namespace NS with further `node run` flags, and waits
# for it to answer. `ip netns exec` execs the node, so $! is its pid.
start_node() {
  local name="$1" ns="$2"; shift 2
  mkdir -p "$work/$name"
  RUST_LOG="${RUST_LOG:-info}" ip netns exec "$ns" "$bin" --data-dir "$work/$name" node run \
    --api 127.0.0.1:0 --no-mdns "$@" >"$work/$name/log" 2>&1 &
  pids+=($!)
  wait_until "node $name" ip netns exec "$ns" "$bin" --data-dir "$work/$name" node health
}

# Runs a badgemesh command as node NAME in namespace NS.
bm() { local name="$1" ns="$2"; shift 2; ip netns exec "$ns" "$bin" --data-dir "$work/$name" "$@"; }

# A field of the JSON on stdin (a path of keys; arrays joined by spaces).
field() { node -e 'const j = JSON.parse(require("fs").readFileSync(0)); let v = j; for (const k of process.argv.slice(1)) v = v == null ? v : v[k]; console.log(Array.isArray(v) ? v.join(" ") : v)' "$@"; }
