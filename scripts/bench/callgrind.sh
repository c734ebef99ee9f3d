#!/usr/bin/env bash
# Instructions executed (valgrind's callgrind) by `inferwatcher predict` on 100k rows, 1 thread,
# no report: the repeatable yardstick of docs/PERFORMANCE.md's history (the same total twice for
# the same binary and input, whatever else the machine does). Give several binaries to compare.
#
#   scripts/bench/callgrind.sh BIN [BIN ...]      # e.g. a build of main before a change, and after
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || { echo "usage: $0 BIN [BIN ...]" >&2; exit 2; }
work=${BENCH_DIR:-/tmp/inferwatcher-bench}
shared=$(cd .. && pwd)/shared/bench
mkdir -p "$work/data" "$work/out"
if [ -f "$shared/models/model.onnx" ]; then model=$shared/models/model.onnx; else model=examples/model.onnx; fi
input=$work/data/input_100k.csv
if [ ! -f "$input" ]; then
    if [ -f "$shared/gen_data.py" ] && python3 -c 'import numpy, pandas' 2>/dev/null; then
        python3 "$shared/gen_data.py" 100000 "$input.tmp" >&2
    else
        "$1" sample-data --rows 100000 --seed 42 --output "$input.tmp"
    fi
    mv "$input.tmp" "$input"
fi
for bin in "$@"; do
    # valgrind 3.19 gives up on the toolchain's DWARF ("possibly corrupted debuginfo"): count a
    # stripped copy (the same code).
    strip -o "$work/callgrind.bin" "$bin"
    total=$(valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$work/callgrind.bin" predict --input "$input" \
        --output "$work/out/callgrind.csv" --model "$model" --id-column user_id --include-features --threads 1 --quiet 2>&1 \
        | sed -n 's/.*Collected : //p')
    printf '%s\t%s instructions\n' "$bin" "$total"
done
