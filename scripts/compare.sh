#!/usr/bin/env bash
# Side-by-side benchmark of our zk-server against Apache ZooKeeper 3.8 on this machine, in one
# run, with the same load generator (zk-bench) and the same durability settings, standalone and
# as 3-node ensembles on loopback. Writes docs/performance.md and docs/throughput-vs-write.png.
# Method: /work/shared/reference/benchmark-method.md (the ZooKeeper paper's, section 5.1).
#
#   scripts/compare.sh [--quick] [--znodes N] [--restarts N] [--duration S] [--sessions S] [--no-pin]
#                      [--out docs/performance.md] [--report-only]
#                      [--modes standalone,ensemble3]
#
# --quick: short windows, 100k znodes instead of 1M, 200 watchers instead of 1000, one restart.
# --restarts: restarts per server with the loaded znodes (default 3); the median is reported.
# --modes: which comparisons to run (default both): standalone servers, 3-node ensembles.
# --report-only: rewrite the report and plot from the last run's results (target/compare).
# Loopback only. Not part of scripts/test.sh (it takes minutes and wants a quiet machine).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
ARGS_TEXT="$*"
ZNODES=1000000
RESTARTS=3 # restarts per server; the report gives their median (a restart is a single event, noisy)
DURATION=10
WARMUP=2
SESSIONS=32
OUTSTANDING=100
WATCHERS=1000
OP_COUNT=1000
PIN=1
REPORT_ONLY=0
OUT="$ROOT/docs/performance.md"
PCTS=0,10,20,50,80,100
PACED_WRITE_PCT=20
MODES=(standalone ensemble3)

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ZNODES=100000; RESTARTS=1; DURATION=3; WARMUP=1; WATCHERS=200; OP_COUNT=300 ;;
    --znodes) ZNODES=$2; shift ;;
    --restarts) RESTARTS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --sessions) SESSIONS=$2; shift ;;
    --no-pin) PIN=0 ;;
    --report-only) REPORT_ONLY=1 ;;
    --modes) IFS=, read -r -a MODES <<<"$2"; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
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
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
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
  # Restart to serving with the loaded znodes: kill -9, start, poll until a read succeeds;
  # RESTARTS times, the median reported (one restart is one event: a busy moment on a shared
  # machine doubles it).
  for name in "${pair[@]}"; do
    log "$name: restart with $ZNODES znodes ($RESTARTS times)"
    local t0 t1 times=() i
    for ((i = 0; i < RESTARTS; i++)); do
      kill -9 "${PID[$name]}"
      wait "${PID[$name]}" 2>/dev/null || true
      t0=$(date +%s%N)
      start "$name"
      ready_ms "$name" >/dev/null
      t1=$(date +%s%N)
      times+=("$(((t1 - t0) / 1000000))")
    done
    metric "$name.restart_ms" "$(median "${times[@]}")"
    metric "$name.restart_ms_all" "${times[*]}"
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
def r(a, b): return a / b if a is not None and b else None
def kb(name, key):
    v = metrics.get(f"{name}.{key}")
    try: return float(v)
    except (TypeError, ValueError): return None
MARK = "<!-- Notes below this line are kept when compare.sh rewrites the file. -->"
kept = ""
if os.path.exists(out):
    text = open(out).read()
    if MARK in text: kept = text.split(MARK, 1)[1]
L = []
w = L.append
quick = metrics.get("quick") == "1"
znodes = metrics.get("znodes")
restarts = metrics.get("restarts", "1")
command = metrics.get("invocation", command)
# The two setups: (title, our run's name, Apache's run's name).
STANDALONE, ENSEMBLE = ("standalone", "ours", "apache"), ("3-node", "ours3", "apache3")
def saturation(setup):
    _, o, a = setup
    sat = {n: {m["write_pct"]: m for m in rep(n, "saturate")["results"]} for n in (o, a)}
    return sat[o], sat[a], sorted(set(sat[o]) & set(sat[a]))
