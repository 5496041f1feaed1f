// One discovery into a directory, with matching and the benchmark's metrics (pipeline/discover_run.h).
#include "pipeline/discover_run.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "discover/benchmark.h"
#include "discover/match.h"
#include "io/atomic_file.h"
#include "io/bed.h"
#include "io/ini.h"
#include "io/meme.h"
#include "io/motif_file.h"
#include "io/npz.h"
#include "io/tsv.h"
#include "sim/dataset.h"

namespace lb::pipeline {

namespace {

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string("nan"); }

/// What the scenario planted in the sequences `ids` (by their index there): the driver and the
/// repressor sites of `task` and every planted instance (any role).
discover::TaskTruth task_truth(const DiscoverJob& job, const std::vector<std::string>& ids, int task) {
  const std::string& data_dir = job.data_dir;
  sim::Dataset read;
  if (!job.data) read = sim::read_dataset_dir(data_dir);
  const sim::Dataset& ds = job.data ? *job.data : read;
  if (task < 0 || task >= ds.n_tasks())
    throw InputError(fmt::format("{}: task {} is not in the dataset; expected 0 to {}", data_dir, task, ds.n_tasks() - 1));
  std::map<std::string, int> index;
  for (std::size_t i = 0; i < ids.size(); ++i) index[ids[i]] = static_cast<int>(i);
  discover::TaskTruth out;
  for (std::size_t s = 0; s < ds.sites.size(); ++s) {
    const auto& site = ds.sites[s];
    const auto it = index.find(ds.ids[static_cast<std::size_t>(site.seq)]);
    if (it == index.end()) continue;  // a sequence not attributed (another split)
    const discover::PlantedSite p{it->second, static_cast<int>(site.start), static_cast<int>(site.end), site.motif};
    out.planted.push_back(p);
    if (ds.roles.empty()) continue;  // a dataset without roles.tsv names no drivers
    if (ds.role(s, task) == sim::Role::Driver) out.drivers.push_back(p);
    if (ds.role(s, task) == sim::Role::Repressor) out.repressors.push_back(p);
  }
  return out;
}

/// discovery.tsv's rows of one task. `status`: "motifs" when discovery gave motifs, else why it
/// gave none ("too_few_seqlets", "no_motif_with_support", "too_few_windows").
DiscoveryRows discovery_rows(const std::string& method, int task, const discover::DiscoveryScore& s,
                             const std::string& status) {
  DiscoveryRows rows;
  const std::string t = std::to_string(task);
  // Per planted motif: sites, recovered, q, similarity, support, under the names of `metric`.
  auto recovery_rows = [&](const std::vector<discover::MotifRecovery>& list, const std::array<const char*, 5>& metric) {
    for (const auto& r : list) {
      rows.push_back({method, t, r.motif, metric[0], std::to_string(r.sites)});
      rows.push_back({method, t, r.motif, metric[1], r.found ? "1" : "0"});
      rows.push_back({method, t, r.motif, metric[2], r.found ? num(r.q) : "nan"});
      rows.push_back({method, t, r.motif, metric[3], r.found ? num(r.score) : "nan"});
      rows.push_back({method, t, r.motif, metric[4], std::to_string(r.support)});
    }
  };
  recovery_rows(s.recovery, {"driver_sites", "recovered", "recovery_q", "recovery_similarity", "recovery_support"});
  recovery_rows(s.repressor_recovery,
                {"repressor_sites", "repressor_recovered", "repressor_q", "repressor_similarity", "repressor_support"});
  rows.push_back({method, t, "-", "status", status});
  rows.push_back({method, t, "-", "seqlets", std::to_string(s.seqlets)});
  rows.push_back({method, t, "-", "seqlets_negative", std::to_string(s.seqlets_negative)});
  rows.push_back({method, t, "-", "seqlet_precision", num(s.precision)});
  rows.push_back({method, t, "-", "seqlet_recall", num(s.recall)});
  if (s.repressor_sites > 0) rows.push_back({method, t, "-", "repressor_recall", num(s.repressor_recall)});
  rows.push_back({method, t, "-", "motifs", std::to_string(s.motifs)});
  rows.push_back({method, t, "-", "unmatched_motifs", std::to_string(s.unmatched)});
  rows.push_back({method, t, "-", "unmatched_max_share", num(s.unmatched_max_share)});
  rows.push_back({method, t, "-", "unmatched_positive_motifs", std::to_string(s.unmatched_pos)});
  rows.push_back({method, t, "-", "unmatched_positive_max_share", num(s.unmatched_pos_max_share)});
  rows.push_back({method, t, "-", "unmatched_negative_motifs", std::to_string(s.unmatched_neg)});
  rows.push_back({method, t, "-", "unmatched_negative_max_share", num(s.unmatched_neg_max_share)});
  rows.push_back({method, t, "-", "off_task_motifs", std::to_string(s.off_task)});
  rows.push_back({method, t, "-", "off_task_max_share", num(s.off_task_max_share)});
  rows.push_back({method, t, "-", "off_site_match_motifs", std::to_string(s.off_site_matches)});
  rows.push_back({method, t, "-", "off_site_match_max_share", num(s.off_site_match_max_share)});
  rows.push_back({method, t, "-", "redundancy", num(s.redundancy)});
  rows.push_back({method, t, "-", "coverage", num(s.coverage)});
  return rows;
}

// The job's scores archive: the one it was given, or read into `read`.
const io::NpzArchive& job_scores(const DiscoverJob& job, io::NpzArchive& read) {
  if (job.scores) return *job.scores;
  read = io::read_npz(job.scores_path);
  return read;
}

}  // namespace

