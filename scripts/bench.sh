#!/usr/bin/env bash
# `make bench`: the speed benchmarks (never timed tests). Builds the release binary, generates the
# inputs, measures the I/O floor, `inferwatcher predict` (1M and 10M rows, 1 and 2 threads, the
# largest also with --report, and 10k rows start to exit), the daemon's drop-to-archive latency
# and, where Python can be set up, the best Python stack of ../shared/bench on the same data,
# model and machine. Writes the results into docs/PERFORMANCE.md between the "bench:begin" and
# "bench:end" markers.
#
#   make bench                         # everything (first run: builds, generates data, makes a venv)
#   BASELINES=0 make bench             # skip the Python baselines
#   RUNS=3 SIZES="1M" make bench       # fewer runs, smaller inputs
#   BENCH_DIR=/big/disk make bench     # where data, outputs and the venv go (default /tmp/inferwatcher-bench)
#
# Method: every run is a fresh process under /usr/bin/time (wall = start to exit, peak RSS); the
# input is warm in the page cache; before each run dirty pages are synced and the previous output
# removed, so no run pays for another's writeback. Each figure is the median of RUNS runs (5: with
# 3, the ratio of two medians, such as 2 threads against 1, moved by ±15 % between runs here).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh >&2
swift build -c release --product inferwatcher >&2
bin=$(swift build -c release --show-bin-path)/inferwatcher
work=${BENCH_DIR:-/tmp/inferwatcher-bench}
runs=${RUNS:-5}
sizes=${SIZES:-"1M 10M"}
shared=$(cd "$root/.." && pwd)/shared/bench
mkdir -p "$work/data" "$work/out"

# The yardsticks' model and data generator when ../shared/bench is here; ours otherwise.
if [ -f "$shared/models/model.onnx" ]; then model=$shared/models/model.onnx; else model=$root/examples/model.onnx; fi
rows_of() { case $1 in 10k) echo 10000;; 100k) echo 100000;; 1M) echo 1000000;; 10M) echo 10000000;; *) echo "$1";; esac; }
generate() {  # generate SIZE -> path of the input
    local f=$work/data/input_$1.csv
    if [ ! -f "$f" ]; then
        if [ -f "$shared/gen_data.py" ] && python3 -c 'import numpy, pandas' 2>/dev/null; then
            python3 "$shared/gen_data.py" "$(rows_of "$1")" "$f.tmp" >&2
        else
            "$bin" sample-data --rows "$(rows_of "$1")" --seed 42 --output "$f.tmp"
        fi
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}
for s in 10k $sizes; do generate "$s" > /dev/null; done
largest=$(echo $sizes | awk '{print $NF}')

results=$work/results.tsv
printf 'name\tsize\tthreads\twall_s\trss_mb\tuser_s\tsys_s\n' > "$results"

# timed NAME SIZE THREADS OUTPUT CMD... : RUNS fresh runs, records the median wall (with its RSS).
# OUTPUT is removed before each run ("-": nothing to remove).
timed() {
    local name=$1 size=$2 threads=$3 output=$4; shift 4
    local tfile=$work/time.txt lines=()
    for _ in $(seq 1 "$runs"); do
        [ "$output" = - ] || rm -f "$output"
        sync
        /usr/bin/time -f "%e %M %U %S" -o "$tfile" "$@" > "$work/last.log" 2>&1 \
            || { echo "FAILED: $*" >&2; cat "$work/last.log" >&2; exit 1; }
        lines+=("$(tail -1 "$tfile")")
    done
    printf '%s\n' "${lines[@]}" | sort -n | awk -v n="$name" -v s="$size" -v t="$threads" -v runs="$runs" \
        'NR == int((runs + 1) / 2) {printf "%s\t%s\t%s\t%.2f\t%.0f\t%.2f\t%.2f\n", n, s, t, $1, $2 / 1024, $3, $4}' \
        | tee -a "$results" >&2
}
predict() {  # predict SIZE THREADS
    timed inferwatcher "$1" "$2" "$work/out/iw_$1.csv" "$bin" predict --input "$work/data/input_$1.csv" \
        --output "$work/out/iw_$1.csv" --model "$model" --id-column user_id --include-features --threads "$2" --quiet
}

for s in $sizes; do predict "$s" 1; predict "$s" 2; done
# With --report the input is also hashed (SHA-256, for report.json): what that costs.
timed inferwatcher_with_report "$largest" 2 "$work/out/iw_$largest.csv" "$bin" predict --input "$work/data/input_$largest.csv" \
    --output "$work/out/iw_$largest.csv" --model "$model" --id-column user_id --include-features --threads 2 --quiet \
    --report "$work/out/report.json"
# The I/O floor: read the input and write a file of our output's size, 1 MiB at a time (dd).
"$bin" predict --input "$work/data/input_$largest.csv" --output "$work/out/reference.csv" --model "$model" \
    --id-column user_id --include-features --quiet
timed read_input "$largest" 1 - dd if="$work/data/input_$largest.csv" of=/dev/null bs=1M status=none
timed write_output "$largest" 1 "$work/out/floor.csv" dd if="$work/out/reference.csv" of="$work/out/floor.csv" bs=1M status=none
# Small files: start to exit.
runs_saved=$runs; runs=$(( runs < 5 ? 5 : runs ))
predict 10k 2
runs=$runs_saved
# The daemon: a 10k-row file renamed into incoming/ until its report is archived.
latency=$(python3 scripts/bench/daemon_latency.py "$bin" "$model" "$work/data/input_10k.csv" "$work/daemon" \
    --runs "$(( runs < 5 ? 5 : runs ))" | tail -1)
echo "daemon: $latency" >&2

# The best Python stack (polars + onnxruntime), plain and streamed in 1M-row chunks; the faster counts.
baseline=""
if [ "${BASELINES:-1}" != 0 ] && [ -f "$shared/best_python_pipeline.py" ]; then
    venv=$work/venv
    [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy polars pyarrow onnxruntime; } >&2
    if "$venv/bin/python" -c 'import polars, onnxruntime' 2>/dev/null; then
        for s in $sizes; do
            timed best_python "$s" 2 "$work/out/py_$s.csv" "$venv/bin/python" "$shared/best_python_pipeline.py" \
                --input "$work/data/input_$s.csv" --output "$work/out/py_$s.csv" --model "$model"
            timed best_python_chunked_1M "$s" 2 "$work/out/py_$s.csv" "$venv/bin/python" "$shared/best_python_pipeline.py" \
                --input "$work/data/input_$s.csv" --output "$work/out/py_$s.csv" --model "$model" --chunksize 1000000
        done
        baseline=$("$venv/bin/python" "$shared/compare_outputs.py" "$work/out/iw_$(echo $sizes | awk '{print $1}').csv" \
            "$work/out/py_$(echo $sizes | awk '{print $1}').csv" 2>&1 | tail -1)
    fi
fi

python3 scripts/bench/write_report.py "$results" docs/PERFORMANCE.md \
    --machine "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)" \
    --engine "inferwatcher $("$bin" --version), $("$bin" model inspect "$model" | sed -n 's/^matrix kernels: //p')" \
    --input "$work/data" --model "$model" --daemon "$latency" --compare "$baseline" \
    --command "make bench (RUNS=$runs SIZES=\"$sizes\" BASELINES=${BASELINES:-1})"
echo "wrote docs/PERFORMANCE.md" >&2
