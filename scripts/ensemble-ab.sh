#!/usr/bin/env bash
# A/B helper for the 3-node write path: starts three members of BIN/zk-server on loopback
# (client ports BASEPORT, +3, +6; quorum/election ports the next two of each), all pinned to
# CPU 0 as scripts/compare.sh runs them, waits for a leader, then runs zk-bench saturate
# (32 sessions x 100 outstanding, 1 KiB) pinned to CPU 1 with the connect string ordered
# follower, follower, leader (sessions spread 11/11/10). Prints zk-bench's table and each
# member's context switches (all threads, voluntary + involuntary) before and after.
#
#   scripts/ensemble-ab.sh BIN_DIR BASEPORT WRITE_PCTS [DURATION_S]
#   PERF=1 scripts/ensemble-ab.sh ...   # also count a few syscalls (perf stat; slows the servers)
#   BENCH="latency --workers 1,10 --warmup 1 --duration 4" scripts/ensemble-ab.sh BIN PORT 0
#                                       # another zk-bench workload instead of saturate
#
# Alternate two builds (copy each build's zk-server and zk-bench into its own BIN_DIR) several
# times and compare medians: the machine is shared. Loopback only.
set -euo pipefail
BIN=$1; BP=$2; PCTS=$3; DUR=${4:-8}; PERF=${PERF:-0}
W=${TMPDIR:-/tmp}/ensemble-ab-$BP; rm -rf $W; mkdir -p $W
declare -a PIDS PORTS
for i in 1 2 3; do
  d=$W/m$i; mkdir -p $d/data; echo $i > $d/data/myid
  cp=$((BP + (i-1)*3))
  cat > $d/zoo.cfg <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=$cp
clientPortAddress=127.0.0.1
maxClientCnxns=0
forceSync=yes
snapCount=100000
globalOutstandingLimit=1000
4lw.commands.whitelist=*
admin.enableServer=false
CFG
  for j in 1 2 3; do echo "server.$j=127.0.0.1:$((BP+(j-1)*3+1)):$((BP+(j-1)*3+2))" >> $d/zoo.cfg; done
  PORTS[$i]=$cp
done
for i in 1 2 3; do RUST_LOG=warn taskset -c 0 $BIN/zk-server $W/m$i/zoo.cfg > $W/m$i/log 2>&1 & PIDS[$i]=$!; done
trap 'kill -9 ${PIDS[1]} ${PIDS[2]} ${PIDS[3]} 2>/dev/null; wait 2>/dev/null' EXIT
mode() { timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && cat <&3' _ $1 2>/dev/null | awk '/^Mode:/ {print $2}'; }
for t in $(seq 1 400); do
  L=""; F=()
  for i in 1 2 3; do m=$(mode ${PORTS[$i]} || true); [ "$m" = leader ] && L=$i; [ "$m" = follower ] && F+=($i); done
  [ -n "$L" ] && [ ${#F[@]} = 2 ] && break; sleep 0.05
done
HOSTS="127.0.0.1:${PORTS[${F[0]}]},127.0.0.1:${PORTS[${F[1]}]},127.0.0.1:${PORTS[$L]}"
P="${PIDS[${F[0]}]},${PIDS[${F[1]}]},${PIDS[$L]}"
echo "leader=m$L pids(F,F,L)=$P"
ctx() { for p in ${PIDS[${F[0]}]} ${PIDS[${F[1]}]} ${PIDS[$L]}; do t=0; for s in /proc/$p/task/*/status; do v=$(awk '/^voluntary_ctxt/ {print $2}' $s); n=$(awk '/^nonvoluntary_ctxt/ {print $2}' $s); t=$((t+v+n)); done; echo -n "$t "; done; }
sleep 1
c0=$(ctx)
if [ "$PERF" = 1 ]; then
  perf stat -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait -p $P -o $W/perfstat.txt -- sleep $((DUR+2)) &
  PS=$!
fi
taskset -c 1 $BIN/zk-bench --server "$HOSTS" --server-pid "$P" --clk-tck $(getconf CLK_TCK) ${BENCH:-saturate --sessions 32 --outstanding 100 --write-pct $PCTS --warmup 2 --duration $DUR} 2>&1 | tee $W/bench.txt
c1=$(ctx)
echo "ctx_before=$c0 ctx_after=$c1"
if [ "$PERF" = 1 ]; then wait $PS || true; grep -v ' 0 ' $W/perfstat.txt | sort -k1 -n -r | head -25; fi
