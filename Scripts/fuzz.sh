#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (ASan + libFuzzer instrumentation) and runs each for a
# fixed time, one after another, from the committed seed corpus in Fuzz/Corpus/<target>/.
#
#   Scripts/fuzz.sh [seconds-per-target] [target ...]     (default: 60 s, every target)
#
# New corpus entries go to Fuzz/.work/<target>/corpus (gitignored; the seed corpus is never
# modified), crashing, hanging (-timeout=5) or memory-hungry (-rss_limit_mb=2048) inputs to
# Fuzz/.work/<target>/findings/, logs to Fuzz/.work/<target>/fuzz.log. Prints one line per target:
# executions, executions per second, coverage (cov = edges, ft = features), corpus size and
# findings. FUZZ_BIN=<folder> runs fuzzers built earlier instead of building. Exits 1 when any target found something, 2 when the build fails.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
all=(FuzzONNX FuzzNpy FuzzNpz FuzzIDX FuzzPlan FuzzSession FuzzCSV)
targets=("${@:-${all[@]}}")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

flags=(--package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address)
if [ -n "${FUZZ_BIN:-}" ]; then
    bin=$FUZZ_BIN  # already built fuzzers (e.g. a copy, so that editing the sources does not rebuild them)
else
    build_start=$(date +%s)
    if ! swift build "${flags[@]}" > Fuzz/build.log 2>&1; then
        grep -v 'ld.gold: warning' Fuzz/build.log | tail -30
        echo "fuzz: build failed (full log: Fuzz/build.log)"
        exit 2
    fi
    echo "fuzz: built in $(($(date +%s) - build_start)) s"
    bin=$(swift build "${flags[@]}" --show-bin-path)
fi

max_len() {
    case $1 in
        FuzzONNX | FuzzNpz) echo 65536 ;;
        FuzzNpy | FuzzIDX) echo 16384 ;;
        *) echo 8192 ;;
    esac
}
dict() {
    case $1 in
        FuzzONNX) echo Fuzz/onnx.dict ;;
        FuzzNpy) echo Fuzz/npy.dict ;;
        FuzzNpz) echo Fuzz/npz.dict ;;
        FuzzIDX) echo Fuzz/idx.dict ;;
        FuzzPlan | FuzzSession) echo Fuzz/json.dict ;;
        *) echo "" ;;
    esac
}

status=0
printf '%-12s %8s %12s %9s %8s %8s %16s %9s\n' target seconds executions exec/s cov ft corpus findings
for target in "${targets[@]}"; do
    work=Fuzz/.work/$target
    mkdir -p "$work/corpus" "$work/findings"
    args=(-max_len="$(max_len "$target")" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=5
        -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/findings/")
    [ -n "$(dict "$target")" ] && args+=(-dict="$(dict "$target")")
    before=$(find "$work/findings" -type f | wc -l)
    started=$(date +%s)
    LSAN_OPTIONS=suppressions=Fuzz/lsan.supp:print_suppressions=0 \
        "$bin/$target" "${args[@]}" "$work/corpus" "Fuzz/Corpus/$target" > "$work/fuzz.log" 2>&1
    code=$?
    ran=$(($(date +%s) - started))
    stat() { grep -o "stat::$1: *[0-9]*" "$work/fuzz.log" | tail -1 | grep -o '[0-9]*$'; }
    last=$(grep -E '^#[0-9]+.*cov: ' "$work/fuzz.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<< "$last" | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' <<< "$last" | grep -o '[0-9]*')
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<< "$last" | cut -d' ' -f2)
    found=$(($(find "$work/findings" -type f | wc -l) - before))
    printf '%-12s %8s %12s %9s %8s %8s %16s %9s\n' "$target" "$ran" "$(stat number_of_executed_units)" \
        "$(stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$found"
    if [ "$code" -ne 0 ] || [ "$found" -ne 0 ]; then
        status=1
        echo "  $target: exit $code; findings in $work/findings/, log $work/fuzz.log:"
        grep -E 'ERROR|Fatal error|SUMMARY|deadly signal|Test unit written' "$work/fuzz.log" | head -8 | sed 's/^/    /'
    fi
done
exit $status
