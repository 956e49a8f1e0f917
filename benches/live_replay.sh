#!/usr/bin/env bash
# Live-capture benchmark: replays a benchmark capture over a veth pair with
# `tcpreplay --topspeed` while `portclass live` and `tcpdump -w /dev/null`
# capture side by side on the receiving end, then compares what each
# received and dropped. portclass must drop no more packets than tcpdump.
#
# Needs root (network namespaces), tcpreplay and tcpdump. Traffic stays
# inside two namespaces this script creates and removes.
#
#   benches/live_replay.sh [CAPTURE]   (default: the 1M-packet capture made
#                                       by benches/compare.sh, generated if absent)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) != 0 ]]; then
  echo "live_replay: needs root (network namespaces)" >&2
  exit 2
fi
for tool in tcpreplay tcpdump; do
  command -v "$tool" >/dev/null || { echo "live_replay: $tool is missing (apt-get install -y $tool)" >&2; exit 2; }
done

capture=${1:-}
if [[ -z $capture ]]; then
  capture=$(ls target/bench-data/bench-1000000-seed1-*.pcap 2>/dev/null | head -n 1 || true)
  if [[ -z $capture ]]; then
    mkdir -p target/bench-data
    capture=target/bench-data/live-replay-1000000.pcap
    python3 benches/gen_bench_pcap.py --packets 1000000 --out "$capture" --seed 1
  fi
fi
cargo build --release --quiet
portclass=$PWD/target/release/portclass

tag=pcb$$
tx=${tag}tx rx=${tag}rx
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  ip netns del "$tx" 2>/dev/null || true
  ip netns del "$rx" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$tx"
ip netns add "$rx"
ip link add "${tag}a" type veth peer name "${tag}b"
ip link set "${tag}a" netns "$tx"
ip link set "${tag}b" netns "$rx"
ip -n "$tx" link set "${tag}a" up
ip -n "$rx" link set "${tag}b" up
ip -n "$tx" link set lo up
ip -n "$rx" link set lo up

ip netns exec "$rx" "$portclass" live -i "${tag}b" --format json --interval 5 \
  >"$work/live.ndjson" 2>"$work/live.err" &
pids+=($!)
live_pid=$!
ip netns exec "$rx" tcpdump -n -i "${tag}b" -w /dev/null 2>"$work/tcpdump.err" &
pids+=($!)
tcpdump_pid=$!
sleep 2

echo "replaying $capture over a veth pair (tcpreplay --topspeed)..."
ip netns exec "$tx" tcpreplay --topspeed -i "${tag}a" "$capture" >"$work/tcpreplay.out" 2>&1
sleep 2
kill -INT "$live_pid" "$tcpdump_pid"
wait "$live_pid" "$tcpdump_pid" || true
pids=()

grep -E "Actual|Rated" "$work/tcpreplay.out" | sed 's/^/tcpreplay: /'
sent=$(grep -oE 'Successful packets: +[0-9]+' "$work/tcpreplay.out" | grep -oE '[0-9]+$' || echo "?")
python3 - "$work/live.ndjson" "$work/tcpdump.err" "$sent" <<'PY'
import json, re, sys
summary = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
stats = summary.get("capture_stats") or {}
tcpdump = open(sys.argv[2]).read()
def num(pattern):
    m = re.search(pattern, tcpdump)
    return int(m.group(1)) if m else None
td_captured = num(r"(\d+) packets captured")
td_dropped = num(r"(\d+) packets dropped by kernel")
print(f"sent by tcpreplay:  {sys.argv[3]}")
print(f"portclass live:     counted {summary['packets']}, libpcap received {stats.get('received')}, "
      f"dropped by kernel {stats.get('dropped')}, by interface {stats.get('if_dropped')}")
print(f"tcpdump -w /dev/null: captured {td_captured}, dropped by kernel {td_dropped}")
ok = stats.get("dropped") is not None and td_dropped is not None and stats["dropped"] <= td_dropped
print("portclass drops no more than tcpdump:", "MET" if ok else "MISSED")
PY
