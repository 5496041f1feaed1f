// `liftbench attribute`: attribution scores of a trained model for a dataset split, a FASTA file
// or a genome's regions, written as scores.npz (the attribute step, pipeline/steps.h).
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/genome_flags.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/log.h"

namespace lb::cli {

using namespace pipeline;

int cmd_attribute(int argc, const char* const* argv) {
  AttributeJob job;
  bool quiet = false;
  OptionSet opts("attribute");
  opts.add_flag("model", &job.model_path, "model file written by 'liftbench train' or 'import', an ONNX model (.onnx), or a weights-only .npz with -c",
                "FILE");
  opts.add_flag("data", &job.data_dir, "dataset directory written by 'liftbench simulate'", "DIR");
  opts.add_flag("split", &job.split_name, "sequences of --data to attribute: train, valid, test or all", "NAME");
  opts.add_flag("fasta", &job.fasta, "attribute the sequences of this FASTA file instead (each of the model's input length)",
                "FILE");
  add_genome_flags(opts, job.genome);
  opts.add_flag("tracks", &job.tracks,
                "with --regions: also write per method and task the per-base contribution as <method>.task<k>.bw and "
                ".bedGraph into this directory (overlapping regions averaged)",
                "DIR");
  opts.add_flag("track-format", &job.track_format, "with --tracks: bigwig, bedgraph or both (comma-separated)", "LIST");
  opts.add_flag("chunk", &job.chunk,
                "with --regions: regions read, attributed and written at a time (memory grows with it, not with "
                "the region count)",
                "N");
  opts.add_flag("methods", &job.methods, "shorthand for --attribution.methods", "LIST");
  std::string references;
  opts.add_flag("references", &references, "the references file: attribution.references_file", "FILE.npy");
  opts.add_flag("out,o", &job.out,
                "scores file to write (e.g. scores.npz); beside it <stem>.config.ini, the resolved configuration", "FILE");
  opts.add_flag("threads", &job.threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("compress", &job.compress, "deflate the arrays (like numpy.savez_compressed): smaller, slower to write");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  opts.add_switch("verbose,v", &job.verbose,
                  "also log each stage's CPU and wall time (reading, every method's stages, the archive)");
  add_all_options(opts, job.run);
  opts.show_sections(step_sections("attribute"));
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  // --methods is attribution.methods: the resolved configuration shows the list attributed.
  if (!job.methods.empty()) job.run.attribution.methods = job.methods;
  if (!references.empty()) job.run.attribution.references_file = references;
  job.model_from_config = !opts.config_file().empty();
  job.config_ini = opts.resolved_ini();
  attribute_step(job);
  return 0;
}

}  // namespace lb::cli
