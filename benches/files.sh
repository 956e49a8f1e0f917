#!/usr/bin/env bash
# files.sh: several captures in one command. Does `portclass read` (and
# `report`) get faster with more threads when given several files?
#
# Generates K captures of N packets (generator seeds 1..K, cached in
# target/bench-data like compare.sh's), puts them in the page cache, then
# runs, alternately in each round:
#   - pcap_empty on each file in turn (the reference: one libpcap loop),
#   - `portclass read FILES --format json --threads T` for T = 1, 2, ...,
#     up to the number of CPUs,
#   - the same for `report` at 1 thread and all of them,
# and prints median wall time, packets per second, the speed-up over one
# thread, CPU time and peak RSS. Also checks that every thread count gives
# the same `read` JSON.
#
#   benches/files.sh [--files K] [--packets N] [--runs R] [--no-build]
set -euo pipefail
export LC_ALL=C

die() {
    printf 'files.sh: %s\n' "$*" >&2
    exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
files=4
packets=1000000
runs=5
build=1
while [ $# -gt 0 ]; do
    case $1 in
        --files) [ $# -ge 2 ] || die "--files needs a value"; files=$2; shift ;;
        --packets) [ $# -ge 2 ] || die "--packets needs a value"; packets=$2; shift ;;
        --runs) [ $# -ge 2 ] || die "--runs needs a value"; runs=$2; shift ;;
        --no-build) build=0 ;;
        -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
    shift
done
for n in "$files" "$packets" "$runs"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: $n"
done
for tool in python3 make /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y time python3 make)"
done

if [ "$build" = 1 ]; then
    (cd "$root" && cargo build --release --quiet)
fi
portclass=$target_dir/release/portclass
[ -x "$portclass" ] || die "$portclass not built"
if [ -d "$root/../shared/bench" ]; then
    bench=$root/../shared/bench
    make -C "$bench" --no-print-directory pcap_empty >&2
    baseline=$bench/pcap_empty
    generator=$bench/gen_bench_pcap.py
else
    echo "== ../shared/bench absent: the stand-ins in benches/"
    make -C "$here/baselines" --no-print-directory OUT="$target_dir/bench-baselines" >&2
    baseline=$target_dir/bench-baselines/pcap_empty
    generator=$here/gen_bench_pcap.py
fi

data_dir=$target_dir/bench-data
mkdir -p "$data_dir"
gen_hash=$(sha256sum "$generator" | cut -c1-12)
captures=()
for seed in $(seq 1 "$files"); do
    file=$data_dir/bench-$packets-seed$seed-$gen_hash.pcap
    if [ ! -f "$file" ]; then
        echo "== generating $file"
        python3 "$generator" --packets "$packets" --out "$file" --seed "$seed"
    fi
    captures+=("$file")
done
cat "${captures[@]}" >/dev/null

cpus=$(nproc)
threads=()
for ((t = 1; t <= cpus && t <= 8; t++)); do threads+=("$t"); done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The same answer whatever the threads (the figures that are exact).
for t in "${threads[@]}"; do
    "$portclass" read "${captures[@]}" --format json --threads "$t" >"$work/read-$t.json"
done
python3 - "$work" "${threads[@]}" <<'EOF'
import json, sys
work, threads = sys.argv[1], sys.argv[2:]
docs = {t: json.load(open(f"{work}/read-{t}.json")) for t in threads}
first = docs[threads[0]]
for t, doc in docs.items():
    for key in ("packets", "bytes", "transport", "ports"):
        if doc.get(key) != first.get(key):
            sys.exit(f"files.sh: read --threads {t} counts {key} differently from --threads {threads[0]}")
print(f"   read JSON: packets, bytes, transports and ports the same for --threads {', '.join(threads)}")
EOF

labels=("pcap_empty x$files")
commands=("for f in ${captures[*]}; do $baseline \$f >/dev/null; done")
for t in "${threads[@]}"; do
    labels+=("read --threads $t")
    commands+=("$portclass read ${captures[*]} --format json --threads $t")
done
for t in 1 "$cpus"; do
    labels+=("report --threads $t")
    commands+=("$portclass report ${captures[*]} --format json --threads $t")
done

samples=$work/samples.tsv
: >"$samples"
echo "== $files files of $packets packets, $runs rounds, $cpus CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 0 "$runs"); do
    for i in "${!labels[@]}"; do
        start=$EPOCHREALTIME
        /usr/bin/time -f '%U %S %M' -o "$work/time" sh -c "${commands[$i]}" >/dev/null
        end=$EPOCHREALTIME
        # Round 0 is the untimed warm-up.
        [ "$round" = 0 ] && continue
        us=$(( 10#${end/./} - 10#${start/./} ))
        printf '%s\t%s\t%s\n' "$i" "$us" "$(tail -n 1 "$work/time")" >>"$samples"
    done
done

python3 - "$samples" "$files" "$packets" "${labels[@]}" <<'EOF'
import statistics, sys
from collections import defaultdict
path, files, packets, labels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
rows = defaultdict(list)
for line in open(path):
    i, us, times = line.rstrip("\n").split("\t")
    user, system, rss = times.split()
    rows[int(i)].append((int(us) / 1e6, float(user) + float(system), int(rss) / 1024))
def median(i, k):
    return statistics.median(r[k] for r in rows[i])
total = files * packets
one = {}
print(f"{'command':<22} {'median s':>9} {'Mpkt/s':>7} {'speed-up':>8} {'CPU s':>6} {'peak RSS MiB':>13}")
for i, label in enumerate(labels):
    wall = median(i, 0)
    kind = label.split()[0]
    speedup = ""
    if label.endswith("--threads 1"):
        one[kind] = wall
    elif kind in one:
        speedup = f"{one[kind] / wall:.2f}x"
    rss = max(r[2] for r in rows[i])
    print(f"{label:<22} {wall:>9.3f} {total / wall / 1e6:>7.2f} {speedup:>8} {median(i, 1):>6.2f} {rss:>13.1f}")
EOF
