#!/usr/bin/env bash
# Live-capture benchmark: replays a benchmark capture over a veth pair with
# tcpreplay while `portclass live` and `tcpdump -w /dev/null` capture side by
# side on the receiving end, and compares, for each replay mode, the CPU time
# each capturing process used per million packets it received, and what each
# dropped. portclass must use no more CPU per packet than tcpdump, and drop
# nothing where tcpdump drops nothing.
#
# Needs root (network namespaces), tcpreplay and tcpdump. Traffic stays
# inside two namespaces this script creates and removes (also on Ctrl-C or
# a failure).
#
#   benches/live_replay.sh [options] [CAPTURE]
#
#   CAPTURE          a pcap to replay (default: the 1M-packet capture made by
#                    benches/compare.sh, generated if absent)
#   --modes "M..."   replay modes, each `topspeed` (tcpreplay --topspeed: as
#                    fast as the sender can) or `pps=N` (tcpreplay --pps=N:
#                    a rate both should keep up with, so both receive the
#                    same packets); default "topspeed pps=100000"
#   --rounds N       replays per mode (default 3); the table gives medians
#   --limit N        replay only the first N packets (tcpreplay --limit)
#   --portclass BIN  the binary to measure (default: cargo build --release)
#   --live-args "A"  extra arguments for portclass live (e.g. "-B 4096")
#   --tcpdump-args "A"  extra arguments for tcpdump (e.g. "-B 32768")
#   --keep DIR       keep every round's raw output in DIR
#   --idle S         seconds of the idle measurement after each replay (default 3)
#   --fanout "NS..." instead of the comparison: whether PACKET_FANOUT pays
#                    here. A small libpcap program (needs gcc and
#                    libpcap-dev) spends NS nanoseconds of CPU per packet (a
#                    stand-in for portclass's pipeline; 0: tcpdump's) and
#                    captures alone or as two processes in one kernel fanout
#                    group (setsockopt PACKET_FANOUT, PACKET_FANOUT_HASH, on
#                    libpcap's socket), on each mode's replay
#
# What is measured, per capturing process and round: CPU seconds (user +
# system, from /proc/PID/stat, all threads) from just before the replay to
# 1.5 s after it (both have emptied their rings by then: tcpdump's block
# timeout is 1 s, portclass's 100 ms), so starting up and the final summary
# are not counted, but portclass's interval snapshots in that window are;
# then, with nothing more to capture, CPU per idle second (portclass's
# snapshots of everything counted so far, every --interval); packets
# it received from the kernel (portclass: counted; tcpdump: "captured"); and
# the kernel's drop counter (libpcap's ps_drop). CPU per Mpkt = CPU seconds
# / packets received * 1e6. Only the capturing processes' own CPU time is
# counted: the kernel's copy of each packet into the rings runs in the
# sender's softirq and is charged to neither (or to whichever was running).
set -euo pipefail
cd "$(dirname "$0")/.."

modes="topspeed pps=100000"
rounds=3
limit=
portclass=
live_args=
tcpdump_args=
keep=
capture=
idle=3
fanout=
while [[ $# -gt 0 ]]; do
  case $1 in
    --modes) modes=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --portclass) portclass=$2; shift 2 ;;
    --live-args) live_args=$2; shift 2 ;;
    --tcpdump-args) tcpdump_args=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --fanout) fanout=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "live_replay: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) capture=$1; shift ;;
  esac
done

if [[ $(id -u) != 0 ]]; then
  echo "live_replay: needs root (network namespaces)" >&2
  exit 2
fi
for tool in tcpreplay tcpdump python3; do
  command -v "$tool" >/dev/null || { echo "live_replay: $tool is missing (apt-get install -y $tool)" >&2; exit 2; }
done

if [[ -z $capture ]]; then
  capture=$(ls target/bench-data/bench-1000000-seed1-*.pcap 2>/dev/null | head -n 1 || true)
  if [[ -z $capture ]]; then
    mkdir -p target/bench-data
    capture=target/bench-data/live-replay-1000000.pcap
    python3 benches/gen_bench_pcap.py --packets 1000000 --out "$capture" --seed 1
  fi
