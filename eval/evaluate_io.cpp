// The output files of liftbench evaluate: metrics.tsv, metrics.json, hits.tsv, role_metrics.tsv
// and method_differences.tsv (docs/cli.md, liftbench evaluate).
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "eval/evaluate.h"
#include "eval/html.h"
#include "io/atomic_file.h"
#include "io/tsv.h"

namespace lb::eval {

namespace {

std::string tsv_num(double v) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{:.6g}", v);
}

std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(ch) < 0x20) out += fmt::format("\\u{:04x}", static_cast<int>(ch));
        else out += ch;
    }
  }
  return out + "\"";
}

}  // namespace

std::string metrics_json(const Evaluation& ev, const ScoresInput& scores, const EvalConfig& cfg,
                         const std::optional<ModelMetrics>& model, std::string_view version) {
  std::string j = "{\n";
  j += fmt::format("  \"version\": {},\n", json_str(version));
  j += fmt::format("  \"scan_mode\": {},\n", json_str(cfg.scan_mode));
  j += fmt::format("  \"strands\": {},\n", json_str(cfg.strands));
  j += fmt::format("  \"log_odds_threshold\": {},\n", json_number(cfg.log_odds_threshold));
  j += fmt::format("  \"top_hits\": {},\n", cfg.top_hits);
  j += fmt::format("  \"pseudocount\": {},\n", json_number(cfg.pseudocount));
  j += fmt::format("  \"background\": [{}, {}, {}, {}],\n", json_number(cfg.background[0]),
                   json_number(cfg.background[1]), json_number(cfg.background[2]), json_number(cfg.background[3]));
  // Each motif key with its PWM name (the paper: {"gata": ..., "tal": ...}).
  j += "  \"motifs\": {";
  for (std::size_t i = 0; i < ev.motif_keys.size(); ++i)
    j += fmt::format("{}{}: {}", i ? ", " : "", json_str(ev.motif_keys[i].first), json_str(ev.motif_keys[i].second));
  j += "},\n";
  j += fmt::format("  \"n_sequences\": {},\n", ev.n_sequences);
  j += "  \"methods\": [";
  for (std::size_t i = 0; i < scores.methods.size(); ++i)
    j += fmt::format("{}{}", i ? ", " : "", json_str(scores.methods[i].name));
  j += "],\n  \"references\": [";
  for (std::size_t i = 0; i < scores.methods.size(); ++i)
    j += fmt::format("{}{}", i ? ", " : "", json_str(scores.methods[i].reference));
  j += "],\n";
  if (model) {
    auto list = [](const std::vector<double>& v) {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", json_number(v[i]));
      return s + "]";
    };
    // In the catalogue's order: the binary pair always (as before the real-valued tasks); R²,
    // Pearson r and MSE only when the model has them, so a binary model's metrics.json is unchanged.
    constexpr std::size_t kAuroc = family_index(Family::Model, "test_auroc"),
                          kAuprc = family_index(Family::Model, "test_auprc");
    j += "  \"model\": {";
    bool first = true;
    for (std::size_t k = 0; k < kModelMetricNames.size(); ++k) {
      if (k != kAuroc && k != kAuprc && model->metric(k).empty()) continue;
      j += fmt::format("{}{}: {}", first ? "" : ", ", json_str(kModelMetricNames[k]), list(model->metric(k)));
      first = false;
    }
    j += "},\n";
  }
  j += "  \"metrics\": [";
  for (std::size_t i = 0; i < ev.rows.size(); ++i) {
    const MetricRow& r = ev.rows[i];
    const std::string interval =
        has_interval(metric_info(r.metric).family)
            ? fmt::format(", \"ci_lo\": {}, \"ci_hi\": {}", json_number(r.ci_lo), json_number(r.ci_hi))
            : std::string();
    j += fmt::format(
        "{}\n    {{\"method\": {}, \"reference\": {}, \"task\": {}, \"motif\": {}, \"metric\": {}, \"tier\": {}, "
        "\"value\": {}, \"n\": {}{}}}",
        i ? "," : "", json_str(r.method), json_str(r.reference), r.task, json_str(r.motif), json_str(r.metric),
        json_str(r.tier), json_number(r.value), r.n < 0 ? std::string("null") : fmt::format("{}", r.n), interval);
  }
  j += "\n  ]";
  // The mean deletion and insertion curves (faithfulness_metrics), when there are any.
  if (!ev.curves.empty()) {
    j += ",\n  \"curves\": [";
    for (std::size_t i = 0; i < ev.curves.size(); ++i) {
      const PerturbationCurve& c = ev.curves[i];
      std::string k, mean;
      for (std::size_t p = 0; p < c.k.size(); ++p) {
        k += fmt::format("{}{}", p ? ", " : "", c.k[p]);
        mean += fmt::format("{}{}", p ? ", " : "", json_number(c.mean[p]));
      }
      j += fmt::format("{}\n    {{\"method\": {}, \"task\": {}, \"kind\": {}, \"k\": [{}], \"logit\": [{}]}}", i ? "," : "",
                       json_str(c.method), c.task, json_str(c.kind), k, mean);
    }
    j += "\n  ]";
  }
  j += "\n}\n";
  return j;
}

