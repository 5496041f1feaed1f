// The metric catalogue: every metric that liftbench evaluate writes (metrics.tsv, metrics.json,
// role_metrics.tsv, method_differences.tsv), that the discover step writes (discovery.tsv), that
// the HTML report shows and ranks, and that liftbench aggregate compares across runs, each with
// its meaning, the way it is better and its family. It is the one list of them: the writers of
// evaluate take their order from it, the report its order, captions and directions, aggregate
// its directions; a name it does not list is an InputError wherever a metric is read.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace lb::eval {

/// Which way a metric is better. NotRanked: a count or a text; its tables keep the file's order.
enum class Better { Lower, Higher, NotRanked };

/// A family's metrics are computed together and written one after the other, in the catalogue's
/// order.
enum class Family {
  Hit,                // metrics.tsv, per task and motif: of the motif's top hits
  Localisation,       // metrics.tsv, per task: per-base scores against the planted bases
  Model,              // metrics.tsv (method "model") and metrics.json "model": the model's test metrics
  Complexity,         // metrics.tsv, per method and task (motif "-"): how concentrated a map is
  Faithfulness,       // metrics.tsv, per method and task (motif "-"): the model's output under perturbations (--model)
  Randomisation,      // metrics.tsv, per method and task (motif "-"): a map's change when the target changes
  Role,               // role_metrics.tsv and method_differences.tsv: planted instances by role
  Recovery,           // discovery.tsv, per planted driver motif
  RepressorRecovery,  // discovery.tsv, per planted repressor motif
  Discovery,          // discovery.tsv, per task (motif "-")
};

/// The outputs a metric can appear in (bit flags of MetricInfo::outputs()).
enum class Output : unsigned {
  MetricsTsv = 1u << 0,            // metrics.tsv and the "metrics" rows of metrics.json
  MetricsJsonModel = 1u << 1,      // metrics.json's "model" object
  RoleMetricsTsv = 1u << 2,        // role_metrics.tsv
  MethodDifferencesTsv = 1u << 3,  // method_differences.tsv
  DiscoveryTsv = 1u << 4,          // discovery.tsv
  ReportTables = 1u << 5,          // the report's metric tables (metrics.tsv without the model's rows)
  ReportRanked = 1u << 6,          // the report's ranked tables, one per task and metric
  ReportModel = 1u << 7,           // the report's model tables (MetricInfo::label)
};

constexpr unsigned operator|(Output a, Output b) { return static_cast<unsigned>(a) | static_cast<unsigned>(b); }
constexpr unsigned operator|(unsigned a, Output b) { return a | static_cast<unsigned>(b); }

/// The outputs every metric of a family appears in (ReportModel is a metric's own: its label).
constexpr unsigned family_outputs(Family f) {
  switch (f) {
    case Family::Hit:
    case Family::Localisation: return Output::MetricsTsv | Output::ReportTables;
    case Family::Model: return Output::MetricsTsv | Output::MetricsJsonModel;
    case Family::Complexity:
    case Family::Faithfulness:
    case Family::Randomisation: return Output::MetricsTsv | Output::ReportTables;
    case Family::Role: return Output::RoleMetricsTsv | Output::MethodDifferencesTsv | Output::ReportRanked;
    case Family::Recovery:
    case Family::RepressorRecovery:
    case Family::Discovery: return static_cast<unsigned>(Output::DiscoveryTsv);
  }
  return 0;
}

/// One metric of the catalogue.
struct MetricInfo {
  std::string_view name;
  Family family;
  Better better;
  std::string_view meaning;         // one line (the report's ranked tables show it in their caption)
  std::string_view n_counts = {};   // what a row's n counts (hits, bases, instances, sequences); "" without one
  std::string_view label = {};      // the report's model tables: the row's label; "" = not shown there

  constexpr unsigned outputs() const {
    return family_outputs(family) | (label.empty() ? 0u : static_cast<unsigned>(Output::ReportModel));
  }
  constexpr bool appears_in(Output o) const { return (outputs() & static_cast<unsigned>(o)) != 0; }
};