has3 = bool(saturation(ENSEMBLE)[2])
w("# Performance: zk-server vs Apache ZooKeeper 3.8\n")
w(f"Generated by `{command.strip()}` on {metrics.get('date')}. Every ratio is **ours ÷ Apache**, "
  "measured side by side in one run, same load generator (`zk-bench`), same zoo.cfg "
  "(forceSync=yes, snapCount=100000, globalOutstandingLimit=1000, tickTime=2000, initLimit=10, "
  "syncLimit=5, every dataDir on the same filesystem), standalone and as 3-node ensembles on "
  "loopback. Throughput: higher is better (target ≥ 2); latency, CPU, RSS, restart: lower is "
  "better (targets ≤ 0.5, ≤ 0.33, ≤ 0.2, ≤ 0.2).\n")
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
                 ("revision", "source (servers built from the working tree)"), ("pinning", "CPU pinning"), ("java", "Java"), ("apache_version", "Apache package"),
                 ("znodes", "znodes loaded for RSS/restart")]:
    w(f"| {label} | {metrics.get(k, '-')} |")
w("")
# Summary against the issue's targets, one block of rows per setup.
w("## Summary against the targets\n")
w("| setup | measure | worst ratio | target | met? |\n|---|---|---|---|---|")
verdicts = {}  # setup -> [(short label, worst ratio, met)]
def summary(setup, label, values, target, higher, short):
    vals = [v for v in values if v is not None]
    if not vals: w(f"| {setup} | {label} | - | {target} | - |"); return
    worst = min(vals) if higher else max(vals)
    ok = worst >= target if higher else worst <= target
    verdicts.setdefault(setup, []).append((short, worst, ok))
    w(f"| {setup} | {label} | {worst:.2f} | {'≥' if higher else '≤'} {target} | {'yes' if ok else '**no**'} |")
for setup in (STANDALONE, ENSEMBLE):
    title, o, a = setup
    so, sa, pcts = saturation(setup)
    if not pcts: continue
    summary(title, "saturation throughput (min over write %)",
            [r(so[p]["ops_per_sec"], sa[p]["ops_per_sec"]) for p in pcts], 2, True, "throughput")
    summary(title, "saturation p99 latency (max over write %)",
            [r(so[p]["latency_us"]["p99"], sa[p]["latency_us"]["p99"]) for p in pcts], 0.5, False, "p99 latency")
    summary(title, "server CPU per op (max over write %)" + (", sum of 3 members" if o == "ours3" else ""),
            [r(so[p].get("cpu_ms_per_1000_ops"), sa[p].get("cpu_ms_per_1000_ops")) for p in pcts], 0.33, False,
            "CPU per op")
    summary(title, f"RSS with {znodes} znodes" + (" (sum of 3)" if o == "ours3" else ""),
            [r(kb(o, "rss_loaded_kb"), kb(a, "rss_loaded_kb"))], 0.2, False, "RSS")
    summary(title, f"restart to serving with {znodes} znodes" + (" (one follower)" if o == "ours3" else ""),
            [r(kb(o, "restart_ms"), kb(a, "restart_ms"))], 0.2, False, "restart")
w("")
for setup, vs in verdicts.items():
    met = ", ".join(v[0] for v in vs if v[2]) or "none"
    missed = ", ".join(f"{v[0]} ({v[1]:.2f})" for v in vs if not v[2]) or "none"
    w(f"- **{setup}**: targets met: {met}; not met (worst ratio): {missed}.")
