"""Issue Open Badges with openbadgeslib, for badgemesh's interop tests.

Usage: obl_issue.py OUT_DIR BASE_URL

BASE_URL is where the test serves OUT_DIR (e.g. http://127.0.0.1:8123): the
OB 2.0 documents and the status lists get URLs under it, and the OB 3.0
issuer is the did:web of its host and port. Keys are fresh each run; dates
are fixed. Everything is made by openbadgeslib's own API (signers, models,
status lists, DID document, baking); this script only chooses the inputs and
writes the files. `manifest.json` lists what was issued.
"""

import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import png

from openbadgeslib import __version__ as obl_version
from openbadgeslib.keys import KeyFactory, KeyType, public_jwk_from_pem
from openbadgeslib.ob2.models import (Assertion, BadgeClass, CryptographicKey,
                                      IdentityObject as OB2Identity, Profile,
                                      RevocationList, Verification)
from openbadgeslib.ob2.signer import OB2Signer
from openbadgeslib.ob3 import (Achievement, Issuer, OB3LdpSigner, OB3Signer,
                               OpenBadgeCredential, build_did_document,
                               build_status_list_credential,
                               did_key_from_pem, did_web_from_url,
                               sign_status_list_credential, status_entry)

ISSUED = datetime(2025, 1, 15, 8, 0, 0, tzinfo=timezone.utc)
EXPIRED = datetime(2025, 6, 1, 0, 0, 0, tzinfo=timezone.utc)
RECIPIENT = "mailto:ada@example.org"
INDEX = 7

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<circle cx="5" cy="5" r="4"/></svg>')


def tiny_png():
    out = io.BytesIO()
    png.Writer(2, 2, greyscale=True).write(out, [[0, 255], [255, 0]])
    return out.getvalue()


def keypair(kind):
    key = KeyFactory(kind)
    key.generate_keypair()
    return key.get_priv_key_pem(), key.get_pub_key_pem()


