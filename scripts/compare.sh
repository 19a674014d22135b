#!/usr/bin/env bash
# Side-by-side benchmark of our zk-server against Apache ZooKeeper 3.8 on this machine, in one
# run, with the same load generator (zk-bench) and the same durability settings. Writes
# docs/performance.md and docs/throughput-vs-write.png. Method:
# /work/shared/reference/benchmark-method.md (the ZooKeeper paper's, section 5.1).
#
#   scripts/compare.sh [--quick] [--znodes N] [--duration S] [--sessions S] [--no-pin]
#                      [--out docs/performance.md] [--report-only]
#                      [--apache-ensemble]
#
# --quick: short windows, 100k znodes instead of 1M, 200 watchers instead of 1000.
# --apache-ensemble: also sweep a 3-node Apache ensemble on loopback (ours has no quorum yet).
# --report-only: rewrite the report and plot from the last run's results (target/compare).
# Loopback only. Not part of scripts/test.sh (it takes minutes and wants a quiet machine).
# Modes: standalone now; a 3-node ensemble needs replication in zk-server (see MODES below).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
ARGS_TEXT="$*"
ZNODES=1000000
DURATION=10
WARMUP=2
SESSIONS=32
OUTSTANDING=100
WATCHERS=1000
OP_COUNT=1000
PIN=1
REPORT_ONLY=0
APACHE3=0
OUT="$ROOT/docs/performance.md"
PCTS=0,10,20,50,80,100
PACED_WRITE_PCT=20
# Only standalone until zk-server implements quorum mode; "ensemble3" is the hook for later.
MODES=(standalone)

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ZNODES=100000; DURATION=3; WARMUP=1; WATCHERS=200; OP_COUNT=300 ;;
    --znodes) ZNODES=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --sessions) SESSIONS=$2; shift ;;
    --no-pin) PIN=0 ;;
    --report-only) REPORT_ONLY=1 ;;
    --apache-ensemble) APACHE3=1 ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK="$TARGET_DIR/compare"
BIN="$TARGET_DIR/release"
CP=${ZK_JAVA_CLASSPATH:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar}
CLK_TCK=$(getconf CLK_TCK)
COMMANDS=()

log() { echo "== $*" >&2; }

if [ "$REPORT_ONLY" = 1 ]; then
  exec 9>/dev/null
else
  log "building release binaries"
  (cd "$ROOT" && cargo build --release -p zk-server -p zk-bench >&2)
  rm -rf "$WORK"
  mkdir -p "$WORK"
  exec 9>"$WORK/metrics.txt"
fi
metric() { echo "$1=$2" >&9; }

# Pinning: servers on CPU 0, the load generator on the others.
SRV_PIN=()
CLI_PIN=()
CPUS=$(nproc)
if [ "$PIN" = 1 ] && command -v taskset >/dev/null && [ "$CPUS" -ge 2 ]; then
  SRV_PIN=(taskset -c 0)
  CLI_PIN=(taskset -c "1-$((CPUS - 1))")
  metric pinning "servers on CPU 0, zk-bench on CPUs 1-$((CPUS - 1)) (taskset)"
else
  metric pinning "not pinned (taskset missing, one CPU, or --no-pin)"
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# write_cfg NAME PORT: the same zoo.cfg for both servers.
write_cfg() {
  local dir="$WORK/$1"
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=yes
snapCount=100000
globalOutstandingLimit=1000
4lw.commands.whitelist=*
admin.enableServer=false
EOF
}

