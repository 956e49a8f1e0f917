#!/usr/bin/env bash
# compare.sh: whole-command benchmark of `portclass read FILE --format json`
# (and `report`, each also on one counting thread) against libpcap
# baselines, tcpdump, nfpcapd, ndpiReader and tshark on deterministic
# captures.
#
# The performance goals (issue 13): `read` takes at most 0.45x the wall time
# of `pcap_empty FILE` (a bare libpcap read loop) and peaks under 32 MiB RSS
# per worker thread; `report` takes at most 1.3x `read`'s time.
#
# Baselines and the capture generator come from ../shared/bench when it exists
# (built there with `make`), else from the stand-ins in benches/ (built into
# target/bench-baselines). See benches/README.md.
#
# Commands run alternately, one after another in each round (A B C A B C ...),
# so machine noise hits all of them alike. Each command gets one warm-up run,
# then the timed runs; the capture is read from the page cache.
set -euo pipefail
export LC_ALL=C

usage() {
    cat <<'EOF'
usage: benches/compare.sh [options]

  --quick            only the 1M-packet capture, 3 runs (1 of tshark)
  --packets N        capture size in packets (repeatable; default 1000000 and 10000000)
  --runs N           timed runs per command (default 5)
  --tshark-runs N    timed tshark runs, on captures of at most 1M packets (default 2; 0 skips)
  --seed S           generator seed (default 1)
  --data-dir DIR     where captures are cached (default target/bench-data)
  --no-build         use the existing target/release/portclass
  --strict           exit 1 when portclass misses the goal
  -h, --help         this text
EOF
}

die() {
    printf 'compare.sh: %s\n' "$*" >&2
    exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
shared_bench=$root/../shared/bench
target_dir=${CARGO_TARGET_DIR:-$root/target}

sizes=()
runs=5
tshark_runs=2
tshark_max_packets=1000000
seed=1
data_dir=$target_dir/bench-data
build=1
strict=0
goal_ratio=0.45
goal_report_ratio=1.3
goal_rss_mib=32

while [ $# -gt 0 ]; do
    case $1 in
        --quick) sizes=(1000000); runs=3; tshark_runs=1 ;;
        --packets) [ $# -ge 2 ] || die "--packets needs a value"; sizes+=("$2"); shift ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift ;;
        --tshark-runs) [ $# -ge 2 ] || die "--tshark-runs needs a value"; tshark_runs=$2; shift ;;
        --seed) [ $# -ge 2 ] || die "--seed needs a value"; seed=$2; shift ;;
        --data-dir) [ $# -ge 2 ] || die "--data-dir needs a value"; data_dir=$2; shift ;;
        --no-build) build=0 ;;
        --strict) strict=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
done
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000 10000000)
for n in "${sizes[@]}" "$runs" "$tshark_runs" "$seed"; do
    [[ $n =~ ^[0-9]+$ ]] || die "not a non-negative integer: $n"
done
[ "$runs" -ge 1 ] || die "--runs must be at least 1"

for tool in python3 make /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y time python3 make)"
done

# --- build ------------------------------------------------------------------
portclass=$target_dir/release/portclass
if [ "$build" = 1 ]; then
    echo "== cargo build --release"
    (cd "$root" && cargo build --release --quiet)
fi
[ -x "$portclass" ] || die "$portclass not built"

if [ -d "$shared_bench" ]; then
    echo "== baselines: $shared_bench (make)"
    make -C "$shared_bench" --no-print-directory >&2
    baseline_dir=$shared_bench
    generator=$shared_bench/gen_bench_pcap.py
else
    echo "== baselines: ../shared/bench absent, using the stand-ins in benches/baselines"
    baseline_dir=$target_dir/bench-baselines
    make -C "$here/baselines" --no-print-directory OUT="$baseline_dir" >&2
    generator=$here/gen_bench_pcap.py
fi
for prog in pcap_empty pcap_ports pcap_read_ports; do
    [ -x "$baseline_dir/$prog" ] || die "$baseline_dir/$prog not built"
done
[ -f "$generator" ] || die "$generator not found"

# --- captures ---------------------------------------------------------------
mkdir -p "$data_dir"
# The generator's hash is in the name: a changed generator makes new files.
gen_hash=$(sha256sum "$generator" | cut -c1-12)
capture_for() {
    printf '%s/bench-%s-seed%s-%s.pcap' "$data_dir" "$1" "$seed" "$gen_hash"
}
for n in "${sizes[@]}"; do
    file=$(capture_for "$n")
    if [ -f "$file" ]; then
        echo "== capture $file (cached)"
        continue
    fi
    # Captures from an older generator are stale: free their space first.
    for old in "$data_dir/bench-$n-seed$seed-"*.pcap; do
        [ -f "$old" ] || continue
        echo "== removing stale $old"
        rm -f -- "$old"
    done
    # ~700 bytes per packet; keep 1 GiB spare.
    need_kib=$(( n * 700 / 1024 + 1048576 ))
    avail_kib=$(df -Pk "$data_dir" | awk 'NR == 2 { print $4 }')
    [ "$avail_kib" -ge "$need_kib" ] ||
        die "$data_dir: $((avail_kib / 1024)) MiB free, about $((need_kib / 1024)) MiB needed for $n packets"
    echo "== generating $file"
    python3 "$generator" --packets "$n" --out "$file" --seed "$seed"
