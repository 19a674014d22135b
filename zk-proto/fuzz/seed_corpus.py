#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from real Apache ZooKeeper bytes:
the golden client/server frames (../tests/golden) and the txn log (../tests/data).
Run from zk-proto/fuzz: python3 seed_corpus.py  (creates corpus/<target>/)."""
import hashlib, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "golden")
LOG = os.path.join(HERE, "..", "tests", "data", "apache-3.8-log.1")
# OpCode::ALL, in declaration order (src/op_code.rs): the reply target's first byte indexes it.
OPCODES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
           100, 101, 102, 103, 104, 105, 106, 107, -10, -11, -1]


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def golden():
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(GOLDEN, "MANIFEST.tsv"))][1:]
    stream = b""
    for name, direction, _xid, opcode, *_ in rows:
        frame = open(os.path.join(GOLDEN, name), "rb").read()
        if "connect" in name:
            put("connect", frame[4:])
        elif direction == "c2s":
            put("frame_request", frame)
            stream += frame
        elif opcode.lstrip("-").isdigit() and int(opcode) in OPCODES:
            put("reply", bytes([OPCODES.index(int(opcode))]) + frame[4:])
    put("frame_request", stream)


def txns():
    b = open(LOG, "rb").read()
    p, entries = 16, []
    while p + 12 <= len(b):
        _crc, n = struct.unpack(">qi", b[p:p + 12])
        if n <= 0:
            break
        entries.append(b[p + 12:p + 12 + n])
        p += 12 + n + 1
    for e in entries:
        put("txn", e)
    return entries


def quorum(entries):
    def packet(t, zxid, data=None, auth=None):
        out = struct.pack(">iq", t, zxid)
        out += struct.pack(">i", -1) if data is None else struct.pack(">i", len(data)) + data
        if auth is None:
            return out + struct.pack(">i", -1)
        out += struct.pack(">i", len(auth))
        for scheme, ident in auth:
            out += struct.pack(">i", len(scheme)) + scheme + struct.pack(">i", len(ident)) + ident
        return out
    stream = packet(11, 1 << 32, struct.pack(">qiq", 2, 0x10000, 0))
    stream += packet(17, 2 << 32, struct.pack(">i", 0x10000)) + packet(18, 5, struct.pack(">i", 1))
    stream += b"".join(packet(2, i + 1, e) for i, e in enumerate(entries[:5]))
    stream += packet(4, 5) + packet(5, 5) + packet(1, -1, b"\0" * 12, [(b"ip", b"127.0.0.1")])
    put("quorum", stream)
    addr = b"127.0.0.1:3888|10.0.0.1:3888"
    put("quorum", struct.pack(">qqi", -65535, 3, len(addr)) + addr)
    config = b"server.1=127.0.0.1:2888:3888:participant\nversion=0"
    put("quorum", struct.pack(">iqqqqii", 0, 1, 5, 1, 0, 2, len(config)) + config)


golden()
quorum(txns())