std::string method_dir_name(const std::string& method) {
  std::string s = method;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-')) c = '_';
  return s;
}

DiscoveryRows failed_discovery_rows(const DiscoverJob& job) {
  io::NpzArchive read;
  const auto ts = discover::read_task_scores(job_scores(job, read), job.scores_path, job.method, job.task);
  // The seqlets again (no randomness: the same as run_discover's), so the task reports what it
  // had; the reason from their counts, by discover_motifs' rule.
  std::vector<discover::SeqletSpan> spans;
  std::string status;
  try {
    const discover::SeqletResult sr = discover::find_seqlets(ts.per_base, static_cast<int>(ts.ids.size()), ts.seq_len,
                                                             job.seqlets);
    std::size_t n_sign[2] = {0, 0};
    for (const auto& s : sr.seqlets) {
      spans.push_back({s.seq, s.start, s.end, s.sign});
      ++n_sign[s.sign > 0 ? 0 : 1];
    }
    const auto need = static_cast<std::size_t>(std::max(2, job.motifs.min_support));
    status = n_sign[0] < need && n_sign[1] < need ? "too_few_seqlets" : "no_motif_with_support";
  } catch (const InputError&) {
    status = "too_few_windows";  // fewer windows than the null needs: no seqlet at all
  }
  return discovery_rows(job.method, job.task,
                        discover::score_discovery(spans, task_truth(job, ts.ids, job.task), {}), status);
}

