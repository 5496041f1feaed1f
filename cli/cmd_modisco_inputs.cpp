// `liftbench modisco-inputs`: the files TF-MoDISco-lite's `modisco motifs` reads, from one method
// of a scores archive (docs/discovery.md, "Export for TF-MoDISco-lite"; docs/cli.md): DIR/ohe.npy
// and DIR/task<T>.hyp.npy per task. Every check runs before anything is written; each file is
// written atomically, the one-hot last.
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/log.h"
#include "discover/modisco_export.h"
#include "io/atomic_file.h"
#include "io/npz.h"
#include "pipeline/paths.h"

namespace lb::cli {

using namespace pipeline;

int cmd_modisco_inputs(int argc, const char* const* argv) {
  std::string scores_path, method, out, task_s;
  bool quiet = false;
  OptionSet opts("modisco-inputs");
  opts.add_flag("scores", &scores_path, "scores file written by 'liftbench attribute'", "FILE");
  opts.add_flag("method", &method, "the method (its '<method>.hypothetical' array is exported)", "NAME");
  opts.add_flag("task", &task_s, "one model output (a value of the file's 'tasks' array, else an index); "
                                 "default every task", "T");
  opts.add_flag("out,o", &out, "directory to write: ohe.npy and task<T>.hyp.npy per task", "DIR");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (scores_path.empty()) throw ConfigError("--scores: missing scores file; expected --scores FILE, got nothing");
  if (method.empty()) throw ConfigError("--method: missing method; expected --method NAME, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  std::optional<int> task;
  if (!task_s.empty()) {
    int v = 0;
    const char* end = task_s.data() + task_s.size();
    auto [p, ec] = std::from_chars(task_s.data(), end, v);
    if (ec != std::errc() || p != end)
      throw ConfigError(fmt::format("--task: bad value; expected an integer, got {}", quote_token(task_s)));
    task = v;
  }
  const io::NpzArchive archive = io::read_npz(scores_path);
  const auto plan = discover::plan_modisco_inputs(archive, scores_path, method, task, out);
  std::vector<PathUse> outputs{{"--out", plan.ohe_path}};
  for (const auto& t : plan.tasks) outputs.push_back({"--out", t.path});
  refuse_output_over_input(outputs, {{"--scores", scores_path}});
  io::ensure_output_dir(out);
  const auto ex = discover::write_modisco_inputs(archive, scores_path, method, task, out);
  for (const auto& t : ex.tasks)
    log_info("modisco-inputs", "task {}: modisco motifs -s {} -a {} -n 2000 -w {} -o modisco_task{}.h5", t.task,
             ex.ohe_path, t.path, ex.window, t.task);
  log_info("modisco-inputs", "{} sequences x {} bp, {} task{} of {} -> {}", ex.n_seqs, ex.seq_len, ex.tasks.size(),
           ex.tasks.size() == 1 ? "" : "s", method, out);
  return 0;
}

}  // namespace lb::cli
