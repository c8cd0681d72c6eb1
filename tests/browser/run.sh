#!/usr/bin/env bash
# Browser end-to-end test of the web page: builds `badgemesh`, starts an
# issuer node, a registry node, two more issuers (one unlisted, one with a
# name confusable with the listed one) and a verifier node on loopback that
# follows the registry; issues a badge with two awards, revokes one, tampers
# with a copy of the other, and checks them all through the verifier's page in
# headless Chromium (verify_page.mjs): valid and listed, unverified,
# impersonation, revoked, tampered (the valid badge with the club's
# endorsement records: one of its badge class, one of the academy withdrawn,
# and the pathway graph to Mentor that it is a step of, drawn as an SVG),
# and a committed OB 3.0 credential with
# endorsements and warnings (endorsed.json) and one carrying alignments,
# results with rubric levels, credits, activity dates, evidence and related
# badges (full.json), both signed by fixed did:keys. A printed certificate of
# the valid badge is read from its QR code, chosen as a file and through the
# camera (certificate_page.mjs). Then the verifier, as an
# earner, keeps the valid and the revoked badge in its backpack and publishes
# them as a collection, whose public page public_page.mjs checks; and it
# presents two OB 3.0 badges awarded to its backpack's did:key, which
# presentation.mjs drops on the page (valid, replayed, someone else's badge,
# tampered).
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

