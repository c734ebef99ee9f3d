#!/usr/bin/env bash
# Installs what building and testing inferwatcher needs on a fresh Debian 12 machine with the
# Swift 6.3 toolchain. Idempotent: installs only what is missing.
#   system libraries: OpenBLAS (the Gemm/MatMul fallback), libsystemd (notify + journal), OpenSSL
#                     libcrypto (SHA-256), zstd and zlib (archived inputs), snappy (Parquet pages)
#   test oracles:     onnxruntime + numpy (model outputs, PSI), pandas (report statistics), pillow
#                     (report.html's screenshots), in .venv/
# Needs root for apt-get only (run as root, or with sudo available to it).
set -euo pipefail
cd "$(dirname "$0")/.."

# build: the C libraries (libsnappy-dev: SNAPPY-compressed Parquet pages); tests: zstd (archive
# checks), systemd (systemd-analyze, the e2e sandbox), dpkg-dev, binutils and lintian (the Debian
# package); chromium (report.html rendered in a real browser, tests/html); prometheus (promtool,
# which checks the metrics textfile); make bench: time and python3-venv.
apt_packages=(libopenblas0 libsystemd-dev libssl-dev libzstd-dev zlib1g-dev libsnappy-dev pkg-config zstd systemd dpkg-dev binutils lintian
    chromium prometheus time python3-venv)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The test oracles go into the project's own venv (.venv/, ignored by git), never into the
# system's Python: scripts/test.sh and scripts/bench.sh put .venv/bin first on PATH.
if [ "${INFERWATCHER_SKIP_PYTHON:-0}" != 1 ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    if ! .venv/bin/python -c "import onnxruntime, numpy, pandas, PIL" 2>/dev/null; then
        echo "setup: installing the test oracles (onnxruntime, numpy, pandas, pillow) into .venv"
        .venv/bin/pip install -q --disable-pip-version-check onnxruntime numpy pandas pillow
    fi
fi

command -v swift >/dev/null || { echo "setup: the Swift 6.3 toolchain is not on PATH" >&2; exit 1; }
