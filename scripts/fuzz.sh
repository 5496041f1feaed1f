#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, option LB_BUILD_FUZZ) with clang-14, ASan and UBSan in
# ./build-asan (the sanitizer tree of scripts/build.sh --sanitize, which holds the tests too),
# replays every saved input in fuzz/regressions/<harness>/, then fuzzes each
# harness for a bounded time from its seeds (fuzz/corpus/<harness>/) with its dictionary
# (fuzz/dict/<harness>.dict). Exits 1 when any harness fails; the failing input is saved in
# build-asan/artifacts/<harness>/ and the log in build-asan/logs/<harness>.log.
#
#   scripts/fuzz.sh [-t SECONDS] [-j JOBS] [--build-only] [HARNESS...]
#
# -t: seconds of fuzzing per harness (default 20, or $LB_FUZZ_SECONDS; 0 replays only);
# -j: harnesses run at once (default 1); HARNESS: a subset by name (fasta, npz, ...).
# The fuzzer's random seed is 1 unless $LB_FUZZ_SEED says otherwise (0: a new seed each run), so
# that CI explores the same inputs every time and a change fails it only for what the change did;
# longer runs by hand with LB_FUZZ_SEED=0 look further.
# New inputs that reach new code go to build-asan/corpus/<harness>/, never into fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${LB_FUZZ_SECONDS:-20}"
jobs=1
build_only=0
selected=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t) seconds="$2"; shift 2 ;;
    -j) jobs="$2"; shift 2 ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) selected+=("$1"); shift ;;
  esac
done
all=(fasta bed meme jaspar homer simdata tsv idx npy npz model architecture ini layer_spec scenario onnx regions npz_map fai targets)
[ ${#selected[@]} -gt 0 ] || selected=("${all[@]}")
for h in "${selected[@]}"; do
  [ -f "fuzz/fuzz_$h.cpp" ] || { echo "fuzz.sh: no harness '$h'; expected one of ${all[*]}" >&2; exit 2; }
done

[ -f build-asan/CMakeCache.txt ] || scripts/build.sh --sanitize --configure-only
cmake --build build-asan -j "$(nproc)" --target $(printf 'fuzz_%s ' "${selected[@]}")
[ "$build_only" -eq 0 ] || exit 0

# Scratch files of the harnesses (one folder per process inside) in memory when possible.
base=/dev/shm
[ -w "$base" ] || base="${TMPDIR:-/tmp}"
scratch="$(mktemp -d "$base/liftbench-fuzz-run.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch" OMP_NUM_THREADS=1
mkdir -p build-asan/logs
flags=(-malloc_limit_mb=2048 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -seed="${LB_FUZZ_SEED:-1}")

# One harness: its regressions, then $seconds of fuzzing. Writes build-asan/logs/<h>.result as
# "<h> <regressions> <runs> <corpus> <status>".
run_one() {
  local h="$1" bin="build-asan/fuzz/fuzz_$1" log="build-asan/logs/$1.log"
  local arts="build-asan/artifacts/$h/" corpus="build-asan/corpus/$h" status=ok runs=0 regs=0
  mkdir -p "$arts" "$corpus"
  : >"$log"
  local inputs=()
  if [ -d "fuzz/regressions/$h" ]; then
    while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "fuzz/regressions/$h" -type f ! -name '.*' -print0 | sort -z)
  fi
  regs=${#inputs[@]}
  if [ "$regs" -gt 0 ] && ! "$bin" "${flags[@]}" -artifact_prefix="$arts" "${inputs[@]}" >>"$log" 2>&1; then
    status="FAILED(regression)"
  fi
  if [ "$status" = ok ] && [ "$seconds" -gt 0 ]; then
    local dict=()
    [ -f "fuzz/dict/$h.dict" ] && dict=(-dict="fuzz/dict/$h.dict")
    if ! "$bin" "${flags[@]}" "${dict[@]}" -max_total_time="$seconds" -artifact_prefix="$arts" \
         "$corpus" "fuzz/corpus/$h" >>"$log" 2>&1; then
      status="FAILED"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  fi
  echo "$h $regs ${runs:-0} $(find "$corpus" -type f | wc -l) $status" >"build-asan/logs/$h.result"
}

echo "fuzz: ${#selected[@]} harnesses, ${seconds} s each, $jobs at a time"
running=0
for h in "${selected[@]}"; do
  rm -f "build-asan/logs/$h.result"
  run_one "$h" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait || true

passed=0 failed=0 total_runs=0
printf '%-14s %11s %12s %8s  %s\n' harness regressions executions corpus result
for h in "${selected[@]}"; do
  read -r name regs runs corpus status <"build-asan/logs/$h.result" || { name=$h regs=? runs=0 corpus=? status=FAILED; }
  printf '%-14s %11s %12s %8s  %s\n' "$name" "$regs" "$runs" "$corpus" "$status"
  total_runs=$((total_runs + runs))
  if [ "$status" = ok ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "---- build-asan/logs/$h.log (end)"; tail -n 40 "build-asan/logs/$h.log"
    ls build-asan/artifacts/"$h"/ 2>/dev/null | sed "s|^|  saved input: build-asan/artifacts/$h/|"
  fi
done
echo "fuzz: $total_runs executions in all"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
