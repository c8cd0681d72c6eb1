#!/usr/bin/env python3
"""Writes the committed seed corpus fuzz/seeds/<target>/ from the golden vectors.

Deterministic: running it again gives the same files. Usage, from anywhere:

    python3 fuzz/make_seeds.py
"""

import json
import random
import shutil
import struct
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
VECTORS = FUZZ.parent / "protocol" / "tests" / "vectors" / "records.json"
SEEDS = FUZZ / "seeds"

# The targets whose seeds this script writes (badge_formats has hand-picked
# files and is left alone).
TARGETS = ["envelope", "record", "apply", "verify", "identifiers", "snapshot", "api_requests"]

# The api_requests target's first byte picks what the rest is (see its source).
ROUTES = ["profile", "badge", "award", "revoke", "rotate", "ob3", "verify_query", "export_query", "path"]

# Index of each kind in RecordKind::ALL (the record target's first byte).
KINDS = ["key_event", "issuer_profile", "badge_class", "assertion", "revocation_update", "head"]


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor_bytes(b):
    return cbor_head(2, len(b)) + b


def roaring(values):
    """The portable roaring format with array containers only (no runs)."""
    buckets = {}
    for v in sorted(set(values)):
        buckets.setdefault(v >> 16, []).append(v & 0xFFFF)
    out = struct.pack("<II", 12346, len(buckets))
    for key, vals in sorted(buckets.items()):
        out += struct.pack("<HH", key, len(vals) - 1)
    offset = len(out) + 4 * len(buckets)
    for vals in (buckets[k] for k in sorted(buckets)):
        out += struct.pack("<I", offset)
        offset += 2 * len(vals)
    for vals in (buckets[k] for k in sorted(buckets)):
        out += b"".join(struct.pack("<H", v) for v in vals)
    return out


def snapshot(issuer, seq, bitmap):
    """RevocationSnapshot as CBOR: {0: issuer, 1: seq, 2: bitmap}."""
    return (
        cbor_head(5, 3)
        + cbor_head(0, 0) + cbor_bytes(issuer)
        + cbor_head(0, 1) + cbor_head(0, seq)
        + cbor_head(0, 2) + cbor_bytes(bitmap)
    )


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def main():
    records = json.loads(VECTORS.read_text())["records"]
    for target in TARGETS:
        if (SEEDS / target).exists():
            shutil.rmtree(SEEDS / target)
    rng = random.Random(20261128)

    for i, r in enumerate(records):
        env = bytes.fromhex(r["envelope"])
        name = f"{i}-{r['kind']}"
        for target in ("envelope", "record", "apply", "verify"):
            write(target, name, env)
        write("record", f"{name}-payload", bytes([KINDS.index(r["kind"])]) + bytes.fromhex(r["payload"]))

    # apply: three-byte chunks (selector, position, value); a few random streams.
    for i, n in enumerate((3, 6, 12, 24, 48, 96)):
        write("apply", f"random-{i}", bytes(rng.randrange(256) for _ in range(n)))
    write("apply", "all-valid", bytes(b for sel in range(0, 16, 2) for b in (sel, 0, 0)))

    # identifiers: did:key, record ids, timestamps, and raw multihash bytes.
    texts = [
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "did:key:" + records[0]["signer"],
        records[0]["id"],
        records[3]["id"],
        "2026-11-28T02:43:40Z",
        "2026-11-28T03:43:40+01:00",
        "1970-01-01T00:00:00Z",
    ]
    for i, t in enumerate(texts):
        write("identifiers", f"text-{i}", t.encode())
    write("identifiers", "multihash", bytes([0x12, 0x20]) + bytes(range(32)))

    # snapshot: valid snapshots and a few near misses.
    issuer = bytes.fromhex(records[0]["payload"])[4:36]
    write("snapshot", "empty", snapshot(issuer, 0, roaring([])))
    write("snapshot", "small", snapshot(issuer, 2, roaring([1, 2, 9, 4095])))
    write("snapshot", "two-containers", snapshot(issuer, 3, roaring([7, 65536 + 7, (1 << 24) - 1])))
    write("snapshot", "bad-cookie", snapshot(issuer, 1, b"\x00" * 8))
    write("snapshot", "truncated", snapshot(issuer, 1, roaring([1, 2, 3])[:-2]))

    # api_requests: a route byte, then what a client sends to that route.
    did = texts[0]
    ids = [records[3]["id"], records[4]["id"]]
    requests = {
        "profile": [
            {"name": "Example Academy", "url": "https://academy.example", "email": "a@academy.example",
             "description": "d", "image": "https://academy.example/logo.png",
             "public_base_url": "https://badges.academy.example"},
            {"name": ""},
        ],
        "badge": [
            {"name": "Teamwork", "description": "Works well with others", "criteria": "Nominated by peers",
             "criteria_url": "https://academy.example/teamwork", "image": "https://academy.example/t.png",
             "image_digest": "00" * 32, "tags": ["soft-skills", "team"],
             "alignments": [{"target_name": "ESCO", "target_url": "https://esco.ec.europa.eu/x",
                             "target_description": "t", "target_framework": "ESCO", "target_code": "S1"}],
             "related": ids},
            {"name": "x", "description": "y"},
        ],
        "award": [
            {"badge": ids[0], "recipient": "ada@example.org", "evidence": ["https://example.org/e"],
             "narrative": "did the work", "expires": "2030-01-01T00:00:00Z"},
            {"badge": ids[0], "recipient": did},
        ],
        "revoke": [
            {"assertions": ids, "indices": [0, 1, 16777215], "reason": "awarded by mistake"},
            {"indices": [7]},
        ],
        "rotate": [{"next_key": "ab" * 32}, {}],
        "ob3": [{"assertion": ids[0]}],
    }
    for route, bodies in requests.items():
        for i, body in enumerate(bodies):
            write("api_requests", f"{route}-{i}", bytes([ROUTES.index(route)]) + json.dumps(body).encode())
    write("api_requests", "rotate-empty", bytes([ROUTES.index("rotate")]))
    queries = {
        "verify_query": ["recipient=ada%40example.org&at=2026-11-28T02:43:40Z&max_age=3600", "max_age=-1"],
        "export_query": [f"issuer={did},{did}", "issuer="],
        "path": [ids[0], did],
    }
    for route, texts_ in queries.items():
        for i, t in enumerate(texts_):
            write("api_requests", f"{route}-{i}", bytes([ROUTES.index(route)]) + t.encode())


if __name__ == "__main__":
    main()