if verdicts: w("")
def lat3(m): l = m["latency_us"]; return f"{l['p50']} / {l['p99']} / {l['p999']}"
def saturation_table(setup, cpu_note):
    so, sa, pcts = saturation(setup)
    if not pcts: return
    m0 = so[pcts[0]]
    w(f"{m0['sessions']} sessions × {m0['outstanding']} outstanding, {m0['value_bytes']} B values, "
      f"each session on its own znode; {m0['seconds']:.0f} s measured per point after a warm-up. "
      f"Latency in µs; CPU in server CPU-ms per 1000 ops{cpu_note}.\n")
    w("| write % | ours ops/s | Apache ops/s | ratio | ours p50 / p99 / p99.9 | Apache p50 / p99 / p99.9 | p99 ratio | ours CPU/1k | Apache CPU/1k | CPU ratio |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for p in pcts:
        o, a = so[p], sa[p]
        w(f"| {p} | {o['ops_per_sec']:.0f} | {a['ops_per_sec']:.0f} | {ratio(o['ops_per_sec'], a['ops_per_sec'])} | "
          f"{lat3(o)} | {lat3(a)} | {ratio(o['latency_us']['p99'], a['latency_us']['p99'])} | "
          f"{num(o.get('cpu_ms_per_1000_ops'), '{:.1f}')} | {num(a.get('cpu_ms_per_1000_ops'), '{:.1f}')} | "
          f"{ratio(o.get('cpu_ms_per_1000_ops'), a.get('cpu_ms_per_1000_ops'))} |")
    w("")
def pair_table(title, kinds, intro, names=("ours", "apache"), level="##"):
    rows = []
    for kind in kinds:
        o = {m["label"]: m for m in rep(names[0], kind)["results"]}
        a = {m["label"]: m for m in rep(names[1], kind)["results"]}
        for label in o:
            if label in a: rows.append((o[label], a[label]))
    if not rows: return
    w(f"{level} {title}\n\n{intro}\n")
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
def resources(rows, names=("ours", "apache")):
    w("| measure | ours | Apache | ratio |\n|---|---|---|---|")
    for label, key, scale, fmt in rows:
        o, a = kb(names[0], key), kb(names[1], key)
        w(f"| {label} | {num(o and o / scale, fmt)} | {num(a and a / scale, fmt)} | {ratio(o, a)} |")
LATENCY_INTRO = ("`latency`: closed-loop workers, each on its own session, doing a synchronous 1 KiB create "
                 "followed by an asynchronous delete (the paper's method); ops/s counts creates. "
                 "`op-latency`: one session, synchronous operations one at a time on 100 B values.")
MIB = 1024
w("## Saturation (throughput vs write %)\n")
saturation_table(STANDALONE, "")
w(f"![throughput vs write %]({png})\n")
w("Solid lines: standalone servers; dashed: 3-node ensembles (same colour per server).\n" if has3 else "")
pair_table("Fixed-rate (paced) runs", ["paced50", "paced80"],
           f"At 50% and 80% of Apache's saturation peak at the same write % "
           f"({float(metrics.get('apache.peak_at_paced_pct', 0)):.0f} ops/s); latency measured from "
           "each request's intended send time, so it is free of coordinated omission.")
pair_table("Latency", ["latency"], LATENCY_INTRO)
pair_table("Watch fan-out", ["fanout"],
           "Time from just before setData is sent until each watching session receives its "
           "NodeDataChanged notification, 5 rounds.")
pair_table("Bulk load", ["load"], "Pipelined creation of the znodes used below (100 B each).")
if saturation(STANDALONE)[2]:
    w("## Resources\n")
    resources([("start-up to serving, empty, ms", "startup_ms", 1, "{:.0f}"),
               ("RSS idle, MiB", "rss_idle_kb", MIB, "{:.1f}"),
               (f"RSS with {znodes} znodes of 100 B, MiB", "rss_loaded_kb", MIB, "{:.1f}"),
               ("peak RSS (VmHWM), MiB", "rss_peak_kb", MIB, "{:.1f}"),
               (f"restart to serving with {znodes} znodes (kill -9, start, first read; median of {restarts}), ms", "restart_ms", 1, "{:.0f}"),
               ("RSS after that restart, MiB", "rss_restarted_kb", MIB, "{:.1f}"),
               ("newest snapshot on disk after the restart, MiB", "snapshot_bytes", 1 << 20, "{:.1f}"),
               ("whole dataDir (snapshots + logs), MiB", "data_dir_bytes", 1 << 20, "{:.1f}")])
    w(f"\nEach restart, ms: ours {metrics.get('ours.restart_ms_all', '-')}, Apache "
      f"{metrics.get('apache.restart_ms_all', '-')}.\n")
    w(f"\nNewest snapshot zxid / server zxid after the restart: ours {metrics.get('ours.snapshot_zxid')} / "
      f"{metrics.get('ours.server_zxid')}, Apache {metrics.get('apache.snapshot_zxid')} / {metrics.get('apache.server_zxid')} "
      "(Apache writes a snapshot at start-up; where the snapshot zxid is well below the server's, that "
      "snapshot predates the end of the load and holds fewer znodes, so the sizes do not compare).\n")
    w("\nApache runs with `-Xms1g -Xmx1g`, so its RSS includes heap the JVM has touched, not only live data.\n")
if has3:
    def conns(name):
        c = metrics.get(f"{name}.connections", "-")
        return f"{c}"
    w("## 3-node ensemble\n")
    w("Three members of each server on loopback, both ensembles running at once and each workload "
      "run against one then the other. Each member has the standalone zoo.cfg plus "
      "`server.1..3=127.0.0.1:<quorum>:<election>` lines and `dataDir/myid`; the three dataDirs "
      "are on the same filesystem and every member fsyncs its own log. All six server processes "
      f"share the servers' CPU ({metrics.get('pinning')}), with election and replication traffic on "
      "loopback, so the absolute figures understate what three machines would do; the ratio "
      "compares like with like. Before any load the script polls `srvr` until every member "
      "reports a mode and exactly one says `leader`.\n")
    n = saturation(ENSEMBLE)[0][saturation(ENSEMBLE)[2][0]]["sessions"]
    split = " / ".join(str(n // 3 + (1 if i < n % 3 else 0)) for i in range(3))
    w("**How sessions were spread.** The connect string lists the three client ports, followers "
      "first and the leader last. `zk-bench` does not shuffle it: session *i* tries member "
      f"*i* mod 3 first, so the {n} saturation sessions split {split} (follower / follower / leader) "
      "and a one-session workload (`op-latency`, `latency workers=1`) runs on a follower, as two "
      "thirds of a real ensemble's clients do. Writes on followers are forwarded to the leader; "
      "reads are served locally. Client connections per member (follower / follower / leader) "
      f"read from `srvr` during the first saturation point: ours {conns('ours3')}, Apache "
      f"{conns('apache3')} (Apache's count includes the `srvr` connection itself).\n")
    w("Server CPU is the sum over the three members' `/proc/<pid>/stat` (`--server-pid P1,P2,P3`), "
      "RSS the sum of the three `VmRSS`.\n")
    w("### Saturation\n")
    saturation_table(ENSEMBLE, ", sum of the three members")
    pair_table("Latency", ["latency"], LATENCY_INTRO + " The session is on a follower.",
               names=("ours3", "apache3"), level="###")
    pair_table("Bulk load", ["load"], "Pipelined creation of the znodes used below (100 B each), "
               "4 sessions spread like the others.", names=("ours3", "apache3"), level="###")
    w("### Resources\n")
    resources([("start to ensemble ready (every member has a mode, one leader), ms", "startup_ms", 1, "{:.0f}"),
               ("RSS idle, sum of 3, MiB", "rss_idle_kb", MIB, "{:.1f}"),
               (f"RSS with {znodes} znodes of 100 B, sum of 3, MiB", "rss_loaded_kb", MIB, "{:.1f}"),
               ("peak RSS (VmHWM), sum of 3, MiB", "rss_peak_kb", MIB, "{:.1f}"),
               (f"restart of one follower with {znodes} znodes (kill -9, start, until `srvr` says follower; median of {restarts}), ms", "restart_ms", 1, "{:.0f}"),
               ("RSS after that restart, sum of 3, MiB", "rss_restarted_kb", MIB, "{:.1f}"),
               ("three dataDirs (snapshots + logs), MiB", "data_dir_bytes", 1 << 20, "{:.1f}")],
              names=("ours3", "apache3"))
    w(f"\nEach follower restart, ms: ours {metrics.get('ours3.restart_ms_all', '-')}, Apache "
      f"{metrics.get('apache3.restart_ms_all', '-')}.\n")
    w(f"\nLeaders: ours {metrics.get('ours3.leader')}, Apache {metrics.get('apache3.leader')}; after the "
      f"follower restart: ours {metrics.get('ours3.leader_after_restart', '-').strip()}, Apache "
      f"{metrics.get('apache3.leader_after_restart', '-').strip()}.\n")
w("\nCPU figures come from /proc tick counts (10 ms resolution): those of short windows "
  "(the op-latency rows, a few hundred ops) are coarse.\n")
w("## Exact commands\n\n```text")
w(f"{command.strip()}")
w("servers: zk-server zoo.cfg   |   java -Xms1g -Xmx1g -Dzookeeper.log.threshold=WARN -cp "
  "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar "
  "org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg")
for c in commands: w(c)
w("```\n\nRaw JSON, tables and server logs: `target/compare/` after a run.\n")
w("## Not measured yet\n")
w("- 3-node ensembles: paced runs, watch fan-out and snapshot sizes (the standalone section has "
  "them); restart of the leader (an election) rather than a follower." if has3 else
  "- 3-node ensembles: not run (`--modes standalone,ensemble3`).")
w("")
w(MARK)
open(out, "w").write("\n".join(L) + kept)
EOF
}

# ---- 3-node ensembles ----------------------------------------------------------------------
# Both ensembles (ours3-1..3, apache3-1..3) run at once, like the standalone pair, and each
# workload runs against one then the other. Every member uses write_cfg's zoo.cfg plus the
# server.N lines and myid; all six processes share the servers' CPU (CPU 0 when pinned).
declare -A HOSTS LEADER FOLLOWER
srvr_of() { # srvr_of NAME: the srvr answer of member NAME ("" while it does not listen)
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && cat <&3' _ \
    "${PORT[$1]}" 2>/dev/null || true
}
mode_of() { srvr_of "$1" | awk '/^Mode:/ {print $2}'; }
members() { echo "$1-1" "$1-2" "$1-3"; }
pids_of() { # pids_of KIND: the members' pids, comma-separated
  local m out=""
  for m in $(members "$1"); do out+="${out:+,}${PID[$m]}"; done
  echo "$out"
}
sum_kb() { # sum_kb rss|hwm KIND: the members' RSS (or VmHWM) summed, KiB
  local m total=0
  for m in $(members "$2"); do total=$((total + $("$1_kb" "${PID[$m]}"))); done
  echo "$total"
}
# wait_ensemble KIND: polls srvr until every member answers a mode and exactly one is the
# leader; records LEADER/FOLLOWER and the connect string (followers first, leader last, so
# that a one-session workload runs on a follower, as two thirds of clients do).
wait_ensemble() {
  local kind=$1 deadline=$((SECONDS + 600)) m mode leaders followers modes
  while :; do
    leaders=() followers=() modes=0
    for m in $(members "$kind"); do
      mode=$(mode_of "$m")
      [ -n "$mode" ] && modes=$((modes + 1))
      case "$mode" in
        leader) leaders+=("$m") ;;
        follower) followers+=("$m") ;;
      esac
    done
    if [ "$modes" = 3 ] && [ "${#leaders[@]}" = 1 ] && [ "${#followers[@]}" = 2 ]; then break; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$kind: no ensemble after 600 s (leaders: ${leaders[*]-}, followers: ${followers[*]-})" >&2
      return 1
    fi
    sleep 0.05
  done
  LEADER[$kind]=${leaders[0]}
  FOLLOWER[$kind]=${followers[0]}
  HOSTS[$kind]="127.0.0.1:${PORT[${followers[0]}]},127.0.0.1:${PORT[${followers[1]}]},127.0.0.1:${PORT[${leaders[0]}]}"
}
ebench() { # ebench KIND ARGS...: zk-bench against ensemble KIND, CPU summed over its members
  local kind=$1
  shift
  "${CLI_PIN[@]}" "$BIN/zk-bench" --server "${HOSTS[$kind]}" --server-pid "$(pids_of "$kind")" \
    --clk-tck "$CLK_TCK" "$@"
}
# connections_of KIND: "followerA/followerB/leader" client connection counts (from srvr).
connections_of() {
  local kind=$1 m out=""
  for m in $(tr ',' '\n' <<<"${HOSTS[$kind]}" | cut -d: -f2); do
    for n in $(members "$kind"); do
      if [ "${PORT[$n]}" = "$m" ]; then
        out+="${out:+/}$(srvr_of "$n" | awk '/^Connections:/ {print $2}')"
      fi
    done
  done
  echo "$out"
}