/// Every metric, family by family; within a family in the order its rows are written.
inline constexpr MetricInfo kMetricCatalogue[] = {
    // liftbench evaluate, metrics.tsv: the paper's hit metrics (appendix G(b); strong hits:
    // log-odds >= eval.log_odds_threshold), then localisation.
    {"fn_rate", Family::Hit, Better::Lower,
     "strong hits of a relevant motif, in sequences where one of its instances drives the task, scored ≤ 0", "hits"},
    {"fp_rate", Family::Hit, Better::Lower, "strong hits of a motif not relevant to the task scored > 0", "hits"},
    {"spearman", Family::Hit, Better::Higher, "rank correlation of a relevant motif's hit log-odds and hit scores",
     "hits"},
    {"loc_auroc", Family::Localisation, Better::Higher,
     "auROC of the per-base scores against the planted bases of the task's relevant motifs", "bases"},
    {"loc_auprc", Family::Localisation, Better::Higher,
     "auPRC of the per-base scores against the planted bases of the task's relevant motifs", "bases"},
    {"loc_auroc_abs", Family::Localisation, Better::Higher,
     "auROC of the absolute per-base scores against the planted bases of the task's relevant motifs", "bases"},
    {"loc_auprc_abs", Family::Localisation, Better::Higher,
     "auPRC of the absolute per-base scores against the planted bases of the task's relevant motifs", "bases"},
    // The model's test metrics (liftbench train's <stem>.metrics.tsv): a binary model's pair,
    // a real-valued model's triple.
    {"test_auroc", Family::Model, Better::Higher, "the model's test auROC (binary task)", "", "test auROC"},
    {"test_auprc", Family::Model, Better::Higher, "the model's test auPRC (binary task)", "", "test auPRC"},
    {"test_r2", Family::Model, Better::Higher, "the model's test R² (real-valued task)", "", "test R²"},
    {"test_pearson", Family::Model, Better::Higher, "the model's test Pearson r (real-valued task)", "",
     "test Pearson r"},
    {"test_mse", Family::Model, Better::Lower, "the model's test mean squared error (real-valued task)"},
    // metrics.tsv, per method and task (motif "-", tier "all"), after the model's rows: the axes
    // on which attributions are judged without a planted truth (docs/metrics.md), each the mean
    // over the scored sequences of a per-sequence value, with its bootstrap 95% interval
    // (metrics.json's ci_lo and ci_hi). Which are computed: eval.xai_metrics.
    {"sparseness", Family::Complexity, Better::Higher,
     "Gini index of a sequence's absolute per-position scores (Chalasani et al. 2020)", "sequences"},
    {"entropy", Family::Complexity, Better::Lower,
     "Shannon entropy (nats) of a sequence's shares of absolute per-position score (Bhatt et al. 2020)", "sequences"},
    {"deletion_aopc", Family::Faithfulness, Better::Higher,
     "mean drop of the task's logit as the top-scored positions are replaced by the reference (AOPC, Samek et al. 2017)",
     "sequences"},
    {"insertion_auc", Family::Faithfulness, Better::Higher,
     "mean rise of the task's logit above the reference's as the top-scored positions are restored", "sequences"},
    {"faithfulness_corr", Family::Faithfulness, Better::Higher,
     "Pearson r over random position subsets of their summed score and the logit drop when they are replaced "
     "(Bhatt et al. 2020)",
     "sequences"},
    {"ism_pearson", Family::Faithfulness, Better::Higher,
     "Pearson r of the per-position scores with the model's in-silico mutagenesis effects", "sequences"},
    {"ism_spearman", Family::Faithfulness, Better::Higher,
     "Spearman r of the per-position scores with the model's in-silico mutagenesis effects", "sequences"},
    {"ism_sign_agreement", Family::Faithfulness, Better::Higher,
     "share of a sequence's planted instances whose summed score has the sign of their summed ISM effect",
     "sequences"},
    {"random_target_spearman", Family::Randomisation, Better::Lower,
     "rank correlation of the task's per-position scores with the next task's (random-target test, Sixt et al. 2020)",
     "sequences"},
    // role_metrics.tsv: planted instances by their role for the task (docs/scenarios.md).
    {"driver_fn_rate", Family::Role, Better::Lower, "drivers scored ≤ 0", "instances"},
    {"irrelevant_fp_rate", Family::Role, Better::Lower, "irrelevant instances scored > 0", "instances"},
    {"context_pos_rate", Family::Role, Better::Lower, "context instances scored > 0", "instances"},
    {"repressor_neg_rate", Family::Role, Better::Higher, "repressors scored < 0 (the correct sign)", "instances"},
    {"gss", Family::Role, Better::Higher,
     "Grammar Satisfiability Score: sequences whose instances' signs satisfy the task", "sequences"},
    // discovery.tsv (docs/discovery.md, "The benchmark"): per planted driver motif ...
    {"driver_sites", Family::Recovery, Better::NotRanked, "planted driver sites of the motif in the scored sequences"},
    {"recovered", Family::Recovery, Better::Higher,
     "1 when a positive discovered motif matches the planted driver motif with q < 0.05, else 0"},
    {"recovery_q", Family::Recovery, Better::Lower, "q-value of its best match (nan: not recovered)"},
    {"recovery_similarity", Family::Recovery, Better::Higher, "similarity (summed column score) of its best match"},
    {"recovery_support", Family::Recovery, Better::NotRanked, "seqlets of the positive motifs matching it"},
    // ... per planted repressor motif (tasks with repressor sites) ...
    {"repressor_sites", Family::RepressorRecovery, Better::NotRanked,
     "planted repressor sites of the motif in the scored sequences"},
    {"repressor_recovered", Family::RepressorRecovery, Better::Higher,
     "1 when a negative discovered motif matches the planted repressor motif with q < 0.05, else 0"},
    {"repressor_q", Family::RepressorRecovery, Better::Lower, "q-value of its best match (nan: not recovered)"},
    {"repressor_similarity", Family::RepressorRecovery, Better::Higher,
     "similarity (summed column score) of its best match"},
    {"repressor_support", Family::RepressorRecovery, Better::NotRanked, "seqlets of the negative motifs matching it"},
    // ... and per task.
    {"status", Family::Discovery, Better::NotRanked,
     "motifs, or why discovery gave none (too_few_seqlets, no_motif_with_support, too_few_windows)"},
    {"seqlets", Family::Discovery, Better::NotRanked, "positive seqlets"},
    {"seqlets_negative", Family::Discovery, Better::NotRanked, "negative seqlets"},
    {"seqlet_precision", Family::Discovery, Better::Higher, "share of the positive seqlets that hit a driver site"},
    {"seqlet_recall", Family::Discovery, Better::Higher, "share of the driver sites hit by a positive seqlet"},
    {"repressor_recall", Family::Discovery, Better::Higher, "share of the repressor sites hit by a negative seqlet"},
    {"motifs", Family::Discovery, Better::NotRanked, "discovered motifs"},
    {"unmatched_motifs", Family::Discovery, Better::Lower,
     "discovered motifs matching no motif of the file with q < 0.05"},
    {"unmatched_max_share", Family::Discovery, Better::Lower,
     "largest share of the task's seqlets held by one unmatched motif"},
    {"unmatched_positive_motifs", Family::Discovery, Better::Lower, "unmatched positive motifs (false drivers)"},
    {"unmatched_positive_max_share", Family::Discovery, Better::Lower,
     "largest share of the task's seqlets held by one unmatched positive motif"},
    {"unmatched_negative_motifs", Family::Discovery, Better::Lower, "unmatched negative motifs"},
    {"unmatched_negative_max_share", Family::Discovery, Better::Lower,
     "largest share of the task's seqlets held by one unmatched negative motif"},
    {"off_task_motifs", Family::Discovery, Better::Lower,
     "positive motifs matching motifs of the file but none of the task's drivers"},
    {"off_task_max_share", Family::Discovery, Better::Lower,
     "largest share of the task's seqlets held by one off-task motif"},
    {"off_site_match_motifs", Family::Discovery, Better::Lower,
     "matched motifs whose seqlets mostly miss the planted instances of the motif they match best"},
    {"off_site_match_max_share", Family::Discovery, Better::Lower,
     "largest share of the task's seqlets held by one off-site match"},
    {"redundancy", Family::Discovery, Better::Lower,
     "motifs recovering a planted driver or repressor per planted motif recovered (1: each found once)"},
    {"coverage", Family::Discovery, Better::Higher,
     "share of the task's seqlets held by motifs that match a motif of the file"},
};

