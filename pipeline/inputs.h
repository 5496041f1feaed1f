// The inputs train, predict, attribute and sanity share, as the values of their flags: --split,
// --threads, the model stem, --fasta (sequences of a FASTA file for a model on one-hot DNA) and
// a genome's regions (--genome, --regions, ...). cli/genome_flags.h registers the genome flags.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/genome.h"
#include "io/tracks.h"
#include "model/network.h"
#include "sim/dataset.h"

namespace lb::pipeline {

/// The --split flag: train, valid or test, or all (empty); ConfigError naming --split otherwise.
std::optional<sim::Split> parse_split_flag(const std::string& name);

/// Parses --threads (0 = all cores) and applies it; ConfigError naming --threads otherwise.
void apply_threads(const std::string& value);

/// `model.npz` -> `model` (the stem beside which train writes its other outputs).
std::string output_stem(const std::string& model_path);

/// The records of a FASTA file, one-hot (4 x n*len), for the model of `model_path`, loaded here:
/// a self-describing model knows its input length, a weights-only one (with `cfg`) takes the
/// first record's. InputError naming the file (and line) for no records, a model whose input is
/// not one-hot DNA, a record of another length, or a base outside ACGTN.
struct FastaInput {
  model::Network net;
  std::vector<std::string> ids;
  Mat x;
  int n = 0, len = 0;
};
FastaInput read_fasta_input(const std::string& fasta, const std::string& model_path, const model::ModelConfig* cfg);

/// The values of the flags --genome, --regions, --center, --chrom-ends, --length and --shard of
/// predict and attribute (docs/genomes.md; cli::add_genome_flags registers them).
struct GenomeFlags {
  std::string genome, regions, center = "middle", chrom_ends = "pad", length, shard;
};

/// Every region of --regions resolved to its window on --genome for the model of `model_path`,
/// loaded here. All lines are checked before any work: a bad one stops with "regions:line: ...".
/// The model must take one-hot DNA; its input length is its own (a self-describing model; a
/// different --length is a ConfigError) or --length (a weights-only model with -c; without
/// --length an InputError naming the model file).
struct GenomeInput {
  model::Network net;
  std::unique_ptr<io::Genome> genome;
  std::vector<io::Window> windows;  // the shard's regions (all without --shard)
  std::int64_t first_index = 0;     // index in the BED file of windows[0] (its shuffle stream)
  std::int64_t n_regions = 0;       // regions in the BED file
  int shard = 1, n_shards = 1;
  int len = 0;
  int n_clipped = 0;  // regions whose end passed the chromosome end (clipped)
};
/// `align`: shard boundaries fall on multiples of it (attribute passes attribution.chunk, so a
/// shard's engine batches are those of the single run and its scores equal the single run's
/// bit for bit).
GenomeInput read_genome_input(const GenomeFlags& flags, const std::string& model_path, const model::ModelConfig* cfg,
                              int align = 1);

/// `--shard i/n` (1 <= i <= n): with B = ceil(N/align) blocks of `align` regions, the regions
/// [floor((i-1)B/n) align, min(N, floor(iB/n) align)), contiguous, so that shards 1..n in order
/// are the whole file (liftbench merge). ConfigError otherwise.
void parse_shard(const std::string& value, int& i, int& n);

/// One-hot (4 x n*len) of windows [first, first + n) of `in`; adds the number of N columns
/// (N, ambiguity codes, outside the chromosome) to *n_missing.
Mat genome_one_hot(const GenomeInput& in, std::size_t first, int n, std::int64_t* n_missing);

/// --format / --track-format: "bigwig", "bedgraph" or both, comma-separated; ConfigError otherwise.
io::TrackFormats parse_track_formats(const std::string& value);
/// The tracks of a genome scores archive into `dir` (created): io::write_tracks with the
/// chromosome sizes of `genome`; logs the count and the time. Returns the files.
std::vector<std::string> write_genome_tracks(const std::string& scores, const std::string& genome, const std::string& dir,
                                             const io::TrackFormats& formats);

}  // namespace lb::pipeline
