#!/usr/bin/env bash
# `make bench`: the speed benchmarks (never timed tests). Builds the release binary, generates the
# inputs, measures the I/O floor, `inferwatcher predict` (1M and 10M rows, 1 and 2 threads, the
# largest also with --report and with --reference (drift against a profile of the first size's
# input), and 10k rows start to exit), the largest input again as Parquet and
# as .csv.zst (scores only, against our CSV path; Parquet echoed too), the daemon's drop-to-archive
# latency and, where Python can be set up, the best Python stack of ../shared/bench on the same
# data, model and machine (on Parquet and .csv.zst through scripts/bench/python_file_pipeline.py). Writes the results into docs/PERFORMANCE.md between the "bench:begin" and
# "bench:end" markers.
#
#   make bench                         # everything (first run: builds, generates data, makes a venv)
#   BASELINES=0 make bench             # skip the Python baselines
#   RUNS=3 SIZES="1M" make bench       # fewer runs, smaller inputs
#   BENCH_DIR=/big/disk make bench     # where data, outputs and the venv go (default /tmp/inferwatcher-bench)
#   BEFORE_BIN=/path/to/old/inferwatcher make bench
#                                      # also runs that binary (say, main before a change) in the same
#                                      # rounds, as inferwatcher_before, with its own daemon latency
#
# Method: every run is a fresh process under /usr/bin/time (wall = start to exit, peak RSS); the
# input is warm in the page cache; before each run dirty pages are synced and the previous output
# removed, so no run pays for another's writeback. RUNS rounds (default 5) run every configuration
# once each, so configurations whose ratio is a target are measured side by side rather than
# minutes apart (this VM's speed drifts by ±20 % over a quarter hour); each figure is the median.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/setup.sh >&2
export PATH="$PWD/.venv/bin:$PATH"  # the test oracles (scripts/setup.sh)
swift build -c release --product inferwatcher -Xswiftc -warnings-as-errors >&2  # the flags of make test and make demo
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
raw=$work/runs.tsv
: > "$raw"

