#!/usr/bin/env python3
"""A synthetic genome and regions for the genome-scale benchmark of docs/benchmarks/genomes.md:
N_CHROMS chromosomes of CHROM_LEN random bases (the paper's background 0.3/0.2/0.2/0.3) in
genome.fa, N regions of width 1 at random positions (sorted, so neighbours may overlap once
resized) in regions.bed, and the same windows of LEN bases as FASTA records in windows.fa (the
in-memory comparison: attribute --fasta).

    /usr/bin/python3 bench/make_genome.py OUTDIR [N] [LEN]
"""
import sys
import numpy as np

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
length = int(sys.argv[3]) if len(sys.argv) > 3 else 200
n_chroms, chrom_len = 5, 5_000_000
rng = np.random.default_rng(13)
bases = np.frombuffer(b"ACGT", dtype=np.uint8)
chroms = {}
with open(out + "/genome.fa", "w") as fa:
    for c in range(n_chroms):
        seq = bases[rng.choice(4, size=chrom_len, p=[0.3, 0.2, 0.2, 0.3])].tobytes().decode()
        chroms["chr%d" % (c + 1)] = seq
        fa.write(">chr%d\n" % (c + 1))
        for p in range(0, chrom_len, 60):
            fa.write(seq[p:p + 60] + "\n")
which = np.sort(rng.integers(0, n_chroms, size=n))
pos = rng.integers(length, chrom_len - length, size=n)
order = np.lexsort((pos, which))
with open(out + "/regions.bed", "w") as bed, open(out + "/windows.fa", "w") as wf:
    for k, i in enumerate(order):
        c, p = "chr%d" % (which[i] + 1), int(pos[i])
        bed.write("%s\t%d\t%d\tr%d\n" % (c, p, p + 1, k))
        start = p - length // 2
        wf.write(">r%d\n%s\n" % (k, chroms[c][start:start + length]))
