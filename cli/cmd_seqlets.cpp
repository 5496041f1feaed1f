// `liftbench seqlets`: the seqlets of one method and task of a scores file, as BED6+2
// (docs/discovery.md, docs/cli.md). Every check runs before the output is written, and the
// output is written atomically, so an error leaves nothing behind.
#include <charconv>
#include <filesystem>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "discover/seqlets.h"
#include "io/atomic_file.h"
#include "io/bed.h"
#include "io/npz.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

int cmd_seqlets(int argc, const char* const* argv) {
  std::string scores_path, method, out, task_s = "0", window_s = "21", flank_s = "5", fdr_s = "0.2",
                                       min_s = "0.03", max_s = "0.2";
  bool quiet = false;
  OptionSet opts("seqlets");
  opts.add_flag("scores", &scores_path, "scores file written by 'liftbench attribute'", "FILE");
  opts.add_flag("method", &method, "the method's array in the scores file (its contributions)", "NAME");
  opts.add_flag("task", &task_s, "the model output (a value of the file's 'tasks' array, else an index)", "T");
  opts.add_flag("window", &window_s, "width of the summed window", "W");
  opts.add_flag("flank", &flank_s, "bases added on each side of a chosen window", "F");
  opts.add_flag("fdr", &fdr_s, "target false discovery rate of each side's threshold, in (0, 1)", "Q");
  opts.add_flag("min-passing", &min_s, "floor on the fraction of all windows that pass", "FRAC");
  opts.add_flag("max-passing", &max_s, "cap on the fraction of all windows that pass", "FRAC");
  opts.add_flag("out,o", &out, "BED6+2 file to write: id start end seqlet_<k> score . pos|neg window_sum", "FILE");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (scores_path.empty()) throw ConfigError("--scores: missing scores file; expected --scores FILE, got nothing");
  if (method.empty()) throw ConfigError("--method: missing method; expected --method NAME, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output file; expected -o FILE, got nothing");
  discover::SeqletConfig cfg;
  const int task = flag_int("--task", task_s);
  cfg.window = flag_int("--window", window_s);
  cfg.flank = flag_int("--flank", flank_s);
  cfg.fdr = flag_number("--fdr", fdr_s);
  cfg.min_passing = flag_number("--min-passing", min_s);
  cfg.max_passing = flag_number("--max-passing", max_s);
  discover::validate(cfg);
  require_file_output("--out", out);
  refuse_output_over_input({{"--out", out}}, {{"--scores", scores_path}});

  const discover::TaskScores ts = discover::read_task_scores(io::read_npz(scores_path), scores_path, method, task);
  const auto n = static_cast<int>(ts.ids.size());
  const discover::SeqletResult r = discover::find_seqlets(
      ts.per_base, n, ts.seq_len, cfg, fmt::format("{}array '{}' task {}: ", where(scores_path), method, task));
  const auto parent = std::filesystem::path(out).parent_path();  // created, as every other command does
  if (!parent.empty()) io::ensure_output_dir(parent.string());
  io::write_bed(out, discover::seqlet_bed(r.seqlets, ts.ids));

  std::int64_t n_pos = 0;
  for (const auto& s : r.seqlets) n_pos += s.sign > 0;
  const auto shown = [](double t) { return std::isinf(t) ? std::string("none") : fmt::format("{:.4g}", t); };
  log_info("seqlets",
           "{} task {}: {} sequences x {} bp, {} windows of {}; null Laplace m {:.4g}, b+ {:.4g}, b- {:.4g}; FDR {} "
           "thresholds +{} / -{}{}; {} windows pass ({:.2f}%); {} seqlets ({} positive, {} negative, {} dropped at "
           "the edges) -> {}",
           method, task, n, ts.seq_len, r.n_windows, cfg.window, r.null.location, r.null.scale_pos, r.null.scale_neg,
           cfg.fdr, shown(r.fdr_threshold_pos), shown(r.fdr_threshold_neg),
           r.limit.empty() ? std::string()
                           : fmt::format(", {} {:g}: +{} / -{}", r.limit == "floor" ? "lowered to the floor" : "raised to the cap",
                                         r.limit == "floor" ? cfg.min_passing : cfg.max_passing,
                                         shown(r.threshold_pos), shown(r.threshold_neg)),
           r.n_passing, 100.0 * static_cast<double>(r.n_passing) / static_cast<double>(r.n_windows), r.seqlets.size(),
           n_pos, static_cast<std::int64_t>(r.seqlets.size()) - n_pos, r.n_dropped_at_edge, out);
  return 0;
}

}  // namespace lb::cli
