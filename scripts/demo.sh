#!/usr/bin/env bash
# The main job on the bundled example, through the real daemon: starts `inferwatcher serve` on a
# temporary spool with the demo model (examples/model.onnx, an MLP), drops 10,000 generated sample
# rows into incoming/, waits for the dated archive folder, shows it and its report; then 10,000 more
# rows through a second pipeline, `trees`, whose model is a LightGBM classifier
# (examples/trees.onnx: Tests/EngineTests/Fixtures/trees/lgbm_binary.onnx, made by
# make_tree_models.py), and stops. The default pipeline checks drift against a reference profiled
# from 50,000 rows of training-like data: a third file, with credit scores shifted up, shows the
# drift alert (journal-style log record, on_drift hook, report.html's drift section).
set -euo pipefail
cd "$(dirname "$0")/.."
INFERWATCHER_SKIP_PYTHON=1 scripts/setup.sh

swift build -c release --product inferwatcher -Xswiftc -warnings-as-errors  # the flags of make test's step 4: one build serves both
bin=$(swift build -c release --show-bin-path)/inferwatcher
scripts/man.sh > /dev/null  # make man: the source build's man pages, in .build/man
work=$(mktemp -d /tmp/inferwatcher-demo.XXXXXX)
model=$(pwd)/examples/model.onnx
trees=$(pwd)/examples/trees.onnx

echo "== profiling the reference (the training data's distribution): inferwatcher profile"
"$bin" sample-data --rows 50000 --seed 1 --output "$work/train.csv"
"$bin" profile --input "$work/train.csv" --model "$model" --output "$work/ref.json"

cat > "$work/inferwatcher.yaml" <<YAML
state_dir: $work/state
pipelines:
  default:
    spool: $work/spool
    archive: $work/archive
    model: $model
    settle: 500ms
    drift: {reference: $work/ref.json, warn_psi: 0.1, alert_psi: 0.25}
    alerts: {on_drift: 'echo "\$INFERWATCHER_EVENT \$INFERWATCHER_INPUT: \$INFERWATCHER_REASON" >> $work/drift-alerts.txt'}
  trees:
    spool: $work/spool-trees
    archive: $work/archive-trees
    model: $trees
    settle: 500ms
YAML
echo "== configuration ($work/inferwatcher.yaml)"
"$bin" check-config --config "$work/inferwatcher.yaml" | head -8

echo
echo "== starting: inferwatcher serve --config $work/inferwatcher.yaml (log: $work/daemon.log)"
"$bin" serve --config "$work/inferwatcher.yaml" 2> "$work/daemon.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "ready:" "$work/daemon.log" && break; sleep 0.1; done

echo "== dropping batch_input.csv (10,000 rows) into $work/spool/incoming/"
"$bin" sample-data --rows 10000 --seed 42 --output "$work/batch_input.csv"
"$bin" sample-data --rows 10000 --seed 7 --output "$work/trees_input.csv"
mv "$work/batch_input.csv" "$work/spool/incoming/"

# archived ARCHIVE NAME: waits for the job folder of NAME, then shows it, its report and first rows.
archived() {
    local job=""
    for _ in $(seq 1 300); do
        job=$(find "$1" -mindepth 2 -maxdepth 2 -type d -name "$2-*" 2>/dev/null | head -1)
        [ -n "$job" ] && break
        sleep 0.1
    done
    [ -n "$job" ] || { echo "the job was not archived; daemon log:"; cat "$work/daemon.log"; exit 1; }
    echo
    echo "== archived: $job"
    ls -l "$job"
    echo
    cat "$job/report.txt"
    echo
    echo "== predictions.csv (first lines)"
    head -4 "$job/predictions.csv"
    echo
    echo "== report.html: open file://$job/report.html in a browser (charts, per-feature statistics, drift)"
    echo
}
archived "$work/archive" batch_input

echo "== shifted_input.csv: 10,000 rows whose credit scores are 300 higher than in training"
"$bin" sample-data --rows 10000 --seed 9 --output "$work/shifted.csv"
awk -F, -v OFS=, 'NR > 1 { $4 = $4 + 300 } { print }' "$work/shifted.csv" > "$work/shifted_input.csv"
mv "$work/shifted_input.csv" "$work/spool/incoming/"
archived "$work/archive" shifted_input
for _ in $(seq 1 50); do [ -s "$work/drift-alerts.txt" ] && break; sleep 0.1; done
echo "== the on_drift hook wrote:"
cat "$work/drift-alerts.txt"
echo

echo "== 10,000 more rows into the trees pipeline ($trees: LightGBM, 60 trees)"
"$bin" model inspect "$trees" | grep -E '^(family|status):'
mv "$work/trees_input.csv" "$work/spool-trees/incoming/"
archived "$work/archive-trees" trees_input
echo "== inferwatcher status"
"$bin" status --config "$work/inferwatcher.yaml"
echo
echo "== inferwatcher history (read from the archives)"
"$bin" history --config "$work/inferwatcher.yaml"

kill -TERM $daemon
wait $daemon || true
trap - EXIT
echo
echo "== daemon log"
cat "$work/daemon.log"
echo
echo "Everything is in $work (remove it when done)."
