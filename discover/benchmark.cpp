// The discovery benchmark's metrics for one task (rules in discover/benchmark.h).
#include "discover/benchmark.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>

namespace lb::discover {

int overlap(int a0, int a1, int b0, int b1) { return std::max(0, std::min(a1, b1) - std::max(a0, b0)); }

namespace {

/// A seqlet hits a site when they share at least half the site's width (rounded up).
bool hits(const SeqletSpan& s, const PlantedSite& p) {
  return s.seq == p.seq && 2 * overlap(s.start, s.end, p.start, p.end) >= (p.end - p.start);
}

/// Sites by sequence, for the overlap tests.
std::map<int, std::vector<std::size_t>> by_sequence(const std::vector<PlantedSite>& sites) {
  std::map<int, std::vector<std::size_t>> out;
  for (std::size_t i = 0; i < sites.size(); ++i) out[sites[i].seq].push_back(i);
  return out;
}

/// Marks in `site_hit` the sites hit by the seqlets of sign `sign`; returns how many of those
/// seqlets hit at least one.
int mark_hits(const std::vector<SeqletSpan>& seqlets, int sign, const std::vector<PlantedSite>& sites,
              std::vector<char>& site_hit) {
  const auto sites_of = by_sequence(sites);
  site_hit.assign(sites.size(), 0);
  int hitting = 0;
  for (const auto& s : seqlets) {
    if ((s.sign > 0) != (sign > 0)) continue;
    bool any = false;
    if (auto it = sites_of.find(s.seq); it != sites_of.end())
      for (const std::size_t i : it->second)
        if (hits(s, sites[i])) {
          any = true;
          site_hit[i] = 1;
        }
    hitting += any;
  }
  return hitting;
}

/// One MotifRecovery per planted motif of `sites`, in order of first site, with its site count.
std::vector<MotifRecovery> recoveries(const std::vector<PlantedSite>& sites) {
  std::vector<MotifRecovery> out;
  for (const auto& site : sites) {
    auto it = std::find_if(out.begin(), out.end(), [&](const MotifRecovery& r) { return r.motif == site.motif; });
    if (it == out.end()) {
      MotifRecovery r;
      r.motif = site.motif;
      out.push_back(std::move(r));
      it = out.end() - 1;
    }
    ++it->sites;
  }
  return out;
}

/// Credits discovered motif `m`'s match `x` to the planted motif of `list` it names; returns
/// whether one did.
bool credit(std::vector<MotifRecovery>& list, const DiscoveredMotif& m, const DiscoveredMotif::Match& x) {
  bool any = false;
  for (auto& r : list) {
    if (r.motif != x.target) continue;
    any = true;
    r.support += m.support;
    // The best: lowest q, then higher score, then the earlier motif.
    if (!r.found || x.q < r.q || (x.q == r.q && x.score > r.score)) {
      r.found = true;
      r.by = m.name;
      r.q = x.q;
      r.score = x.score;
    }
  }
  return any;
}

}  // namespace

DiscoveryScore score_discovery(const std::vector<SeqletSpan>& seqlets, const TaskTruth& task,
                               const std::vector<DiscoveredMotif>& motifs, double q_max) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const std::vector<PlantedSite>& planted = task.planted;
  DiscoveryScore out;
  for (const auto& s : seqlets) (s.sign > 0 ? out.seqlets : out.seqlets_negative) += 1;
  std::vector<char> site_hit;
  out.seqlet_hits = mark_hits(seqlets, 1, task.drivers, site_hit);
  out.sites = static_cast<int>(task.drivers.size());
  for (const char h : site_hit) out.sites_hit += h;
  out.precision = out.seqlets ? static_cast<double>(out.seqlet_hits) / out.seqlets : kNaN;
  out.recall = out.sites ? static_cast<double>(out.sites_hit) / out.sites : kNaN;
  mark_hits(seqlets, -1, task.repressors, site_hit);
  out.repressor_sites = static_cast<int>(task.repressors.size());
  for (const char h : site_hit) out.repressor_sites_hit += h;
  out.repressor_recall = out.repressor_sites ? static_cast<double>(out.repressor_sites_hit) / out.repressor_sites : kNaN;
  out.recovery = recoveries(task.drivers);
  out.repressor_recovery = recoveries(task.repressors);

