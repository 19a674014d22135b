#!/usr/bin/env bash
# Regenerates the Apache interop fixtures under zk-storage/tests/data/: runs Debian's Apache
# ZooKeeper 3.8 on 127.0.0.1 with snapCount=10 (so it rolls logs and writes several snapshots),
# drives it with Workload.java, stops it with the "live" session still open, copies version-2/
# (log files with their zero preallocation trimmed) and records Apache's own view of the result
# (Dump.java: FileTxnSnapLog.restore, then a walk of the tree) as expected.tsv.
#
#   zk-storage/tests/apache/make-fixtures.sh            # all three: plain, gz, snappy
#   zk-storage/tests/apache/make-fixtures.sh gz         # one of them
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../data"
CP=${ZK_JAVA_CLASSPATH:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Cuts the zero preallocation off a log file, keeping at least its 16-byte header. A log's last
# record ends in 'B' (0x42), so no record byte is lost.
trim_log() {
    python3 - "$1" <<'PY'
import sys
p = sys.argv[1]
b = open(p, 'rb').read()
open(p, 'wb').write(b[:max(16, len(b.rstrip(b'\0')))])
PY
}

make_one() {
    local method=$1 name=$2
    local work; work=$(mktemp -d)
    local port; port=$(free_port)
    mkdir -p "$work/data"
    cat >"$work/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
snapCount=10
CFG
    java -cp "$CP" -Dzookeeper.snapshot.compression.method="$method" \
        -Dzookeeper.extendedTypesEnabled=true -Dzookeeper.preAllocSize=64 \
        org.apache.zookeeper.server.quorum.QuorumPeerMain "$work/zoo.cfg" >"$work/server.log" 2>&1 &
    local server=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.2
    done
    java -cp "$CP" "$here/Workload.java" "127.0.0.1:$port" "$work/done" >"$work/workload.log" 2>&1 &
    local workload=$!
    for _ in $(seq 600); do
        [ -s "$work/done" ] && break
        kill -0 $workload 2>/dev/null || { cat "$work/workload.log"; exit 1; }
        sleep 0.2
    done
    sleep 1 # let the last snapshot thread finish
    kill $server; wait $server || true
    kill $workload; wait $workload 2>/dev/null || true

    local out="$data/$name"
    rm -rf "$out"; mkdir -p "$out/version-2"
    cp "$work"/data/version-2/* "$out/version-2/"
    for f in "$out"/version-2/log.*; do trim_log "$f"; done
    cp -r "$out" "$work/dump"
    java -cp "$CP" "$here/Dump.java" "$work/dump" >"$out/expected.tsv"
    cp "$work/done" "$out/sessions.txt"
    echo "$name: $(ls "$out/version-2" | tr '\n' ' ')"
    rm -rf "$work"
}

methods=${1:-"checked gz snappy"}
for m in $methods; do
    case $m in
        checked) make_one "" apache-datadir ;;
        gz) make_one gz apache-datadir-gz ;;
        snappy) make_one snappy apache-datadir-snappy ;;
        *) echo "unknown method $m" >&2; exit 2 ;;
    esac
done
