#!/bin/sh
# Fills the fuzz corpora from the project's own captures (fixtures/):
#   fuzz/corpus/reader/  every fixture file, as is;
#   fuzz/corpus/decode/  every frame of those captures, prefixed with the
#                        link type, original length and FCS length the decode
#                        target expects (see fuzz/src/lib.rs).
# Both directories are git-ignored. Extra capture files or directories given
# as arguments are seeded too (for a local run; never commit third-party
# captures).
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
mkdir -p "$fuzz/corpus/reader" "$fuzz/corpus/decode"

captures=$(find "$root/fixtures" "$@" -maxdepth 1 -type f \
    \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.gz' -o -name '*.zst' -o -name '*.cap' \) | sort)
for capture in $captures; do
    cp -f "$capture" "$fuzz/corpus/reader/$(basename "$capture")"
done
echo "seed: $(echo "$captures" | wc -l) captures copied to $fuzz/corpus/reader"

# shellcheck disable=SC2086 # one argument per capture
cargo run --quiet --release --manifest-path "$fuzz/Cargo.toml" --example seed -- \
    "$fuzz/corpus/decode" $captures