run_ensemble() {
  local kinds=(ours3 apache3) kind i j m
  for kind in "${kinds[@]}"; do
    local ports=() quorum=() t0
    for i in 1 2 3; do ports+=("$(free_port)"); quorum+=("$(free_port):$(free_port)"); done
    t0=$(date +%s%N)
    for i in 1 2 3; do
      m="$kind-$i"
      write_cfg "$m" "${ports[$((i - 1))]}"
      echo "$i" >"$WORK/$m/data/myid"
      for j in 1 2 3; do echo "server.$j=127.0.0.1:${quorum[$((j - 1))]}" >>"$WORK/$m/zoo.cfg"; done
      PORT[$m]=${ports[$((i - 1))]}
      start "$m"
    done
    wait_ensemble "$kind"
    metric "$kind.startup_ms" "$((($(date +%s%N) - t0) / 1000000))"
    for m in $(members "$kind"); do
      bench "$m" wait-ready --timeout 120 >/dev/null
    done
    metric "$kind.leader" "${LEADER[$kind]}"
    metric "$kind.hosts" "${HOSTS[$kind]}"
  done
  sleep 2
  for kind in "${kinds[@]}"; do metric "$kind.rss_idle_kb" "$(sum_kb rss "$kind")"; done

  local sat=(saturate --sessions "$SESSIONS" --outstanding "$OUTSTANDING" --write-pct "$PCTS"
    --warmup "$WARMUP" --duration "$DURATION")
  local lat=(latency --workers 1,10 --warmup 1 --duration "$DURATION" --op-count "$OP_COUNT")
  local load=(load --count "$ZNODES" --value-bytes 100)
  COMMANDS+=("zk-bench --server F1,F2,L --server-pid P1,P2,P3 --json F ${sat[*]}   # 3-node"
    "zk-bench ... ${lat[*]}   # 3-node" "zk-bench ... ${load[*]}   # 3-node")
  for kind in "${kinds[@]}"; do
    log "$kind: ${sat[*]}"
    ebench "$kind" --json "$WORK/$kind.saturate.json" "${sat[@]}" >"$WORK/$kind.saturate.txt" &
    local job=$!
    # Where the sessions landed: srvr's client connections of each member, mid first point.
    sleep "$(python3 -c "print($WARMUP + $DURATION / 2 + 1)")"
    metric "$kind.connections" "$(connections_of "$kind")"
    wait "$job"
  done
  for kind in "${kinds[@]}"; do
    log "$kind: ${lat[*]}"
    ebench "$kind" --json "$WORK/$kind.latency.json" "${lat[@]}" >"$WORK/$kind.latency.txt"
  done
  for kind in "${kinds[@]}"; do
    log "$kind: ${load[*]}"
    ebench "$kind" --json "$WORK/$kind.load.json" "${load[@]}" >"$WORK/$kind.load.txt"
    sleep 2
    metric "$kind.rss_loaded_kb" "$(sum_kb rss "$kind")"
    metric "$kind.rss_peak_kb" "$(sum_kb hwm "$kind")"
  done
  # Restart of one follower with the loaded znodes: kill -9, start, poll srvr until it says
  # follower again (it has recovered its snapshot and log and synchronized with the leader);
  # RESTARTS times, the median reported.
  for kind in "${kinds[@]}"; do
    m=${FOLLOWER[$kind]}
    log "$kind: restart follower $m with $ZNODES znodes ($RESTARTS times)"
    local t0 t1 deadline times=() i
    for ((i = 0; i < RESTARTS; i++)); do
      kill -9 "${PID[$m]}"
      wait "${PID[$m]}" 2>/dev/null || true
      deadline=$((SECONDS + 600))
      t0=$(date +%s%N)
      start "$m"
      until [ "$(mode_of "$m")" = follower ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then echo "$m: not a follower after 600 s" >&2; break; fi
        sleep 0.02
      done
      t1=$(date +%s%N)
      times+=("$(((t1 - t0) / 1000000))")
    done
    metric "$kind.restart_ms" "$(median "${times[@]}")"
    metric "$kind.restart_ms_all" "${times[*]}"
    metric "$kind.leader_after_restart" "$(for x in $(members "$kind"); do
      [ "$(mode_of "$x")" = leader ] && echo "$x"; done | tr '\n' ' ')"
    sleep 1
    metric "$kind.rss_restarted_kb" "$(sum_kb rss "$kind")"
    local bytes=0
    for x in $(members "$kind"); do bytes=$((bytes + $(du -sb "$WORK/$x/data" | cut -f1))); done
    metric "$kind.data_dir_bytes" "$bytes"
  done
  stop_all
  PID=()
}

