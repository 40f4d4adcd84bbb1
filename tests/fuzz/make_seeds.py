#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets in tests/fuzz/corpus/ (README.md).

The files are checked in; run this again only when a format (docs/format.md)
or a target's input layout changes:  python3 tests/fuzz/make_seeds.py
fuzz_validation's seeds are small text files kept by hand.
"""
import os
import sqlite3
import struct
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data):
    c = crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- log segments (src/log/log_format.h) ------------------------------------
def segment_header(base):
    h = b"DUETLOG\0" + struct.pack("<IIQ", 1, 64, base) + b"\0" * 36
    return h + struct.pack("<I", masked_crc(h))


def event_body(position, version, stream, etype, data, metadata=b"", commit=True):
    fixed = struct.pack("<BBHQQq", 1, 1 if commit else 0, 0, position, version, 1700000000000000)
    fixed += bytes(range(16))
    fixed += struct.pack("<HHII", len(stream), len(etype), len(data), len(metadata))
    return fixed + stream + etype + data + metadata


def frame(body):
    return struct.pack("<II", masked_crc(body), len(body)) + body


def write_segment_seeds():
    bodies = [
        event_body(1, 0, b"account-1", b"AccountOpened", b'{"owner":"ada"}', commit=False),
        event_body(2, 1, b"account-1", b"Deposited", b'{"amount":100}', b'{"command_id":"c1"}'),
        event_body(3, 0, b"order-7", b"OrderPlaced", b'{"items":[]}'),
    ]
    skippable = bytes([200, 0, 0, 0]) + b"padding"
    records = b"".join(frame(b) for b in bodies)
    whole = segment_header(1) + records
    write("fuzz_segment", "raw_clean", b"\x00\x00" + whole)
    write("fuzz_segment", "raw_torn_body", b"\x00\x00" + whole[:-7])
    write("fuzz_segment", "raw_zero_tail", b"\x00\x00" + whole + b"\0" * 40)
    write("fuzz_segment", "raw_uncommitted", b"\x00\x00" + segment_header(1) + frame(bodies[0]))
    write("fuzz_segment", "raw_header_only", b"\x00\x00" + segment_header(1))
    write("fuzz_segment", "raw_short_header", b"\x00\x00" + segment_header(1)[:40])
    write("fuzz_segment", "records", b"\x01\x00" + records + frame(skippable))
    bad_crc = bytearray(records)
    bad_crc[70] ^= 0x40
    write("fuzz_segment", "records_bad_crc_inside", b"\x01\x00" + bytes(bad_crc))
    framed = b"".join(struct.pack("<H", len(b)) + b for b in bodies + [skippable])
    write("fuzz_segment", "bodies", b"\x02\x00" + framed)
    write("fuzz_segment", "bodies_base_2", b"\x02\x01" + b"".join(
        struct.pack("<H", len(b)) + b
        for b in [event_body(2, 0, b"s", b"T", b"{}"), event_body(3, 1, b"s", b"T", b"{}")]))


# ---- stream-index checkpoints (src/store/index_checkpoint.cc) ---------------
def index_checkpoint(position, streams):
    out = b"DUETIDX\0" + struct.pack("<IIQQ", 1, 0, position, len(streams))
    for name, positions in streams:
        out += varint(len(name)) + name + varint(len(positions))
        previous = 0
        for p in positions:
            out += varint(p - previous)
            previous = p
    return out


def write_index_checkpoint_seeds():
    sample = index_checkpoint(4, [(b"a-1", [1, 3]), (b"b-1", [2, 4])])
    # Mode byte: even = the target appends the CRC, odd = the file as it is.
    write("fuzz_index_checkpoint", "sample", b"\x00" + sample)
    write("fuzz_index_checkpoint", "sample_with_crc",
          b"\x01" + sample + struct.pack("<I", masked_crc(sample)))
    write("fuzz_index_checkpoint", "empty", b"\x00" + index_checkpoint(0, []))
    write("fuzz_index_checkpoint", "one_stream",
          b"\x00" + index_checkpoint(5, [(b"$all-ish", [1, 2, 3, 4, 5])]))


# ---- snapshots ---------------------------------------------------------------
def aggregate_snapshot(stream, payload, version=7, schema=1):
    out = b"DUETSNAP" + struct.pack("<IIQQQII", 1, schema, version, 0x0123456789ABCDEF,
                                    0xFEDCBA9876543210, len(stream), len(payload))
    return out + stream + payload


# ReadStoreFormatVersion (src/readstore/sqlite_store_file.h), per kind.
STORE_FORMAT_VERSIONS = {"document": 1, "search": 2, "analytics": 2}


def sqlite_store(kind, checkpoint):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "store.db")
        db = sqlite3.connect(path)
        # The smallest page size keeps the seed small; the reader takes any.
        db.executescript(
            "PRAGMA page_size=512; PRAGMA application_id=%d;"
            "CREATE TABLE duet_meta(key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;"
            % 0x44554554)
        db.executemany("INSERT INTO duet_meta VALUES(?, ?)",
                       [("format_version", STORE_FORMAT_VERSIONS[kind]), ("checkpoint", checkpoint),
                        ("kind", kind)])
        db.commit()
        db.close()
        with open(path, "rb") as f:
            return f.read()


def write_snapshot_seeds():
    snap = aggregate_snapshot(b"account-1", b'{"owner":"ada","balances":{"EUR":500}}')
    # Selector: %4 == 0 aggregate (bit 0x10 clear: the target appends the CRC),
    # 1 projection snapshot name, 2-3 read-store file (kind = (selector >> 2) % 3).
    write("fuzz_snapshot", "aggregate", b"\x00" + snap)
    write("fuzz_snapshot", "aggregate_with_crc",
          b"\x10" + snap + struct.pack("<I", masked_crc(snap)))
    write("fuzz_snapshot", "aggregate_empty_payload", b"\x00" + aggregate_snapshot(b"s", b""))
    write("fuzz_snapshot", "projection_name", b"\x01v1-00000000000000000042")
    write("fuzz_snapshot", "projection_name_big", b"\x01v4294967295-18446744073709551615")
    write("fuzz_snapshot", "store_document", b"\x02" + sqlite_store("document", 42))
    write("fuzz_snapshot", "store_search", b"\x06" + sqlite_store("search", 7))


if __name__ == "__main__":
    write_segment_seeds()
    write_index_checkpoint_seeds()
    write_snapshot_seeds()
