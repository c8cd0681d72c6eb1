#!/usr/bin/env bash
# The W3C Verifiable Credentials test suites against a badgemesh node, over
# the VC API (`/credentials/issue`, `/credentials/verify`, and status lists
# published behind an HTTPS front).
#
#   bash tests/w3c/run.sh [SUITE...]      (default: every suite in vendor/)
#
# Each suite is a pinned source tarball in vendor/ (git archive of the W3C
# repository at the commit in its name); its GitHub-hosted dependencies are
# npm-packed tarballs beside it, and tests/w3c/<suite>/ holds the
# package.json pointing at them and the package-lock.json that pins the rest
# (npm ci: the registry only). The suite runs against one node with an
# issuer, configured by a generated localConfig.cjs. A failing test that is
# not in tests/w3c/<suite>/known-failures.txt (its full title, a tab, the
# reason) fails this script, and so does a listed one that now passes (so
# the list stays true). Prints passing/total per suite.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

cargo build -p badgemesh --locked -q
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/debug/badgemesh"
suites_dir="$target/w3c"
mkdir -p "$suites_dir"

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=../wait.sh
source "$root/tests/wait.sh"
on_timeout() { tail -20 "$work/node/log" || true; }

echo "== a node with an issuer"
dir="$work/node"
mkdir -p "$dir"
RUST_LOG="${RUST_LOG:-warn}" "$bin" --data-dir "$dir" node run \
  --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --no-mdns >"$dir/log" 2>&1 &
pids+=($!)
wait_until "node" test -s "$dir/node.json"
api=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).api)' "$dir/node.json")
wait_until "API" curl -fsS "$api/healthz"

# An HTTPS front (self-signed) for what the node publishes: the status list
# suite's document loader only fetches https: URLs. The issuer's public base
# URL is the front, so its status entries point there.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$work/tls.key" -out "$work/tls.crt" -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1
node "$here/https-proxy.mjs" "$work/tls.crt" "$work/tls.key" "$api" "$work/https.port" \
  >"$work/https.log" 2>&1 &
pids+=($!)
wait_until "HTTPS front" test -s "$work/https.port"
public="https://127.0.0.1:$(cat "$work/https.port")"
wait_until "HTTPS front answers" curl -fsSk "$public/healthz"

"$bin" --data-dir "$dir" issuer init --name "badgemesh W3C suites" --public-url "$public" >/dev/null
did=$("$bin" --data-dir "$dir" issuer show --json |
  node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).did)')
token=$(tr -d '\n' <"$dir/admin.token")

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  for d in "$here"/*/; do [ -f "$d/package-lock.json" ] && suites+=("$(basename "$d")"); done
fi

status=0
for suite in "${suites[@]}"; do
  echo "== $suite"
  tarball=$(ls "$here"/vendor/"$suite"-*.tar.gz)
  dest="$suites_dir/$suite"
  # A fresh copy of the pinned sources with our package files; node_modules
  # is kept between runs when the lock did not change.
  if [ ! -f "$dest/.lock" ] || ! cmp -s "$dest/.lock" "$here/$suite/package-lock.json"; then
    rm -rf "$dest"
    mkdir -p "$dest"
    tar -xzf "$tarball" -C "$dest" --strip-components=1
    cp "$here/$suite/package.json" "$here/$suite/package-lock.json" "$dest/"
    mkdir -p "$dest/vendor" && cp "$here"/vendor/*.tgz "$dest/vendor/"
    (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/$suite/package-lock.json" "$dest/.lock"
  fi
  tags=$(cat "$here/$suite/tags")
  # The VC API issue options the suite's issuer is configured with (status).
  options=$(cat "$here/$suite/issuer-options.json" 2>/dev/null || echo '{}')
  cat >"$dest/localConfig.cjs" <<EOF
// Written by tests/w3c/run.sh: one local implementation, this node.
module.exports = {
  settings: {enableInteropTests: false, testAllImplementations: false},
  implementations: [{
    name: "badgemesh",
    implementation: "badgemesh",
    issuers: [{
      id: "$did",
      // Through the HTTPS front: vc-test-suite-implementations sends the
      // endpoint's headers and reads the VC API's {verifiableCredential}
      // answer only for https: endpoints (the data model suite reads a
      // plain http: answer as if it were the credential itself).
      endpoint: "$public/credentials/issue",
      headers: {Authorization: "Bearer $token"},
      tags: $tags,
      options: $options,
    }],
    verifiers: [{
      id: "urn:badgemesh:verifier",
      endpoint: "$api/credentials/verify",
      tags: $tags,
    }],
    vpVerifiers: [{
      id: "urn:badgemesh:verifier",
      endpoint: "$api/presentations/verify",
      tags: $tags,
    }],
  }],
};
EOF
  (cd "$dest" && npx mocha tests/ --reporter json --timeout 15000 --preserve-symlinks \
    >"$suites_dir/$suite.report.json" 2>"$suites_dir/$suite.log") || true
  node "$here/summarize.mjs" "$suites_dir/$suite.report.json" "$here/$suite/known-failures.txt" "$suite" || status=1
done
exit $status
