#!/usr/bin/env bash
# Motif discovery at scale (docs/benchmarks/discovery_scale.md): simulates N sequences of the paper
# scenario, attributes them with DeepLIFT Rescale for task 1 (GATA) with the paper model, and runs
# `liftbench discover` on them under /usr/bin/time -v, printing the discovery summary line, the
# benchmark's motif counts, redundancy and coverage, CPU, wall time and peak RSS.
#
#   bench/discovery_scale.sh MODEL.npz OUTDIR [N...]    (N default 10000 30000 100000;
#                                                        MODEL: the paper run's model.npz)
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:?usage: bench/discovery_scale.sh MODEL.npz OUTDIR [N...]}"
out="${2:?usage: bench/discovery_scale.sh MODEL.npz OUTDIR [N...]}"
shift 2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 30000 100000)
lb=build/cli/liftbench
mkdir -p "$out"
for n in "${sizes[@]}"; do
  d="$out/n$n"
  [ -f "$d/data/manifest.tsv" ] || $lb simulate -c configs/paper_genomics.ini --sim.n_seqs "$n" -o "$d/data" 2>/dev/null
  [ -f "$d/scores.npz" ] || $lb attribute -c configs/paper_genomics.ini --model "$model" --data "$d/data" --split all \
    --methods deeplift:rescale --attribution.tasks 1 -o "$d/scores.npz" 2>/dev/null
  /usr/bin/time -v $lb discover --scores "$d/scores.npz" --method deeplift:rescale --task 1 \
    --motifs configs/motifs/tal1_gata1.meme --data "$d/data" --threads 2 -o "$d/discover" 2>"$d/discover.log"
  echo "== $n sequences"
  grep -o 'task 1: .*motifs: [^>]*' "$d/discover.log" | cut -c1-300
  grep -P '\t-\t(seqlets|seqlets_negative|motifs|redundancy|coverage)\t' "$d/discover/discovery.tsv" | cut -f4,5 | tr '\n' ' '
  echo
  grep -E 'User time|System time|Elapsed|Maximum resident' "$d/discover.log" | sed 's/^\s*//'
done