/// The families of metrics.tsv whose rows carry a bootstrap 95% interval over sequences
/// (MetricRow::ci_lo, ci_hi; metrics.json's "ci_lo" and "ci_hi").
constexpr bool has_interval(Family f) {
  return f == Family::Complexity || f == Family::Faithfulness || f == Family::Randomisation;
}
/// The families computed only with the model (liftbench evaluate --model).
constexpr bool needs_model(Family f) { return f == Family::Faithfulness; }

/// The number of metrics of `family`.
consteval std::size_t family_size(Family family) {
  std::size_t n = 0;
  for (const MetricInfo& m : kMetricCatalogue) n += m.family == family ? 1 : 0;
  return n;
}

/// The names of `F`'s metrics, in the catalogue's order.
template <Family F>
consteval std::array<std::string_view, family_size(F)> family_names() {
  std::array<std::string_view, family_size(F)> out{};
  std::size_t i = 0;
  for (const MetricInfo& m : kMetricCatalogue)
    if (m.family == F) out[i++] = m.name;
  return out;
}

/// The place of `name` among the metrics of `family` (family_names' index). A name the family
/// does not hold does not compile.
consteval std::size_t family_index(Family family, std::string_view name) {
  std::size_t i = 0;
  for (const MetricInfo& m : kMetricCatalogue) {
    if (m.family != family) continue;
    if (m.name == name) return i;
    ++i;
  }
  throw "not a metric of this family";  // not a constant expression: a compile-time error
}

