// The report's motif-discovery section (discovery.tsv): per method and task the planted motifs
// recovered, seqlets, precision, recall and unmatched motifs, then each discovered motif's CWM
// logo above the logo of the motif of the file it best matches.
#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "eval/html.h"
#include "eval/metric_catalogue.h"
#include "eval/report_parts.h"
#include "io/ini.h"
#include "io/motif_file.h"
#include "io/npz.h"
#include "io/tsv.h"

namespace lb::eval::report {

namespace {

/// The task directories of the discover step, OUT/discover/<dir>/task<t>/, by the (method, task)
/// their discover.config.ini records; directories without one (incomplete) are left out.
std::map<std::pair<std::string, std::string>, std::string> discovery_dirs(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::map<std::pair<std::string, std::string>, std::string> out;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return out;
  std::set<fs::path> tasks;  // sorted, so the order does not depend on the directory listing
  for (const auto& m : fs::directory_iterator(root, ec))
    if (m.is_directory())
      for (const auto& t : fs::directory_iterator(m.path(), ec))
        if (t.is_directory() && fs::exists(t.path() / "discover.config.ini")) tasks.insert(t.path());
  for (const auto& t : tasks) {
    const auto ini = io::ini_values((t / "discover.config.ini").string());
    const auto method = ini.find("discover.method"), task = ini.find("discover.task");
    if (method != ini.end() && task != ini.end()) out.try_emplace({method->second, task->second}, t.string());
  }
  return out;
}

/// A probability matrix as information-content heights: p_b × (2 - H) bits per column.
std::vector<std::array<float, 4>> information_heights(const std::vector<std::array<double, 4>>& pwm) {
  std::vector<std::array<float, 4>> out;
  for (const auto& c : pwm) {
    double total = 0, h = 0;
    for (const double v : c) total += std::max(v, 0.0);
    std::array<float, 4> col{};
    if (total > 0) {
      for (const double v : c)
        if (v > 0) h -= v / total * std::log2(v / total);
      for (int b = 0; b < 4; ++b)
        col[static_cast<std::size_t>(b)] = static_cast<float>(std::max(c[static_cast<std::size_t>(b)], 0.0) / total * (2 - h));
    }
    out.push_back(col);
  }
  return out;
}

/// The logos of one method and task's directory: per discovered motif (motifs.tsv, cwm.npz) its
/// CWM, and below it the best match of matches.tsv with q < 0.05 in the motif file the task was
/// matched against (discover.config.ini's `motifs`), in the matched orientation, aligned by the
/// match's offset.
std::string discovery_logos(const std::string& dir) {
  namespace fs = std::filesystem;
  const std::string motifs_path = dir + "/motifs.tsv", cwm_path = dir + "/cwm.npz";
  if (!fs::exists(motifs_path) || !fs::exists(cwm_path)) return "";
  const io::TsvTable mt = io::read_tsv(motifs_path);
  const int c_name = mt.column("motif", motifs_path), c_sign = mt.column("sign", motifs_path),
            c_support = mt.column("support", motifs_path), c_cons = mt.column("consensus", motifs_path),
            c_share = mt.column("share", motifs_path);
  const io::NpzArchive cwm = io::read_npz(cwm_path);
  // Best match per query: the first row with q < 0.05 (matches.tsv is sorted by p per query).
  struct Best {
    std::string target, orientation;
    int offset = 0;
    double q = 1;
  };
  std::map<std::string, Best> best;
  if (const std::string mp = dir + "/matches.tsv"; fs::exists(mp)) {
    const io::TsvTable m = io::read_tsv(mp);
    const int cq = m.column("Query_ID", mp), ct = m.column("Target_ID", mp), co = m.column("Optimal_offset", mp),
              cqv = m.column("q-value", mp), cor = m.column("Orientation", mp);
    for (const auto& r : m.rows) {
      const double q = to_double(r[static_cast<std::size_t>(cqv)]);
      if (!(q < 0.05) || best.count(r[static_cast<std::size_t>(cq)])) continue;
      best[r[static_cast<std::size_t>(cq)]] = {r[static_cast<std::size_t>(ct)], r[static_cast<std::size_t>(cor)],
                                               to_int(r[static_cast<std::size_t>(co)]), q};
    }
  }
  std::map<std::string, std::vector<std::array<double, 4>>> planted;
  const auto ini = io::ini_values(dir + "/discover.config.ini");
  if (const auto it = ini.find("discover.motifs"); it != ini.end() && fs::exists(it->second))
    for (const auto& m : io::read_motif_file(it->second).motifs) planted.try_emplace(m.name, m.probs);

  std::string out;
  for (const auto& r : mt.rows) {
    const std::string& name = r[static_cast<std::size_t>(c_name)];
    const std::string key = name + ".cwm";
    const auto found = std::find_if(cwm.begin(), cwm.end(), [&](const auto& a) { return a.first == key; });
    if (found == cwm.end() || found->second.shape.size() != 2 || found->second.shape[1] != 4) continue;
    const std::vector<float> flat = found->second.to_f32(cwm_path + ": " + key);
    std::vector<std::array<float, 4>> heights(flat.size() / 4);
    for (std::size_t j = 0; j < heights.size(); ++j)
      for (std::size_t b = 0; b < 4; ++b) heights[j][b] = flat[j * 4 + b];
    const int wq = static_cast<int>(heights.size());
    double tallest = 0;
    for (const auto& c : heights) {
      double u = 0, d = 0;
      for (const float v : c) (v > 0 ? u : d) += std::abs(v);
      tallest = std::max({tallest, u, d});
    }
    // The aligned planted motif: query column j at j + a, target column k at k - offset + a.
    const auto b = best.find(name);
    std::vector<std::array<float, 4>> target;
    int a = 0, n_cols = wq;
    std::string caption = "no motif of the file matches it with q &lt; 0.05";
    if (b != best.end()) {
      caption = fmt::format("best match {} (q {:.2g}, strand {}, offset {})", html_escape(b->second.target), b->second.q,
                            html_escape(b->second.orientation), b->second.offset);
      if (const auto p = planted.find(b->second.target); p != planted.end()) {
        auto probs = p->second;
        if (b->second.orientation == "-") {
          std::reverse(probs.begin(), probs.end());
          for (auto& c : probs) c = {c[3], c[2], c[1], c[0]};
        }
        target = information_heights(probs);
        a = std::max(0, b->second.offset);
        n_cols = std::max(a + wq, a - b->second.offset + static_cast<int>(target.size()));
      }
    }
    out += fmt::format("<div class=\"motif\"><p><b>{}</b> ({} seqlets, {:.0f}% of the {} ones; consensus "
                       "<code>{}</code>): {}</p>\n<div class=\"logo-wrap\">",
                       html_escape(name), html_escape(r[static_cast<std::size_t>(c_support)]),
                       100 * to_double(r[static_cast<std::size_t>(c_share)]),
                       r[static_cast<std::size_t>(c_sign)] == "neg" ? "negative" : "positive",
                       html_escape(r[static_cast<std::size_t>(c_cons)]), caption);
    out += matrix_logo_svg(heights, a, n_cols, tallest > 0 ? 40 / tallest : 0, name + " CWM", "lb-mglyph");
    if (!target.empty())
      out += "<br>" + matrix_logo_svg(target, a - b->second.offset, n_cols, 20, b->second.target + " PWM (bits)",
                                      "lb-mglyph");
    out += "</div></div>\n";
  }
  return out;
}

std::string status_words(const std::string& status) {
  if (status == "too_few_seqlets") return "too few seqlets to cluster";
  if (status == "no_motif_with_support") return "no cluster reached the minimum support";
  if (status == "too_few_windows") return "too few windows to call seqlets";
  return status;
}

}  // namespace

std::string discovery_section(const std::string& path) {
  if (!std::filesystem::exists(path)) return "";
  const io::TsvTable t = io::read_tsv(path);
  const int cm = t.column("method", path), ct = t.column("task", path), cmo = t.column("motif", path),
            cme = t.column("metric", path), cv = t.column("value", path);
  // (method, task) in order of appearance; per planted motif its recovery; the task's summary.
  struct Cell {
    std::vector<std::string> motifs;
    std::map<std::string, std::map<std::string, std::string>> by_motif;  // motif -> metric -> value
    std::map<std::string, std::string> summary;
  };
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, Cell> cells;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& r = t.rows[i];
    metric_info(r[cme], Output::DiscoveryTsv, path, t.lines[i]);  // an unknown name: an error, not a row left out
    const auto key = std::make_pair(r[cm], r[ct]);
    auto [it, added] = cells.try_emplace(key);
    if (added) order.push_back(key);
    Cell& c = it->second;
    if (r[cmo] == "-") {
      c.summary[r[cme]] = r[cv];
    } else {
      if (!c.by_motif.count(r[cmo])) c.motifs.push_back(r[cmo]);
      c.by_motif[r[cmo]][r[cme]] = r[cv];
    }
  }
  auto num = [](const std::string& v, const char* f) {
    const double d = to_double(v);
    return std::isfinite(d) ? fmt::format(fmt::runtime(f), d) : std::string("–");
  };
  std::string out =
      "<h2 id=\"discovery\">Motif discovery</h2>\n<p class=\"note\">Motifs discovered from each method's "
      "hypothetical scores (seqlets clustered with Leiden, matched to the scenario's motif file; docs/discovery.md). "
      "A planted driver motif is recovered when a positive discovered motif matches it with q &lt; 0.05 (its q, "
      "similarity and seqlets shown), a planted repressor when a negative one does; seqlet precision and recall "
      "are of the positive seqlets against the planted driver sites; unmatched motifs match no motif of the file "
      "(largest share of the task's seqlets held by one, positive / negative); off-task ones are positive motifs matching only motifs that do not drive the task; "
      "redundancy is the number of motifs recovering a planted motif per planted motif recovered (1: each found once), "
      "coverage the share of the task's seqlets in motifs that match a motif of the file. "
      "From discovery.tsv.</p>\n<table>\n<tr><th>method</th><th>task</th>"
      "<th>planted drivers (repressors) recovered</th><th>seqlets (+ / −)</th><th>seqlet precision</th>"
      "<th>seqlet recall</th>"
      "<th>motifs</th><th>unmatched + (share)</th><th>unmatched − (share)</th><th>off-task (share)</th>"
      "<th>redundancy</th><th>coverage</th></tr>\n";
  for (const auto& key : order) {
    const Cell& c = cells[key];
    std::string rec;
    // One line per planted driver (metrics `recovered`, `recovery_*`) and per planted repressor
    // (`repressor_*`, found by a negative motif) of the task.
    auto line = [&](const std::string& m, const std::map<std::string, std::string>& v, const char* found_key,
                    const char* q_key, const char* sim_key, const char* support_key, const char* kind) {
      if (!v.count(found_key)) return;
      auto get = [&](const char* k) { return v.count(k) ? v.at(k) : std::string(); };
      const bool found = get(found_key) == "1";
      const std::string support = get(support_key);
      rec += fmt::format("{}<span style=\"color:{}\">{}{} {}</span>", rec.empty() ? "" : "<br>", found ? "#060" : "#888",
                         html_escape(m), kind,
                         found ? fmt::format("&#10003; q {}, similarity {}, {} seqlets", num(get(q_key), "{:.2g}"),
                                             num(get(sim_key), "{:.2f}"), html_escape(support.empty() ? "0" : support))
                               : std::string("&#10007; not found"));
    };
    for (const auto& m : c.motifs) {
      const auto& v = c.by_motif.at(m);
      line(m, v, "recovered", "recovery_q", "recovery_similarity", "recovery_support", "");
      line(m, v, "repressor_recovered", "repressor_q", "repressor_similarity", "repressor_support",
           " (repressor, by a negative motif)");
    }
    auto sv = [&](const char* k) { return c.summary.count(k) ? c.summary.at(k) : std::string(); };
    auto count_share = [&](const char* n, const char* share) {
      return sv(n).empty() ? std::string("–") : fmt::format("{} ({})", html_escape(sv(n)), num(sv(share), "{:.3f}"));
    };
    // A task without motifs says why (the `status` row; files of older runs have none).
    const std::string status = sv("status");
    if (!status.empty() && status != "motifs")
      rec += fmt::format("{}<span style=\"color:#a00\">no motif: {}</span>", rec.empty() ? "" : "<br>",
                         html_escape(status_words(status)));
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
        html_escape(key.first), html_escape(key.second), rec.empty() ? "–" : rec, html_escape(sv("seqlets")),
        sv("seqlets_negative").empty() ? "–" : html_escape(sv("seqlets_negative")), num(sv("seqlet_precision"), "{:.3f}"),
        num(sv("seqlet_recall"), "{:.3f}"), html_escape(sv("motifs")),
        count_share("unmatched_positive_motifs", "unmatched_positive_max_share"),
        count_share("unmatched_negative_motifs", "unmatched_negative_max_share"),
        count_share("off_task_motifs", "off_task_max_share"), num(sv("redundancy"), "{:.2f}"),
        num(sv("coverage"), "{:.3f}"));
  }
  out += "</table>\n";
  // The logos of each method and task with a directory beside discovery.tsv.
  const auto dirs = discovery_dirs(std::filesystem::path(path).parent_path() / "discover");
  std::string logos;
  for (const auto& key : order) {
    const auto it = dirs.find(key);
    if (it == dirs.end()) continue;
    const std::string l = discovery_logos(it->second);
    if (!l.empty())
      logos += fmt::format("<details open><summary>{}, task {}</summary>\n{}</details>\n", html_escape(key.first),
                           html_escape(key.second), l);
  }
  if (!logos.empty())
    out += "<h3>Discovered motifs</h3>\n<p class=\"note\">Each discovered motif's contribution-weight matrix (CWM: "
           "the mean contribution of each base at each column over the motif's seqlets; negative motifs below the "
           "line), scaled to its own tallest column, and below it the motif of the file it matches best with "
           "q &lt; 0.05 as an information-content logo (2 bits tall at most), in the matched orientation and "
           "aligned column by column. From discover/&lt;method&gt;/task&lt;t&gt;/ (motifs.tsv, cwm.npz, matches.tsv)."
           "</p>\n" +
           glyph_defs("lb-mglyph") + logos;
  return out;
}

}  // namespace lb::eval::report