DiscoveryRows run_discover(const DiscoverJob& job) {
  io::NpzArchive read;
  const discover::DiscoveryScores x =
      discover::read_discovery_scores(job_scores(job, read), job.scores_path, job.method, job.task);
  io::NpzArchive().swap(read);  // an archive read here is not needed again: its memory goes before clustering
  const auto n = static_cast<int>(x.scores.ids.size());
  const std::string at = fmt::format("{}array '{}' ", where(job.scores_path), job.method);
  const discover::SeqletConfig& scfg = job.seqlets;
  const discover::SeqletResult sr =
      discover::find_seqlets(x.scores.per_base, n, x.scores.seq_len, scfg, at + fmt::format("task {}: ", job.task));
  const discover::MotifConfig& mcfg = job.motifs;
  const discover::MotifResult mr = discover::discover_motifs(x, sr.seqlets, mcfg, at);
  if (mr.motifs.empty())
    throw InputError(fmt::format("{}task {}: no motif reached the support; expected a cluster of at least {} seqlets "
                                 "(--min-support), got {} positive and {} negative clusters, each smaller",
                                 at, job.task, mcfg.min_support, mr.clusters_pos, mr.clusters_neg));

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
           {"scores", job.scores_path}, {"method", job.method}, {"task", std::to_string(job.task)},
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
           {"min_support", std::to_string(mcfg.min_support)}, {"seed", std::to_string(mcfg.seed)},
           {"motifs", job.motif_file}, {"data", job.data_dir}})
    if (!v.empty()) ini += fmt::format("{} = {}\n", k, io::ini_value(v));

  // Matching against the motif file, and the benchmark against the dataset's driver sites.
  std::string matches;
  DiscoveryRows rows, truth_rows;
  if (!job.motif_file.empty()) {
    const io::MemeFile db = io::read_motif_file(job.motif_file);
    const discover::MatchConfig match_cfg;
    const auto qm = discover::match_motifs(meme.motifs, db.motifs, match_cfg, where(job.motif_file));
    matches = discover::matches_tsv(qm, meme.motifs, db.motifs, 0.5);
    if (!job.data_dir.empty()) {
      std::vector<discover::DiscoveredMotif> found;
      for (std::size_t k = 0; k < mr.motifs.size(); ++k) {
        discover::DiscoveredMotif d{.name = names[k], .sign = mr.motifs[k].sign,
                                    .support = static_cast<int>(mr.motifs[k].members.size()), .matches = {},
                                    .seqlets = {}};
        for (const auto& m : qm[k].by_target)
          d.matches.push_back({db.motifs[static_cast<std::size_t>(m.target)].name, m.q, m.score});
        for (const auto& s : mr.motifs[k].members) d.seqlets.push_back(s.seqlet);
        found.push_back(std::move(d));
      }
      std::vector<discover::SeqletSpan> spans;
      for (const auto& s : sr.seqlets) spans.push_back({s.seq, s.start, s.end, s.sign});
      const discover::DiscoveryScore score =
          discover::score_discovery(spans, task_truth(job, x.scores.ids, job.task), found);
      rows = discovery_rows(job.method, job.task, score, "motifs");
      for (const auto& m : score.per_motif)
        truth_rows.push_back({m.name, m.sign > 0 ? "pos" : "neg", std::to_string(m.support), m.kind,
                              m.match.empty() ? "-" : m.match, m.match.empty() ? "nan" : num(m.q),
                              m.match.empty() ? "nan" : num(m.score), num(m.on_match_sites), num(m.on_any_site)});
    }
  }

  const std::string& out = job.out;
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
  if (!job.motif_file.empty()) io::write_file_atomic(out + "/matches.tsv", matches);
  if (!job.data_dir.empty()) {
    io::write_tsv(out + "/discovery.tsv", kDiscoveryHeader, rows);
    io::write_tsv(out + "/motif_truth.tsv",
                  {"motif", "sign", "support", "kind", "match", "q", "similarity", "on_match_sites", "on_any_site"},
                  truth_rows);
  }
  io::write_file_atomic(marker, ini);

  std::string summary;
  for (std::size_t k = 0; k < mr.motifs.size(); ++k)
    summary += fmt::format("{}{} {} ({})", k ? ", " : "", names[k], mr.motifs[k].consensus, mr.motifs[k].members.size());
  log_info("discover",
           "{} task {}: {} seqlets ({} positive, {} negative); Leiden clusters {} positive (modularity {:.3f}), {} "
           "negative (modularity {:.3f}){}; {} motifs: {} -> {}",
           job.method, job.task, sr.seqlets.size(), mr.n_pos, mr.n_neg, mr.clusters_pos, mr.quality_pos, mr.clusters_neg,
           mr.quality_neg,
           mr.skipped.empty() ? std::string()
                              : fmt::format("; not clustered: {}", fmt::join(mr.skipped, ", ")),
           mr.motifs.size(), summary, out);
  return rows;
}

}  // namespace lb::pipeline
