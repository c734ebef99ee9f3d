#!/usr/bin/env bash
# The house format (.swift-format, checked as hummingbird's scripts/validate.sh does): every Swift
# file must be exactly what `swift format` makes of it. Generated code (Engine/Model/Generated,
# DecimalPowersOfFive.swift from scripts/make_powers_of_five.py) is left as generated.
# `scripts/validate.sh --fix` rewrites the files in place instead of failing.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.swift' | grep -v -e '/Generated/' -e 'DecimalPowersOfFive.swift')
if [ "${1:-}" = --fix ]; then
    swift format format --in-place --parallel "${files[@]}"
    exit 0
fi
bad=()
for file in "${files[@]}"; do
    if ! swift format format "$file" | cmp -s - "$file"; then bad+=("$file"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "validate: ${#bad[@]} of ${#files[@]} Swift files are not formatted (run scripts/validate.sh --fix):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "validate: ${#files[@]} Swift files formatted"
