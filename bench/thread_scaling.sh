#!/usr/bin/env bash
# 1 -> 2 thread scaling of training and attribution (docs/benchmarks/speed.md "Threads"), on a shared
# machine whose per-core speed drifts from minute to minute: runs the two benches with 1 and with
# 2 threads alternately, ROUNDS times, and prints for each the best time of each thread count and
# their ratio (the best of several alternating runs is the least disturbed one). Also runs two
# single-threaded Eigen GEMMs at once against one alone: the machine's own 1 -> 2 ceiling.
#
#   bench/thread_scaling.sh MODEL.npz [ROUNDS]      (ROUNDS default 3; MODEL: the paper run's model)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: bench/thread_scaling.sh MODEL.npz [ROUNDS]}"
rounds="${2:-3}"
methods="deeplift:rescale,deeplift:revealcancel,ig,grad_x_input"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

gemm() { build/bench/kernels_bench --benchmark_filter=BM_EigenGemmSameShape --benchmark_min_time=2 2>/dev/null |
           sed -n 's/.*items_per_second=\([0-9.]*\)G.*/\1/p'; }

for r in $(seq "$rounds"); do
  for t in 1 2; do
    build/bench/train_bench --threads "$t" --epochs 2 > "$tmp/train.$t.$r"
    build/bench/attribution_bench --model "$model" --threads "$t" --reps 2 --only "$methods" > "$tmp/attr.$t.$r"
  done
  gemm > "$tmp/gemm1.$r"
  gemm > "$tmp/gemm2a.$r" & gemm > "$tmp/gemm2b.$r"; wait
done

best() {  # $1: file glob, $2: awk program printing one number per file; prints the minimum
  for f in $1; do awk "$2" "$f"; done | sort -g | head -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

printf '%-40s %10s %10s %8s\n' "best of $rounds (s)" "1 thread" "2 threads" "1 -> 2"
for what in "training forward+backward, s/epoch|/forward\+backward pass/ { print \$4 }" \
            "training epoch (Adam, validation)|/trainer epoch/ { print \$7 }"; do
  name="${what%%|*}"; prog="${what#*|}"
  a=$(best "$tmp/train.1.*" "$prog"); b=$(best "$tmp/train.2.*" "$prog")
  printf '%-40s %10s %10s %8s\n' "$name" "$a" "$b" "$(ratio "$a" "$b")"
done
for m in ${methods//,/ }; do
  prog="index(\$0, \"$m \") == 1 || index(\$0, \"$m,\") == 1 { print \$(NF - 2) }"
  a=$(best "$tmp/attr.1.*" "$prog"); b=$(best "$tmp/attr.2.*" "$prog")
  printf '%-40s %10s %10s %8s\n' "$m" "$a" "$b" "$(ratio "$a" "$b")"
done
g1=$(for f in "$tmp"/gemm1.*; do cat "$f"; done | sort -g | tail -1)
g2=$(for r in $(seq "$rounds"); do awk '{ s += $1 } END { print s }' "$tmp/gemm2a.$r" "$tmp/gemm2b.$r"; done | sort -g | tail -1)
printf '%-40s %10s %10s %8s\n' "Eigen GEMM GFLOP/s (1 vs 2 processes)" "$g1" "$g2" "$(ratio "$g2" "$g1")"