# shellcheck source=../wait.sh
source "$root/tests/wait.sh"
on_timeout() {
  for d in "$work"/*/; do echo "--- $d log"; tail -20 "$d/log" || true; done
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

echo "== start an issuer, a registry, two other issuers and a verifier"
start_node issuer
issuer="$work/issuer"
boot="$(node_json "$issuer" listen)"
for n in registry club fake; do start_node "$n" --bootstrap "$boot"; done
start_node verifier --bootstrap "$boot"
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

echo "== a registry lists the academy; the verifier follows it; two unlisted issuers"
reg() { "$bin" --data-dir "$work/registry" "$@"; }
reg_did=$(reg issuer init --name "Accreditation Board")
academy_did=$(bm issuer show --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).did)')
reg registry list "$academy_did" --name "Example Academy" --domain academy.example --country FR >/dev/null
"$bin" --data-dir "$verifier" trust follow "$reg_did" --name "Accreditation Board" >/dev/null
for n in club fake; do
  if [ "$n" = club ]; then name="Community Coding Club"; url=https://club.example; else name="Examp1e Acadеmy"; url=https://academy.example; fi
  "$bin" --data-dir "$work/$n" issuer init --name "$(printf "$name")" --url "$url" >/dev/null
  b=$("$bin" --data-dir "$work/$n" badge create --name Teamwork --description "Works well with others" --criteria "Nominated by peers")
  "$bin" --data-dir "$work/$n" award "$b" --to ada@example.org --out "$work/$n.badge" >/dev/null
  if [ "$n" = club ]; then club_badge="$b"; fi
done

echo "== the club endorses the academy's badge class, and endorses then withdraws the academy"
cb() { "$bin" --data-dir "$work/club" "$@"; }
wait_until "the club to know the academy's badge" cb verify "$work/valid.badge"
cb endorse badge "$badge" --comment "We run our mentoring on it" >/dev/null
withdrawn=$(cb endorse issuer "$academy_did" --comment "Shared workshops")
cb endorse revoke "$withdrawn" --reason "workshops ended" >/dev/null

echo "== the academy declares a pathway: its Teamwork and the club's lead to Mentor"
wait_until "the academy to know the club's badge" bm verify "$work/club.badge"
mentor=$(bm badge create --name Mentor --description "Mentors newcomers" --criteria "Two teamwork badges")
bm pathway declare "$mentor" --all "$badge" --some "1:$club_badge" --name "Mentoring track" >/dev/null

# A tampered copy: the last byte (in the signature) flipped.
node -e 'const fs = require("fs"); const b = fs.readFileSync(process.argv[1]); b[b.length - 1] ^= 0xff; fs.writeFileSync(process.argv[2], b)' \
  "$work/valid.badge" "$work/tampered.badge"

echo "== wait for the verifier to sync the badge class and the revocation"
synced() {
  curl -fsS "$api/v1/issuers" | node -e '
    const list = JSON.parse(require("fs").readFileSync(0));
    process.exit(list.some((i) => i.badge_classes >= 1 && i.revoked >= 1)
      && list.filter((i) => i.badge_classes >= 1).length >= 3 ? 0 : 1)'
}
wait_until "sync" synced
listed() {
  curl -fsS "$api/v1/trust" | node -e '
    const t = JSON.parse(require("fs").readFileSync(0));
    process.exit(t.registries.some((r) => r.list_seq >= 1) ? 0 : 1)'
}
wait_until "the registry's list" listed
endorsed() {
  curl -fsS "$api/v1/issuers/$academy_did" | node -e '
    const v = JSON.parse(require("fs").readFileSync(0));
    process.exit((v.endorsements || []).some((e) => e.outcome === "revoked") ? 0 : 1)' &&
  curl -fsS "$api/v1/badges/$badge" | node -e '
    const v = JSON.parse(require("fs").readFileSync(0));
    process.exit((v.endorsements || []).some((e) => e.outcome === "valid") ? 0 : 1)'
}
wait_until "the club's endorsements at the verifier" endorsed
pathway_held() {
  curl -fsS "$api/v1/badges/$badge/pathway" | node -e '
    const g = JSON.parse(require("fs").readFileSync(0));
    process.exit((g.pathways || []).length === 1 && g.badges.length === 3 ? 0 : 1)'
}
wait_until "the academy's pathway at the verifier" pathway_held

echo "== headless Chromium against $api"
shots="${shots:-$work/screenshots}"
mkdir -p "$shots"
node "$here/verify_page.mjs" "$api" "$work/valid.badge" "$work/revoked.badge" \
  "$work/tampered.badge" "$shots" "$work/club.badge" "$work/fake.badge" \
  "$here/endorsed.json" "$here/full.json"

echo "== a printed certificate of the valid badge: chosen as a file and seen by the camera"
bm certificate "$work/valid.badge" --name "Ada Lovelace" --out "$work/certificate.png" >/dev/null
node "$here/certificate_page.mjs" "$api" "$work/certificate.png" "$root/bake/tests/fixtures/tiny.png" "$shots" \
  "$root/bake/tests/fixtures/qr/segno-url.png"

echo "== the verifier's backpack: a published collection (/p/portfolio)"
vb() { "$bin" --data-dir "$verifier" "$@"; }
vb backpack add "$work/valid.badge" "$work/revoked.badge" >/dev/null
ids=$(vb backpack list --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).map((e) => e.id).join(" "))')
vb backpack collection create portfolio >/dev/null
# shellcheck disable=SC2086
vb backpack collection add portfolio $ids >/dev/null
vb backpack collection publish portfolio >/dev/null
vb backpack collection create private >/dev/null
vb backpack publish portfolio --out "$work/site" >/dev/null
node "$here/public_page.mjs" "$api" portfolio "$work/valid.badge" "$shots" "$work/site"

echo "== the verifier, as an earner, presents two badges awarded to its did:key"
me=$(vb backpack holder)
bm award "$badge" --to "$me" --format ob3 --out "$work/mine.json" >/dev/null
bm award "$badge" --to "$me" --format svg --image "$here/teamwork.svg" --out "$work/mine.svg" >/dev/null
bm award "$badge" --to did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj --format ob3 --out "$work/theirs.json" >/dev/null
mine=$(vb backpack add "$work/mine.json" "$work/mine.svg" "$work/theirs.json" --json \
  | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).map((a) => a.badge.short_id).join(" "))')
read -r m1 m2 t1 <<<"$mine"
vb backpack present "$m1" "$m2" --challenge c-4711 --domain jobs.example --out "$work/presentation.json" >/dev/null
vb backpack present "$m1" "$t1" --challenge c-4711 --domain jobs.example --out "$work/theirs-presentation.json" >/dev/null 2>&1
node "$here/presentation.mjs" "$api" "$work/presentation.json" "$work/theirs-presentation.json" \
  "$work/valid.badge" "$shots"
echo "screenshots in $shots"
