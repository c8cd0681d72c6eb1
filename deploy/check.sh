#!/usr/bin/env bash
# Checks the operator's kit in deploy/:
# - the systemd unit: `systemd-analyze verify` with no warning about it, and
#   `systemd-analyze security` exposure at most 2.0 (of 10);
# - the container image: built, started, and healthy by its own health check
#   (`badgemesh node health`) within two minutes, when a container engine
#   answers (`docker info`); otherwise it says it skipped, and why.
#
#   bash deploy/check.sh [BADGEMESH_BINARY]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$root/target}/debug/badgemesh}"
cd "$root"

if command -v systemd-analyze >/dev/null; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # verify wants the unit's program to exist: point it at the build.
  sed "s|/usr/local/bin/badgemesh|$bin|" deploy/badgemesh.service >"$tmp/badgemesh.service"
  out="$(systemd-analyze verify "$tmp/badgemesh.service" 2>&1)" || { echo "$out" >&2; exit 1; }
  if grep -q "badgemesh.service" <<<"$out"; then
    echo "systemd-analyze verify warns about the unit:" >&2
    echo "$out" >&2
    exit 1
  fi
  exposure="$(systemd-analyze security --offline=true "$tmp/badgemesh.service" 2>&1 \
    | sed -n 's/.*Overall exposure level for badgemesh.service: \([0-9.]*\).*/\1/p')"
  if [ -z "$exposure" ] || ! awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
    echo "the unit's exposure level is '${exposure:-unknown}', above 2.0" >&2
    exit 1
  fi
  echo "systemd unit: verified, exposure level $exposure"
else
  echo "systemd unit: skipped (no systemd-analyze on this machine)"
fi

if docker info >/dev/null 2>&1; then
  image="badgemesh-check:$$"
  docker build -f deploy/Dockerfile -t "$image" .
  cid="$(docker run -d "$image")"
  status=""
  for _ in $(seq 120); do
    status="$(docker inspect -f '{{.State.Health.Status}}' "$cid")"
    [ "$status" = healthy ] && break
    sleep 1
  done
  docker logs "$cid" 2>&1 | tail -5
  docker rm -f "$cid" >/dev/null
  docker rmi "$image" >/dev/null || true
  if [ "$status" != healthy ]; then
    echo "container: not healthy after 2 minutes ($status)" >&2
    exit 1
  fi
  echo "container: built, started, healthy"
else
  echo "container: skipped (no container engine answers \`docker info\` here)"
fi
