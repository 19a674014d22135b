#!/usr/bin/env python3
"""Split a recorded ZooKeeper client connection into frames, decode them and
write golden files plus MANIFEST.tsv.

Stdlib only.  Input is the recording written by zkproxy.py:

    <rec>/conn-<N>.chunks.jsonl   one JSON object per TCP read, in arrival order:
                                  {"seq": k, "dir": "c2s"|"s2c", "off": <offset in stream>, "len": n}
    <rec>/conn-<N>.c2s.raw        every byte the client sent
    <rec>/conn-<N>.s2c.raw        every byte the server sent

Usage (standalone):
    zkframes.py <recording-dir> <conn-number> <out-dir> [--manifest FILE]

Each frame becomes <out-dir>/NN-<dir>-<what>.bin containing the complete
frame (4-byte big-endian length prefix + payload).  NN is the frame's position
in the connection (both directions interleaved, ordered by the proxy's arrival
order of the TCP chunk in which the frame starts).
"""

import json
import os
import struct
import sys

# --------------------------------------------------------------------------
# Constants

OPS = {
    0: "notification", 1: "create", 2: "delete", 3: "exists", 4: "getData",
    5: "setData", 6: "getACL", 7: "setACL", 8: "getChildren", 9: "sync",
    11: "ping", 12: "getChildren2", 13: "check", 14: "multi", 15: "create2",
    16: "reconfig", 17: "checkWatches", 18: "removeWatches",
    19: "createContainer", 20: "deleteContainer", 21: "createTTL",
    22: "multiRead", 100: "auth", 101: "setWatches", 102: "sasl",
    103: "getEphemerals", 104: "getAllChildrenNumber", 105: "setWatches2",
    106: "addWatch", 107: "whoAmI", -10: "createSession", -11: "closeSession",
    -1: "error",
}

ERRS = {
    0: "OK", -1: "SYSTEMERROR", -2: "RUNTIMEINCONSISTENCY",
    -3: "DATAINCONSISTENCY", -4: "CONNECTIONLOSS", -5: "MARSHALLINGERROR",
    -6: "UNIMPLEMENTED", -7: "OPERATIONTIMEOUT", -8: "BADARGUMENTS",
    -12: "UNKNOWNSESSION", -13: "NEWCONFIGNOQUORUM", -14: "RECONFIGINPROGRESS",
    -100: "APIERROR", -101: "NONODE", -102: "NOAUTH", -103: "BADVERSION",
    -108: "NOCHILDRENFOREPHEMERALS", -110: "NODEEXISTS", -111: "NOTEMPTY",
    -112: "SESSIONEXPIRED", -113: "INVALIDCALLBACK", -114: "INVALIDACL",
    -115: "AUTHFAILED", -118: "SESSIONMOVED", -119: "NOTREADONLY",
    -120: "EPHEMERALONLOCALSESSION", -121: "NOWATCHER", -122: "REQUESTTIMEOUT",
    -123: "RECONFIGDISABLED", -124: "SESSIONCLOSEDREQUIRESASLAUTH",
    -125: "QUOTAEXCEEDED", -127: "THROTTLEDOP",
}

EVENT_TYPES = {
    -1: "None", 1: "NodeCreated", 2: "NodeDeleted", 3: "NodeDataChanged",
    4: "NodeChildrenChanged", 5: "DataWatchRemoved", 6: "ChildWatchRemoved",
    7: "PersistentWatchRemoved",
}
STATES = {-1: "Unknown", 0: "Disconnected", 1: "NoSyncConnected",
          3: "SyncConnected", 4: "AuthFailed", 5: "ConnectedReadOnly",
          6: "SaslAuthenticated", 7: "Closed", -112: "Expired"}
