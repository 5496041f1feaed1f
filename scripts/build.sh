#!/usr/bin/env bash
# Configures and builds liftbench (Release, Ninja) into ./build. Extra arguments go to cmake's
# configure step, e.g. scripts/build.sh -DLB_BUILD_BENCH=ON.
#
# scripts/build.sh --sanitize [cmake args] builds the same targets with AddressSanitizer and
# UndefinedBehaviorSanitizer (-fno-sanitize-recover=all: the first report aborts the process) at
# -O1 with assertions on, into ./build-asan; `ctest --test-dir build-asan` then runs the whole
# suite under both (docs/reliability.md has the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
dir=build
config=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  shift
  dir=build-asan
  san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  # RelWithDebInfo without -DNDEBUG (LB_ASSERT's checks run too); -g1: line tables for the reports
  # without the cost of full debug information.
  config=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
          "-DCMAKE_CXX_FLAGS=$san" "-DCMAKE_EXE_LINKER_FLAGS=$san" "-DCMAKE_SHARED_LINKER_FLAGS=$san")
fi
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" "${config[@]}" "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B "$dir" "$@"
fi
cmake --build "$dir" -j "$(nproc)"
