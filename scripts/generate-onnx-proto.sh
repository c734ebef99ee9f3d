#!/usr/bin/env bash
# Regenerates Sources/Engine/Model/Generated/onnx.pb.swift from ONNX's own onnx.proto.
#
# The generated file is committed; run this only when moving to a new ONNX or
# swift-protobuf release, and commit the result together with the change.
#
# Needs:
#   - protoc (Debian: apt-get install protobuf-compiler)
#   - the Python `onnx` package, which ships onnx.proto (pip install onnx)
#   - protoc-gen-swift built from the same swift-protobuf release that
#     Package.swift depends on (1.39.0):
#         git clone --branch 1.39.0 https://github.com/apple/swift-protobuf sp
#         cd sp && swift build -c release --product protoc-gen-swift
#     and its path in PROTOC_GEN_SWIFT, e.g.
#         PROTOC_GEN_SWIFT=$PWD/.build/release/protoc-gen-swift scripts/generate-onnx-proto.sh
#
# Options passed to protoc-gen-swift:
#   Visibility=Internal            the ONNX types stay internal to the Engine module
#   UseAccessLevelOnImports=true   emits `internal import SwiftProtobuf`, which is
#                                  what InternalImportsByDefault expects
#   FileNaming=DropPath            writes onnx.pb.swift, not a path-mirroring tree
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$repo_root/Sources/Engine/Model/Generated"

plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}"
if [[ -z "$plugin" || ! -x "$plugin" ]]; then
    echo "error: set PROTOC_GEN_SWIFT to a protoc-gen-swift binary (see the comment at the top of $0)" >&2
    exit 1
fi
command -v protoc >/dev/null || { echo "error: protoc not found (apt-get install protobuf-compiler)" >&2; exit 1; }

python="${PYTHON:-python3}"
onnx_dir="$("$python" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')" || {
    echo "error: the Python onnx package is missing (pip install onnx)" >&2
    exit 1
}
onnx_version="$("$python" -c 'import onnx; print(onnx.__version__)')"
[[ -f "$onnx_dir/onnx.proto" ]] || { echo "error: $onnx_dir/onnx.proto not found" >&2; exit 1; }

mkdir -p "$out_dir"
protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$onnx_dir" \
    --swift_opt=Visibility=Internal \
    --swift_opt=UseAccessLevelOnImports=true \
    --swift_opt=FileNaming=DropPath \
    --swift_out="$out_dir" \
    "$onnx_dir/onnx.proto"

echo "generated $out_dir/onnx.pb.swift from onnx $onnx_version ($onnx_dir/onnx.proto) with $("$plugin" --version)"
