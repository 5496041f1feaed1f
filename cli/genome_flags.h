// The genome flags of predict and attribute (docs/genomes.md): --genome, --regions, --center,
// --chrom-ends, --shard and --length, into pipeline::GenomeFlags.
#pragma once

#include "cli/options.h"
#include "pipeline/inputs.h"

namespace lb::cli {

void add_genome_flags(OptionSet& opts, pipeline::GenomeFlags& flags);

}  // namespace lb::cli
