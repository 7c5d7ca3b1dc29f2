#!/usr/bin/env bash
# Runs every ONNX backend test case through quantdash's reader and executor, copies the passing
# cases (up to 8 MB each) into Tests/Fixtures/onnx-backend-tests/, and regenerates the survey
# section of that folder's README (between the "survey:begin" and "survey:end" markers).
#
# Usage: Scripts/survey_onnx_backend_tests.sh [DATA_DIR]
#   DATA_DIR holds pytorch-converted/, pytorch-operator/ and simple/ from the onnx wheel's
#   onnx/backend/test/data/ (default: ../shared/onnx-backend-tests next to the package).
# The regular test suite never reads DATA_DIR; only this script does (through the
# ONNXBackendSurvey test, enabled by the environment variables below).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=$(cd "${1:-$root/../shared/onnx-backend-tests}" && pwd)
fixtures="$root/Tests/Fixtures/onnx-backend-tests"
readme="$fixtures/README.md"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cd "$root"
QUANTDASH_ONNX_BACKEND_SURVEY="$data" QUANTDASH_ONNX_BACKEND_SURVEY_OUTPUT="$out" \
  swift test --filter ONNXBackendSurvey >"$out/test.log" 2>&1 || { cat "$out/test.log" >&2; exit 1; }
[ -s "$out/survey.md" ] || { echo "the survey test wrote nothing; see:" >&2; cat "$out/test.log" >&2; exit 1; }

copied=0
while IFS= read -r name; do
  [ -n "$name" ] || continue
  rm -rf "${fixtures:?}/$name"
  mkdir -p "$(dirname "$fixtures/$name")"
  cp -R "$data/$name" "$fixtures/$name"
  copied=$((copied + 1))
done <"$out/copy.txt"

grep -q '<!-- survey:begin' "$readme" || { echo "$readme has no <!-- survey:begin --> marker" >&2; exit 1; }
awk -v survey="$out/survey.md" '
  /<!-- survey:begin/ { print; while ((getline line < survey) > 0) print line; skipping = 1; next }
  /<!-- survey:end/ { skipping = 0 }
  !skipping { print }
' "$readme" >"$out/README.md"
mv "$out/README.md" "$readme"

echo "copied $copied cases into $fixtures; $(head -1 "$out/survey.md")"
echo "fixture size: $(du -sh "$fixtures" | cut -f1)"
