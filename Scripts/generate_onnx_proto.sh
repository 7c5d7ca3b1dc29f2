#!/usr/bin/env bash
# Regenerates Sources/QuantCore/ModelIO/ONNX/onnx.pb.swift from Protos/onnx.proto.
# Normal builds never run this: the generated file is committed.
# Needs protoc (Debian: apt-get install protobuf-compiler) and builds protoc-gen-swift from the
# swift-protobuf version that Package.swift resolves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
swift package resolve
plugin_src="$root/.build/checkouts/swift-protobuf"
(cd "$plugin_src" && swift build -c release --product protoc-gen-swift --scratch-path "$root/.build-protoc-gen-swift")
plugin="$root/.build-protoc-gen-swift/release/protoc-gen-swift"
protoc --plugin=protoc-gen-swift="$plugin" \
  --swift_opt=Visibility=Internal \
  --swift_out=Sources/QuantCore/ModelIO/ONNX \
  --proto_path=Protos onnx.proto
echo "wrote Sources/QuantCore/ModelIO/ONNX/onnx.pb.swift"
