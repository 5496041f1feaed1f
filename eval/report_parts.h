// The report's parts, shared by its sources and tested on their own: reading the evaluation's
// files (report_data.cpp), the ranking of methods into tiers (ranking.cpp), a task's definition
// in words (task_words.cpp), the ranked tables and per-task sections (report_tables.cpp), the
// motif-discovery section (report_discovery.cpp), the attribution logos (report_logos.cpp);
// report.cpp assembles the page. What each metric means and which way it is better is the
// metric catalogue's (eval/metric_catalogue.h).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "eval/metric_catalogue.h"
#include "eval/report.h"
#include "sim/dataset.h"

namespace lb::eval::report {

// ---- data (report_data.cpp) -------------------------------------------------------------------

/// A parsed JSON value (metrics.json).
struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  double number = 0;
  bool boolean = false;
  std::string string;
  std::vector<Json> items;
  // An object's members in document order, keys[k] naming values[k] (two vectors: a std::pair of
  // the still incomplete Json is not allowed, and clang refuses it).
  std::vector<std::string> keys;
  std::vector<Json> values;

  const Json* get(std::string_view key) const;
};

/// Parses a JSON document; InputError "WHERE: invalid JSON at byte B; what".
Json parse_json(std::string_view text, const std::string& where);
/// A string, number or Boolean as text; "" for anything else or null.
std::string json_scalar_text(const Json* v);

/// "nan", "" and non-numbers are NaN.
double to_double(const std::string& s);
/// A non-negative integer, with an optional "task" prefix ("task2" is 2); -1 otherwise.
int to_int(const std::string& s);

/// metrics.tsv without the model's rows (test_*). InputError for a metric the catalogue does not
/// list for metrics.tsv (metric_info's text, with the file and line).
struct MetricsTable {
  std::vector<std::string> methods;  // in order of first appearance
  struct Row {
    std::string method, reference, motif, metric, tier;
    int task = 0;
    double value = 0;
    long n = 0;
  };
  std::vector<Row> rows;
};
MetricsTable read_metrics(const std::string& path);
/// The rows as a JSON list of objects (the page's data).
std::string metrics_rows_json(const MetricsTable& mt);

/// hits.tsv as columnar JSON (dictionary-encoded strings), at most `max_seqs` sequences.
struct HitsData {
  std::string json;
  std::vector<std::string> methods, motifs;  // in order of first appearance
  long n_rows = 0, n_shown = 0;
  int n_seqs = 0, n_seqs_shown = 0;
  std::set<std::string> motifs_on_task0;  // motifs with a shown task-0 hit in a sequence planting them
};
HitsData read_hits(const std::string& path, int max_seqs);

/// One row of role_metrics.tsv.
struct RoleMetric {
  std::string method, reference, task, metric;
  double value = 0, lo = 0, hi = 0, n = 0;
};
/// role_metrics.tsv; empty when the file does not exist (an evaluation of an older version).
/// InputError for a metric the catalogue does not list for the file (metric_info's text).
std::vector<RoleMetric> read_role_metrics(const std::string& path);

/// One row of method_differences.tsv: the paired bootstrap difference a - b.
struct MethodDiff {
  std::string task, metric, a, b;
  double diff = 0, lo = 0, hi = 0, p_value = 0;
  bool real = false;  // the 95% interval excludes 0
};
/// method_differences.tsv; empty when the file does not exist. InputError for a metric the
/// catalogue does not list for the file (metric_info's text).
std::vector<MethodDiff> read_method_differences(const std::string& path);

/// What the report knows of the scenario (the dataset directory, or nothing without one).
struct ScenarioInfo {
  bool has_data = false;
  std::string name, description;        // scenario.ini's [scenario] (the built-in paper scenario: "paper")
  bool paper = true;                    // the paper's layout: its three tasks over keys gata and tal (or no dataset)
  std::string gata_motif, tal_motif;    // paper only: the PWM names planted as keys gata and tal ("" when unknown)
  std::vector<std::string> task_labels; // per task index: the name shown in charts
  std::vector<std::string> motif_order; // scanned motifs in the order of the dataset's keys
  std::map<std::string, std::vector<std::string>> placements;  // scenario.ini: class -> "id: spec" of its place.<id> keys
  std::vector<std::string> decoys;      // scenario.ini: "key: spec" of its decoy.<key> keys
};
/// Reads `ds` (and data_dir/scenario.ini when present) into a ScenarioInfo; `hit_motifs` are
/// the motifs of hits.tsv and `json_motifs` metrics.json's "motifs" object (either may be empty).
ScenarioInfo scenario_info(const sim::Dataset* ds, const std::string& data_dir, const std::vector<std::string>& hit_motifs,
                           const Json* json_motifs);

// ---- ranking (ranking.cpp) ---------------------------------------------------------------------

/// Which way a metric is better (the metric catalogue's).
using Better = eval::Better;
/// The catalogue's direction of `metric`; NotRanked for a name it does not list (the report's
/// tables use metric_info, which fails for one).
Better better_direction(std::string_view metric);

/// One method in a ranked table of one task and metric.
struct RankedRow {
  std::string method;
  double value = 0, lo = 0, hi = 0;
  double n = 0;  // instances (sequences for gss) the value is computed over
  int rank = 0;  // 1-based; 0: not ranked (NaN value or unknown direction)
  int tier = 0;  // 1 = not shown to differ from the best, 2 = from the best of the rest, ...; 0 = none
  enum class Vs { First, Real, NotReal, Unknown } vs_above = Vs::First;  // the difference to the row above
  double p_above = 0;  // its p-value (Real / NotReal)
};