  const double total = static_cast<double>(seqlets.size());
  out.motifs = static_cast<int>(motifs.size());
  const auto planted_of = by_sequence(planted);
  // Share of a motif's seqlets on a planted instance (of `motif`, or of any when empty).
  auto on_sites = [&](const DiscoveredMotif& m, const std::string& motif) {
    if (m.seqlets.empty()) return kNaN;
    int on = 0;
    for (const int k : m.seqlets) {
      const SeqletSpan& s = seqlets.at(static_cast<std::size_t>(k));
      bool any = false;
      if (auto it = planted_of.find(s.seq); it != planted_of.end())
        for (const std::size_t i : it->second)
          any = any || ((motif.empty() || planted[i].motif == motif) && hits(s, planted[i]));
      on += any;
    }
    return static_cast<double>(on) / static_cast<double>(m.seqlets.size());
  };
  std::int64_t matched_support = 0;  // seqlets of matched motifs
  int recovering = 0;                // motifs of kind driver or repressor
  for (const auto& m : motifs) {
    MotifTruth truth{.name = m.name, .sign = m.sign, .support = m.support, .match = {}, .q = 1, .score = 0,
                     .on_match_sites = kNaN, .on_any_site = on_sites(m, ""), .kind = {}};
    for (const auto& x : m.matches)
      if (x.q < q_max && (truth.match.empty() || x.q < truth.q || (x.q == truth.q && x.score > truth.score))) {
        truth.match = x.target;
        truth.q = x.q;
        truth.score = x.score;
      }
    if (!truth.match.empty()) truth.on_match_sites = on_sites(m, truth.match);
    bool matched = false, driver = false, repressor = false;
    for (const auto& x : m.matches) {
      if (!(x.q < q_max)) continue;
      matched = true;
      if (m.sign > 0)
        driver = credit(out.recovery, m, x) || driver;
      else
        repressor = credit(out.repressor_recovery, m, x) || repressor;
    }
    const double share = total > 0 ? m.support / total : 0.0;
    if (!matched) {
      ++out.unmatched;
      out.unmatched_max_share = std::max(out.unmatched_max_share, share);
      if (m.sign > 0) {
        ++out.unmatched_pos;
        out.unmatched_pos_max_share = std::max(out.unmatched_pos_max_share, share);
      } else {
        ++out.unmatched_neg;
        out.unmatched_neg_max_share = std::max(out.unmatched_neg_max_share, share);
      }
    } else if (m.sign > 0 && !driver) {
      ++out.off_task;
      out.off_task_max_share = std::max(out.off_task_max_share, share);
    }
    truth.kind = !matched   ? (m.sign > 0 ? "unmatched_positive" : "unmatched_negative")
                 : m.sign > 0 ? (driver ? "driver" : "off_task")
                              : (repressor ? "repressor" : "negative_matched");
    if (matched && !planted.empty() && truth.on_match_sites < 0.5) {
      ++out.off_site_matches;
      out.off_site_match_max_share = std::max(out.off_site_match_max_share, share);
    }
    if (matched) matched_support += m.support;
    if (truth.kind == "driver" || truth.kind == "repressor") ++recovering;
    out.per_motif.push_back(std::move(truth));
  }
  int recovered = 0;
  for (const auto* list : {&out.recovery, &out.repressor_recovery})
    for (const auto& r : *list) recovered += r.found;
  out.redundancy = recovered ? static_cast<double>(recovering) / recovered : kNaN;
  out.coverage = total > 0 ? static_cast<double>(matched_support) / total : kNaN;
  return out;
}

}  // namespace lb::discover