if [ "$REPORT_ONLY" = 0 ]; then
  metric date "$(date -u '+%Y-%m-%d %H:%M UTC')"
  metric invocation "scripts/compare.sh $ARGS_TEXT"
  metric load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
  metric cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $CPUS"
  metric kernel "$(uname -r)"
  metric java "$(java -version 2>&1 | head -1)"
  metric apache_version "$(dpkg-query -W -f '${Version}' zookeeper 2>/dev/null || echo unknown)"
  metric fs "$(df -T "$WORK" | awk 'NR==2 {print $2}')"
  metric quick "$QUICK"
  # The binaries are built from the working tree, which may hold others' uncommitted edits.
  metric revision "$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$ROOT" &&
    git status --porcelain --untracked-files=no -- zk-server zk-zab zk-tree zk-storage zk-proto 2>/dev/null |
    awk '{f = f (f ? ", " : "") $2} END {if (f) printf " + uncommitted changes in %s", f}')"
  metric znodes "$ZNODES"
  metric restarts "$RESTARTS"
  machine_probes
  for mode in "${MODES[@]}"; do
    case "$mode" in
      standalone) run_standalone ;;
      ensemble3) run_ensemble ;;
      *) echo "unknown mode: $mode" >&2; exit 2 ;;
    esac
  done
  metric load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
  for c in "${COMMANDS[@]}"; do metric command "$c"; done
fi
exec 9>&-

log "plot and report"
mkdir -p "$(dirname "$OUT")"
PNG="$(dirname "$OUT")/throughput-vs-write.png"
# Standalone servers solid, ensembles dashed in the same colours (ours red, Apache blue).
PLOT=()
for pair in "zk-server (ours)=ours" "Apache ZooKeeper 3.8=apache"; do
  f="$WORK/${pair#*=}.saturate.json"
  if [ -f "$f" ]; then PLOT+=(--series "${pair%=*}=$f"); fi
  f="$WORK/${pair#*=}3.saturate.json"
  if [ -f "$f" ]; then PLOT+=(--dashed-series "${pair%=*}, 3-node=$f"); fi
done
"$BIN/zk-bench" plot "${PLOT[@]}" --out "$PNG" \
  --title "$SESSIONS sessions x $OUTSTANDING outstanding, 1 KiB (dashed: 3-node ensembles)" >&2
write_report "$WORK" "$OUT" "$(basename "$PNG")" "scripts/compare.sh $ARGS_TEXT"
log "wrote $OUT and $PNG"
