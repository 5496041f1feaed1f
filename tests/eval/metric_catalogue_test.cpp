// Tests of eval/metric_catalogue: each family's direction and meaning on hand cases, the
// catalogue's own consistency, and the exact errors for a metric it does not list, from the
// lookup itself and from the report and aggregate that read metric names from files.
#include "eval/metric_catalogue.h"

#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/aggregate.h"
#include "eval/evaluate.h"
#include "eval/report_parts.h"
#include "testing/helpers.h"

namespace lb::eval {
namespace {

using lb::testing::TempDir;
using lb::testing::write_text;

const MetricInfo& row(std::string_view name) {
  const MetricInfo* m = find_metric(name);
  if (!m) throw std::runtime_error("not catalogued: " + std::string(name));
  return *m;
}

TEST(MetricCatalogueTest, DirectionAndMeaningOfEachFamily) {
  // The paper's hit metrics: false negatives and positives lower, the correlation higher.
  EXPECT_EQ(row("fn_rate").family, Family::Hit);
  EXPECT_EQ(row("fn_rate").better, Better::Lower);
  EXPECT_EQ(row("fn_rate").meaning,
            "strong hits of a relevant motif, in sequences where one of its instances drives the task, scored ≤ 0");
  EXPECT_EQ(row("fn_rate").n_counts, "hits");
  EXPECT_EQ(row("fp_rate").better, Better::Lower);
  EXPECT_EQ(row("spearman").better, Better::Higher);
  // Localisation: areas under curves, higher; n counts bases.
  EXPECT_EQ(row("loc_auprc_abs").family, Family::Localisation);
  EXPECT_EQ(row("loc_auprc_abs").better, Better::Higher);
  EXPECT_EQ(row("loc_auprc_abs").meaning,
            "auPRC of the absolute per-base scores against the planted bases of the task's relevant motifs");
  EXPECT_EQ(row("loc_auroc").n_counts, "bases");
  // The model: auROC, R² higher, the mean squared error lower; the report labels all but MSE.
  EXPECT_EQ(row("test_auroc").family, Family::Model);
  EXPECT_EQ(row("test_auroc").better, Better::Higher);
  EXPECT_EQ(row("test_r2").label, "test R²");
  EXPECT_EQ(row("test_mse").better, Better::Lower);
  EXPECT_EQ(row("test_mse").meaning, "the model's test mean squared error (real-valued task)");
  EXPECT_TRUE(row("test_mse").label.empty());
  // Roles: the report's captions.
  EXPECT_EQ(row("driver_fn_rate").family, Family::Role);
  EXPECT_EQ(row("driver_fn_rate").better, Better::Lower);
  EXPECT_EQ(row("driver_fn_rate").meaning, "drivers scored ≤ 0");
  EXPECT_EQ(row("context_pos_rate").better, Better::Lower);
  EXPECT_EQ(row("repressor_neg_rate").better, Better::Higher);
  EXPECT_EQ(row("repressor_neg_rate").meaning, "repressors scored < 0 (the correct sign)");
  EXPECT_EQ(row("gss").better, Better::Higher);
  EXPECT_EQ(row("gss").n_counts, "sequences");
  EXPECT_EQ(row("irrelevant_fp_rate").n_counts, "instances");
  // Discovery: recovering planted motifs higher, its q lower, counts and the text not ranked;
  // motifs that match nothing, match only non-drivers or match off the planted sites lower.
  EXPECT_EQ(row("recovered").family, Family::Recovery);
  EXPECT_EQ(row("recovered").better, Better::Higher);
  EXPECT_EQ(row("recovered").meaning,
            "1 when a positive discovered motif matches the planted driver motif with q < 0.05, else 0");
  EXPECT_EQ(row("recovery_q").better, Better::Lower);
  EXPECT_EQ(row("driver_sites").better, Better::NotRanked);
  EXPECT_EQ(row("recovery_support").better, Better::NotRanked);
  EXPECT_EQ(row("repressor_recovered").family, Family::RepressorRecovery);
  EXPECT_EQ(row("repressor_recovered").better, Better::Higher);
  EXPECT_EQ(row("repressor_q").better, Better::Lower);
  EXPECT_EQ(row("status").family, Family::Discovery);
  EXPECT_EQ(row("status").better, Better::NotRanked);
  EXPECT_EQ(row("seqlets").better, Better::NotRanked);
  EXPECT_EQ(row("motifs").better, Better::NotRanked);
  EXPECT_EQ(row("seqlet_recall").better, Better::Higher);
  EXPECT_EQ(row("repressor_recall").better, Better::Higher);
  EXPECT_EQ(row("unmatched_positive_max_share").better, Better::Lower);
  EXPECT_EQ(row("unmatched_positive_max_share").meaning,
            "largest share of the task's seqlets held by one unmatched positive motif");
  EXPECT_EQ(row("off_task_motifs").better, Better::Lower);
  EXPECT_EQ(row("off_site_match_max_share").better, Better::Lower);
  EXPECT_EQ(row("redundancy").better, Better::Lower);
  EXPECT_EQ(row("redundancy").meaning,
            "motifs recovering a planted driver or repressor per planted motif recovered (1: each found once)");
  EXPECT_EQ(row("coverage").better, Better::Higher);

  EXPECT_EQ(direction_words(Better::Lower), "lower is better");
  EXPECT_EQ(direction_words(Better::Higher), "higher is better");
  EXPECT_EQ(direction_words(Better::NotRanked), "not ranked");
  EXPECT_EQ(report::better_direction("loc_auroc"), Better::Higher);
}

// Each name once, every row with a meaning, each family's rows together (the order of a file's
// rows is the catalogue's), and the outputs of each family.
TEST(MetricCatalogueTest, NamesAreUniqueAndFamiliesContiguous) {
  std::set<std::string_view> names;
  std::set<int> closed;
  for (std::size_t i = 0; i < std::size(kMetricCatalogue); ++i) {
    const MetricInfo& m = kMetricCatalogue[i];
    EXPECT_TRUE(names.insert(m.name).second) << m.name;
    EXPECT_FALSE(m.meaning.empty()) << m.name;
    EXPECT_EQ(find_metric(m.name), &m);
    EXPECT_EQ(&metric_info(m.name), &m);
    if (i > 0 && kMetricCatalogue[i - 1].family != m.family) closed.insert(static_cast<int>(kMetricCatalogue[i - 1].family));
    EXPECT_EQ(closed.count(static_cast<int>(m.family)), 0u) << m.name << " is apart from its family";
    EXPECT_EQ(m.label.empty(), !m.appears_in(Output::ReportModel)) << m.name;
  }
  EXPECT_EQ(family_names<Family::Role>(),
            (std::array<std::string_view, 5>{"driver_fn_rate", "irrelevant_fp_rate", "context_pos_rate",
                                             "repressor_neg_rate", "gss"}));
  EXPECT_EQ(kModelMetricNames,
            (std::array<std::string_view, 5>{"test_auroc", "test_auprc", "test_r2", "test_pearson", "test_mse"}));
  EXPECT_EQ(family_index(Family::Localisation, "loc_auroc_abs"), 2u);
  EXPECT_TRUE(row("fn_rate").appears_in(Output::MetricsTsv));
  EXPECT_TRUE(row("fn_rate").appears_in(Output::ReportTables));
  EXPECT_FALSE(row("fn_rate").appears_in(Output::RoleMetricsTsv));
  EXPECT_TRUE(row("test_auprc").appears_in(Output::MetricsJsonModel));
  EXPECT_FALSE(row("test_auprc").appears_in(Output::ReportTables)) << "the model's rows are shown from metrics.json";
  EXPECT_TRUE(row("gss").appears_in(Output::MethodDifferencesTsv));
  EXPECT_TRUE(row("gss").appears_in(Output::ReportRanked));
  EXPECT_TRUE(row("status").appears_in(Output::DiscoveryTsv));
  EXPECT_FALSE(row("status").appears_in(Output::MetricsTsv));
  std::vector<std::string_view> model_table;
  for (const MetricInfo* m : report::kModelTableRows) model_table.push_back(m->name);
  EXPECT_EQ(model_table, (std::vector<std::string_view>{"test_auroc", "test_auprc", "test_r2", "test_pearson"}));
}

TEST(MetricCatalogueTest, UncataloguedMetricIsAnError) {
  EXPECT_EQ(find_metric("new_metric"), nullptr);
  EXPECT_THROW_MSG(metric_info("new_metric", Output::RoleMetricsTsv, "run/role_metrics.tsv", 3), InputError,
                   "run/role_metrics.tsv:3: unknown metric; expected a metric of role_metrics.tsv (driver_fn_rate, "
                   "irrelevant_fp_rate, context_pos_rate, repressor_neg_rate, gss), got 'new_metric'");
  EXPECT_THROW_MSG(metric_info("gss", Output::MetricsTsv, "m.tsv", 2), InputError,
                   "m.tsv:2: unknown metric; expected a metric of metrics.tsv (fn_rate, fp_rate, spearman, loc_auroc, "
                   "loc_auprc, loc_auroc_abs, loc_auprc_abs, test_auroc, test_auprc, test_r2, test_pearson, test_mse, sparseness, "
                   "entropy, deletion_aopc, insertion_auc, faithfulness_corr, ism_pearson, ism_spearman, ism_sign_agreement, random_target_spearman), got 'gss'");
  EXPECT_THROW_MSG(metric_info("new\tmetric"), InputError,
                   "unknown metric; expected a metric of the catalogue (eval/metric_catalogue.h), got 'new\\tmetric'");
  EXPECT_EQ(metric_info("seqlets", Output::DiscoveryTsv, "d.tsv", 5).better, Better::NotRanked);
}

// The report reads metric names from the evaluation's files: one the catalogue does not list is
// an error naming the file and line, not a table left out or listed unranked.
TEST(MetricCatalogueTest, ReportRefusesAnUncataloguedMetric) {
  TempDir d;
  write_text(d.file("role_metrics.tsv"),
             "method\treference\ttask\tmetric\tvalue\tci_lo\tci_hi\tn\n"
             "a\tbg\ttask0\tgss\t0.7\t0.6\t0.8\t40\na\tbg\ttask0\tnew_metric\t0.1\t0\t0.2\t40\n");
  EXPECT_THROW_MSG(report::read_role_metrics(d.file("role_metrics.tsv")), InputError,
                   d.file("role_metrics.tsv") + ":3: unknown metric; expected a metric of role_metrics.tsv "
                                                "(driver_fn_rate, irrelevant_fp_rate, context_pos_rate, "
                                                "repressor_neg_rate, gss), got 'new_metric'");
  write_text(d.file("method_differences.tsv"),
             "task\tmetric\tmethod_a\tmethod_b\ta_minus_b\tci_lo\tci_hi\tp_value\treal\n"
             "task0\tfn_rate\ta\tb\t0.1\t0\t0.2\t0.04\tyes\n");
  EXPECT_THROW_MSG(report::read_method_differences(d.file("method_differences.tsv")), InputError,
                   d.file("method_differences.tsv") + ":2: unknown metric; expected a metric of "
                                                      "method_differences.tsv (driver_fn_rate, irrelevant_fp_rate, "
                                                      "context_pos_rate, repressor_neg_rate, gss), got 'fn_rate'");
  write_text(d.file("metrics.tsv"), "method\treference\ttask\tmotif\tmetric\ttier\tvalue\tn\n"
                                    "a\tbg\t0\tGATA\tfn_rate\tall\t0.1\t10\na\tbg\t0\tGATA\tfn_rate2\tall\t0.1\t10\n");
  EXPECT_THROW_MSG(report::read_metrics(d.file("metrics.tsv")), InputError,
                   d.file("metrics.tsv") + ":3: unknown metric; expected a metric of metrics.tsv (fn_rate, fp_rate, "
                                           "spearman, loc_auroc, loc_auprc, loc_auroc_abs, loc_auprc_abs, test_auroc, "
                                           "test_auprc, test_r2, test_pearson, test_mse, sparseness, entropy, deletion_aopc, insertion_auc, faithfulness_corr, ism_pearson, ism_spearman, ism_sign_agreement, random_target_spearman), got 'fn_rate2'");
  write_text(d.file("discovery.tsv"), "method\ttask\tmotif\tmetric\tvalue\na\t0\t-\tseqlets\t12\na\t0\t-\tjunk\t1\n");
  EXPECT_THROW_MSG(report::discovery_section(d.file("discovery.tsv")), InputError,
                   d.file("discovery.tsv") + ":3: unknown metric; expected a metric of discovery.tsv (driver_sites, "
                                             "recovered, recovery_q, recovery_similarity, recovery_support, "
                                             "repressor_sites, repressor_recovered, repressor_q, "
                                             "repressor_similarity, repressor_support, status, seqlets, "
                                             "seqlets_negative, seqlet_precision, seqlet_recall, repressor_recall, "
                                             "motifs, unmatched_motifs, unmatched_max_share, "
                                             "unmatched_positive_motifs, unmatched_positive_max_share, "
                                             "unmatched_negative_motifs, unmatched_negative_max_share, "
                                             "off_task_motifs, off_task_max_share, off_site_match_motifs, "
                                             "off_site_match_max_share, redundancy, coverage), got 'junk'");
  // Rows built in memory meet the same catalogue.
  const report::RoleMetric role{"a", "bg", "t", "new_metric", 0.5, 0.4, 0.6, 10};
  std::string roles_json;
  EXPECT_THROW_MSG(report::task_sections(nullptr, {role}, {}, report::Json{}, roles_json,
                                         [](report::Chart) { return std::string(); }),
                   InputError, "unknown metric; expected a metric of the catalogue (eval/metric_catalogue.h), got "
                               "'new_metric'");
  EXPECT_THROW_MSG(report::ranked_table_html("new_metric", Better::NotRanked, {}), InputError,
                   "unknown metric; expected a metric of the catalogue (eval/metric_catalogue.h), got 'new_metric'");
}

// liftbench aggregate ranks each metric in the catalogue's direction: an uncatalogued one is an
// error naming the run's file and line instead of a table silently left unranked.
TEST(MetricCatalogueTest, AggregateRefusesAnUncataloguedMetric) {
  TempDir d;
  write_text(d.path() + "/axes.tsv", "axis\trole\nsim.seed\treplicate\n");
  write_text(d.path() + "/points.tsv", "point\tsim.seed\tevaluate\np0001\t1\teval/e1\n");
  std::filesystem::create_directories(d.path() + "/eval/e1");
  write_text(d.path() + "/eval/e1/metrics.tsv", "method\treference\ttask\tmotif\tmetric\ttier\tvalue\tn\n"
                                                "a\tbg\t0\tGATA\tfn_rate\tall\t0.1\t10\n"
                                                "a\tbg\t0\tGATA\tnew_metric\tall\t0.2\t10\n");
  const std::string metrics = d.path() + "/eval/e1/metrics.tsv";
  EXPECT_THROW_MSG(write_aggregate(d.path(), {}), InputError,
                   metrics + ":3: unknown metric; expected a metric of metrics.tsv (fn_rate, fp_rate, spearman, "
                             "loc_auroc, loc_auprc, loc_auroc_abs, loc_auprc_abs, test_auroc, test_auprc, test_r2, "
                             "test_pearson, test_mse, sparseness, entropy, deletion_aopc, insertion_auc, faithfulness_corr, "
                             "ism_pearson, ism_spearman, ism_sign_agreement, random_target_spearman), got 'new_metric'");
  write_text(metrics, "method\treference\ttask\tmotif\tmetric\ttier\tvalue\tn\na\tbg\t0\tGATA\tfn_rate\tall\t0.1\t10\n");
  write_text(d.path() + "/eval/e1/role_metrics.tsv",
             "method\treference\ttask\tmetric\tvalue\tci_lo\tci_hi\tn\na\tbg\ttask0\tgss2\t0.7\t0.6\t0.8\t40\n");
  EXPECT_THROW_MSG(write_aggregate(d.path(), {}), InputError,
                   d.path() + "/eval/e1/role_metrics.tsv:2: unknown metric; expected a metric of role_metrics.tsv "
                              "(driver_fn_rate, irrelevant_fp_rate, context_pos_rate, repressor_neg_rate, gss), got "
                              "'gss2'");
  std::filesystem::remove(d.path() + "/eval/e1/role_metrics.tsv");
  EXPECT_EQ(write_aggregate(d.path(), {}), 1);
  EXPECT_NE(lb::testing::read_text(d.path() + "/aggregate/index.html").find("fn_rate &middot; task 0 &middot; GATA</h3>"
                                                                            "<p class=no>lower is better;"),
            std::string::npos);
}

}  // namespace
}  // namespace lb::eval
