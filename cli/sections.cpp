// Config sections: struct field <-> option name, help text and unit.
#include "cli/sections.h"

#include "core/build_info.h"

namespace lb::cli {

std::string default_motifs_file() {
  return std::string(build::kSourceDir) + "/configs/motifs/tal1_gata1.meme";
}

void add_sim_options(OptionSet& o, sim::SimConfig& c) {
  if (c.motifs_file.empty()) c.motifs_file = default_motifs_file();
  o.add("sim", "n_seqs", &c.n_seqs, "number of sequences");
  o.add("sim", "seq_len", &c.seq_len, "sequence length (bases)");
  o.add("sim", "background", &c.background, "background probabilities of A,C,G,T (sum 1)");
  o.add("sim", "class_fractions", &c.class_fractions,
        "fractions of the classes empty,gata_only,tal_only,both (sum 1; counts by largest remainder)");
  o.add_path("sim", "motifs", &c.motifs_file, "MEME motif file (relative paths: to the config file's directory)");
  o.add("sim", "gata_motif", &c.gata_motif, "name of the GATA1 motif in the MEME file");
  o.add("sim", "tal_motif", &c.tal_motif, "name of the TAL1 motif in the MEME file");
  o.add("sim", "mean_single", &c.mean_single, "Poisson mean of the motif count in gata_only/tal_only sequences");
  o.add("sim", "mean_both", &c.mean_both, "Poisson mean of each motif's count in sequences with both");
  o.add("sim", "count_min", &c.count_min, "smallest motif count (Poisson redrawn until in [count_min, count_max])");
  o.add("sim", "count_max", &c.count_max, "largest motif count");
  o.add("sim", "max_count_draws", &c.max_count_draws, "Poisson redraws allowed before giving up");
  o.add("sim", "pseudocount", &c.pseudocount, "PWM smoothing c: p' = p(1-c) + c/4");
  o.add("sim", "revcomp_prob", &c.revcomp_prob, "probability of planting an instance reverse-complemented");
  o.add("sim", "split", &c.split, "train,valid,test fractions (stratified by class; sum 1)");
  o.add("sim", "seed", &c.seed, "random seed of the whole simulation");
  o.add("sim", "max_placement_attempts", &c.max_placement_attempts,
        "start redraws per motif instance before an impossible placement is reported");
}

}  // namespace lb::cli
