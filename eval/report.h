// The HTML report (OUTDIR/report/index.html) of one evaluation of any scenario: the scenario and
// its tasks in words, per task the methods ranked by each role metric with bootstrap intervals
// and tiers, the hit figures (the paper's, appendices G-J, when the scenario is the paper's),
// logos and tables; self-contained (Vega, Vega-Lite and Vega-Embed inlined; logos as inline
// SVG), opening offline. Sources: report_data.cpp (reading), report_tables.cpp, report_logos.cpp,
// report.cpp (the page); their shared parts in report_parts.h.
#pragma once

#include <string>
#include <vector>

namespace lb::eval {

/// What the report needs besides the evaluation's own files in OUTDIR (hits.tsv, metrics.tsv,
/// metrics.json, role_metrics.tsv, method_differences.tsv, all written by write_evaluation).
struct ReportInputs {
  std::string data_dir;     // dataset directory (scenario, tasks, roles, logos); empty = the paper's layout, no logos
  std::string scores_path;  // scores.npz of `liftbench attribute` (the logos); empty = no logos
  std::string config_ini;   // the resolved configuration, shown verbatim
  int logo_task = -1;       // task of the attribution logos; -1: the first that depends on the fewest motifs (the paper's task 1, "contains GATA")
  int n_logos = 3;          // example sequences when logo_ids is empty: one per class, most distinct motifs first
  std::vector<std::string> logo_ids{};  // explicit example sequences (ids of the scores file)
  int max_scatter_seqs = 1000;        // hits of at most this many sequences in the scatter panels
};

/// A rendered page and the number of Vega-Lite charts it draws (the page's script sets
/// #lb-status to "rendered <n_charts> charts" when every one of them has rendered, or to
/// "error: ..." on any script error).
struct ReportPage {
  std::string html;
  int n_charts = 0;
};

/// Builds the page from OUTDIR/hits.tsv, metrics.tsv, metrics.json, role_metrics.tsv and
/// method_differences.tsv (the last three optional) and the inputs. Errors: read_tsv's InputError/IoError for a missing or malformed table, and
/// InputError "P: missing column 'x'; ..." for a table without a contract column.
ReportPage render_report(const std::string& outdir, const ReportInputs& in);

/// render_report, then writes OUTDIR/report/index.html atomically (creating OUTDIR/report).
void write_report(const std::string& outdir, const ReportInputs& in);

}  // namespace lb::eval