# once NAME SIZE THREADS OUTPUT CMD... : one fresh run, appended to runs.tsv. OUTPUT is removed
# before it ("-": nothing to remove).
once() {
    local name=$1 size=$2 threads=$3 output=$4; shift 4
    [ "$output" = - ] || rm -f "$output"
    sync
    /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" > "$work/last.log" 2>&1 \
        || { echo "FAILED: $*" >&2; cat "$work/last.log" >&2; exit 1; }
    tail -1 "$work/time.txt" | awk -v n="$name" -v s="$size" -v t="$threads" \
        '{printf "%s\t%s\t%s\t%.2f\t%.0f\t%.2f\t%.2f\n", n, s, t, $1, $2 / 1024, $3, $4}' | tee -a "$raw" >&2
}
predict() {  # predict SIZE THREADS [--report PATH]: with --report, recorded as inferwatcher_with_report
    local size=$1 threads=$2 name=inferwatcher; shift 2
    [ $# -gt 0 ] && name=inferwatcher_with_report
    run_predict "$name" "$bin" "$size" "$threads" "$@"
}
run_predict() {  # run_predict NAME BINARY SIZE THREADS [ARGS...]
    local name=$1 binary=$2 size=$3 threads=$4; shift 4
    once "$name" "$size" "$threads" "$work/out/iw_$size.csv" "$binary" predict --input "$work/data/input_$size.csv" \
        --output "$work/out/iw_$size.csv" --model "$model" --id-column user_id --include-features --threads "$threads" \
        --quiet "$@"
}
before=${BEFORE_BIN:-}
[ -z "$before" ] || [ -x "$before" ] || { echo "BEFORE_BIN=$before is not an executable" >&2; exit 2; }

# The best Python stack (polars + onnxruntime), plain and streamed in 1M-row chunks; the faster counts.
python=""
if [ "${BASELINES:-1}" != 0 ] && [ -f "$shared/best_python_pipeline.py" ]; then
    venv=$work/venv
    [ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q numpy polars pyarrow onnxruntime; } >&2
    if "$venv/bin/python" -c 'import polars, onnxruntime' 2>/dev/null; then python=$venv/bin/python; fi
fi
# Inputs as they really arrive: the largest input again as Parquet (pyarrow's defaults, zstd) and as
# .csv.zst (zstd's default level), the same rows; Parquet needs pyarrow (the baselines' venv).
parquet=$work/data/input_$largest.parquet
zst=$work/data/input_$largest.csv.zst
if [ ! -f "$parquet" ] && [ -n "$python" ]; then
    "$python" -c 'import sys, pyarrow.csv as c, pyarrow.parquet as p; p.write_table(c.read_csv(sys.argv[1]), sys.argv[2], compression="zstd")' \
        "$work/data/input_$largest.csv" "$parquet.tmp" && mv "$parquet.tmp" "$parquet"
fi
[ -f "$zst" ] || { zstd -q -T0 -f "$work/data/input_$largest.csv" -o "$zst.tmp" && mv "$zst.tmp" "$zst"; }
# scores: the model's columns only (no --include-features), what the Parquet goal is measured on.
scores() {  # scores NAME INPUT [ARGS...]
    local name=$1 input=$2; shift 2
    once "$name" "$largest" 2 "$work/out/iw_scores.csv" "$bin" predict --input "$input" --output "$work/out/iw_scores.csv" \
        --model "$model" --id-column user_id --threads 2 --quiet "$@"
}
python_file() {  # python_file NAME INPUT [ARGS...]: the best Python stack on Parquet or .csv.zst
    local name=$1 input=$2; shift 2
    once "$name" "$largest" 2 "$work/out/py_file.csv" "$python" scripts/bench/python_file_pipeline.py "$shared" \
        --input "$input" --output "$work/out/py_file.csv" --model "$model" "$@"
}

# Tree ensembles: the 500-tree LightGBM classifier of the tree fixtures (issue 12), ours against
# the best Python stack on the same model file, features echoed as in the main run.
tree_model=$root/Tests/EngineTests/Fixtures/trees/lgbm_500.onnx
trees() {  # trees NAME: ours on the largest input with the tree model
    once "$1" "$largest" 2 "$work/out/iw_trees.csv" "$bin" predict --input "$work/data/input_$largest.csv" \
        --output "$work/out/iw_trees.csv" --model "$tree_model" --id-column user_id --include-features --threads 2 --quiet
}
python_trees() {  # python_trees NAME [ARGS...]
    local name=$1; shift
    once "$name" "$largest" 2 "$work/out/py_trees.csv" "$python" scripts/bench/python_tree_pipeline.py "$shared" \
        --input "$work/data/input_$largest.csv" --output "$work/out/py_trees.csv" --model "$tree_model" "$@"
}

# A reference profile for the drift runs: the first size's input, profiled once.
reference=$work/reference.json
"$bin" profile --input "$work/data/input_$(echo $sizes | awk '{print $1}').csv" --model "$model" --id-column user_id \
    --output "$reference" >&2

# The I/O floor writes a file of our output's size.
"$bin" predict --input "$work/data/input_$largest.csv" --output "$work/out/reference.csv" --model "$model" \
    --id-column user_id --include-features --quiet

# RUNS rounds, each running every configuration once: the VM's speed drifts over minutes, so
# the runs whose ratios are targets (1 vs 2 threads, ours vs Python, ours vs the floor) are
# interleaved rather than measured one block after another.
for round in $(seq 1 "$runs"); do
    echo "round $round of $runs" >&2
    # With BEFORE_BIN, each configuration runs with both binaries back to back (the page cache
    # and the VM's writeback behave alike for the two; they swing sys time by ±1 s on 10M rows).
    for s in $sizes; do
        for t in 1 2; do
            predict "$s" "$t"
            [ -z "$before" ] || run_predict inferwatcher_before "$before" "$s" "$t"
        done
    done
    # Drift against a reference (issue 13), beside the plain run and BEFORE_BIN's.
    run_predict inferwatcher_drift "$bin" "$largest" 2 --reference "$reference"
    # With --report the input is also hashed (SHA-256, for report.json): what that costs.
    predict "$largest" 2 --report "$work/out/report.json"
    # The I/O floor: read the input, and write a file of our output's size, 1 MiB at a time (dd).
    once read_input "$largest" 1 - dd if="$work/data/input_$largest.csv" of=/dev/null bs=1M status=none
    once write_output "$largest" 1 "$work/out/floor.csv" dd if="$work/out/reference.csv" of="$work/out/floor.csv" bs=1M status=none
    # Small files: start to exit.
    predict 10k 2
    # Parquet and .csv.zst against our CSV path, scores only, side by side; Parquet echoed too.
    scores inferwatcher_scores "$work/data/input_$largest.csv"
    [ ! -f "$parquet" ] || scores inferwatcher_parquet "$parquet"
    [ ! -f "$parquet" ] || scores inferwatcher_parquet_echo "$parquet" --include-features
    scores inferwatcher_zst "$zst"
    if [ -n "$python" ]; then
        once best_python_scores "$largest" 2 "$work/out/py_file.csv" "$python" "$shared/best_python_pipeline.py" \
            --input "$work/data/input_$largest.csv" --output "$work/out/py_file.csv" --model "$model" --no-include-features
        python_file python_parquet "$parquet" --no-include-features
        python_file python_parquet_chunked_1M "$parquet" --no-include-features --chunksize 1000000
        python_file python_parquet_echo "$parquet"
        python_file python_zst "$zst" --no-include-features
    fi
    trees inferwatcher_trees
    if [ -n "$python" ]; then
        python_trees python_trees
        python_trees python_trees_chunked_1M --chunksize 1000000
    fi
    if [ -n "$python" ]; then
        for s in $sizes; do
            once best_python "$s" 2 "$work/out/py_$s.csv" "$python" "$shared/best_python_pipeline.py" \
                --input "$work/data/input_$s.csv" --output "$work/out/py_$s.csv" --model "$model"
            once best_python_chunked_1M "$s" 2 "$work/out/py_$s.csv" "$python" "$shared/best_python_pipeline.py" \
                --input "$work/data/input_$s.csv" --output "$work/out/py_$s.csv" --model "$model" --chunksize 1000000
        done
    fi
done
# Per configuration, the run with the median wall time (its RSS, user and sys with it), in the
# order the configurations were first run.
printf 'name\tsize\tthreads\twall_s\trss_mb\tuser_s\tsys_s\n' > "$results"
awk -F'\t' '{key = $1 FS $2 FS $3; if (!(key in n)) order[++k] = key; line[key, ++n[key]] = $0; wall[key, n[key]] = $4}
    END {for (i = 1; i <= k; i++) {key = order[i]; m = n[key]
        for (a = 1; a <= m; a++) idx[a] = a
        for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (wall[key, idx[b]] < wall[key, idx[a]]) {t = idx[a]; idx[a] = idx[b]; idx[b] = t}
        print line[key, idx[int((m + 1) / 2)]]}}' "$raw" >> "$results"
cat "$results" >&2

# The daemon: a 10k-row file renamed into incoming/ until its report is archived.
latency=$(python3 scripts/bench/daemon_latency.py "$bin" "$model" "$work/data/input_10k.csv" "$work/daemon" \
    --runs "$(( runs < 5 ? 5 : runs ))" | tail -1)
echo "daemon: $latency" >&2
latency_before=""
if [ -n "$before" ]; then
    latency_before=$(python3 scripts/bench/daemon_latency.py "$before" "$model" "$work/data/input_10k.csv" "$work/daemon-before" \
        --runs "$(( runs < 5 ? 5 : runs ))" | tail -1)
    echo "daemon (before): $latency_before" >&2
fi

# One row group of the Parquet input as the engine holds it: the id (8 bytes a row) and each
# feature as a 32-bit float, for the largest row group's rows.
row_group_mb=""
if [ -f "$parquet" ] && [ -n "$python" ]; then
    row_group_mb=$("$python" -c 'import sys, pyarrow.parquet as p; m = p.ParquetFile(sys.argv[1]).metadata
print(round(max(m.row_group(i).num_rows for i in range(m.num_row_groups)) * (8 + 4 * (m.num_columns - 1)) / 1e6, 1))' "$parquet")
fi

baseline=""
if [ -n "$python" ]; then
    first=$(echo $sizes | awk '{print $1}')  # both outputs are there from the last round
    baseline=$("$python" "$shared/compare_outputs.py" "$work/out/iw_$first.csv" "$work/out/py_$first.csv" 2>&1 | tail -1)
fi

python3 scripts/bench/write_report.py "$results" docs/PERFORMANCE.md \
    --machine "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)" \
    --engine "inferwatcher $("$bin" --version), $("$bin" model inspect "$model" | sed -n 's/^matrix kernels: //p')" \
    --input "$work/data" --model "$model" --daemon "$latency" --daemon-before "$latency_before" --compare "$baseline" \
    --row-group-mb "$row_group_mb" --tree-model-mb "$(awk -v b="$(stat -c %s "$tree_model")" 'BEGIN {printf "%.1f", b / 1048576}')" \
    --command "make bench (RUNS=$runs SIZES=\"$sizes\" BASELINES=${BASELINES:-1}${before:+ BEFORE_BIN=$(basename "$(dirname "$before")")/…})"
echo "wrote docs/PERFORMANCE.md" >&2
