// The genome flags of predict and attribute (cli/genome_flags.h).
#include "cli/genome_flags.h"

namespace lb::cli {

void add_genome_flags(OptionSet& opts, pipeline::GenomeFlags& f) {
  opts.add_flag("genome", &f.genome,
                "instead of --data: a reference genome, indexed FASTA, plain or bgzip (the .fai/.gzi index is built "
                "beside it when missing); with --regions",
                "FILE");
  opts.add_flag("regions", &f.regions,
                "with --genome: BED3+ or narrowPeak regions, each recentred and resized to the model's input length; "
                "ids from the BED name or chrom:start-end",
                "FILE");
  opts.add_flag("center", &f.center, "with --regions: centre each window on the region's middle or its narrowPeak summit",
                "middle|summit");
  opts.add_flag("chrom-ends", &f.chrom_ends,
                "with --regions, a window or region past a chromosome end: pad with N, shift the window inside, or "
                "error",
                "pad|shift|error");
  opts.add_flag("shard", &f.shard,
                "with --regions: only the i-th of n contiguous slices of the regions (1 <= i <= n); 'liftbench "
                "merge' joins the shards' outputs",
                "i/n");
  opts.add_flag("length", &f.length,
                "with --regions: the model's input length, for a weights-only model (-c); a self-describing model "
                "knows its own",
                "N");
}

}  // namespace lb::cli