/// Ranks the methods of `rows` (one task and metric) by value in the metric's direction (ties
/// keep the given order; NaN last, unranked; NotRanked: all in the given order, none ranked)
/// and groups them into tiers with `diffs` (any
/// rows; those of the same task and metric are used): tier 1 is the best method and every
/// method whose paired difference with it is not real (its interval contains 0, or the pair
/// is missing), tier 2 the best of the rest and those not shown to differ from it, and so on.
std::vector<RankedRow> rank_methods(const std::vector<RoleMetric>& rows, const std::vector<MethodDiff>& diffs,
                                    Better better);

// ---- a task in words (task_words.cpp) ---------------------------------------------------------

/// The scenario's tasks in words (a sentence per task; the expression parsed with the keys).
std::string task_in_words(const sim::TaskInfo& task, const std::vector<std::string>& keys);

// ---- ranked tables and per-task sections (report_tables.cpp) -----------------------------------

/// The HTML table of a ranking (escaped names), its caption the metric's meaning, direction and
/// what n counts, from the catalogue (metric_info: InputError for an uncatalogued metric).
std::string ranked_table_html(const std::string& metric, Better better, const std::vector<RankedRow>& ranked);

/// A chart the page's script draws (Vega-Lite, from the embedded data).
struct Chart {
  std::string id, kind, motif, title, caption, task;
  std::vector<std::string> methods;  // subset (empty = all)
};

/// The scenario overview: name, description, every task's definition in words and its role counts.
std::string scenario_section(const ScenarioInfo& info, const sim::Dataset* ds);

/// The model's test metrics the report shows (metrics.json "model": the catalogue's name and
/// label), in order: a binary model has the first two, a real-valued one the last two (its
/// test_mse has no label: not shown).
inline constexpr auto kModelTableRows = metrics_in<Output::ReportModel>();

/// One section per task (the dataset's tasks, then any other of role_metrics.tsv): its
/// definition in words, its motifs' instances by role, the model's test metrics, the ranked
/// table of every role metric (in the catalogue's order; InputError for an uncatalogued one),
/// and, when any value is a number, a chart of their intervals (through `add_chart`, which
/// returns the chart's HTML). `roles_json` receives the ranked rows as JSON objects (task,
/// metric, method, value, lo, hi, rank, tier).
std::string task_sections(const sim::Dataset* ds, const std::vector<RoleMetric>& roles, const std::vector<MethodDiff>& diffs,
                          const Json& meta, std::string& roles_json, const std::function<std::string(Chart)>& add_chart);

/// The metric tables of metrics.tsv (one per metric, in the catalogue's order; per-tier tables
/// folded). InputError for an uncatalogued metric (metric_info).
std::string tables_section(const MetricsTable& mt, const ScenarioInfo& info);
/// The metrics of metrics.tsv with bootstrap intervals (has_interval: docs/metrics.md), one table
/// per metric in the catalogue's order with its meaning and direction: methods by tasks, each
/// cell the value and its interval (from metrics.json's ci_lo and ci_hi); "" without such rows.
std::string xai_section(const MetricsTable& mt, const Json& meta, const ScenarioInfo& info);
/// The mean deletion and insertion curves of metrics.json's "curves" as inline SVG line charts, one
/// per task and kind, one line per method (xai_section ends with it); "" without curves.
std::string curves_svg(const Json& meta, const ScenarioInfo& info);

// ---- motif discovery (report_discovery.cpp) ----------------------------------------------------

/// The motif-discovery table of discovery.tsv (`liftbench run` with eval.discover_methods): per
/// method and task, the planted drivers recovered, seqlet precision and recall, motifs and
/// unmatched ones (why no motif came out, for a task without any); then, per method and task
/// whose directory discover/<method>/task<t>/ is beside the file, each discovered motif's CWM
/// logo above the logo of the motif of the file it best matches (q < 0.05), aligned; "" when
/// the file does not exist. InputError for a metric the catalogue does not list for
/// discovery.tsv (metric_info's text).
std::string discovery_section(const std::string& path);

// ---- logos (report_logos.cpp) -----------------------------------------------------------------

/// The logo section (appendix H): example sequences, one track per method, planted motifs boxed
/// in their key's colour.
std::string logos_section(const ReportInputs& in, const sim::Dataset* ds, const ScenarioInfo& info);

/// A motif key's colour (key 0 blue, 1 green as the paper's GATA1 and TAL1, then others).
std::string_view key_colour(int key);

/// The hidden SVG definitions of the letters A, C, G, T as `<prefix>-A` ... (unit box, y up);
/// once per page and prefix.
std::string glyph_defs(std::string_view prefix);

/// A motif logo as inline SVG: column j of `heights` (A, C, G, T) drawn at column
/// `first_column + j` of `n_columns`, positive entries stacked up from a base line (largest on
/// top), negative ones down (upside down), `unit` pixels per unit of height; `label` on the left.
/// Letters use glyph_defs(prefix).
std::string matrix_logo_svg(const std::vector<std::array<float, 4>>& heights, int first_column, int n_columns,
                            double unit, std::string_view label, std::string_view prefix);

}  // namespace lb::eval::report
