#!/usr/bin/env bash
# The worked example of docs/genomes.md: a small genome with peaks, a model trained on them,
# attribution of the peaks as regions of the genome, and the bigWig read back by pyBigWig.
#   scripts/genome_example.sh OUTDIR        (LIFTBENCH=path/to/liftbench, default build/cli/liftbench)
# tests/cli/genome_cli_test.cpp runs it, so the page and the program cannot drift apart.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
lb="${LIFTBENCH:-$here/build/cli/liftbench}"
out="${1:?usage: scripts/genome_example.sh OUTDIR}"
cfg="$here/configs/smoke.ini"
mkdir -p "$out"

# 1. Peaks with planted motifs (the smoke scenario: TAL1 and GATA1 sites, 3 tasks) and a model.
"$lb" simulate -q -c "$cfg" -o "$out/data"
"$lb" train -q -c "$cfg" --data "$out/data" -o "$out/model.npz"

# 2. The genome: the 40 test-split sequences (200 bases each) placed on chr1, chr2, chr3 in turn
#    between random spacers of 40-299 bases; chr2 soft-masked (lower case). peaks.bed names
#    each peak by its id; narrowPeak-style summits are at the peak's middle (column 10 = 100).
awk -v bed="$out/peaks.bed" -v fa="$out/genome.fa" '
  FNR == NR { if ($2 == "test") order[n++] = $1; next }
  /^>/ { name = substr($1, 2); next }
  { seq[name] = seq[name] $0 }
  function spacer(   k, s, len) {
    len = 40 + int(rand() * 260); s = ""
    for (k = 0; k < len; k++) s = s substr("ACGT", 1 + int(rand() * 4), 1)
    return s
  }
  END {
    srand(7)
    for (i = 0; i < n; i++) {
      c = i % 3; chrom[c] = chrom[c] spacer()
      printf "chr%d\t%d\t%d\t%s\t0\t.\t0\t0\t0\t100\n", c + 1, length(chrom[c]), length(chrom[c]) + 200, order[i] > bed
      chrom[c] = chrom[c] seq[order[i]]
    }
    for (c = 0; c < 3; c++) {
      s = chrom[c] spacer(); if (c == 1) s = tolower(s)
      printf ">chr%d\n", c + 1 > fa
      for (p = 1; p <= length(s); p += 60) print substr(s, p, 60) > fa
    }
  }' "$out/data/labels.tsv" "$out/data/sequences.fa"

# 3. Predictions and attribution of the peaks as regions of the genome (the index genome.fa.fai
#    is built on first use), with bigWig and bedGraph tracks per method and task.
"$lb" predict -q --model "$out/model.npz" --genome "$out/genome.fa" --regions "$out/peaks.bed" \
  --center summit -o "$out/predictions.bed"
"$lb" attribute -q -c "$cfg" --model "$out/model.npz" --methods deeplift:genomics,grad_x_input \
  --genome "$out/genome.fa" --regions "$out/peaks.bed" --center summit \
  -o "$out/scores.npz" --tracks "$out/tracks"

# 4. A reader: pyBigWig (Debian python3-pybigwig) loads the track; its values are the archive's.
/usr/bin/python3 - "$out" <<'PY'
import sys, numpy as np, pyBigWig
out = sys.argv[1]
z = np.load(out + "/scores.npz")
bw = pyBigWig.open(out + "/tracks/deeplift_genomics.task0.bw")
print("chromosomes:", bw.chroms())
i = 0
chrom, start = str(z["chrom"][i]), int(z["start"][i])
track = bw.values(chrom, start, start + 200, numpy=True)
archive = z["deeplift:genomics"][i, 0].astype(np.float64).sum(0)
print("%s %s:%d-%d, first 5 bases: %s" % (z["ids"][i], chrom, start, start + 200, np.round(track[:5], 4)))
assert np.allclose(track, archive, rtol=1e-5, atol=1e-7)
print("bigWig equals the archive over the %d peaks: %s" % (len(z["ids"]), all(
    np.allclose(bw.values(str(c), int(s), int(s) + 200, numpy=True),
                z["deeplift:genomics"][k, 0].astype(np.float64).sum(0), rtol=1e-5, atol=1e-7)
    for k, (c, s) in enumerate(zip(z["chrom"], z["start"])))))
PY
