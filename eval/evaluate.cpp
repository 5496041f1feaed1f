// liftbench evaluate as a whole: the [eval] section's checks and the run of hit metrics, role
// metrics and the model's rows (docs/cli.md, liftbench evaluate).
#include "eval/evaluate.h"

#include <fmt/format.h>

#include "core/error.h"
#include "eval/bootstrap.h"
#include "eval/scan.h"

namespace lb::eval {

std::vector<std::string> discover_method_list(const EvalConfig& cfg) {
  std::vector<std::string> out;
  if (cfg.discover_methods.find_first_not_of(" \t") == std::string::npos) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = cfg.discover_methods.find(',', start);
    std::string m = cfg.discover_methods.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto b = m.find_first_not_of(" \t"), e = m.find_last_not_of(" \t");
    out.push_back(b == std::string::npos ? std::string() : m.substr(b, e - b + 1));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void validate(const EvalConfig& cfg) {
  for (const auto& m : discover_method_list(cfg))
    if (m.empty())
      throw ConfigError(fmt::format("eval.discover_methods: empty method; expected comma-separated method names, got {}",
                                    quote_token(cfg.discover_methods)));
  validate_xai_metrics(cfg);
  sim::validate_background(sim::Background{cfg.background}, "eval.background");
  validate(BootstrapConfig{cfg.bootstrap_resamples, cfg.bootstrap_seed, 0.95});
  if (!(cfg.pseudocount >= 0 && cfg.pseudocount < 1))
    throw ConfigError(fmt::format("eval.pseudocount: out of range; expected a value in [0, 1), got {}", cfg.pseudocount));
  Strands s;
  if (!parse_strands(cfg.strands, s))
    throw ConfigError(
        fmt::format("eval.strands: unknown value; expected forward or both, got {}", quote_token(cfg.strands)));
  if (cfg.top_hits < 1)
    throw ConfigError(fmt::format("eval.top_hits: too small; expected top_hits >= 1, got {}", cfg.top_hits));
  ScanMode m;
  if (!parse_scan_mode(cfg.scan_mode, m))
    throw ConfigError(fmt::format("eval.scan_mode: unknown value; expected exclusive or deeplift_compatible, got {}",
                                  quote_token(cfg.scan_mode)));
}

Evaluation evaluate(const sim::Dataset& ds, const ScoresInput& scores, const std::vector<sim::Pwm>& motifs,
                    const EvalConfig& cfg, const std::optional<ModelMetrics>& model, const model::Network* net) {
  if (!ds.has_roles())
    throw InputError("dataset: no roles.tsv; expected a dataset directory written by this version of 'liftbench "
                     "simulate' (simulate again: it is fast), got one without the ground-truth roles");
  Evaluation ev;
  ev.motifs = planted_motifs(ds);
  ev.motif_keys = planted_motif_keys(ds);
  LB_CHECK(motifs.size() == ev.motifs.size(), "evaluate: one PWM per planted motif expected");
  for (std::size_t m = 0; m < motifs.size(); ++m)
    LB_CHECK(motifs[m].name() == ev.motifs[m], "evaluate: the PWMs are not those of planted_motifs");
  ev.n_sequences = static_cast<int>(scores.seq.size());
  hit_metrics(ds, scores, motifs, cfg, ev);
  role_metrics(ds, scores, cfg, ev);
  if (model) {
    for (std::size_t k = 0; k < kModelMetricNames.size(); ++k) {
      const auto& v = model->metric(k);
      for (std::size_t t = 0; t < v.size(); ++t)
        ev.rows.push_back(MetricRow{.method = "model", .reference = "-", .task = static_cast<int>(t), .motif = "-",
                                    .metric = std::string(kModelMetricNames[k]), .tier = "all", .value = v[t],
                                    .n = -1});
    }
  }
  xai_metrics(ds, scores, cfg, net, ev);
  return ev;
}

}  // namespace lb::eval
