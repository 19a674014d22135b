#!/usr/bin/env python3
"""Raw-socket captures that the Java client cannot produce (stdlib only, loopback only).

    old_client.py --port ZKPORT --out-dir DIR [--manifest FILE]

1. "Old client" handshake: a ConnectRequest WITHOUT the trailing readOnly byte
   (44-byte payload).  The server must answer with a ConnectResponse that also
   omits readOnly (36-byte payload).  Saved as
       old-client-connect-request.bin / old-client-connect-response.bin
   The session is then closed with closeSession (xid 1, op -11), saved as
       old-client-close-session-request.bin / old-client-close-session-response.bin
2. Four-letter words: the raw answers to "ruok" and "srvr", saved as
       4lw-ruok-response.txt / 4lw-srvr-response.txt
"""

import argparse
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkframes  # noqa: E402


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_frame(s):
    hdr = recv_exact(s, 4)
    (n,) = struct.unpack(">i", hdr)
    return hdr + recv_exact(s, n)


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def recv_all(s):
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return buf
        buf += chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--manifest")
    ap.add_argument("--timeout-ms", type=int, default=30000)
    a = ap.parse_args()
    rows = []

    def save(name, data, direction, xid, op, desc):
        with open(os.path.join(a.out_dir, name), "wb") as f:
            f.write(data)
        rows.append((name, direction, str(xid), str(op), desc))
        print("%-42s %4d bytes  %s" % (name, len(data), desc))

    # ---- 1. old-client handshake -------------------------------------------------
    s = socket.create_connection(("127.0.0.1", a.port))
    s.settimeout(10)
    # protocolVersion, lastZxidSeen, timeOut, sessionId, passwd(16 zero bytes); NO readOnly
    req = struct.pack(">iqiqi", 0, 0, a.timeout_ms, 0, 16) + b"\0" * 16
    assert len(req) == 44, len(req)
    s.sendall(frame(req))
    resp = recv_frame(s)
    r = zkframes.Reader(resp[4:])
    pv, to, sid, pw = r.int(), r.int(), r.long(), r.buffer()
    extra = r.remaining()
    save("old-client-connect-request.bin", frame(req), "c2s", "", "",
         "old-client ConnectRequest without readOnly: protocolVersion=0 lastZxidSeen=0 "
         "timeOut=%d sessionId=0 passwd=16x00 (payload 44 bytes)" % a.timeout_ms)
    save("old-client-connect-response.bin", resp, "s2c", "", "",
         "ConnectResponse to old client: protocolVersion=%d timeOut=%d sessionId=0x%x "
         "passwd=%s readOnly=%s (payload %d bytes)" % (
             pv, to, sid, pw.hex(), "absent" if extra == 0 else "PRESENT(%d extra bytes)" % extra,
             len(resp) - 4))

    close_req = frame(struct.pack(">ii", 1, -11))
    s.sendall(close_req)
    close_resp = recv_frame(s)
    xid, zxid, err = struct.unpack(">iqi", close_resp[4:20])
    save("old-client-close-session-request.bin", close_req, "c2s", 1, -11,
         "closeSession xid=1 (no body)")
    save("old-client-close-session-response.bin", close_resp, "s2c", xid, -11,
         "reply to closeSession xid=%d zxid=0x%x err=%d (no body, payload %d bytes)" % (
             xid, zxid, err, len(close_resp) - 4))
    try:
        rest = recv_all(s)
        if rest:
            print("WARNING: %d unexpected bytes after closeSession reply" % len(rest))
    except socket.timeout:
        print("WARNING: server did not close the socket after closeSession")
    s.close()

    # ---- 2. four-letter words -----------------------------------------------------
    for cmd in ("ruok", "srvr"):
        s = socket.create_connection(("127.0.0.1", a.port))
        s.settimeout(10)
        s.sendall(cmd.encode("ascii"))
        data = recv_all(s)
        s.close()
        save("4lw-%s-response.txt" % cmd, data, "s2c", "", "",
             "raw answer to 4lw '%s' (%d bytes, connection closed by server)" % (cmd, len(data)))

    if a.manifest:
        zkframes.write_manifest(a.manifest, rows, append=True)


if __name__ == "__main__":
    main()
