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
    if SEEDS.exists():
        shutil.rmtree(SEEDS)
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


if __name__ == "__main__":
    main()
