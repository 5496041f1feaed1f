// `liftbench discover`: seqlets of one method and task of a scores file clustered into motifs
// (docs/discovery.md "Motifs", docs/cli.md). Every check and the whole computation run before the
// first file is written; each file is then written atomically, the resolved options last, as the
// mark of a complete directory (an old mark is removed first).
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/sections.h"
#include "cli/steps.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "discover/motifs.h"
#include "discover/seqlets.h"
#include "io/atomic_file.h"
#include "io/bed.h"
#include "io/meme.h"
#include "io/npz.h"
#include "io/tsv.h"
#include "pipeline/discover_run.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

int cmd_discover(int argc, const char* const* argv) {
  std::string scores_path, method, out, task_s = "0", window_s = "21", flank_s = "5", fdr_s = "0.2",
                                       min_s = "0.03", max_s = "0.2", coarse_s = "30", graph_s = "15",
                                       overlap_s = "0.7", res_s = "1", runs_s = "50", trim_s = "0.3",
                                       margin_s = "2", cover_s = "0.2", merge_s = "0.5", support_s = "20",
                                       seed_s = "1", threads = "0", motif_file, data_dir;
  bool quiet = false;
  RunConfig run;  // with -c and eval.discover_methods and no --method: the discover step of `run`
  OptionSet opts("discover");
  opts.add_flag("scores", &scores_path, "scores file written by 'liftbench attribute' (with <method>.hypothetical)",
                "FILE");
  opts.add_flag("method", &method,
                "the method's array in the scores file (its contributions); without it and with -c CONFIG whose "
                "eval.discover_methods lists methods: run's discover step (every listed method and task)",
                "NAME");
  opts.add_flag("task", &task_s, "the model output (a value of the file's 'tasks' array, else an index)", "T");
  opts.add_flag("window", &window_s, "seqlets: width of the summed window", "W");
  opts.add_flag("flank", &flank_s, "seqlets: bases added on each side of a chosen window", "F");
  opts.add_flag("fdr", &fdr_s, "seqlets: target false discovery rate of each side's threshold, in (0, 1)", "Q");
  opts.add_flag("min-passing", &min_s, "seqlets: floor on the fraction of all windows that pass", "FRAC");
  opts.add_flag("max-passing", &max_s, "seqlets: cap on the fraction of all windows that pass", "FRAC");
  opts.add_flag("coarse-neighbors", &coarse_s, "candidates per seqlet from the k-mer embedding", "K");
  opts.add_flag("graph-neighbors", &graph_s, "most similar candidates kept per seqlet in the graph", "K");
  opts.add_flag("min-overlap", &overlap_s, "share of the seqlet width two aligned seqlets must share, in (0, 1]",
                "FRAC");
  opts.add_flag("resolution", &res_s, "resolution of Leiden's modularity (> 0; larger: more clusters)", "G");
  opts.add_flag("leiden-runs", &runs_s, "seeded Leiden runs; the best modularity is kept", "N");
  opts.add_flag("trim-threshold", &trim_s, "keep CWM columns with |CWM| >= this x the largest column, in [0, 1]",
                "FRAC");
  opts.add_flag("trim-margin", &margin_s, "columns kept on each side of the trimmed motif", "N");
  opts.add_flag("min-coverage", &cover_s, "a CWM column needs this share of the members covering it, in [0, 1]",
                "FRAC");
  opts.add_flag("merge-threshold", &merge_s, "merge two motifs whose cores are at least this similar, in [-1, 1]", "S");
  opts.add_flag("min-support", &support_s, "drop motifs of fewer seqlets", "N");
  opts.add_flag("seed", &seed_s, "seed of Leiden's runs", "S");
  opts.add_flag("motifs", &motif_file,
                "match the discovered motifs against this motif file (MEME, JASPAR, HOMER) -> matches.tsv", "FILE");
  opts.add_flag("data", &data_dir,
                "with --motifs: score the discovery against this dataset's planted instances -> discovery.tsv, "
                "motif_truth.tsv", "DIR");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_flag("out,o", &out,
                "directory to write: seqlets.bed, discovered.meme, motifs.tsv, motif_seqlets.tsv, cwm.npz, "
                "discover.config.ini",
                "DIR");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections(step_sections("discover"));
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (scores_path.empty()) throw ConfigError("--scores: missing scores file; expected --scores FILE, got nothing");
  // No --method and methods in eval.discover_methods: `run`'s discover step (every method, every task).
  const bool step = method.empty() && !eval::discover_method_list(run.eval).empty();
  if (method.empty() && !step) throw ConfigError("--method: missing method; expected --method NAME, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  discover::SeqletConfig scfg;
  const int task = flag_int("--task", task_s);
  scfg.window = flag_int("--window", window_s);
  scfg.flank = flag_int("--flank", flank_s);
  scfg.fdr = flag_number("--fdr", fdr_s);
  scfg.min_passing = flag_number("--min-passing", min_s);
  scfg.max_passing = flag_number("--max-passing", max_s);
  discover::validate(scfg);
  discover::MotifConfig mcfg;
  mcfg.coarse_neighbors = flag_int("--coarse-neighbors", coarse_s);
  mcfg.graph_neighbors = flag_int("--graph-neighbors", graph_s);
  mcfg.min_overlap = flag_number("--min-overlap", overlap_s);
  mcfg.resolution = flag_number("--resolution", res_s);
  mcfg.leiden_runs = flag_int("--leiden-runs", runs_s);
  mcfg.trim_threshold = flag_number("--trim-threshold", trim_s);
  mcfg.trim_margin = flag_int("--trim-margin", margin_s);
  mcfg.min_coverage = flag_number("--min-coverage", cover_s);
  mcfg.merge_threshold = flag_number("--merge-threshold", merge_s);
  mcfg.min_support = flag_int("--min-support", support_s);
  mcfg.seed = flag_u64("--seed", seed_s);
  discover::validate(mcfg);
  apply_threads(threads);
  if (step) {
    eval::validate(run.eval);
    if (data_dir.empty())
      throw ConfigError("--data: missing dataset directory; expected --data DIR with eval.discover_methods, got nothing");
    if (task_s != "0")
      throw ConfigError(fmt::format("--task: not with eval.discover_methods; expected no --task (every task is "
                                    "discovered), got {}",
                                    quote_token(task_s)));
    if (!motif_file.empty())
      throw ConfigError(fmt::format("--motifs: not with eval.discover_methods; expected no --motifs (the scenario's "
                                    "motif file, or sim.motifs, is used), got {}",
                                    quote_token(motif_file)));
    discover_step({.run = run, .data_dir = data_dir, .scores_path = scores_path, .out = out, .threads = threads,
                   .config_ini = opts.resolved_ini(), .seqlets = scfg, .motifs = mcfg});
    return 0;
  }
  if (!data_dir.empty() && motif_file.empty())
    throw ConfigError("--data: needs --motifs; expected the motif file the dataset's motifs come from, got nothing");
  refuse_output_over_input({{"--out", out}}, {{"--scores", scores_path}, {"--motifs", motif_file}, {"--data", data_dir}});

  DiscoverJob job{.scores_path = scores_path, .method = method, .task = task, .seqlets = scfg, .motifs = mcfg,
                  .motif_file = motif_file, .data_dir = data_dir, .out = out};
  run_discover(job);
  return 0;
}

}  // namespace lb::cli