declare -A PORT PID
# start NAME: launches the server in the background; records its pid.
start() {
  local name=$1 cfg="$WORK/$1/zoo.cfg"
  case "$name" in
    ours*) RUST_LOG=warn "${SRV_PIN[@]}" "$BIN/zk-server" "$cfg" >>"$WORK/$name/server.log" 2>&1 & ;;
    apache*) "${SRV_PIN[@]}" java -Xms1g -Xmx1g -Dzookeeper.log.threshold=WARN -cp "$CP" \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg" >>"$WORK/$name/server.log" 2>&1 & ;;
  esac
  PID[$name]=$!
}
bench() { # bench NAME ARGS...: zk-bench against server NAME
  local name=$1
  shift
  "${CLI_PIN[@]}" "$BIN/zk-bench" --server "127.0.0.1:${PORT[$name]}" \
    --server-pid "${PID[$name]}" --clk-tck "$CLK_TCK" "$@"
}
ready_ms() { bench "$1" wait-ready --timeout 600; }
four_letter() { # four_letter NAME WORD: the server's answer to a four-letter word
  exec 8<>"/dev/tcp/127.0.0.1/${PORT[$1]}" && printf '%s' "$2" >&8 && timeout 5 cat <&8 || true
  exec 8>&-
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
stop_all() {
  for name in "${!PID[@]}"; do kill -9 "${PID[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT

machine_probes() {
  log "machine probes: loopback round trip, fsync latency"
  python3 - "$WORK" >&9 <<'EOF'
import os, socket, statistics, sys, threading, time
work = sys.argv[1]
# Loopback TCP ping-pong of 1 byte (includes Python's own overhead, a few us).
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
def echo():
    c, _ = srv.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        b = c.recv(1)
        if not b: return
        c.sendall(b)
threading.Thread(target=echo, daemon=True).start()
cl = socket.create_connection(srv.getsockname()); cl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
rtts = []
for _ in range(3000):
    t = time.perf_counter(); cl.sendall(b"x"); cl.recv(1); rtts.append(time.perf_counter() - t)
cl.close()
print(f"loopback_rtt_us={statistics.median(rtts[500:]) * 1e6:.1f}")
# fsync probe: 4 KiB writes into a preallocated file, fdatasync after each (like a txn log).
path = os.path.join(work, "fsync-probe")
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
os.posix_fallocate(fd, 0, 64 << 20); os.fsync(fd)
lat = []
for i in range(300):
    os.pwrite(fd, b"z" * 4096, i * 4096)
    t = time.perf_counter(); os.fdatasync(fd); lat.append(time.perf_counter() - t)
os.close(fd); os.unlink(path)
lat.sort()
print(f"fsync_p50_us={lat[len(lat)//2] * 1e6:.0f}")
print(f"fsync_p99_us={lat[int(len(lat)*0.99)] * 1e6:.0f}")
EOF
}

run_standalone() {
  local pair=(ours apache) name
  for name in "${pair[@]}"; do
    PORT[$name]=$(free_port)
    write_cfg "$name" "${PORT[$name]}"
    start "$name"
  done
  for name in "${pair[@]}"; do
    metric "$name.startup_ms" "$(ready_ms "$name")"
  done
  sleep 2
  for name in "${pair[@]}"; do metric "$name.rss_idle_kb" "$(rss_kb "${PID[$name]}")"; done

  # Each workload against both servers back to back (alternating), same arguments.
  local sat=(saturate --sessions "$SESSIONS" --outstanding "$OUTSTANDING" --write-pct "$PCTS"
    --warmup "$WARMUP" --duration "$DURATION")
  local lat=(latency --workers 1,10 --warmup 1 --duration "$DURATION" --op-count "$OP_COUNT")
  local fan=(watch-fanout --watchers "$WATCHERS" --rounds 5)
  local load=(load --count "$ZNODES" --value-bytes 100)
  COMMANDS+=("zk-bench --server HOST:PORT --server-pid PID --json F ${sat[*]}"
    "zk-bench ... ${lat[*]}" "zk-bench ... ${fan[*]}" "zk-bench ... ${load[*]}")
  for name in "${pair[@]}"; do
    log "$name: ${sat[*]}"
    bench "$name" --json "$WORK/$name.saturate.json" "${sat[@]}" >"$WORK/$name.saturate.txt"
  done
  # Paced at 50% and 80% of Apache's peak at the paced write percentage.
  local peak
  peak=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; \
print(max([m['ops_per_sec'] for m in r if m['write_pct']==$PACED_WRITE_PCT] or [max(m['ops_per_sec'] for m in r)]))" \
    "$WORK/apache.saturate.json")
  metric apache.peak_at_paced_pct "$peak"
  for frac in 50 80; do
    local rate paced
    rate=$(python3 -c "print(round($peak * $frac / 100))")
    paced=(paced --rate "$rate" --sessions "$SESSIONS" --write-pct "$PACED_WRITE_PCT"
      --warmup "$WARMUP" --duration "$DURATION")
    COMMANDS+=("zk-bench ... ${paced[*]}   # $frac% of Apache's peak")
    for name in "${pair[@]}"; do
      log "$name: ${paced[*]}"
      bench "$name" --json "$WORK/$name.paced$frac.json" "${paced[@]}" >"$WORK/$name.paced$frac.txt"
    done
  done
  for name in "${pair[@]}"; do
    log "$name: ${lat[*]}"
    bench "$name" --json "$WORK/$name.latency.json" "${lat[@]}" >"$WORK/$name.latency.txt"
  done
  for name in "${pair[@]}"; do
    log "$name: ${fan[*]}"
    bench "$name" --json "$WORK/$name.fanout.json" "${fan[@]}" >"$WORK/$name.fanout.txt"
  done
  for name in "${pair[@]}"; do
    log "$name: ${load[*]}"
    bench "$name" --json "$WORK/$name.load.json" "${load[@]}" >"$WORK/$name.load.txt"
    sleep 2
    metric "$name.rss_loaded_kb" "$(rss_kb "${PID[$name]}")"
    metric "$name.rss_peak_kb" "$(hwm_kb "${PID[$name]}")"
    metric "$name.data_dir_bytes" "$(du -sb "$WORK/$name/data" | cut -f1)"
  done
  # Restart to serving with the loaded znodes: kill -9, start, poll until a read succeeds.
  for name in "${pair[@]}"; do
    log "$name: restart with $ZNODES znodes"
    kill -9 "${PID[$name]}"
    wait "${PID[$name]}" 2>/dev/null || true
    local t0 t1
    t0=$(date +%s%N)
    start "$name"
    ready_ms "$name" >/dev/null
    t1=$(date +%s%N)
    metric "$name.restart_ms" "$(((t1 - t0) / 1000000))"
    sleep 1
    metric "$name.rss_restarted_kb" "$(rss_kb "${PID[$name]}")"
    # The newest snapshot by zxid, and the server's zxid: equal-ish means it holds everything
    # (Apache snapshots at start-up; a snapshot taken mid-load would hold fewer znodes).
    local snap="" best=-1 f z
    for f in "$WORK/$name/data/version-2"/snapshot.*; do
      [ -e "$f" ] || continue
      z=$((16#${f##*.}))
      if [ "$z" -gt "$best" ]; then best=$z snap=$f; fi
    done
    metric "$name.snapshot_bytes" "$( [ -n "$snap" ] && stat -c %s "$snap" || echo 0)"
    metric "$name.snapshot_zxid" "${snap##*.}"
    metric "$name.server_zxid" "$(four_letter "$name" srvr | awk '/^Zxid/ {print $2}')"
  done
  stop_all
  PID=()
}

# write_report WORK OUT PNG_NAME COMMAND: docs/performance.md from the JSON reports and
# metrics; text below the "kept" marker of an existing OUT (profile notes) is carried over.
write_report() {
  python3 - "$@" <<'EOF'
import json, os, sys
work, out, png, command = sys.argv[1:5]
metrics, commands = {}, []
for line in open(os.path.join(work, "metrics.txt")):
    k, _, v = line.rstrip("\n").partition("=")
    if k == "command": commands.append(v)
    else: metrics[k] = v
def rep(name, kind):
    try: return json.load(open(os.path.join(work, f"{name}.{kind}.json")))
    except OSError: return {"results": []}
def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b not in (None, 0) else "-"
def num(v, fmt="{:.0f}"):
    return "-" if v is None else fmt.format(v)
MARK = "<!-- Notes below this line are kept when compare.sh rewrites the file. -->"
kept = ""
if os.path.exists(out):
    text = open(out).read()
    if MARK in text: kept = text.split(MARK, 1)[1]
L = []
w = L.append
quick = metrics.get("quick") == "1"
command = metrics.get("invocation", command)
w("# Performance: zk-server vs Apache ZooKeeper 3.8\n")
w(f"Generated by `{command.strip()}` on {metrics.get('date')}. Every ratio is **ours ÷ Apache**, "
  "measured side by side in one run, same load generator (`zk-bench`), same zoo.cfg "
  "(standalone, forceSync=yes, snapCount=100000, globalOutstandingLimit=1000, tickTime=2000, "
  "dataDir on the same filesystem). Throughput: higher is better (target ≥ 2); latency, CPU, "
  "RSS, restart: lower is better (targets ≤ 0.5, ≤ 0.33, ≤ 0.2, ≤ 0.2).\n")
w(f"> **Caveat.** Load average before the run: {metrics.get('load_before')}, after: "
  f"{metrics.get('load_after')} on {metrics.get('cpu')}. "
  + ("This was a `--quick` run (short windows, fewer znodes and watchers). " if quick else "")
  + "If the load average is well above 0, other processes shared the CPUs and the absolute "
  "figures are noisy; re-measure on a quiet machine before quoting them. Ratios are more "
  "robust than absolute numbers but not immune.\n")
w("## Machine\n")
w("| item | value |\n|---|---|")
for k, label in [("cpu", "CPU"), ("kernel", "kernel"), ("fs", "filesystem of dataDir"),
                 ("loopback_rtt_us", "loopback TCP round trip, µs (median, Python probe)"),
                 ("fsync_p50_us", "4 KiB write + fdatasync, µs p50"), ("fsync_p99_us", "… p99"),
                 ("pinning", "CPU pinning"), ("java", "Java"), ("apache_version", "Apache package"),
                 ("znodes", "znodes loaded for RSS/restart")]:
    w(f"| {label} | {metrics.get(k, '-')} |")
w("")
# Summary against the issue's targets.
sat = {n: {m["write_pct"]: m for m in rep(n, "saturate")["results"]} for n in ("ours", "apache")}
pcts = sorted(set(sat["ours"]) & set(sat["apache"]))
def kb(name, key):
    v = metrics.get(f"{name}.{key}")
    return float(v) if v not in (None, "") else None
w("## Summary against the targets\n")
w("| measure | worst ratio | target | met? |\n|---|---|---|---|")
def summary(label, values, target, higher):
    vals = [v for v in values if v is not None]
    if not vals: w(f"| {label} | - | {target} | - |"); return
    worst = min(vals) if higher else max(vals)
    ok = worst >= target if higher else worst <= target
    w(f"| {label} | {worst:.2f} | {'≥' if higher else '≤'} {target} | {'yes' if ok else '**no**'} |")
def r(a, b): return a / b if a is not None and b else None
summary("saturation throughput (min over write %)",
        [r(sat["ours"][p]["ops_per_sec"], sat["apache"][p]["ops_per_sec"]) for p in pcts], 2, True)
summary("saturation p99 latency (max over write %)",
        [r(sat["ours"][p]["latency_us"]["p99"], sat["apache"][p]["latency_us"]["p99"]) for p in pcts], 0.5, False)
summary("server CPU per op (max over write %)",
        [r(sat["ours"][p].get("cpu_ms_per_1000_ops"), sat["apache"][p].get("cpu_ms_per_1000_ops")) for p in pcts], 0.33, False)
summary(f"RSS with {metrics.get('znodes')} znodes", [r(kb("ours", "rss_loaded_kb"), kb("apache", "rss_loaded_kb"))], 0.2, False)
summary(f"restart to serving with {metrics.get('znodes')} znodes", [r(kb("ours", "restart_ms"), kb("apache", "restart_ms"))], 0.2, False)
w("")
w(f"## Saturation (throughput vs write %)\n")
if pcts:
    m0 = sat["ours"][pcts[0]]
    w(f"{m0['sessions']} sessions × {m0['outstanding']} outstanding, {m0['value_bytes']} B values, "
      f"each session on its own znode; {m0['seconds']:.0f} s measured per point after a warm-up. "
      "Latency in µs; CPU in server CPU-ms per 1000 ops.\n")
w("| write % | ours ops/s | Apache ops/s | ratio | ours p50 / p99 / p99.9 | Apache p50 / p99 / p99.9 | p99 ratio | ours CPU/1k | Apache CPU/1k | CPU ratio |")
w("|---|---|---|---|---|---|---|---|---|---|")
def lat3(m): l = m["latency_us"]; return f"{l['p50']} / {l['p99']} / {l['p999']}"
for p in pcts:
    o, a = sat["ours"][p], sat["apache"][p]
    w(f"| {p} | {o['ops_per_sec']:.0f} | {a['ops_per_sec']:.0f} | {ratio(o['ops_per_sec'], a['ops_per_sec'])} | "
      f"{lat3(o)} | {lat3(a)} | {ratio(o['latency_us']['p99'], a['latency_us']['p99'])} | "
      f"{num(o.get('cpu_ms_per_1000_ops'), '{:.1f}')} | {num(a.get('cpu_ms_per_1000_ops'), '{:.1f}')} | "
      f"{ratio(o.get('cpu_ms_per_1000_ops'), a.get('cpu_ms_per_1000_ops'))} |")
w(f"\n![throughput vs write %]({png})\n")
a3 = {m["write_pct"]: m for m in rep("apache3", "saturate")["results"]}
if a3:
    w("### Apache 3-node ensemble (loopback, same machine)\n")
    w("Ours cannot run as an ensemble yet, so there is no ratio; shown against our standalone "
      "figure for orientation only. All three JVMs share the one server CPU (the same pinning as the "
      "standalone servers), with elections and replication traffic on loopback, so this "
      "understates what three machines would do. Server CPU not probed.\n")
    w("| write % | Apache 3-node ops/s | p50 / p99 / p99.9 | ours standalone ops/s |\n|---|---|---|---|")
    for p in sorted(a3):
        o = sat["ours"].get(p)
        w(f"| {p} | {a3[p]['ops_per_sec']:.0f} | {lat3(a3[p])} | {num(o and o['ops_per_sec'])} |")
    w("")
def pair_table(title, kinds, intro):
    rows = []
    for kind in kinds:
        o = {m["label"]: m for m in rep("ours", kind)["results"]}
        a = {m["label"]: m for m in rep("apache", kind)["results"]}
        for label in o:
            if label in a: rows.append((o[label], a[label]))
    if not rows: return
    w(f"## {title}\n\n{intro}\n")
    w("| workload | point | ours ops/s | Apache ops/s | ratio | ours mean / p50 / p99 / p99.9 | Apache mean / p50 / p99 / p99.9 | p99 ratio | ours CPU/1k | Apache CPU/1k | errors (ours/Apache) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for o, a in rows:
        lo, la = o["latency_us"], a["latency_us"]
        w(f"| {o['workload']} | {o['label']} | {o['ops_per_sec']:.0f} | {a['ops_per_sec']:.0f} | "
          f"{ratio(o['ops_per_sec'], a['ops_per_sec'])} | {lo['mean']:.0f} / {lo['p50']} / {lo['p99']} / {lo['p999']} | "
          f"{la['mean']:.0f} / {la['p50']} / {la['p99']} / {la['p999']} | {ratio(lo['p99'], la['p99'])} | "
          f"{num(o.get('cpu_ms_per_1000_ops'), '{:.1f}')} | {num(a.get('cpu_ms_per_1000_ops'), '{:.1f}')} | "
          f"{o['errors']}/{a['errors']} |")
    w("")
pair_table("Fixed-rate (paced) runs", ["paced50", "paced80"],
           f"At 50% and 80% of Apache's saturation peak at the same write % "
           f"({float(metrics.get('apache.peak_at_paced_pct', 0)):.0f} ops/s); latency measured from "
           "each request's intended send time, so it is free of coordinated omission.")
pair_table("Latency", ["latency"],
           "`latency`: closed-loop workers, each on its own session, doing a synchronous 1 KiB create "
           "followed by an asynchronous delete (the paper's method); ops/s counts creates. "
           "`op-latency`: one session, synchronous operations one at a time on 100 B values.")
pair_table("Watch fan-out", ["fanout"],
           "Time from just before setData is sent until each watching session receives its "
           "NodeDataChanged notification, 5 rounds.")
pair_table("Bulk load", ["load"], "Pipelined creation of the znodes used below (100 B each).")
w("## Resources\n")
w("| measure | ours | Apache | ratio |\n|---|---|---|---|")
def res(label, key, scale=1.0, fmt="{:.0f}"):
    o, a = kb("ours", key), kb("apache", key)
    w(f"| {label} | {num(o and o / scale, fmt)} | {num(a and a / scale, fmt)} | {ratio(o, a)} |")
res("start-up to serving, empty, ms", "startup_ms")
res("RSS idle, MiB", "rss_idle_kb", 1024, "{:.1f}")
res(f"RSS with {metrics.get('znodes')} znodes of 100 B, MiB", "rss_loaded_kb", 1024, "{:.1f}")
res("peak RSS (VmHWM), MiB", "rss_peak_kb", 1024, "{:.1f}")
res(f"restart to serving with {metrics.get('znodes')} znodes (kill -9, start, first read), ms", "restart_ms")
res("RSS after that restart, MiB", "rss_restarted_kb", 1024, "{:.1f}")
res("newest snapshot on disk after the restart, MiB", "snapshot_bytes", 1 << 20, "{:.1f}")
res("whole dataDir (snapshots + logs), MiB", "data_dir_bytes", 1 << 20, "{:.1f}")
w(f"\nNewest snapshot zxid / server zxid after the restart: ours {metrics.get('ours.snapshot_zxid')} / "
  f"{metrics.get('ours.server_zxid')}, Apache {metrics.get('apache.snapshot_zxid')} / {metrics.get('apache.server_zxid')} "
  "(Apache writes a snapshot at start-up; where the snapshot zxid is well below the server's, that "
  "snapshot predates the end of the load and holds fewer znodes, so the sizes do not compare).\n")
w("\nCPU figures come from /proc tick counts (10 ms resolution): those of short windows "
  "(the op-latency rows, a few hundred ops) are coarse.\n")
w("\nApache runs with `-Xms1g -Xmx1g`, so its RSS includes heap the JVM has touched, not only live data.\n")
w("## Exact commands\n\n```text")
w(f"{command.strip()}")
w("servers: zk-server zoo.cfg   |   java -Xms1g -Xmx1g -Dzookeeper.log.threshold=WARN -cp "
  "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar "
  "org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg")
for c in commands: w(c)
w("```\n\nRaw JSON, tables and server logs: `target/compare/` after a run.\n")
w("## Not measured yet\n\n- 3-node ensembles of ours: zk-server has no quorum mode yet; compare.sh "
  "has the `MODES` hook (`ensemble3`) for it" + ("" if a3 else "; Apache's alone: `--apache-ensemble`") + ".\n")
w(MARK)
open(out, "w").write("\n".join(L) + kept)
EOF
}

if [ "$REPORT_ONLY" = 0 ]; then
  # Apache 3-node ensemble on loopback: the saturation sweep with sessions spread over the three
# (the connect string lists all). Server CPU is not probed (three processes).
run_apache_ensemble() {
  local i ports=() quorum=() hosts=""
  for i in 1 2 3; do ports+=("$(free_port)"); quorum+=("$(free_port):$(free_port)"); done
  for i in 1 2 3; do
    local name="apache3-$i"
    write_cfg "$name" "${ports[$((i - 1))]}"
    echo "$i" >"$WORK/$name/data/myid"
    for j in 1 2 3; do echo "server.$j=127.0.0.1:${quorum[$((j - 1))]}" >>"$WORK/$name/zoo.cfg"; done
    PORT[$name]=${ports[$((i - 1))]}
    start "$name"
    hosts+="${hosts:+,}127.0.0.1:${ports[$((i - 1))]}"
  done
  for i in 1 2 3; do ready_ms "apache3-$i" >/dev/null; done
  local sat=(saturate --sessions "$SESSIONS" --outstanding "$OUTSTANDING" --write-pct "$PCTS"
    --warmup "$WARMUP" --duration "$DURATION")
  COMMANDS+=("zk-bench --server <3 hosts> --json F ${sat[*]}   # Apache 3-node")
  log "apache 3-node: ${sat[*]}"
  "${CLI_PIN[@]}" "$BIN/zk-bench" --server "$hosts" --json "$WORK/apache3.saturate.json" \
    "${sat[@]}" >"$WORK/apache3.saturate.txt"
  stop_all
  PID=()
}

metric date "$(date -u '+%Y-%m-%d %H:%M UTC')"
  metric invocation "scripts/compare.sh $ARGS_TEXT"
  metric load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
  metric cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $CPUS"
  metric kernel "$(uname -r)"
  metric java "$(java -version 2>&1 | head -1)"
  metric apache_version "$(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null || echo unknown)"
  metric fs "$(df -T "$WORK" | awk 'NR==2 {print $2}')"
  metric quick "$QUICK"
  metric znodes "$ZNODES"
  machine_probes
  for mode in "${MODES[@]}"; do
    case "$mode" in
      standalone) run_standalone ;;
      ensemble3) echo "3-node ensembles need quorum mode in zk-server (not implemented yet)" >&2 ;;
    esac
  done
  if [ "$APACHE3" = 1 ]; then run_apache_ensemble; fi
  metric load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
  for c in "${COMMANDS[@]}"; do metric command "$c"; done
fi
exec 9>&-

log "plot and report"
mkdir -p "$(dirname "$OUT")"
PNG="$(dirname "$OUT")/throughput-vs-write.png"
"$BIN/zk-bench" plot --series "zk-server (ours)=$WORK/ours.saturate.json" \
  --series "Apache ZooKeeper 3.8=$WORK/apache.saturate.json" \
  $(if [ -f "$WORK/apache3.saturate.json" ]; then
    echo "--series" "Apache-3-node=$WORK/apache3.saturate.json"
  fi) \
  --title "$SESSIONS sessions x $OUTSTANDING outstanding, 1 KiB (standalone unless named)" --out "$PNG" >&2
write_report "$WORK" "$OUT" "$(basename "$PNG")" "scripts/compare.sh $ARGS_TEXT"
log "wrote $OUT and $PNG"
