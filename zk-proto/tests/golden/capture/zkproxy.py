#!/usr/bin/env python3
"""Recording TCP proxy for ZooKeeper client traffic (stdlib only, loopback only).

    zkproxy.py --listen-port A --target-port B --rec-dir DIR [--max-conns N]

Listens on 127.0.0.1:A, forwards every accepted connection to 127.0.0.1:B and
records, per connection N (numbered from 0):

    DIR/conn-N.c2s.raw       all bytes client -> server
    DIR/conn-N.s2c.raw       all bytes server -> client
    DIR/conn-N.chunks.jsonl  one line per TCP read, in the order the proxy saw
                             them: {"seq", "dir", "off", "len"}; this is what
                             lets zkframes.py interleave the two directions.

While running it prints each frame's decoded header (xid/op for requests,
xid/zxid/err for replies) to stdout.  After --max-conns connections have been
fully closed it exits.  Writes "DIR/ready" once it is listening.
"""

import argparse
import json
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zkframes  # noqa: E402


class Conn:
    def __init__(self, num, rec_dir):
        self.num = num
        self.lock = threading.Lock()
        self.seq = 0
        base = os.path.join(rec_dir, "conn-%d" % num)
        self.files = {"c2s": open(base + ".c2s.raw", "wb"),
                      "s2c": open(base + ".s2c.raw", "wb")}
        self.offs = {"c2s": 0, "s2c": 0}
        self.bufs = {"c2s": b"", "s2c": b""}
        self.nframes = {"c2s": 0, "s2c": 0}
        self.chunks = open(base + ".chunks.jsonl", "w")
        self.pending = {}

    def record(self, direction, data):
        with self.lock:
            self.files[direction].write(data)
            self.files[direction].flush()
            self.chunks.write(json.dumps({"seq": self.seq, "dir": direction,
                                          "off": self.offs[direction], "len": len(data)}) + "\n")
            self.chunks.flush()
            self.seq += 1
            self.offs[direction] += len(data)
            self.bufs[direction] += data
            frames, left = zkframes.split_stream(self.bufs[direction])
            self.bufs[direction] = left
            for _, fr in frames:
                self.log_frame(direction, fr)

    def log_frame(self, direction, fr):
        n = self.nframes[direction]
        self.nframes[direction] += 1
        payload = fr[4:]
        if n == 0:
            what = "ConnectRequest" if direction == "c2s" else "ConnectResponse"
            print("[conn %d] %s %s len=%d" % (self.num, direction, what, len(payload)), flush=True)
            return
        if direction == "c2s":
            xid, op = struct.unpack(">ii", payload[:8])
            self.pending[xid] = op
            print("[conn %d] c2s len=%-4d xid=%d op=%d(%s)" % (
                self.num, len(payload), xid, op, zkframes.OPS.get(op, "?")), flush=True)
        else:
            xid, zxid, err = struct.unpack(">iqi", payload[:16])
            op = 0 if xid == -1 else self.pending.pop(xid, None)
            print("[conn %d] s2c len=%-4d xid=%d zxid=0x%x err=%d(%s) answers op=%s" % (
                self.num, len(payload), xid, zxid & 0xFFFFFFFFFFFFFFFF, err,
                zkframes.ERRS.get(err, "?"),
                "notification" if xid == -1 else "%s(%s)" % (op, zkframes.OPS.get(op, "?"))),
                flush=True)

    def close(self):
        with self.lock:
            for f in self.files.values():
                f.close()
            self.chunks.close()


def pump(conn, direction, src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            conn.record(direction, data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def handle(conn, client, target_port):
    server = socket.create_connection(("127.0.0.1", target_port))
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t1 = threading.Thread(target=pump, args=(conn, "c2s", client, server))
    t2 = threading.Thread(target=pump, args=(conn, "s2c", server, client))
    t1.start(); t2.start()
    t1.join(); t2.join()
    client.close(); server.close()
    conn.close()
    print("[conn %d] closed" % conn.num, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen-port", type=int, required=True)
    ap.add_argument("--target-port", type=int, required=True)
    ap.add_argument("--rec-dir", required=True)
    ap.add_argument("--max-conns", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.rec_dir, exist_ok=True)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.listen_port))
    ls.listen(8)
    open(os.path.join(a.rec_dir, "ready"), "w").close()
    print("proxy 127.0.0.1:%d -> 127.0.0.1:%d" % (a.listen_port, a.target_port), flush=True)

    threads = []
    for num in range(a.max_conns):
        client, _ = ls.accept()
        t = threading.Thread(target=handle, args=(Conn(num, a.rec_dir), client, a.target_port))
        t.start()
        threads.append(t)
    ls.close()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
