#!/usr/bin/env bash
# Configures and builds liftbench (Release, Ninja) into ./build. A first `scripts/build.sh`
# configures the tree without the tests and the Python package (GoogleTest and pybind11 need not
# be installed) and builds the `liftbench` command; `scripts/build.sh --tests` turns both on and
# builds them too, for `ctest --test-dir build` (scripts/setup.sh --tests installs what they need). Extra arguments go
# to cmake's configure step, e.g. scripts/build.sh -DLB_BUILD_BENCH=ON.
#
# scripts/build.sh --sanitize [--configure-only] [cmake args] builds the tests and the libFuzzer
# harnesses in one tree, ./build-asan, with clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer (-fno-sanitize-recover=all: the first report aborts the process) and
# libFuzzer's coverage (fuzz/flags.cmake), at -O1 with assertions on; `ctest --test-dir
# build-asan` then runs the whole suite under both and scripts/fuzz.sh runs the harnesses
# (docs/reliability.md has the figures). --configure-only stops after cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
dir=build
config=(-DCMAKE_BUILD_TYPE=Release)
configure_only=0
if [ "${1:-}" = "--tests" ]; then
  shift
  set -- -DLB_BUILD_TESTS=ON -DLB_BUILD_PYTHON=ON "$@"
elif [ "${1:-}" = "--sanitize" ]; then
  shift
  dir=build-asan
  if [ "${1:-}" = "--configure-only" ]; then configure_only=1; shift; fi
  cxx="${LB_FUZZ_CXX:-clang++-14}"
  command -v "$cxx" >/dev/null 2>&1 || { echo "build.sh: $cxx not found (scripts/setup.sh --tests installs clang-14)" >&2; exit 1; }
  # RelWithDebInfo without -DNDEBUG (LB_ASSERT's checks run too); line tables only for the reports
  # without the cost of full debug information. LB_BUILD_FUZZ adds the sanitizers to every target.
  config=(-DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo
          "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DLB_BUILD_FUZZ=ON -DLB_BUILD_PYTHON=OFF)
elif [ ! -f "$dir/CMakeCache.txt" ]; then
  config+=(-DLB_BUILD_TESTS=OFF)
fi
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${generator[@]}" "${config[@]}" "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B "$dir" "$@"
fi
[ "$configure_only" -eq 1 ] || cmake --build "$dir" -j "$(nproc)"
