#!/usr/bin/env bash
# adversarial.sh: memory and time of portclass on hostile inputs. Measures,
# never asserts on time; run by hand, read the table.
#
#   (a) a port scan: one source probing all 65,535 TCP ports on 40 hosts
#       (2,621,400 SYNs: 2.6 M conversations, 65,535 ports seen);
#   (b) a SYN flood: 3,000,000 SYNs from random source addresses and ports
#       to one server (about 3 M distinct hosts and conversations);
#   each through `portclass read`, `portclass report --format json` and
#   `cat FILE | portclass read -` and `cat FILE | portclass report -`, with
#   peak RSS and wall time;
#   (c) several GiB on standard input: the 10 M-packet benchmark capture
#       (6.4 GiB, made by benches/compare.sh, generated here if absent)
#       piped into `portclass read -` and `portclass report -`;
#   (d) live under a flood (root, tcpreplay): (a) and (b) replayed at top
#       speed over a veth pair into `portclass live -f tcp --format json`
#       (the filter keeps the link's own IPv6 chatter out), with the
#       live process's peak RSS (VmHWM, read before it is stopped) and the
#       packets it counted and libpcap dropped.
#
# Every run also checks that the packet count is exact (a mismatch is
# printed in the table, not fatal).
#
#   benches/adversarial.sh [--no-build] [--no-live] [--no-stdin-gib] [--data-dir DIR]
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
data_dir=$target_dir/bench-data
build=1 live=1 stdin_gib=1

while [ $# -gt 0 ]; do
    case $1 in
        --no-build) build=0 ;;
        --no-live) live=0 ;;
        --no-stdin-gib) stdin_gib=0 ;;
        --data-dir) data_dir=$2; shift ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "adversarial.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

for tool in python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "adversarial.sh: $tool is missing" >&2; exit 2; }
done

cd "$root"
if [ "$build" = 1 ]; then
    cargo build --release --quiet
fi
portclass=$target_dir/release/portclass
[ -x "$portclass" ] || { echo "adversarial.sh: no $portclass (drop --no-build)" >&2; exit 2; }