CREATE_MODES = {0: "PERSISTENT", 1: "EPHEMERAL", 2: "PERSISTENT_SEQUENTIAL",
                3: "EPHEMERAL_SEQUENTIAL", 4: "CONTAINER",
                5: "PERSISTENT_WITH_TTL", 6: "PERSISTENT_SEQUENTIAL_WITH_TTL"}
WATCHER_TYPES = {1: "Children", 2: "Data", 3: "Any", 4: "Persistent",
                 5: "PersistentRecursive"}
ADD_WATCH_MODES = {0: "PERSISTENT", 1: "PERSISTENT_RECURSIVE"}

# Special xids.
XID_NOTIFICATION = -1
XID_PING = -2
XID_AUTH = -4
XID_SET_WATCHES = -8


def kebab(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0 and not name[i - 1].isupper():
            out.append("-")
        out.append(ch.lower())
    return "".join(out)


# --------------------------------------------------------------------------
# Jute reader


class Short(Exception):
    pass


class Reader:
    def __init__(self, buf):
        self.buf = buf
        self.pos = 0

    def remaining(self):
        return len(self.buf) - self.pos

    def _take(self, n):
        if self.pos + n > len(self.buf):
            raise Short("need %d bytes at %d, have %d" % (n, self.pos, len(self.buf)))
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def int(self):
        return struct.unpack(">i", self._take(4))[0]

    def long(self):
        return struct.unpack(">q", self._take(8))[0]

    def bool(self):
        return self._take(1)[0] != 0

    def buffer(self):
        n = self.int()
        if n == -1:
            return None
        return self._take(n)

    def ustring(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8", "replace")

    def vector(self, elem):
        n = self.int()
        if n == -1:
            return None
        return [elem() for _ in range(n)]

    # records
    def stat(self):
        keys = ["czxid", "mzxid", "ctime", "mtime", "version", "cversion",
                "aversion", "ephemeralOwner", "dataLength", "numChildren", "pzxid"]
        vals = [self.long(), self.long(), self.long(), self.long(), self.int(),
                self.int(), self.int(), self.long(), self.int(), self.int(),
                self.long()]
        return dict(zip(keys, vals))

    def acl(self):
        perms = self.int()
        scheme = self.ustring()
        ident = self.ustring()
        return (perms, scheme, ident)


def fmt_data(b):
    if b is None:
        return "null"
    try:
        s = b.decode("utf-8")
        if all(32 <= ord(c) < 127 for c in s):
            return repr(s)
    except UnicodeDecodeError:
        pass
    return "0x" + b.hex()


def fmt_acls(acls):
    if acls is None:
        return "null"
    return "[" + ", ".join("%d %s:%s" % a for a in acls) + "]"


def fmt_stat(st):
    return ("stat{czxid=0x%x mzxid=0x%x version=%d cversion=%d aversion=%d "
            "ephemeralOwner=0x%x dataLength=%d numChildren=%d pzxid=0x%x}" % (
                st["czxid"], st["mzxid"], st["version"], st["cversion"],
                st["aversion"], st["ephemeralOwner"] & 0xFFFFFFFFFFFFFFFF,
                st["dataLength"], st["numChildren"], st["pzxid"]))


def fmt_strs(v):
    if v is None:
        return "null"
    return "[" + ", ".join(v) + "]"


# --------------------------------------------------------------------------
# Request / response body decoders.  Each returns (summary, extra-name-hint).


def decode_request_body(op, r):
    """Return (summary, name_hint)."""
    if op in (1, 15, 19, 21):
        path = r.ustring(); data = r.buffer(); acls = r.vector(r.acl); flags = r.int()
        s = "path=%s data=%s acl=%s flags=%d(%s)" % (
            path, fmt_data(data), fmt_acls(acls), flags, CREATE_MODES.get(flags, "?"))
        if op == 21:
            s += " ttl=%d" % r.long()
        hint = None
        if flags != 0:
            hint = CREATE_MODES.get(flags, "flags%d" % flags).lower().replace("_", "-")
        if data is None:
            hint = (hint + "-" if hint else "") + "null-data"
        return s, hint
    if op == 2:
        return "path=%s version=%d" % (r.ustring(), r.int()), None
    if op in (3, 4, 8, 12):
        path = r.ustring(); watch = r.bool()
        return "path=%s watch=%s" % (path, str(watch).lower()), ("watch" if watch else None)
    if op == 5:
        path = r.ustring(); data = r.buffer(); ver = r.int()
        return "path=%s data=%s version=%d" % (path, fmt_data(data), ver), None
    if op in (6, 9, 103, 104, 20):
        return "path=%s" % r.ustring(), None
    if op == 7:
        path = r.ustring(); acls = r.vector(r.acl); ver = r.int()
        return "path=%s acl=%s version=%d" % (path, fmt_acls(acls), ver), None
    if op == 13:
        return "path=%s version=%d" % (r.ustring(), r.int()), None
    if op in (17, 18):
        path = r.ustring(); t = r.int()
        return "path=%s type=%d(%s)" % (path, t, WATCHER_TYPES.get(t, "?")), None
    if op == 106:
        path = r.ustring(); m = r.int()
        return "path=%s mode=%d(%s)" % (path, m, ADD_WATCH_MODES.get(m, "?")), \
            ADD_WATCH_MODES.get(m, "").lower().replace("_", "-") or None
    if op == 100:
        t = r.int(); scheme = r.ustring(); auth = r.buffer()
        return "type=%d scheme=%s auth=%s" % (t, scheme, fmt_data(auth)), scheme
    if op in (101, 105):
        rel = r.long()
        lists = [r.vector(r.ustring) for _ in range(3 if op == 101 else 5)]
        return "relativeZxid=0x%x lists=%s" % (rel, [fmt_strs(x) for x in lists]), None
    if op in (14, 22):
        parts = []
        while True:
            t = r.int(); done = r.bool(); err = r.int()
            if done:
                if (t, err) != (-1, -1):
                    parts.append("<odd terminator type=%d err=%d>" % (t, err))
                break
            sub, _ = decode_request_body(t, r)
            parts.append("%s(%s)" % (OPS.get(t, str(t)), sub))
        return "ops=[" + "; ".join(parts) + "]", None
    if op in (11, 107, -11):
        return "", None
    return "<%d undecoded bytes>" % r.remaining(), None


def decode_response_body(op, r):
    """Return (summary, name_hint) for a successful reply to `op`."""
    if op == 1:
        return "path=%s" % r.ustring(), None
    if op in (15, 19, 21):
        path = r.ustring()
        return "path=%s %s" % (path, fmt_stat(r.stat())), None
    if op in (3, 5, 7):
        return fmt_stat(r.stat()), None
    if op == 4:
        data = r.buffer()
        return "data=%s %s" % (fmt_data(data), fmt_stat(r.stat())), \
            ("null-data" if data is None else None)
    if op == 6:
        acls = r.vector(r.acl)
        return "acl=%s %s" % (fmt_acls(acls), fmt_stat(r.stat())), None
    if op == 8:
        return "children=%s" % fmt_strs(r.vector(r.ustring)), None
    if op == 12:
        ch = r.vector(r.ustring)
        return "children=%s %s" % (fmt_strs(ch), fmt_stat(r.stat())), None
    if op == 9:
        return "path=%s" % r.ustring(), None
    if op == 103:
        return "ephemerals=%s" % fmt_strs(r.vector(r.ustring)), None
    if op == 104:
        return "totalNumber=%d" % r.int(), None
    if op == 106:
        return "ErrorResponse{err=%d}" % r.int(), None
    if op == 107:
        infos = r.vector(lambda: (r.ustring(), r.ustring()))
        return "clientInfo=[%s]" % ", ".join("%s:%s" % x for x in infos), None
    if op in (14, 22):
        parts = []
        failed = False
        while True:
            t = r.int(); done = r.bool(); err = r.int()
            if done:
                if (t, err) != (-1, -1):
                    parts.append("<odd terminator type=%d err=%d>" % (t, err))
                break
            if t == -1:
                e2 = r.int()
                if e2 != 0:
                    failed = True
                parts.append("error(hdr.err=%d body.err=%d %s)" % (err, e2, ERRS.get(e2, "?")))
            elif t in (2, 13):
                parts.append("%s(err=%d)" % (OPS[t], err))
            else:
                sub, _ = decode_response_body(t, r)
                parts.append("%s(err=%d %s)" % (OPS.get(t, str(t)), err, sub))
        if not failed:
            return "results=[" + "; ".join(parts) + "]", None
        # multi (14) is atomic: one error means the whole transaction failed.
        # multiRead (22) is not: other sub-results are still real results.
        return "results=[" + "; ".join(parts) + "]", ("failure" if op == 14 else "partial-error")
    # no body: delete, setWatches, auth, ping, closeSession, check/removeWatches
    return "", None


# --------------------------------------------------------------------------
# Framing


def split_stream(data):
    """Split a byte stream into (offset, frame_bytes) tuples; return (frames, leftover)."""
    frames = []
    pos = 0
    while pos + 4 <= len(data):
        (n,) = struct.unpack(">i", data[pos:pos + 4])
        if n < 0 or pos + 4 + n > len(data):
            break
        frames.append((pos, data[pos:pos + 4 + n]))
        pos += 4 + n
    return frames, data[pos:]


def start_seq(chunks, direction, offset):
    """Arrival seq of the chunk (of `direction`) that contains stream `offset`."""
    for c in chunks:
        if c["dir"] == direction and c["off"] <= offset < c["off"] + c["len"]:
            return c["seq"]
    raise ValueError("offset %d not in any %s chunk" % (offset, direction))


def decode_connection(c2s, s2c, chunks):
    """Return a list of decoded frame dicts in connection order."""
    cf, cleft = split_stream(c2s)
    sf, sleft = split_stream(s2c)
    events = []
    for direction, frames in (("c2s", cf), ("s2c", sf)):
        for idx, (off, fr) in enumerate(frames):
            events.append({"dir": direction, "idx": idx, "off": off, "frame": fr,
                           "seq": start_seq(chunks, direction, off)})
    # Stable order: arrival seq, then direction stream order.
    events.sort(key=lambda e: (e["seq"], 0 if e["dir"] == "c2s" else 1, e["off"]))

    pending = {}  # xid -> op, for matching replies
    out = []
    for e in events:
        fr = e["frame"]
        payload = fr[4:]
        r = Reader(payload)
        d = {"dir": e["dir"], "frame": fr, "len": len(payload)}
        if e["dir"] == "c2s" and e["idx"] == 0:
            # ConnectRequest (no RequestHeader)
            pv = r.int(); lz = r.long(); to = r.int(); sid = r.long(); pw = r.buffer()
            ro = r.bool() if r.remaining() else None
            d.update(xid="", op="", opname="connect", err="",
                     name="connect-request",
                     desc="ConnectRequest protocolVersion=%d lastZxidSeen=0x%x timeOut=%d "
                          "sessionId=0x%x passwd=%s readOnly=%s (payload %d bytes)" % (
                              pv, lz, to, sid, pw.hex(), "absent" if ro is None else str(ro).lower(),
                              len(payload)))
        elif e["dir"] == "s2c" and e["idx"] == 0:
            pv = r.int(); to = r.int(); sid = r.long(); pw = r.buffer()
            ro = r.bool() if r.remaining() else None
            d.update(xid="", op="", opname="connect", err="",
                     name="connect-response",
                     desc="ConnectResponse protocolVersion=%d timeOut=%d sessionId=0x%x "
                          "passwd=%s readOnly=%s (payload %d bytes)" % (
                              pv, to, sid, pw.hex(), "absent" if ro is None else str(ro).lower(),
                              len(payload)))
        elif e["dir"] == "c2s":
            xid = r.int(); op = r.int()
            pending[xid] = op
            body, hint = decode_request_body(op, r)
            opname = OPS.get(op, "op%d" % op)
            name = kebab(opname)
            if hint:
                name += "-" + hint
            name += "-request"
            d.update(xid=xid, op=op, opname=opname, err="", name=name,
                     desc="%s xid=%d %s" % (opname, xid, body))
        else:
            xid = r.int(); zxid = r.long(); err = r.int()
            if xid == XID_NOTIFICATION:
                t = r.int(); st = r.int(); path = r.ustring()
                ev = EVENT_TYPES.get(t, str(t))
                d.update(xid=xid, op=0, opname="notification", err=err,
                         name="notification-" + kebab(ev),
                         desc="WatcherEvent type=%d(%s) state=%d(%s) path=%s; hdr zxid=%d err=%d" % (
                             t, ev, st, STATES.get(st, "?"), path, zxid, err))
            else:
                op = pending.pop(xid, None)
                opname = OPS.get(op, "unknown") if op is not None else "unmatched"
                base = kebab(opname)
                if err != 0:
                    name = "%s-%s-reply" % (base, ERRS.get(err, "err%d" % err).lower())
                    body = ""
                else:
                    body, hint = decode_response_body(op, r) if op is not None else ("", None)
                    name = base + ("-" + hint if hint else "") + "-response"
                d.update(xid=xid, op=op if op is not None else "", opname=opname, err=err,
                         name=name,
                         desc="reply to %s xid=%d zxid=0x%x err=%d(%s) %s" % (
                             opname, xid, zxid & 0xFFFFFFFFFFFFFFFF, err, ERRS.get(err, "?"), body))
                d["zxid"] = zxid
        if r.remaining():
            d["desc"] += " <%d TRAILING BYTES>" % r.remaining()
        d["desc"] = d["desc"].strip()
        out.append(d)
    return out, cleft, sleft


def load_recording(rec_dir, conn):
    base = os.path.join(rec_dir, "conn-%d" % conn)
    with open(base + ".c2s.raw", "rb") as f:
        c2s = f.read()
    with open(base + ".s2c.raw", "rb") as f:
        s2c = f.read()
    with open(base + ".chunks.jsonl") as f:
        chunks = [json.loads(line) for line in f if line.strip()]
    return c2s, s2c, chunks


def write_frames(frames, out_dir, manifest_path=None, prefix=""):
    rows = []
    for i, d in enumerate(frames):
        fname = "%s%02d-%s-%s.bin" % (prefix, i, d["dir"], d["name"])
        with open(os.path.join(out_dir, fname), "wb") as f:
            f.write(d["frame"])
        rows.append((fname, d["dir"], str(d["xid"]), str(d["op"]), d["desc"]))
    if manifest_path:
        write_manifest(manifest_path, rows)
    return rows


def write_manifest(path, rows, append=False):
    with open(path, "a" if append else "w") as f:
        if not append:
            f.write("file\tdirection\txid\topcode\tdescription\n")
        for row in rows:
            f.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in row) + "\n")


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    rec_dir, conn, out_dir = argv[1], int(argv[2]), argv[3]
    manifest = None
    if "--manifest" in argv:
        manifest = argv[argv.index("--manifest") + 1]
    c2s, s2c, chunks = load_recording(rec_dir, conn)
    frames, cleft, sleft = decode_connection(c2s, s2c, chunks)
    if cleft or sleft:
        print("WARNING: leftover partial bytes c2s=%d s2c=%d" % (len(cleft), len(sleft)),
              file=sys.stderr)
    rows = write_frames(frames, out_dir, manifest)
    for row, d in zip(rows, frames):
        print("%-60s len=%-4d %s" % (row[0], d["len"], row[4]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
