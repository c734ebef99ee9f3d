#!/usr/bin/env bash
# report.html in a real browser: headless Chromium (Debian's chromium) renders a job's report; the
# rendered DOM's text must show the report's numbers (from report.json), and screenshots at a
# desktop and a phone width, and a print to PDF, must not be blank. See tests/html/check_report.py.
#   INFERWATCHER_BIN   the binary (default: the release build)
#   KEEP=1             keep the work folder (its path is printed)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${INFERWATCHER_BIN:-$(swift build -c release --show-bin-path)/inferwatcher}
command -v chromium >/dev/null || { echo "tests/html: chromium is missing (scripts/setup.sh installs it)" >&2; exit 1; }
work=$(mktemp -d /tmp/inferwatcher-html.XXXXXX)
[ "${KEEP:-0}" = 1 ] && echo "tests/html: work folder $work" || trap 'rm -rf "$work"' EXIT

"$bin" sample-data --rows 30000 --seed 1 --output "$work/train.csv"
"$bin" profile --input "$work/train.csv" --model examples/model.onnx --output "$work/ref.json" 2>/dev/null
# A job with one shifted feature (credit_score + 300) and some bad rows (lenient), so every section shows.
"$bin" sample-data --rows 20000 --seed 2 --output "$work/job.csv"
awk -F, -v OFS=, 'NR > 1 { $4 = $4 + 300 } NR % 2000 == 0 { $3 = "n/a" } { print }' "$work/job.csv" > "$work/shifted.csv"
"$bin" predict --input "$work/shifted.csv" --output "$work/predictions.csv" --model examples/model.onnx \
    --reference "$work/ref.json" --policy lenient --max-rejected-fraction 0.01 \
    --report "$work/report.json" --html "$work/report.html" --quiet
python3 tests/html/check_report.py "$work/report.html" "$work/report.json" "$work"
