// `liftbench evaluate`: score every method of a scores file against the planted motifs of its
// dataset (docs/cli.md, liftbench evaluate); writes metrics.tsv, metrics.json, hits.tsv and the resolved config.
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/sections.h"
#include "cli/train_data.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "eval/evaluate.h"
#include "eval/report.h"
#include "io/atomic_file.h"
#include "io/meme.h"

namespace lb::cli {

namespace {

std::string cell(double v) { return std::isnan(v) ? "-" : fmt::format("{:.3f}", v); }

}  // namespace

int cmd_evaluate(int argc, const char* const* argv) {
  RunConfig run;
  std::string data_dir, scores_path, model_metrics, out, threads = "0";
  bool quiet = false;
  OptionSet opts("evaluate");
  opts.add_flag("data", &data_dir, "dataset directory written by 'liftbench simulate' (ground truth: motifs.bed)", "DIR");
  opts.add_flag("scores", &scores_path, "scores file written by 'liftbench attribute'", "FILE");
  opts.add_flag("model-metrics", &model_metrics,
                "test metrics written by 'liftbench train' (<stem>.metrics.tsv), copied into the outputs", "FILE");
  opts.add_flag("out,o", &out, "output directory: metrics.tsv, metrics.json, hits.tsv, evaluate.config.ini", "DIR");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  add_all_options(opts, run);
  opts.show_sections({"sim", "eval"});
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (data_dir.empty()) throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  if (scores_path.empty()) throw ConfigError("--scores: missing scores file; expected --scores FILE, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  {
    std::vector<PathUse> inputs{{"--scores", scores_path}, {"--model-metrics", model_metrics},
                                {"sim.motifs", run.sim.motifs_file}};
    for (auto& f : dataset_files("--data", data_dir)) inputs.push_back(std::move(f));
    std::vector<PathUse> outputs;
    for (const char* name : {"metrics.tsv", "metrics.json", "hits.tsv", "evaluate.config.ini", "report/index.html",
                             "report/config.ini"})
      outputs.push_back({"--out", out + "/" + name});
    refuse_output_over_input(outputs, inputs);
  }
  eval::validate(run.eval);
  apply_threads(threads);

  const auto [gata, tal] = sim::load_motifs(run.sim);
  const sim::Dataset ds = sim::read_dataset_dir(data_dir);
  for (const auto& site : ds.sites)
    if (site.motif != gata.name() && site.motif != tal.name())
      throw ConfigError(fmt::format(
          "sim.gata_motif, sim.tal_motif: {}/motifs.bed plants motif {}; expected {} or {}, got {}", data_dir,
          quote_token(site.motif), gata.name(), tal.name(), quote_token(site.motif)));
  for (const auto& pwm : {&gata, &tal})
    if (pwm->width() > ds.seq_len)
      throw ConfigError(fmt::format("sim.motifs: motif '{}' (width {}) is wider than the sequences of {}; expected "
                                    "width <= {}, got {}",
                                    pwm->name(), pwm->width(), data_dir, ds.seq_len, pwm->width()));

  const eval::ScoresInput scores = eval::read_scores(scores_path, ds, data_dir, run.attribution.reference);
  std::optional<eval::ModelMetrics> model;
  if (!model_metrics.empty()) model = eval::read_model_metrics(model_metrics, ds.n_tasks());
  log_info("evaluate", "{} sequences, {} methods; scan {} strand{}, mode {}, top {} hits, strong hits log-odds >= {}",
           scores.seq.size(), scores.methods.size(), run.eval.strands, run.eval.strands == "both" ? "s" : "",
           run.eval.scan_mode, run.eval.top_hits, run.eval.log_odds_threshold);

  const eval::Evaluation ev = eval::evaluate(ds, scores, gata, tal, run.eval, model);
  io::remove_stale_marker(out + "/evaluate.config.ini");  // written last
  eval::write_evaluation(out, ev, ds, scores, run.eval, model, build::kVersion);
  io::write_file_atomic(out + "/evaluate.config.ini", opts.resolved_ini());

  // Summary: the appendix G(b) false-negative rates and the false-positive rates per method.
  std::map<std::string, double> v;
  for (const auto& r : ev.rows)
    if (r.tier == "all") v[fmt::format("{}|{}|{}|{}", r.method, r.task, r.motif, r.metric)] = r.value;
  auto get = [&](const std::string& m, int task, const std::string& motif, const std::string& metric) {
    const auto it = v.find(fmt::format("{}|{}|{}|{}", m, task, motif, metric));
    return it == v.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
  };
  std::size_t width = 6;
  for (const auto& m : scores.methods) width = std::max(width, m.name.size());
  log_info("evaluate", "{:<{}}  {:>8} {:>8} {:>8} {:>8}", "method", width, "fn GATA", "fn TAL", "fp t1", "fp t2");
  for (const auto& m : scores.methods)
    log_info("evaluate", "{:<{}}  {:>8} {:>8} {:>8} {:>8}", m.name, width, cell(get(m.name, 0, gata.name(), "fn_rate")),
             cell(get(m.name, 0, tal.name(), "fn_rate")), cell(get(m.name, 1, tal.name(), "fp_rate")),
             cell(get(m.name, 2, gata.name(), "fp_rate")));
  eval::write_report(out, {.data_dir = data_dir, .scores_path = scores_path, .config_ini = opts.resolved_ini()});
  log_info("evaluate", "wrote {}/{{metrics.tsv,metrics.json,hits.tsv,evaluate.config.ini,report/index.html}}", out);
  return 0;
}

}  // namespace lb::cli