fi
# replay_args MODE: tcpreplay's options for a replay mode, in `replay`.
replay_args() {
  case $1 in
    topspeed) replay=(--topspeed) ;;
    pps=*) replay=("--pps=${1#pps=}") ;;
    *) echo "live_replay: unknown mode $1 (topspeed or pps=N)" >&2; exit 2 ;;
  esac
  [[ -n $limit ]] && replay+=("--limit=$limit")
  return 0
}

if [[ -n $fanout ]]; then
  portclass=/bin/true # not used
elif [[ -z $portclass ]]; then
  cargo build --release --quiet
  portclass=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/portclass
fi
[[ -x $portclass ]] || { echo "live_replay: $portclass is not an executable" >&2; exit 2; }

tag=pcb$$
tx=${tag}tx rx=${tag}rx
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  # Anything still running in the namespaces (a replay cut short).
  for ns in "$tx" "$rx"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  if [[ -n $keep ]]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$tx"
ip netns add "$rx"
ip link add "${tag}a" type veth peer name "${tag}b"
ip link set "${tag}a" netns "$tx"
ip link set "${tag}b" netns "$rx"
ip -n "$tx" link set "${tag}a" up
ip -n "$rx" link set "${tag}b" up
ip -n "$tx" link set lo up
ip -n "$rx" link set lo up

clk_tck=$(getconf CLK_TCK)
# CPU seconds (user + system, every thread) process $1 has used so far.
cpu_seconds() {
  python3 - "$1" "$clk_tck" <<'PY'
import sys
stat = open(f"/proc/{sys.argv[1]}/stat").read()
fields = stat[stat.rindex(")") + 2:].split()
# utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the name.
print((int(fields[11]) + int(fields[12])) / int(sys.argv[2]))
PY
}

# Waits until process $1 has a packet socket open (its capture is ready).
wait_capturing() {
  for _ in $(seq 100); do
    if ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'socket:'; then return 0; fi
    sleep 0.05
  done
  echo "live_replay: process $1 opened no capture" >&2
  return 1
}

