#!/usr/bin/env bash
# Benchmarks (never timed tests): the engine's batch-size × threads sweep on generated sample data,
# and, with BASELINES=1, the Python yardsticks of ../shared/bench (pandas + PyTorch, polars +
# onnxruntime) run beside `inferwatcher predict` on the same data and model by their own script.
#
#   make bench                          # sweep on 1M rows
#   ROWS=10000000 make bench            # bigger input
#   BASELINES=1 SIZES="1M 10M" make bench   # plus the Python baselines (installs their venv once)
#
# Results print as markdown tables; copy them into docs/PERFORMANCE.md with the date and machine.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time; }
swift build -c release --product inferwatcher
bin=$(swift build -c release --show-bin-path)/inferwatcher
work=${BENCH_DIR:-/tmp/inferwatcher-bench}
mkdir -p "$work"
rows=${ROWS:-1000000}
input=$work/input_$rows.csv
[ -f "$input" ] || "$bin" sample-data --rows "$rows" --seed 42 --output "$input"
bytes=$(stat -c %s "$input")

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
echo "input: $rows rows, $bytes bytes; model examples/model.onnx; predict --include-features"
echo
echo "| batch | threads | wall s | rows/s | MB/s in | peak RSS MB |"
echo "|---|---|---|---|---|---|"
for batch in ${BATCHES:-256 1024 4096 16384}; do
    for threads in ${THREADS:-1 2}; do
        best=""
        for _ in $(seq 1 "${RUNS:-3}"); do
            /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" predict --input "$input" --output "$work/out.csv" \
                --model examples/model.onnx --include-features --batch-size "$batch" --threads "$threads" --quiet
            read -r wall rss < "$work/time.txt"
            if [ -z "$best" ] || awk "BEGIN{exit !($wall < ${best%% *})}"; then best="$wall $rss"; fi
        done
        read -r wall rss <<< "$best"
        awk -v b="$batch" -v t="$threads" -v w="$wall" -v r="$rss" -v n="$rows" -v s="$bytes" \
            'BEGIN{printf "| %d | %d | %.2f | %d | %.1f | %d |\n", b, t, w, n / w, s / 1e6 / w, r / 1024}'
    done
done

if [ "${BASELINES:-0}" = 1 ]; then
    [ -x ../shared/bench/run_bench.sh ] || { echo "no ../shared/bench/run_bench.sh here" >&2; exit 1; }
    echo
    INFERWATCHER=$bin PIPELINES="${PIPELINES:-inferwatcher best_python}" BENCH_DIR="$work/baselines" \
        SIZES="${SIZES:-1M}" RUNS="${RUNS:-3}" ../shared/bench/run_bench.sh
    cat "$work/baselines/results.md"
fi
