// `liftbench discover`: seqlets of one method and task of a scores file clustered into motifs
// (docs/discovery.md "Motifs", docs/cli.md). Every check and the whole computation run before the
// first file is written; each file is then written atomically, the resolved options last, as the
// mark of a complete directory (an old mark is removed first).
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/paths.h"
#include "cli/train_data.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "discover/motifs.h"
#include "discover/seqlets.h"
#include "io/atomic_file.h"
#include "io/bed.h"
#include "io/meme.h"
#include "io/npz.h"
#include "io/tsv.h"

namespace lb::cli {

namespace {

int parse_int(const std::string& option, const std::string& value) {
  int v = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end)
    throw ConfigError(fmt::format("{}: bad value; expected an integer, got {}", option, quote_token(value)));
  return v;
}

std::uint64_t parse_u64(const std::string& option, const std::string& value) {
  std::uint64_t v = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end)
    throw ConfigError(fmt::format("{}: bad value; expected a non-negative integer, got {}", option, quote_token(value)));
  return v;
}

double parse_number(const std::string& option, const std::string& value) {
  double v = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end || !std::isfinite(v))
    throw ConfigError(fmt::format("{}: bad value; expected a number, got {}", option, quote_token(value)));
  return v;
}

}  // namespace

int cmd_discover(int argc, const char* const* argv) {
  std::string scores_path, method, out, task_s = "0", window_s = "21", flank_s = "5", fdr_s = "0.2",
                                       min_s = "0.03", max_s = "0.2", coarse_s = "30", graph_s = "15",
                                       overlap_s = "0.7", res_s = "1", runs_s = "50", trim_s = "0.3",
                                       margin_s = "2", cover_s = "0.2", merge_s = "0.7", support_s = "20",
                                       seed_s = "1", threads = "0";
  bool quiet = false;
  OptionSet opts("discover");
  opts.add_flag("scores", &scores_path, "scores file written by 'liftbench attribute' (with <method>.hypothetical)",
                "FILE");
  opts.add_flag("method", &method, "the method's array in the scores file (its contributions)", "NAME");
  opts.add_flag("task", &task_s, "the model output (a value of the file's 'tasks' array, else an index)", "T");
  opts.add_flag("window", &window_s, "seqlets: width of the summed window", "W");
  opts.add_flag("flank", &flank_s, "seqlets: bases added on each side of a chosen window", "F");
  opts.add_flag("fdr", &fdr_s, "seqlets: target false discovery rate of each side's threshold, in (0, 1)", "Q");
  opts.add_flag("min-passing", &min_s, "seqlets: floor on the fraction of all windows that pass", "FRAC");
  opts.add_flag("max-passing", &max_s, "seqlets: cap on the fraction of all windows that pass", "FRAC");
  opts.add_flag("coarse-neighbors", &coarse_s, "candidates per seqlet from the k-mer embedding", "K");
  opts.add_flag("graph-neighbors", &graph_s, "most similar candidates kept per seqlet in the graph", "K");
  opts.add_flag("min-overlap", &overlap_s, "share of the seqlet width two aligned seqlets must share, in (0, 1]",
                "FRAC");
  opts.add_flag("resolution", &res_s, "resolution of Leiden's modularity (> 0; larger: more clusters)", "G");
  opts.add_flag("leiden-runs", &runs_s, "seeded Leiden runs; the best modularity is kept", "N");
  opts.add_flag("trim-threshold", &trim_s, "keep CWM columns with |CWM| >= this x the largest column, in [0, 1]",
                "FRAC");
  opts.add_flag("trim-margin", &margin_s, "columns kept on each side of the trimmed motif", "N");
  opts.add_flag("min-coverage", &cover_s, "a CWM column needs this share of the members covering it, in [0, 1]",
                "FRAC");
  opts.add_flag("merge-threshold", &merge_s, "merge two motifs at least this similar, in [-1, 1]", "S");
  opts.add_flag("min-support", &support_s, "drop motifs of fewer seqlets", "N");
  opts.add_flag("seed", &seed_s, "seed of Leiden's runs", "S");
  opts.add_flag("threads", &threads, "threads (0 = all cores); results are identical for any value", "N");
  opts.add_flag("out,o", &out,
                "directory to write: seqlets.bed, discovered.meme, motifs.tsv, motif_seqlets.tsv, cwm.npz, "
                "discover.config.ini",
                "DIR");
  opts.add_switch("quiet,q", &quiet, "no information lines on stderr");
  if (!opts.parse(argc, argv)) {
    fmt::print("{}", opts.help());
    return 0;
  }
  set_log_quiet(quiet);
  if (scores_path.empty()) throw ConfigError("--scores: missing scores file; expected --scores FILE, got nothing");
  if (method.empty()) throw ConfigError("--method: missing method; expected --method NAME, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  discover::SeqletConfig scfg;
  const int task = parse_int("--task", task_s);
  scfg.window = parse_int("--window", window_s);
  scfg.flank = parse_int("--flank", flank_s);
  scfg.fdr = parse_number("--fdr", fdr_s);
  scfg.min_passing = parse_number("--min-passing", min_s);
  scfg.max_passing = parse_number("--max-passing", max_s);
  discover::validate(scfg);
  discover::MotifConfig mcfg;
  mcfg.coarse_neighbors = parse_int("--coarse-neighbors", coarse_s);
  mcfg.graph_neighbors = parse_int("--graph-neighbors", graph_s);
  mcfg.min_overlap = parse_number("--min-overlap", overlap_s);
  mcfg.resolution = parse_number("--resolution", res_s);
  mcfg.leiden_runs = parse_int("--leiden-runs", runs_s);
  mcfg.trim_threshold = parse_number("--trim-threshold", trim_s);
  mcfg.trim_margin = parse_int("--trim-margin", margin_s);
  mcfg.min_coverage = parse_number("--min-coverage", cover_s);
  mcfg.merge_threshold = parse_number("--merge-threshold", merge_s);
  mcfg.min_support = parse_int("--min-support", support_s);
  mcfg.seed = parse_u64("--seed", seed_s);
  discover::validate(mcfg);
  apply_threads(threads);
  refuse_output_over_input({{"--out", out}}, {{"--scores", scores_path}});

  const discover::DiscoveryScores x =
      discover::read_discovery_scores(io::read_npz(scores_path), scores_path, method, task);
  const auto n = static_cast<int>(x.scores.ids.size());
  const std::string at = fmt::format("{}array '{}' ", where(scores_path), method);
  const discover::SeqletResult sr =
      discover::find_seqlets(x.scores.per_base, n, x.scores.seq_len, scfg, at + fmt::format("task {}: ", task));
  const discover::MotifResult mr = discover::discover_motifs(x, sr.seqlets, mcfg, at);
  if (mr.motifs.empty())
    throw InputError(fmt::format("{}task {}: no motif reached the support; expected a cluster of at least {} seqlets "
                                 "(--min-support), got {} positive and {} negative clusters, each smaller",
                                 at, task, mcfg.min_support, mr.clusters_pos, mr.clusters_neg));

  // Names by sign and rank; the tables.
  std::vector<std::string> names;
  int rank[2] = {0, 0};
  for (const auto& m : mr.motifs) names.push_back(fmt::format("{}_{}", m.sign > 0 ? "pos" : "neg", ++rank[m.sign > 0 ? 0 : 1]));
  io::MemeFile meme;
  std::vector<std::vector<std::string>> motif_rows, member_rows;
  io::NpzArchive cwm;
  cwm.emplace_back("names", io::NpyArray::from_strings({static_cast<std::int64_t>(names.size())}, names));
  for (std::size_t k = 0; k < mr.motifs.size(); ++k) {
    const discover::Motif& m = mr.motifs[k];
    io::MemeMotif mm;
    mm.name = names[k];
    mm.alt_name = m.consensus;
    mm.nsites = static_cast<long>(m.members.size());
    for (const auto& row : m.pwm) mm.probs.push_back({row[0], row[1], row[2], row[3]});
    meme.motifs.push_back(std::move(mm));
    const double of_sign = static_cast<double>(m.sign > 0 ? mr.n_pos : mr.n_neg);
    motif_rows.push_back({names[k], m.sign > 0 ? "pos" : "neg", std::to_string(m.members.size()),
                          std::to_string(m.cwm.size()), m.consensus, fmt::format("{:.6g}", m.total_abs),
                          fmt::format("{:.4f}", static_cast<double>(m.members.size()) / of_sign)});
    for (const auto& s : m.members) {
      const discover::Seqlet& q = sr.seqlets[static_cast<std::size_t>(s.seqlet)];
      member_rows.push_back({names[k], fmt::format("seqlet_{}", s.seqlet + 1), x.scores.ids[static_cast<std::size_t>(q.seq)],
                             std::to_string(q.start), std::to_string(q.end), s.strand > 0 ? "+" : "-",
                             std::to_string(s.offset)});
    }
    const auto W = static_cast<std::int64_t>(m.cwm.size());
    for (const auto& [suffix, rows] : {std::pair{".cwm", &m.cwm}, {".hyp_cwm", &m.hyp_cwm}, {".pwm", &m.pwm}}) {
      std::vector<float> flat;
      for (const auto& r : *rows) flat.insert(flat.end(), r.begin(), r.end());
      cwm.emplace_back(names[k] + suffix, io::NpyArray::from_f32({W, 4}, flat));
    }
  }
  std::string ini = fmt::format("# liftbench {} discover: resolved options\n\n[discover]\n", build::kVersion);
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"scores", scores_path}, {"method", method}, {"task", std::to_string(task)},
           {"window", std::to_string(scfg.window)}, {"flank", std::to_string(scfg.flank)},
           {"fdr", fmt::format("{}", scfg.fdr)}, {"min_passing", fmt::format("{}", scfg.min_passing)},
           {"max_passing", fmt::format("{}", scfg.max_passing)},
           {"coarse_neighbors", std::to_string(mcfg.coarse_neighbors)},
           {"graph_neighbors", std::to_string(mcfg.graph_neighbors)},
           {"min_overlap", fmt::format("{}", mcfg.min_overlap)}, {"resolution", fmt::format("{}", mcfg.resolution)},
           {"leiden_runs", std::to_string(mcfg.leiden_runs)},
           {"trim_threshold", fmt::format("{}", mcfg.trim_threshold)},
           {"trim_margin", std::to_string(mcfg.trim_margin)}, {"min_coverage", fmt::format("{}", mcfg.min_coverage)},
           {"merge_threshold", fmt::format("{}", mcfg.merge_threshold)},
           {"min_support", std::to_string(mcfg.min_support)}, {"seed", std::to_string(mcfg.seed)}})
    ini += fmt::format("{} = {}\n", k, v);

  io::ensure_output_dir(out);
  const std::string marker = out + "/discover.config.ini";
  io::remove_stale_marker(marker);
  io::write_bed(out + "/seqlets.bed", discover::seqlet_bed(sr.seqlets, x.scores.ids));
  io::write_meme(out + "/discovered.meme", meme);
  io::write_tsv(out + "/motifs.tsv", {"motif", "sign", "support", "width", "consensus", "total_abs_cwm", "share"},
                motif_rows);
  io::write_tsv(out + "/motif_seqlets.tsv", {"motif", "seqlet", "seq_id", "start", "end", "strand", "offset"},
                member_rows);
  io::write_npz(out + "/cwm.npz", cwm);
  io::write_file_atomic(marker, ini);

  std::string summary;
  for (std::size_t k = 0; k < mr.motifs.size(); ++k)
    summary += fmt::format("{}{} {} ({})", k ? ", " : "", names[k], mr.motifs[k].consensus, mr.motifs[k].members.size());
  log_info("discover",
           "{} task {}: {} seqlets ({} positive, {} negative); Leiden clusters {} positive (modularity {:.3f}), {} "
           "negative (modularity {:.3f}){}; {} motifs: {} -> {}",
           method, task, sr.seqlets.size(), mr.n_pos, mr.n_neg, mr.clusters_pos, mr.quality_pos, mr.clusters_neg,
           mr.quality_neg,
           mr.skipped.empty() ? std::string()
                              : fmt::format("; not clustered: {}", fmt::join(mr.skipped, ", ")),
           mr.motifs.size(), summary, out);
  return 0;
}

}  // namespace lb::cli