# The fanout probe: one capture like portclass's (TPACKET_V3 through
# libpcap, 32 MiB ring, 100 ms timeout), optionally in a fanout group, that
# spends WORK_NS of CPU per packet and prints what it handled and what the
# kernel dropped when interrupted.
fanout_probe() {
  cat >"$work/fanout_probe.c" <<'C'
#include <pcap/pcap.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static pcap_t *p;
static long work_ns;
static unsigned long handled;
static volatile unsigned long sink;
static void on_int(int s) { (void)s; pcap_breakloop(p); }
static long now_ns(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec;
}
static void each(u_char *u, const struct pcap_pkthdr *h, const u_char *bytes) {
  (void)u; unsigned long x = 0; handled++;
  for (unsigned i = 0; i < h->caplen && i < 64; i++) x += bytes[i];
  if (work_ns) { long end = now_ns() + work_ns; while (now_ns() < end) x++; }
  sink += x;
}
int main(int argc, char **argv) {
  char err[PCAP_ERRBUF_SIZE];
  if (argc != 4) { fprintf(stderr, "usage: fanout_probe IFACE GROUP(0: none) WORK_NS\n"); return 2; }
  int group = atoi(argv[2]); work_ns = atol(argv[3]);
  if (!(p = pcap_create(argv[1], err))) { fprintf(stderr, "%s\n", err); return 2; }
  pcap_set_snaplen(p, 262144); pcap_set_promisc(p, 1); pcap_set_timeout(p, 100);
  pcap_set_buffer_size(p, 32 << 20);
  if (pcap_activate(p) < 0) { fprintf(stderr, "%s\n", pcap_geterr(p)); return 2; }
  int arg = group | (PACKET_FANOUT_HASH << 16);
  if (group && setsockopt(pcap_get_selectable_fd(p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) {
    perror("PACKET_FANOUT"); return 2;
  }
  struct sigaction sa = {0}; sa.sa_handler = on_int; sigaction(SIGINT, &sa, NULL);
  for (;;) {
    int r = pcap_dispatch(p, 256, each, NULL);
    if (r == PCAP_ERROR_BREAK) break;
    if (r < 0) { fprintf(stderr, "%s\n", pcap_geterr(p)); return 1; }
  }
  struct pcap_stat st; pcap_stats(p, &st);
  printf("%lu %u\n", handled, st.ps_drop);
  return 0;
}
C
  gcc -O2 -Wall -o "$work/fanout_probe" "$work/fanout_probe.c" -lpcap
}

if [[ -n $fanout ]]; then
  command -v gcc >/dev/null || { echo "live_replay: --fanout needs gcc and libpcap-dev" >&2; exit 2; }
  fanout_probe
  echo "capture:   $capture"
  echo "host:      $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| replay | work ns/packet | capturing processes | round | sender rate (pps) | CPU s/Mpkt (all) | handled | dropped |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for mode in $modes; do
    replay_args "$mode"
    for work_ns in $fanout; do
      for round in $(seq "$rounds"); do
        for workers in 1 2; do
          group=0
          [[ $workers -gt 1 ]] && group=$(($$ % 60000 + round))
          probes=()
          for i in $(seq "$workers"); do
            ip netns exec "$rx" "$work/fanout_probe" "${tag}b" "$group" "$work_ns" >"$work/probe.$i" &
            probes+=($!)
            pids+=($!)
          done
          for pid in "${probes[@]}"; do wait_capturing "$pid"; done
          sleep 1
          cpu0=0
          for pid in "${probes[@]}"; do cpu0=$(python3 -c "print($cpu0 + $(cpu_seconds "$pid"))"); done
          ip netns exec "$tx" tcpreplay "${replay[@]}" -i "${tag}a" "$capture" >"$work/tcpreplay.out" 2>&1
          sleep 1
          cpu1=0
          for pid in "${probes[@]}"; do cpu1=$(python3 -c "print($cpu1 + $(cpu_seconds "$pid"))"); done
          kill -INT "${probes[@]}"
          wait "${probes[@]}" || true
          pids=()
          rate=$(grep -oE '[0-9.]+ pps' "$work/tcpreplay.out" | head -n 1 || echo "? pps")
          cat "$work"/probe.[0-9]* | python3 -c '
import sys
rows = [list(map(int, line.split())) for line in sys.stdin if line.strip()]
handled, dropped = sum(r[0] for r in rows), sum(r[1] for r in rows)
mode, work_ns, workers, round_, rate, cpu = sys.argv[1:7]
per = float(cpu) / handled * 1e6 if handled else float("nan")
print(f"| {mode} | {work_ns} | {workers} | {round_} | {float(rate):,.0f} | {per:.3f} | {handled:,} | {dropped:,} |")
' "$mode" "$work_ns" "$workers" "$round" "${rate% pps}" "$(python3 -c "print($cpu1 - $cpu0)")"
          rm -f "$work"/probe.[0-9]*
        done
      done
    done
  done
  exit 0
fi

echo "capture:   $capture"
echo "portclass: $portclass live $live_args"
echo "tcpdump:   $(tcpdump --version 2>&1 | head -n 1) -w /dev/null $tcpdump_args"
echo "host:      $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
results=$work/results.tsv
: >"$results"
for mode in $modes; do
  replay_args "$mode"
  for round in $(seq "$rounds"); do
    out=$work/$mode-$round
    mkdir -p "$out"
    # shellcheck disable=SC2086 # the extra arguments are words
    ip netns exec "$rx" "$portclass" live -i "${tag}b" --format json $live_args \
      >"$out/live.ndjson" 2>"$out/live.err" &
    live_pid=$!
    pids+=("$live_pid")
    # shellcheck disable=SC2086
    ip netns exec "$rx" tcpdump -n -i "${tag}b" -w /dev/null $tcpdump_args 2>"$out/tcpdump.err" &
    tcpdump_pid=$!
    pids+=("$tcpdump_pid")
    wait_capturing "$live_pid"
    wait_capturing "$tcpdump_pid"
    sleep 1
    live_cpu0=$(cpu_seconds "$live_pid")
    tcpdump_cpu0=$(cpu_seconds "$tcpdump_pid")
    ip netns exec "$tx" tcpreplay "${replay[@]}" -i "${tag}a" "$capture" >"$out/tcpreplay.out" 2>&1
    # Past tcpdump's 1 s block timeout: both have had the last packets.
    sleep 1.5
    live_cpu1=$(cpu_seconds "$live_pid")
    tcpdump_cpu1=$(cpu_seconds "$tcpdump_pid")
    # Then idle: what each costs per second with nothing to capture
    # (portclass's interval snapshots of everything counted so far).
    sleep "$idle"
    live_cpu2=$(cpu_seconds "$live_pid")
    tcpdump_cpu2=$(cpu_seconds "$tcpdump_pid")
    kill -INT "$live_pid" "$tcpdump_pid"
    wait "$live_pid" "$tcpdump_pid" || true
    pids=()
    rate=$(grep -oE 'Rated: [0-9.]+ Bps, [0-9.]+ Mbps, [0-9.]+ pps' "$out/tcpreplay.out" | grep -oE '[0-9.]+ pps' || echo "? pps")
    sent=$(grep -oE 'Successful packets: +[0-9]+' "$out/tcpreplay.out" | grep -oE '[0-9]+$' || echo 0)
    python3 - "$out" "$mode" "$round" "$sent" "${rate% pps}" \
      "$live_cpu0" "$live_cpu1" "$live_cpu2" "$tcpdump_cpu0" "$tcpdump_cpu1" "$tcpdump_cpu2" \
      "$idle" >>"$results" <<'PY'
import json, re, sys
out, mode, round_, sent, rate = sys.argv[1:6]
l0, l1, l2, t0, t1, t2, idle = map(float, sys.argv[6:13])
live_cpu, tcpdump_cpu = l1 - l0, t1 - t0
live_idle, tcpdump_idle = (l2 - l1) / idle, (t2 - t1) / idle
lines = open(f"{out}/live.ndjson").read().strip().splitlines()
summary = json.loads(lines[-1]) if lines else {}
stats = summary.get("capture_stats") or {}
tcpdump = open(f"{out}/tcpdump.err").read()
def num(pattern):
    m = re.search(pattern, tcpdump)
    return int(m.group(1)) if m else -1
print("\t".join(str(v) for v in [
    mode, round_, sent, rate,
    live_cpu, summary.get("packets", -1), stats.get("dropped", -1),
    tcpdump_cpu, num(r"(\d+) packets captured"), num(r"(\d+) packets dropped by kernel"),
    live_idle, tcpdump_idle,
]))
PY
    tail -n 1 "$results" | awk -F'\t' '{ printf "%-12s round %s: sent %s at %s pps; portclass %.2f s CPU, %s received, %s dropped; tcpdump %.2f s CPU, %s received, %s dropped\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
  done
done

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
by_mode = {}
for r in rows:
    by_mode.setdefault(r[0], []).append(r)
def per_mpkt(cpu, packets):
    return float(cpu) / int(packets) * 1e6 if int(packets) > 0 else float("nan")
print("| replay | rounds | sent | sender rate (pps) | portclass CPU s/Mpkt | tcpdump CPU s/Mpkt | portclass / tcpdump | portclass received / dropped | tcpdump received / dropped | idle CPU ms/s portclass / tcpdump |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
verdict = True
verdicts = []
for mode, rs in by_mode.items():
    live = [per_mpkt(r[4], r[5]) for r in rs]
    td = [per_mpkt(r[7], r[8]) for r in rs]
    ratios = [a / b for a, b in zip(live, td) if b > 0]
    med = statistics.median
    def counts(i, j):
        return ", ".join(f"{int(r[i]):,} / {int(r[j]):,}" for r in rs)
    print(f"| {mode} | {len(rs)} | {med(int(r[2]) for r in rs):,.0f} | {med(float(r[3]) for r in rs):,.0f} "
          f"| {med(live):.3f} | {med(td):.3f} | {med(ratios):.2f}x "
          f"| {counts(5, 6)} | {counts(8, 9)} "
          f"| {med(float(r[10]) for r in rs) * 1e3:.0f} / {med(float(r[11]) for r in rs) * 1e3:.0f} |")
    cpu_ok = med(ratios) <= 1.0
    drops_ok = all(int(r[6]) == 0 for r in rs if int(r[9]) == 0)
    verdict = verdict and cpu_ok and drops_ok
    verdicts.append(f"{mode}: CPU per packet no more than tcpdump's: {'MET' if cpu_ok else 'MISSED'} "
                    f"(round ratios {', '.join(f'{x:.2f}' for x in ratios)}); "
                    f"no drops where tcpdump had none: {'MET' if drops_ok else 'MISSED'}")
print()
print("\n".join(verdicts))
sys.exit(0 if verdict else 1)
PY
