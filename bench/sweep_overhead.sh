#!/usr/bin/env bash
# What the Snakemake workflow of `liftbench sweep` adds over running the same steps by hand
# (docs/sweeps.md, docs/benchmarks/sweeps.md): runs a sweep with one core, then the same
# simulate / train / attribute / evaluate commands one after another in a second directory, and
# prints both wall times and the difference per grid point. Alternates the two REPEAT times, since
# the machine is shared.
#
#   bench/sweep_overhead.sh [SWEEP.ini] [REPEAT]     (default configs/sweeps/smoke.ini, 2)
set -euo pipefail
cd "$(dirname "$0")/.."
sweep="${1:-configs/sweeps/smoke.ini}"
repeat="${2:-2}"
lb="$PWD/build/cli/liftbench"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }

by_hand() {  # $1: a written workflow directory (--no-run); runs its steps in order
  local w="$1"
  ( cd "$w"
    tail -n +2 points.tsv | while IFS=$'\t' read -r -a f; do
      n=${#f[@]}; d=${f[n-4]}; m=${f[n-3]}; s=${f[n-2]}; e=${f[n-1]}
      [ -f "$d/manifest.tsv" ] || "$lb" simulate -q -c "steps/simulate/${d#data/}.ini" -o "$d"
      [ -f "$m/model.manifest.tsv" ] || "$lb" train -q -c "steps/train/${m#models/}.ini" --data "$d" -o "$m/model.npz" --threads 1
      [ -f "$s/scores.manifest.tsv" ] || "$lb" attribute -q -c "steps/attribute/${s#scores/}.ini" --model "$m/model.npz" --data "$d" -o "$s/scores.npz" --threads 1
      [ -f "$e/evaluate.manifest.tsv" ] || "$lb" evaluate -q -c "steps/evaluate/${e#eval/}.ini" --data "$d" --scores "$s/scores.npz" --model-metrics "$m/model.metrics.tsv" -o "$e" --threads 1
    done
    "$lb" aggregate -q . )
}

for r in $(seq 1 "$repeat"); do
  t0=$(now)
  "$lb" sweep -q -c "$sweep" -o "$tmp/sweep$r" --cores 1
  t1=$(now)
  "$lb" sweep -q --no-run -c "$sweep" -o "$tmp/hand$r"
  t2=$(now)
  by_hand "$tmp/hand$r"
  t3=$(now)
  points=$(($(wc -l < "$tmp/sweep$r/points.tsv") - 1))
  cmp -s "$tmp/sweep$r/aggregate/summary.tsv" "$tmp/hand$r/aggregate/summary.tsv" || { echo "summaries differ" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v p="$points" 'BEGIN {
    s = b - a; h = d - c;
    printf "round %d: sweep %.2f s, by hand %.2f s (+ %.2f s writing the workflow), %d points: %+.2f s per point\n", '"$r"', s, h, c - b, p, (s - h) / p }'
done