done

# --- measurement ------------------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results_dir=$target_dir/bench-results
mkdir -p "$results_dir"
stamp=$(date +%Y%m%d-%H%M%S)
samples=$results_dir/compare-$stamp.tsv
log=$results_dir/compare-$stamp.log
printf 'packets\tcommand\tround\tseconds\tmax_rss_kib\texit\n' >"$samples"
: >"$log"

# Command names (table rows) and their argument lists.
#   tshark -q       what the project brief names; tshark then skips dissection
#                   (no output, no tap, no filter), so it only reads the file.
#   tshark fields   the same job as portclass: ../shared/tools/oracle.py's
#                   field extraction, which dissects every frame.
#   nfpcapd         nfdump's pcap-to-flows converter (flow records to a directory).
#   ndpiReader      nDPI's reader: flows and application protocols, quiet.
names=(portclass "portclass --threads 1" "portclass report" "portclass report --threads 1"
    pcap_empty "pcap_ports -b 1M" pcap_read_ports tcpdump nfpcapd ndpiReader "tshark -q" "tshark fields")
oracle_fields=(frame.len frame.protocols tcp.srcport tcp.dstport udp.srcport udp.dstport
    sctp.srcport sctp.dstport ip.frag_offset ipv6.fraghdr.offset)
command_line() {
    local file=$2
    case $1 in
        portclass) cmd=("$portclass" read "$file" --format json) ;;
        "portclass --threads 1") cmd=("$portclass" read "$file" --format json --threads 1) ;;
        "portclass report") cmd=("$portclass" report "$file" --format json) ;;
        "portclass report --threads 1") cmd=("$portclass" report "$file" --format json --threads 1) ;;
        nfpcapd) mkdir -p "$work/nfpcapd"; cmd=(nfpcapd -r "$file" -w "$work/nfpcapd") ;;
        ndpiReader) cmd=(ndpiReader -i "$file" -q) ;;
        pcap_empty) cmd=("$baseline_dir/pcap_empty" "$file") ;;
        "pcap_ports -b 1M") cmd=("$baseline_dir/pcap_ports" -b 1048576 "$file") ;;
        pcap_read_ports) cmd=("$baseline_dir/pcap_read_ports" "$file") ;;
        tcpdump) cmd=(tcpdump -r "$file" -w /dev/null) ;;
        "tshark -q") cmd=(tshark -r "$file" -q) ;;
        "tshark fields")
            cmd=(tshark -n -r "$file" -o ip.defragment:FALSE -o ipv6.defragment:FALSE
                -T fields -E occurrence=f -E $'separator=\t')
            local field
            for field in "${oracle_fields[@]}"; do cmd+=(-e "$field"); done
            ;;
    esac
}

available() {
    case $1 in
        tcpdump | tshark* | nfpcapd | ndpiReader) command -v "${1%% *}" >/dev/null ;;
        *) true ;;
    esac
}

# tshark and ndpiReader are slow: fewer runs, small captures only, no warm-up.
is_slow() { [[ $1 == tshark* || $1 == ndpiReader ]]; }