/// The number of metrics that appear in `output`.
consteval std::size_t output_size(Output output) {
  std::size_t n = 0;
  for (const MetricInfo& m : kMetricCatalogue) n += m.appears_in(output) ? 1 : 0;
  return n;
}

/// The metrics that appear in `O`, in the catalogue's order.
template <Output O>
consteval std::array<const MetricInfo*, output_size(O)> metrics_in() {
  std::array<const MetricInfo*, output_size(O)> out{};
  std::size_t i = 0;
  for (const MetricInfo& m : kMetricCatalogue)
    if (m.appears_in(O)) out[i++] = &m;
  return out;
}

/// The catalogue's row of `name`; nullptr when it has none.
const MetricInfo* find_metric(std::string_view name);

/// The row of `name`, a metric read from `output` (a file) at `path`:`line`. InputError, exactly:
///   PATH:LINE: unknown metric; expected a metric of role_metrics.tsv (driver_fn_rate, irrelevant_fp_rate,
///   context_pos_rate, repressor_neg_rate, gss), got 'x'
/// (on one line), also for a catalogued metric of another output.
const MetricInfo& metric_info(std::string_view name, Output output, std::string_view path, long line);

/// The row of `name`, a metric already checked or written by liftbench. InputError, exactly:
///   unknown metric; expected a metric of the catalogue (eval/metric_catalogue.h), got 'x'
const MetricInfo& metric_info(std::string_view name);

/// "lower is better", "higher is better" or "not ranked".
std::string_view direction_words(Better better);

/// The file or part of the report `output` names: "metrics.tsv", ..., "the report's ranked tables".
std::string_view output_name(Output output);

}  // namespace lb::eval
