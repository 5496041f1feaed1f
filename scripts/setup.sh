#!/usr/bin/env bash
# Installs the Debian packages liftbench needs and the report's charting libraries (npm ci in
# eval/web). `scripts/setup.sh` installs what building and running liftbench needs;
# `scripts/setup.sh --tests` adds the test stack (GoogleTest, PyTorch, ONNX's checker, Snakemake,
# Chromium for the report's rendering test, clang for the sanitizer and fuzz builds, ...).
# Idempotent: when everything is present it only checks (no apt-get or npm call). Run as root or
# with sudo available.
set -euo pipefail

tests=0
case "${1:-}" in
  "") ;;
  --tests) tests=1 ;;
  *) echo "setup.sh: unknown option '${1}'; expected --tests or nothing" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libeigen3-dev libboost-program-options-dev libhts-dev libfmt-dev zlib1g-dev libzip-dev
  libigraph-dev  # Leiden clustering of seqlets into motifs (discover/cluster.cpp)
  libbigwig-dev  # bigWig tracks of attribution scores (io/tracks.cpp)
  libonnx-dev libprotobuf-dev protobuf-compiler  # ONNX import and export (model/onnx*.cpp): the ONNX protobuf schema
)
if [ "$tests" -eq 1 ]; then
  packages+=(
    googletest libgtest-dev libbenchmark-dev
    samtools bedtools  # read the simulated FASTA and BED back in tests/cli
    python3-numpy  # reads scores.npz and model.npz in the interop tests
    python3-torch  # PyTorch side by side (bench/pytorch_side_by_side.py; its --check is a CTest test) and scripts/make_torch_fixtures.py
    python3-pybigwig  # reads the bigWig tracks back in tests/cli/genome_cli_test.cpp
    python3-onnx  # onnx.checker on exported models in tests/model/onnx_test.cpp
    snakemake  # runs sweeps' workflows (liftbench sweep, tests/cli/sweep_test.cpp)
    slurmctld slurmd munge  # a one-node SLURM cluster for the sweep on SLURM (tests/slurm/slurm_sweep_test.sh)
    chromium  # renders the HTML report in tests/eval/report_test.cpp
    clang-14 libclang-rt-14-dev libomp-14-dev  # libFuzzer harnesses (scripts/fuzz.sh): compiler, runtimes, OpenMP
    pybind11-dev python3-dev python3-pytest python3-pandas  # the Python package (python/), its tests, read_table
  )
fi

# Node.js and npm install the report's charting libraries. Many machines carry their own Node.js;
# only when there is none do we take Debian's.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Vega, Vega-Lite and Vega-Embed, exactly as package-lock.json pins them; the build embeds their
# minified files into the binary (eval/web/CMakeLists.txt). Reinstalled only when the lock file
# is newer than the installed tree.
web="$(dirname "$0")/../eval/web"
if [ -f "$web/node_modules/.package-lock.json" ] && [ ! "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  echo "setup: report assets present (eval/web/node_modules)"
else
  command -v npm >/dev/null 2>&1 || { echo "setup: npm is needed to install the report's charting libraries (Node.js >= 18)" >&2; exit 1; }
  echo "setup: npm ci in eval/web"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