# measure N NAME ROUND: runs the command once, appends a sample row.
measure() {
    local n=$1 name=$2 round=$3 start end status=0
    command_line "$name" "$(capture_for "$n")"
    printf '## %s round %s: %s\n' "$n" "$round" "${cmd[*]}" >>"$log"
    start=$EPOCHREALTIME
    /usr/bin/time -f '%M' -o "$work/rss" "${cmd[@]}" >/dev/null 2>>"$log" || status=$?
    end=$EPOCHREALTIME
    # EPOCHREALTIME is seconds.microseconds; subtract as integer microseconds.
    local us=$(( 10#${end/./} - 10#${start/./} ))
    local rss
    rss=$(tail -n 1 "$work/rss")
    [[ $rss =~ ^[0-9]+$ ]] || rss=0
    [ "$round" = warmup ] && return 0
    printf '%s\t%s\t%s\t%d.%06d\t%s\t%s\n' "$n" "$name" "$round" \
        $((us / 1000000)) $((us % 1000000)) "$rss" "$status" >>"$samples"
    if [ "$status" != 0 ]; then
        printf '   %s exited %s (see %s)\n' "$name" "$status" "$log" >&2
    fi
}

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${sizes[@]}"; do
    file=$(capture_for "$n")
    echo "== $n packets: $file ($(( $(stat -c %s "$file") / 1048576 )) MiB)"

    # Correctness first: a fast wrong answer is no result.
    "$portclass" read "$file" --format json >"$work/portclass.json"
    python3 - "$work/portclass.json" "$n" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
got = report.get("packets")
transport = report.get("transport", {})
tcp = transport.get("tcp", {}).get("packets")
udp = transport.get("udp", {}).get("packets")
print(f"   portclass counted {got} packets (tcp {tcp}, udp {udp})")
if got != want:
    print(f"   WARNING: portclass counted {got} packets, the capture has {want}", file=sys.stderr)
EOF
    "$baseline_dir/pcap_read_ports" "$file" | sed 's/^/   /'

    # Page cache, then one untimed run of each command.
    cat "$file" >/dev/null
    active=()
    for name in "${names[@]}"; do
        available "$name" || { echo "   $name not installed: skipped"; continue; }
        if is_slow "$name" && { [ "$n" -gt "$tshark_max_packets" ] || [ "$tshark_runs" = 0 ]; }; then
            continue
        fi
        active+=("$name")
        is_slow "$name" || measure "$n" "$name" warmup
    done

    for round in $(seq 1 "$runs"); do
        printf '   round %s/%s:' "$round" "$runs"
        for name in "${active[@]}"; do
            is_slow "$name" && [ "$round" -gt "$tshark_runs" ] && continue
            measure "$n" "$name" "$round"
            printf ' [%s]' "$name"
        done
        echo
    done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- report -----------------------------------------------------------------
report=$results_dir/compare-$stamp.txt
status=0
python3 - "$samples" "$goal_ratio" "$goal_rss_mib" "$goal_report_ratio" >"$report" <<'EOF' || status=$?
import csv, os, statistics, sys
from collections import defaultdict

path, goal_ratio, goal_rss = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
goal_report = float(sys.argv[4])
rows = list(csv.DictReader(open(path), delimiter="\t"))
by = defaultdict(list)
order = []
for r in rows:
    key = (int(r["packets"]), r["command"])
    if key not in by:
        order.append(key)
    by[key].append(r)

missed = False
for n in sorted({k[0] for k in order}):
    cmds = [c for m, c in order if m == n]
    def median(c):
        return statistics.median(float(r["seconds"]) for r in by[(n, c)])
    base = median("pcap_empty") if "pcap_empty" in cmds else None
    print(f"\n{n:,} packets")
    print(f"{'command':<30} {'runs':>4} {'median s':>9} {'min s':>8} {'max s':>8} "
          f"{'x pcap_empty':>12} {'peak RSS MiB':>13}")
    for c in cmds:
        samples = by[(n, c)]
        secs = [float(r["seconds"]) for r in samples]
        rss = max(int(r["max_rss_kib"]) for r in samples) / 1024
        failed = [r["exit"] for r in samples if r["exit"] != "0"]
        ratio = f"{median(c) / base:.2f}x" if base else "-"
        note = f"  FAILED (exit {failed[0]})" if failed else ""
        print(f"{c:<30} {len(secs):>4} {median(c):>9.3f} {min(secs):>8.3f} {max(secs):>8.3f} "
              f"{ratio:>12} {rss:>13.1f}{note}")
    if base and ("portclass" in cmds):
        ratio = median("portclass") / base
        rss = max(int(r["max_rss_kib"]) for r in by[(n, "portclass")]) / 1024
        failed = any(r["exit"] != "0" for r in by[(n, "portclass")])
        # The same ratio round by round: robust to drift across the run.
        rounds = {r["round"]: float(r["seconds"]) for r in by[(n, "pcap_empty")]}
        paired = [float(r["seconds"]) / rounds[r["round"]]
                  for r in by[(n, "portclass")] if rounds.get(r["round"])]
        ok_time = ratio <= goal_ratio and not failed
        # Per worker: the default run has one per CPU (at most 8).
        workers = min(os.cpu_count() or 1, 8)
        ok_rss = rss < goal_rss * workers
        missed |= not (ok_time and ok_rss)
        print(f"portclass: {ratio:.2f}x pcap_empty (median of per-round ratios "
              f"{statistics.median(paired):.2f}x), goal <= {goal_ratio}x: "
              f"{'MET' if ok_time else 'MISSED'}; peak RSS {rss:.1f} MiB with {workers} workers, "
              f"goal < {goal_rss:g} MiB each: "
              f"{'MET' if ok_rss else 'MISSED'}")
    if "portclass" in cmds and "portclass report" in cmds:
        ratio = median("portclass report") / median("portclass")
        ok = ratio <= goal_report
        missed |= not ok
        print(f"portclass report: {ratio:.2f}x portclass read, goal <= {goal_report}x: "
              f"{'MET' if ok else 'MISSED'}")
sys.exit(3 if missed else 0)
EOF
cat "$report"
echo
echo "samples: $samples"
echo "report:  $report"
echo "stderr of the commands: $log"
case $status in
    0) ;;
    3) [ "$strict" = 0 ] || exit 1 ;;
    *) die "the report failed (exit $status)" ;;
esac