void write_evaluation(const std::string& dir, const Evaluation& ev, const sim::Dataset& ds, const ScoresInput& scores,
                      const EvalConfig& cfg, const std::optional<ModelMetrics>& model, std::string_view version) {
  const int T = ds.n_tasks();
  io::ensure_output_dir(dir);
  std::vector<std::vector<std::string>> rows;
  rows.reserve(ev.rows.size());
  for (const MetricRow& r : ev.rows)
    rows.push_back({r.method, r.reference, fmt::format("{}", r.task), r.motif, r.metric, r.tier, tsv_num(r.value),
                    r.n < 0 ? std::string() : fmt::format("{}", r.n)});
  io::write_tsv(dir + "/metrics.tsv", std::vector<std::string>(kMetricsColumns.begin(), kMetricsColumns.end()), rows);
  io::write_file_atomic(dir + "/metrics.json", metrics_json(ev, scores, cfg, model, version));
  std::vector<std::vector<std::string>> role_rows;
  for (const RoleRow& r : ev.role_rows)
    role_rows.push_back({r.method, r.reference, ds.tasks[static_cast<std::size_t>(r.task)].name, r.metric,
                         tsv_num(r.value), tsv_num(r.lo), tsv_num(r.hi), fmt::format("{}", r.instances)});
  io::write_tsv(dir + "/role_metrics.tsv",
                {"method", "reference", "task", "metric", "value", "ci_lo", "ci_hi", "n"}, role_rows);
  std::vector<std::vector<std::string>> diff_rows;
  for (const DiffRow& d : ev.diffs)
    diff_rows.push_back({ds.tasks[static_cast<std::size_t>(d.task)].name, d.metric, d.a, d.b, tsv_num(d.diff),
                         tsv_num(d.lo), tsv_num(d.hi), tsv_num(d.p_value), d.excludes_zero ? "yes" : "no"});
  io::write_tsv(dir + "/method_differences.tsv",
                {"task", "metric", "method_a", "method_b", "a_minus_b", "ci_lo", "ci_hi", "p_value", "real"}, diff_rows);

  // hits.tsv can be large (N x motifs x top_hits x methods x T lines): formatted directly.
  io::AtomicFile f(dir + "/hits.tsv");
  std::string buf;
  for (std::size_t c = 0; c < kHitsColumns.size(); ++c) buf += fmt::format("{}{}", c ? "\t" : "", kHitsColumns[c]);
  buf += '\n';
  const std::vector<std::string>& names = ev.motifs;
  for (std::size_t mi = 0; mi < scores.methods.size(); ++mi) {
    const MethodScores& ms = scores.methods[mi];
    for (int t = 0; t < T; ++t) {
      for (std::size_t h = 0; h < ev.hits.size(); ++h) {
        const Hit& hit = ev.hits[h];
        const auto i = static_cast<std::size_t>(scores.seq[static_cast<std::size_t>(hit.row)]);
        const int n_inst = ev.instances[static_cast<std::size_t>(hit.row)][static_cast<std::size_t>(hit.motif)];
        fmt::format_to(std::back_inserter(buf), "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.6g}\t{}\t{}\t{:.6g}\n", ms.name,
                       ms.reference, t, ds.ids[i], names[static_cast<std::size_t>(hit.motif)], hit.start, hit.end,
                       hit.strand, hit.log_odds, ds.class_names[static_cast<std::size_t>(ds.classes[i])], n_inst,
                       ev.hit_scores[mi][h * T + static_cast<std::size_t>(t)]);
      }
      if (buf.size() > (1u << 20)) {
        f.write(buf);
        buf.clear();
      }
    }
  }
  f.write(buf);
  f.commit();
}

}  // namespace lb::eval
