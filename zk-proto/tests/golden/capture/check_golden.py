#!/usr/bin/env python3
"""Re-check the golden files on disk (no server needed).

    check_golden.py [GOLDEN_DIR]

For every NN-*.bin / old-client-*.bin file: the 4-byte length prefix must equal
file size - 4, the frame must decode completely (no trailing bytes) and its
decoded header must match the MANIFEST.tsv row (direction, xid, opcode).
Also checks the fixed sizes: ConnectRequest payload 45 (old client 44),
ConnectResponse 37 (old client 36), every ReplyHeader 16 bytes.
Prints one line per file; exits non-zero on any mismatch.
"""

import glob
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkframes  # noqa: E402


def main():
    gdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    rows = {}
    with open(os.path.join(gdir, "MANIFEST.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        assert header == ["file", "direction", "xid", "opcode", "description"], header
        for line in f:
            cols = line.rstrip("\n").split("\t")
            rows[cols[0]] = cols
    bad = 0

    def fail(msg):
        nonlocal bad
        bad += 1
        print("  FAIL: " + msg)

    files = sorted(glob.glob(os.path.join(gdir, "[0-9][0-9]-*.bin")))
    # Rebuild a synthetic recording so zkframes can decode the conversation.
    c2s = b""
    s2c = b""
    chunks = []
    for i, p in enumerate(files):
        data = open(p, "rb").read()
        d = "c2s" if "-c2s-" in os.path.basename(p) else "s2c"
        if d == "c2s":
            chunks.append({"seq": i, "dir": d, "off": len(c2s), "len": len(data)}); c2s += data
        else:
            chunks.append({"seq": i, "dir": d, "off": len(s2c), "len": len(data)}); s2c += data
    frames, cl, sl = zkframes.decode_connection(c2s, s2c, chunks)
    if cl or sl:
        fail("leftover bytes")
    for p, d in zip(files, frames):
        name = os.path.basename(p)
        data = open(p, "rb").read()
        (n,) = struct.unpack(">i", data[:4])
        print("%-52s size=%-4d len=%-4d %s" % (name, len(data), n, d["desc"][:110]))
        if n != len(data) - 4:
            fail("length prefix %d != size-4 %d" % (n, len(data) - 4))
        if "TRAILING" in d["desc"]:
            fail("trailing bytes")
        row = rows.get(name)
        if row is None:
            fail("not in MANIFEST.tsv")
        elif (row[1], row[2], row[3]) != (d["dir"], str(d["xid"]), str(d["op"])):
            fail("manifest %s != decoded %s" % (row[1:4], (d["dir"], d["xid"], d["op"])))
        if not name.split("-", 2)[2].startswith(d["name"]):
            fail("file name does not match decoded kind %s" % d["name"])
        if name.startswith("00-") and n != 45:
            fail("ConnectRequest payload should be 45 bytes")
        if name.startswith("01-") and n != 37:
            fail("ConnectResponse payload should be 37 bytes")
        if d["dir"] == "s2c" and not name.startswith("01-") and n < 16:
            fail("reply shorter than ReplyHeader")
        if d["dir"] == "s2c" and "-reply" in name and n != 16:
            fail("error reply must be exactly a 16-byte ReplyHeader")

    for name, want in (("old-client-connect-request.bin", 44),
                       ("old-client-connect-response.bin", 36),
                       ("old-client-close-session-request.bin", 8),
                       ("old-client-close-session-response.bin", 16)):
        p = os.path.join(gdir, name)
        data = open(p, "rb").read()
        (n,) = struct.unpack(">i", data[:4])
        print("%-52s size=%-4d len=%-4d" % (name, len(data), n))
        if n != want or len(data) != want + 4:
            fail("expected payload %d" % want)
        if name not in rows:
            fail("not in MANIFEST.tsv")
    for name in ("4lw-ruok-response.txt", "4lw-srvr-response.txt"):
        data = open(os.path.join(gdir, name), "rb").read()
        print("%-52s size=%-4d %r" % (name, len(data), data[:40]))
        if name not in rows:
            fail("not in MANIFEST.tsv")
    if open(os.path.join(gdir, "4lw-ruok-response.txt"), "rb").read() != b"imok":
        fail("ruok answer is not exactly 'imok'")
    listed = set(rows)
    on_disk = {os.path.basename(p) for p in files} | {
        "old-client-connect-request.bin", "old-client-connect-response.bin",
        "old-client-close-session-request.bin", "old-client-close-session-response.bin",
        "4lw-ruok-response.txt", "4lw-srvr-response.txt"}
    if listed != on_disk:
        fail("manifest/file mismatch: %s" % sorted(listed ^ on_disk))
    print("%d problem(s)" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