def main(out, base):
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"openbadgeslib": obl_version, "base": base, "files": {}}

    def write(name, data, what):
        path = out / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        manifest["files"][name] = what

    host = urlsplit(base).netloc
    did = did_web_from_url("https://" + host)
    keys = {
        "RS256": keypair(KeyType.RSA),
        "ES256": keypair(KeyType.ECC),
        "EdDSA": keypair(KeyType.ED25519),
    }
    fragments = {"RS256": "key-rsa", "ES256": "key-p256", "EdDSA": "key-ed25519"}
    did_doc = build_did_document(
        did, [(fragments[alg], public_jwk_from_pem(pub))
              for alg, (_, pub) in keys.items()])
    write("did.json", json.dumps(did_doc, indent=2),
          "the did:web issuer's DID document, built by build_did_document")

    achievement = Achievement(
        id=base + "/achievements/interop", name="Interop",
        description="Issued by openbadgeslib", criteria_narrative="Be issued.")

    def credential(issuer_id, status=(), expires=None, cid=None):
        return OpenBadgeCredential(
            issuer=Issuer(id=issuer_id, name="OBL Academy",
                          url="https://obl.example"),
            recipient_id=RECIPIENT, achievement=achievement,
            id=cid, issuance_date=ISSUED, expiration_date=expires,
            credential_status=list(status))

    # OB 3.0 VC-JWTs, one per algorithm, issued by the did:web.
    for alg, (priv, _) in keys.items():
        signer = OB3Signer(priv, algorithm=alg)
        name = "ob3-%s" % alg.lower()
        write(name + ".jwt", signer.sign(credential(did)),
              "OB 3.0 VC-JWT, %s, issuer %s, key in the jwk header" % (alg, did))
    es = OB3Signer(keys["ES256"][0], algorithm="ES256")
    write("ob3-es256.png", es.sign_into_png(credential(did), tiny_png()),
          "the ES256 VC-JWT baked into a PNG (iTXt openbadgecredential)")
    write("ob3-es256.svg", es.sign_into_svg(credential(did), SVG),
          "the ES256 VC-JWT baked into an SVG (openbadges:credential verify=)")
    write("ob3-es256-expired.jwt",
          es.sign(credential(did, expires=EXPIRED)),
          "ES256 VC-JWT whose validUntil/exp is 2025-06-01")

    # A did:key issuer (Ed25519), signed as a VC-JWT.
    ed_priv, ed_pub = keys["EdDSA"]
    did_key = did_key_from_pem(ed_pub)
    write("ob3-didkey-eddsa.jwt",
          OB3Signer(ed_priv, algorithm="EdDSA").sign(credential(did_key)),
          "OB 3.0 VC-JWT, EdDSA, issuer %s" % did_key)

    # Data Integrity eddsa-rdfc-2022 ([ldp] extra): did:key and did:web.
    ldp_key = OB3LdpSigner(ed_priv)
    write("ob3-ldp-didkey.json", ldp_key.sign_to_json(credential(did_key),
                                                       created=ISSUED),
          "OB 3.0 eddsa-rdfc-2022, issuer and verificationMethod did:key")
    ldp_web = OB3LdpSigner(ed_priv, verification_method=did + "#key-ed25519")
    write("ob3-ldp-didweb.json",
          ldp_web.sign_to_json(credential(did), created=ISSUED),
          "OB 3.0 eddsa-rdfc-2022, verificationMethod %s#key-ed25519" % did)
    write("ob3-ldp-didkey.png", ldp_key.sign_into_png(credential(did_key),
                                                      tiny_png()),
          "the did:key Data Integrity credential baked into a PNG")
    write("ob3-ldp-didkey.svg", ldp_key.sign_into_svg(credential(did_key), SVG),
          "the did:key Data Integrity credential baked into an SVG (text)")

    # Bitstring Status List: credentials pointing at bit INDEX, and the lists.
    rs_priv = keys["RS256"][0]
    for purpose in ("revocation", "suspension"):
        url = "%s/status/%s" % (base, purpose)
        entry = status_entry(url, purpose, INDEX)
        write("ob3-status-%s.jwt" % purpose,
              OB3Signer(rs_priv, algorithm="RS256").sign(
                  credential(did, status=[entry])),
              "RS256 VC-JWT with a %s entry, index %d of %s"
              % (purpose, INDEX, url))
        # Dated now, as openbadges-publish does: sign_status_list_credential
        # sets nbf to the signing time, whatever validFrom says.
        for state, bits in (("clear", []), ("set", [INDEX])):
            vc = build_status_list_credential(did, url, purpose, bits)
            write("status-%s-%s.jwt" % (purpose, state),
                  sign_status_list_credential(vc, rs_priv, "RS256"),
                  "%s list (VC-JWT, RS256), bit %d %s" % (purpose, INDEX, state))
    vc = build_status_list_credential(did, "%s/status/revocation" % base,
                                      "revocation", [INDEX], issued=ISSUED)
    write("status-revocation-backdated.jwt",
          sign_status_list_credential(vc, rs_priv, "RS256"),
          "revocation list with validFrom %s, signed now (nbf is now)"
          % ISSUED.isoformat())

    # OB 2.0 signed assertions, with their issuer's documents.
    profile_url = base + "/ob2/issuer.json"
    badge_url = base + "/ob2/badge.json"
    revocations_url = base + "/ob2/revocations.json"
    key_urls = []
    for alg, (priv, pub) in keys.items():
        key_url = "%s/ob2/key-%s.json" % (base, alg.lower())
        key_urls.append(key_url)
        write("ob2-key-%s.json" % alg.lower(),
              json.dumps(CryptographicKey(id=key_url, owner=profile_url,
                                          public_key_pem=pub.decode()).to_dict()),
              "OB 2.0 CryptographicKey of the %s key" % alg)
        write("ob2-key-%s.pem" % alg.lower(), pub,
              "public PEM of the OB 2.0 %s key" % alg)
    write("ob2-issuer.json",
          json.dumps(Profile(id=profile_url, name="OBL Academy",
                             url="https://obl.example",
                             email="badges@obl.example", public_key=key_urls,
                             revocation_list=revocations_url).to_dict()),
          "OB 2.0 issuer Profile")
    write("ob2-badge.json",
          json.dumps(BadgeClass(id=badge_url, name="Interop",
                                description="Issued by openbadgeslib",
                                image=base + "/ob2/badge.png",
                                criteria=base + "/ob2/criteria",
                                issuer=profile_url).to_dict()),
          "OB 2.0 BadgeClass")
    revoked_id = "urn:uuid:0b1e0000-0000-4000-8000-00000000dead"
    write("ob2-revocations.json",
          json.dumps(RevocationList(id=revocations_url, issuer=profile_url,
                                    revoked_assertions=[revoked_id]).to_dict()),
          "OB 2.0 RevocationList naming ob2-revoked.jws")

    def assertion(key_url, aid=None):
        return Assertion(
            recipient=OB2Identity.create("ada@example.org", "s4lt"),
            badge=badge_url, id=aid, issued_on=ISSUED,
            verification=Verification(type="SignedBadge", creator=key_url))

    for (alg, (priv, _)), key_url in zip(keys.items(), key_urls):
        signer = OB2Signer(priv, algorithm=alg)
        write("ob2-%s.jws" % alg.lower(), signer.sign(assertion(key_url)),
              "OB 2.0 signed assertion, %s" % alg)
    rs2 = OB2Signer(rs_priv, algorithm="RS256")
    write("ob2-rs256.png", rs2.sign_into_png(assertion(key_urls[0]), tiny_png()),
          "the RS256 OB 2.0 assertion baked into a PNG (iTXt openbadges)")
    write("ob2-rs256.svg", rs2.sign_into_svg(assertion(key_urls[0]), SVG),
          "the RS256 OB 2.0 assertion baked into an SVG (openbadges:assertion)")
    write("ob2-revoked.jws", rs2.sign(assertion(key_urls[0], revoked_id)),
          "OB 2.0 RS256 assertion listed in the issuer's RevocationList")

    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), sys.argv[2].rstrip("/"))
