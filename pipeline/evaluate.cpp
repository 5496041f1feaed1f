// The evaluate step (`liftbench evaluate`, pipeline/steps.h): score every method of a scores file against the planted motifs of its
// dataset (docs/cli.md, liftbench evaluate); writes metrics.tsv, metrics.json, hits.tsv, the
// report, the resolved config and, last, the manifest.
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "eval/evaluate.h"
#include "eval/report.h"
#include "io/atomic_file.h"
#include "io/ini.h"
#include "io/manifest.h"
#include "io/motif_file.h"
#include "model/model_file.h"
#include "model/network.h"
#include "core/alphabet.h"
#include "pipeline/config.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"
#include "pipeline/steps.h"
#include "sim/scenario.h"

namespace lb::pipeline {

namespace {

std::string cell(double v) { return std::isnan(v) ? "-" : fmt::format("{:.3f}", v); }

// The scenario whose motif file holds the planted motifs' PWMs: sim.scenario of this
// configuration, else, for a dataset simulated from a scenario (it has scenario.ini), the
// scenario file its config.ini names; empty for the paper's built-in scenario (then sim.motifs).
std::string scenario_of(const RunConfig& run, const std::string& data_dir) {
  if (!run.sim.scenario.empty() || !std::filesystem::exists(data_dir + "/scenario.ini")) return run.sim.scenario;
  const std::string cfg = data_dir + "/config.ini";
  const auto values = io::ini_values(cfg);
  const auto it = values.find("sim.scenario");
  const std::string scenario = it == values.end() ? std::string() : it->second;
  if (scenario.empty() || !std::filesystem::is_regular_file(scenario))
    throw InputError(fmt::format("{}sim.scenario: the dataset's scenario file is missing; expected the scenario "
                                 "file the dataset was simulated from (or sim.scenario = FILE in the configuration), "
                                 "got {}",
                                 where(cfg), quote_token(scenario)));
  return scenario;
}

// Per method and task, the false-negative (fn_rate) and false-positive (fp_rate) rates pooled
// over the task's motifs: strong hits scored <= 0 (resp. > 0) over all strong hits counted.
struct Pooled {
  double num = 0, den = 0;
  double rate() const { return den > 0 ? num / den : std::numeric_limits<double>::quiet_NaN(); }
};

}  // namespace

void evaluate_step(const EvaluateJob& job) {
  const RunConfig& run = job.run;
  const std::string &data_dir = job.data_dir, &scores_path = job.scores_path, &model_metrics = job.model_metrics,
                    &out = job.out, &threads = job.threads;
  if (data_dir.empty()) throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  if (scores_path.empty()) throw ConfigError("--scores: missing scores file; expected --scores FILE, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  {
    std::vector<PathUse> inputs{{"--scores", scores_path}, {"--model-metrics", model_metrics}, {"--model", job.model_path},
                                {"sim.motifs", run.sim.motifs_file}, {"sim.scenario", run.sim.scenario}};
    for (auto& f : dataset_files("--data", data_dir)) inputs.push_back(std::move(f));
    std::vector<PathUse> outputs;
    for (const char* name : {"metrics.tsv", "metrics.json", "hits.tsv", "role_metrics.tsv", "method_differences.tsv",
                             "evaluate.config.ini", "evaluate.manifest.tsv", "report/index.html", "report/config.ini"})
      outputs.push_back({"--out", out + "/" + name});
    refuse_output_over_input(outputs, inputs);
  }
  eval::validate(run.eval);
  apply_threads(threads);

  // The dataset first (its manifest is checked before any of its files is read), then every
  // planted motif's PWM, from the scenario's motif file (or sim.motifs).
  const sim::Dataset ds = sim::read_dataset_dir(data_dir);
  const std::string scenario = scenario_of(run, data_dir);
  const std::string motif_path = scenario.empty() ? run.sim.motifs_file : sim::read_scenario(scenario).motifs_path;
  const std::vector<sim::Pwm> motifs = eval::planted_pwms(ds, io::read_motif_file(motif_path), motif_path, data_dir);

  const eval::ScoresInput scores = eval::read_scores(scores_path, ds, data_dir, run.attribution.reference);
  std::optional<eval::ModelMetrics> model;
  if (!model_metrics.empty()) model = eval::read_model_metrics(model_metrics, ds.n_tasks());
  std::vector<std::string> motif_names;
  for (const auto& pwm : motifs) motif_names.push_back(pwm.name());
  log_info("evaluate", "{} sequences, {} methods, {} motifs ({}, from {}); scan {} strand{}, mode {}, top {} hits, "
           "strong hits log-odds >= {}",
           scores.seq.size(), scores.methods.size(), motifs.size(), fmt::join(motif_names, ", "), motif_path,
           run.eval.strands, run.eval.strands == "both" ? "s" : "", run.eval.scan_mode, run.eval.top_hits,
           run.eval.log_odds_threshold);

  // The model, for the faithfulness metrics (docs/metrics.md): its architecture from the file,
  // else from the [model] section, for the dataset's one-hot input.
  std::optional<model::Network> net;
  std::vector<std::string> needing_model;
  for (const auto& m : eval::xai_metric_list(run.eval))
    if (eval::needs_model(eval::metric_info(m).family)) needing_model.push_back(m);
  if (!job.model_path.empty() && !needing_model.empty()) {
    const model::Shape input{kNumBases, 1, ds.seq_len};
    net = model::is_self_describing(job.model_path) ? model::load_model(job.model_path, nullptr, &input)
                                                    : model::load_model(job.model_path, &run.model, &input);
  } else if (!needing_model.empty()) {
    log_info("evaluate", "{} not computed: they need the model (--model)", fmt::join(needing_model, ", "));
  }
  const eval::Evaluation ev = eval::evaluate(ds, scores, motifs, run.eval, model, net ? &*net : nullptr);
  if (net)
    log_info("evaluate", "faithfulness ({}): {} forward passes of the model on {} of {} sequences, reference {}",
             fmt::join(needing_model, ", "), ev.forward_passes,
             eval::perturbation_rows(static_cast<int>(scores.seq.size()), run.eval).size(), scores.seq.size(),
             run.eval.perturbation_reference);
  // The config marks a complete set, and the manifest (written last) lists it with sizes and
  // MD5s; the report is written before both, so a set with its mark has its report too (the
  // report is not listed: `run` rewrites it with the whole run's configuration).
  log_info("evaluate", "{} metric rows; writing {}", ev.rows.size(), out);
  io::remove_stale_marker(out + "/evaluate.manifest.tsv");
  io::remove_stale_marker(out + "/evaluate.config.ini");
  eval::write_evaluation(out, ev, ds, scores, run.eval, model, build::kVersion);
  eval::write_report(out, {.data_dir = data_dir, .scores_path = scores_path, .config_ini = job.config_ini});
  io::write_file_atomic(out + "/evaluate.config.ini", job.config_ini);
  io::write_manifest(out + "/evaluate.manifest.tsv",
                     std::vector<std::string>{"metrics.tsv", "metrics.json", "hits.tsv", "role_metrics.tsv",
                                              "method_differences.tsv", "evaluate.config.ini"});

  // Summary: per method, the false-negative rate of each task with fn_rate rows (appendix G(b))
  // and the false-positive rate of each task with fp_rate rows, pooled over the task's motifs.
  const int T = ds.n_tasks();
  std::map<std::string, std::vector<std::array<Pooled, 2>>> pooled;  // method -> [task][fn, fp]
  std::vector<std::array<bool, 2>> shown(static_cast<std::size_t>(T), {false, false});
  for (const auto& r : ev.rows) {
    if (r.tier != "all" || (r.metric != "fn_rate" && r.metric != "fp_rate") || r.n <= 0 || std::isnan(r.value))
      continue;
    const std::size_t k = r.metric == "fn_rate" ? 0 : 1;
    auto& v = pooled[r.method];
    v.resize(static_cast<std::size_t>(T));
    Pooled& p = v[static_cast<std::size_t>(r.task)][k];
    p.num += std::round(r.value * static_cast<double>(r.n));
    p.den += static_cast<double>(r.n);
    shown[static_cast<std::size_t>(r.task)][k] = true;
  }
  std::size_t width = 6;
  for (const auto& m : scores.methods) width = std::max(width, m.name.size());
  std::string header = fmt::format("{:<{}} ", "method", width);
  std::vector<std::pair<std::size_t, std::size_t>> columns;  // (task, fn/fp), widths
  std::vector<std::size_t> widths;
  for (std::size_t t = 0; t < shown.size(); ++t)
    for (std::size_t k = 0; k < 2; ++k)
      if (shown[t][k]) {
        const std::string label = fmt::format("{} {}", k == 0 ? "fn" : "fp", ds.tasks[t].name);
        columns.emplace_back(t, k);
        widths.push_back(std::max<std::size_t>(8, label.size()));
        header += fmt::format(" {:>{}}", label, widths.back());
      }
  log_info("evaluate", "{}", header);
  for (const auto& m : scores.methods) {
    std::string line = fmt::format("{:<{}} ", m.name, width);
    const auto it = pooled.find(m.name);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const double v = it == pooled.end() ? std::numeric_limits<double>::quiet_NaN()
                                          : it->second[columns[c].first][columns[c].second].rate();
      line += fmt::format(" {:>{}}", cell(v), widths[c]);
    }
    log_info("evaluate", "{}", line);
  }
  log_info("evaluate", "wrote {}/{{metrics.tsv,metrics.json,hits.tsv,report/index.html,evaluate.config.ini,evaluate.manifest.tsv}}",
           out);
}

}  // namespace lb::pipeline