mkdir -p "$data_dir"
work=$(mktemp -d)
netns_tag=pcadv$$
cleanup() {
    ip netns del "${netns_tag}tx" 2>/dev/null || true
    ip netns del "${netns_tag}rx" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- captures ---------------------------------------------------------------

# Writes (a) or (b): classic pcap, Ethernet/IPv4/TCP SYN frames of 54 bytes,
# deterministic (random.Random(1)).
generate() {
    python3 - "$1" "$2" <<'PY'
import random, struct, sys
kind, out = sys.argv[1], sys.argv[2]
rng = random.Random(1)
frame = bytearray(
    bytes.fromhex("020000000001" "020000000002" "0800")
    + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, b"\0" * 4, b"\0" * 4)
    + struct.pack("!HHIIBBHHH", 0, 0, 0, 0, 5 << 4, 0x02, 64240, 0, 0)
)
record = bytearray(struct.pack("<IIII", 0, 0, len(frame), len(frame)) + frame)
IP_SRC, IP_DST, SPORT, DPORT = 16 + 26, 16 + 30, 16 + 34, 16 + 36
scanner = bytes([198, 51, 100, 66])
server = bytes([192, 0, 2, 80])
def packets():
    if kind == "portscan":
        hosts = [bytes([10, 20, h // 256, h % 256 + 1]) for h in range(40)]
        for port in range(1, 65536):
            for host in hosts:
                yield scanner, 54321, host, port
    else:
        for _ in range(3_000_000):
            yield struct.pack("!I", rng.getrandbits(32)), rng.randrange(1024, 65536), server, 80
with open(out + ".tmp", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    chunk, t = [], 1_700_000_000 * 1_000_000
    for src, sport, dst, dport in packets():
        t += 3
        struct.pack_into("<II", record, 0, t // 1_000_000, t % 1_000_000)
        record[IP_SRC:IP_SRC + 4] = src
        record[IP_DST:IP_DST + 4] = dst
        struct.pack_into("!HH", record, SPORT, sport, dport)
        chunk.append(bytes(record))
        if len(chunk) == 65536:
            f.write(b"".join(chunk))
            chunk = []
    f.write(b"".join(chunk))
import os
os.replace(out + ".tmp", out)
PY
}

portscan=$data_dir/adversarial-portscan-v1.pcap
synflood=$data_dir/adversarial-synflood-v1.pcap
declare -A expected=([$portscan]=2621400 [$synflood]=3000000)
for capture in "$portscan" "$synflood"; do
    if [ ! -s "$capture" ]; then
        kind=$(basename "$capture" | sed -E 's/adversarial-([a-z]+)-.*/\1/')
        echo "generating $capture ..." >&2
        generate "$kind" "$capture"
    fi
done

big=""
if [ "$stdin_gib" = 1 ]; then
    # shellcheck disable=SC2012
    big=$(ls "$data_dir"/bench-10000000-seed1-*.pcap 2>/dev/null | head -n 1 || true)
    if [ -z "$big" ]; then
        free_kib=$(df -Pk "$data_dir" | awk 'NR==2 {print $4}')
        if [ "$free_kib" -lt $((8 * 1024 * 1024)) ]; then
            echo "adversarial.sh: under 8 GiB free in $data_dir, skipping (c)" >&2
        else
            big=$data_dir/bench-10000000-seed1-adversarial.pcap
            echo "generating $big (6.4 GiB) ..." >&2
            python3 "$here/gen_bench_pcap.py" --packets 10000000 --out "$big" --seed 1
        fi
    fi
    [ -n "$big" ] && expected[$big]=10000000
fi

# --- measuring --------------------------------------------------------------

# KiB → MiB with one decimal.
mib() {
    awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'
}

rows=()
# measure LABEL COMMAND FILE STDIN(0|1) ARGS...: runs portclass ARGS (reading
# FILE through `cat |` when STDIN is 1), JSON to a file; one table row.
measure() {
    local label=$1 command=$2 file=$3 stdin=$4
    shift 4
    local out=$work/out.json timing=$work/time.txt status=0
    if [ "$stdin" = 1 ]; then
        # A pipe on purpose (what `tcpdump -w - | portclass read -` gives),
        # not a redirected regular file.
        # shellcheck disable=SC2002
        cat "$file" | /usr/bin/time -f '%e %M' -o "$timing" "$portclass" "$@" >"$out" 2>"$work/err" || status=$?
    else
        /usr/bin/time -f '%e %M' -o "$timing" "$portclass" "$@" >"$out" 2>"$work/err" || status=$?
    fi
    local wall rss
    read -r wall rss < <(tail -n 1 "$timing")
    local facts
    facts=$(python3 - "$out" "${expected[$file]:-0}" "$status" <<'PY'
import json, os, sys
path, want, status = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    d = json.load(open(path))
except Exception as e:
    print(f"exit {status}, no JSON ({e})"); sys.exit()
notes = [f"{d['packets']:,} pkts" + ("" if d["packets"] == want else f" (WANT {want:,})")]
notes.append(f"{d['bytes'] / 2**30:.2f} GiB wire")
notes.append(f"{len(d['ports']):,} ports, {len(d['services']):,} services")
r = d.get("report")
if r:
    for table in ("hosts", "conversations"):
        t = r[table]
        notes.append(f"{table}: {len(t['entries'])}/{t['capacity']} kept, "
                     f"{'exact' if t['exact'] else 'approx ±' + format(t['error_bound_bytes'], ',') + ' B'}")
notes.append(f"JSON {os.path.getsize(path) / 2**20:.1f} MiB")
if status != "0":
    notes.append(f"exit {status}")
print("; ".join(notes))
PY
)
    rows+=("$(printf '%-10s | %-34s | %8s s | %8.1f MiB | %s' "$label" "$command" "$wall" "$(mib "$rss")" "$facts")")
    echo "${rows[-1]}" >&2
}

for capture in "$portscan" "$synflood"; do
    label=$(basename "$capture" | sed -E 's/adversarial-([a-z]+)-.*/\1/')
    measure "$label" "read --format json FILE" "$capture" 0 read --format json "$capture"
    measure "$label" "report --format json FILE" "$capture" 0 report --format json "$capture"
    measure "$label" "cat FILE | read --format json -" "$capture" 1 read --format json -
    measure "$label" "cat FILE | report --format json -" "$capture" 1 report --format json -
done
if [ -n "$big" ]; then
    measure "stdin-6GiB" "cat FILE | read --format json -" "$big" 1 read --format json -
    measure "stdin-6GiB" "cat FILE | report --format json -" "$big" 1 report --format json -
fi

# --- live under a flood -----------------------------------------------------

live_rows=()
if [ "$live" = 1 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v tcpreplay >/dev/null; then
        echo "adversarial.sh: (d) needs root and tcpreplay, skipped" >&2
    else
        tx=${netns_tag}tx rx=${netns_tag}rx
        ip netns add "$tx"
        ip netns add "$rx"
        ip link add "${netns_tag}a" type veth peer name "${netns_tag}b"
        ip link set "${netns_tag}a" netns "$tx"
        ip link set "${netns_tag}b" netns "$rx"
        for ns in "$tx" "$rx"; do ip -n "$ns" link set lo up; done
        ip -n "$tx" link set "${netns_tag}a" up
        ip -n "$rx" link set "${netns_tag}b" up
        for capture in "$portscan" "$synflood"; do
            label=$(basename "$capture" | sed -E 's/adversarial-([a-z]+)-.*/\1/')
            ip netns exec "$rx" "$portclass" live -i "${netns_tag}b" -f tcp --format json --interval 5 \
                >"$work/live.ndjson" 2>"$work/live.err" &
            live_pid=$!
            sleep 2
            start=$(date +%s.%N)
            ip netns exec "$tx" tcpreplay --topspeed -i "${netns_tag}a" "$capture" >"$work/tcpreplay.out" 2>&1
            sleep 2
            hwm=$(awk '/VmHWM/ {print $2}' "/proc/$live_pid/status")
            kill -INT "$live_pid"
            wait "$live_pid" || true
            end=$(date +%s.%N)
            sent=$(grep -oE 'Successful packets: +[0-9]+' "$work/tcpreplay.out" | grep -oE '[0-9]+$' || echo "?")
            rate=$(grep -oE 'Rated: [0-9.]+ Bps, [0-9.]+ Mbps, [0-9.]+ pps' "$work/tcpreplay.out" | grep -oE '[0-9.]+ pps' || echo "? pps")
            facts=$(python3 - "$work/live.ndjson" "$sent" "$rate" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
s = json.loads(lines[-1])
st = s.get("capture_stats") or {}
sent = int(sys.argv[2])
exact = "" if s["packets"] == sent else f" (WANT {sent:,})"
print(f"sent {sent:,} at {sys.argv[3]}; counted {s['packets']:,}{exact}; "
      f"libpcap received {st.get('received')}, dropped {st.get('dropped')}, if_dropped {st.get('if_dropped')}; "
      f"{len(s['ports']):,} ports")
PY
)
            live_rows+=("$(printf '%-10s | %-34s | %8.1f s | %8.1f MiB | %s' "$label" "live (tcpreplay --topspeed)" "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')" "$(mib "$hwm")" "$facts")")
            echo "${live_rows[-1]}" >&2
        done
    fi
fi

# --- table ------------------------------------------------------------------

echo
echo "portclass $("$portclass" --version | awk '{print $2}'), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-10s | %-34s | %10s | %12s | %s\n' "input" "command" "wall" "peak RSS" "what it counted"
printf '%s\n' "$(printf '%.0s-' {1..140})"
for row in "${rows[@]}" "${live_rows[@]}"; do
    echo "$row"
done
