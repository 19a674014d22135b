#!/usr/bin/env bash
# Re-capture the golden ZooKeeper protocol frames in ../ (zk-proto/tests/golden).
#
# Requirements (nothing is installed by this script):
#   * Debian package `zookeeper` (3.8.x; provides /usr/share/java/zookeeper.jar,
#     whose manifest Class-Path pulls in jute, netty, slf4j-api, ...)
#   * libslf4j-java (slf4j-simple.jar, for log output; optional)
#   * JDK (java + javac), python3
#
# Usage:  capture.sh [OUT_DIR]
# Env:    ZK_PORT (default 21810)  PROXY_PORT (default 21811)  KEEP_WORK=1 keeps the temp dir
#
# Everything listens on 127.0.0.1 only.  A fresh standalone server with an empty
# dataDir is started for each run and stopped at the end.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$(dirname "$HERE")}"
ZK_PORT="${ZK_PORT:-21810}"
PROXY_PORT="${PROXY_PORT:-21811}"
ZK_JAR=/usr/share/java/zookeeper.jar
LOG_JAR=/usr/share/java/slf4j-simple.jar
ZK_CP="$ZK_JAR"
[ -e "$LOG_JAR" ] && ZK_CP="$ZK_CP:$LOG_JAR"

command -v java >/dev/null || { echo "java not found" >&2; exit 1; }
command -v javac >/dev/null || { echo "javac not found" >&2; exit 1; }
[ -e "$ZK_JAR" ] || { echo "$ZK_JAR missing: apt-get install zookeeper" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_free "$ZK_PORT" || { echo "port $ZK_PORT in use" >&2; exit 1; }
port_free "$PROXY_PORT" || { echo "port $PROXY_PORT in use" >&2; exit 1; }

WORK="$(mktemp -d /tmp/zkcap.XXXXXX)"
ZK_PID=""
PROXY_PID=""
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
    if [ -n "$ZK_PID" ]; then
        kill "$ZK_PID" 2>/dev/null || true
        wait "$ZK_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

mkdir -p "$WORK/data" "$WORK/classes" "$WORK/rec"
cat > "$WORK/zoo.cfg" <<EOF
tickTime=2000
dataDir=$WORK/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=60
admin.enableServer=false
4lw.commands.whitelist=*
EOF

echo "== java: $(java -version 2>&1 | head -1)"
echo "== zookeeper package: $(dpkg-query -W -f='${Version}' zookeeper 2>/dev/null || echo '?')"
echo "== starting ZooKeeper on 127.0.0.1:$ZK_PORT (work dir $WORK)"
java -cp "$ZK_CP" -Dzookeeper.jmx.log4j.disable=true \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$WORK/zoo.cfg" \
    > "$WORK/zk-server.log" 2>&1 &
ZK_PID=$!

ruok() { python3 - "$ZK_PORT" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.sendall(b"ruok"); print(s.recv(16).decode())
except OSError:
    pass
PY
}
for _ in $(seq 1 60); do
    [ "$(ruok)" = imok ] && break
    kill -0 "$ZK_PID" 2>/dev/null || { cat "$WORK/zk-server.log"; echo "server died" >&2; exit 1; }
    sleep 0.5
done
[ "$(ruok)" = imok ] || { tail -50 "$WORK/zk-server.log"; echo "server not ready" >&2; exit 1; }
echo "== server is up"

echo "== compiling GoldenCapture.java"
javac -cp "$ZK_JAR" -d "$WORK/classes" "$HERE/GoldenCapture.java"

echo "== starting recording proxy 127.0.0.1:$PROXY_PORT -> 127.0.0.1:$ZK_PORT"
python3 "$HERE/zkproxy.py" --listen-port "$PROXY_PORT" --target-port "$ZK_PORT" \
    --rec-dir "$WORK/rec" --max-conns 1 > "$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
for _ in $(seq 1 50); do [ -e "$WORK/rec/ready" ] && break; sleep 0.1; done

echo "== running Java client through the proxy"
java -cp "$WORK/classes:$ZK_CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    GoldenCapture "127.0.0.1:$PROXY_PORT" > "$WORK/client.log" 2> "$WORK/client.err" \
    || { cat "$WORK/client.err"; echo "client failed" >&2; exit 1; }
cat "$WORK/client.log"

# The proxy exits once the connection has been closed by both sides.
for _ in $(seq 1 100); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PROXY_PID" 2>/dev/null; then echo "proxy did not finish" >&2; exit 1; fi
wait "$PROXY_PID" || true
PROXY_PID=""
echo "== proxy log"
cat "$WORK/proxy.log"

echo "== writing frames to $OUT"
rm -f "$OUT"/[0-9][0-9]-c2s-*.bin "$OUT"/[0-9][0-9]-s2c-*.bin \
      "$OUT"/old-client-*.bin "$OUT"/4lw-*.txt "$OUT/MANIFEST.tsv"
python3 "$HERE/zkframes.py" "$WORK/rec" 0 "$OUT" --manifest "$OUT/MANIFEST.tsv"

echo "== old-client handshake and four-letter words (direct to server)"
python3 "$HERE/old_client.py" --port "$ZK_PORT" --out-dir "$OUT" --manifest "$OUT/MANIFEST.tsv"

cp "$WORK/client.log" "$OUT/client-steps.log"

echo "== checking the written files"
python3 "$HERE/check_golden.py" "$OUT"

echo "== stopping ZooKeeper (pid $ZK_PID)"
kill "$ZK_PID"
wait "$ZK_PID" 2>/dev/null || true
ZK_PID=""
echo "== done"
