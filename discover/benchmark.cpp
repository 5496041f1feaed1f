// The discovery benchmark's metrics for one task (rules in discover/benchmark.h).
#include "discover/benchmark.h"

#include <algorithm>
#include <limits>
#include <map>

namespace lb::discover {

int overlap(int a0, int a1, int b0, int b1) { return std::max(0, std::min(a1, b1) - std::max(a0, b0)); }

namespace {

/// A seqlet hits a site when they share at least half the site's width (rounded up).
bool hits(const SeqletSpan& s, const PlantedSite& p) {
  return s.seq == p.seq && 2 * overlap(s.start, s.end, p.start, p.end) >= (p.end - p.start);
}

}  // namespace

DiscoveryScore score_discovery(const std::vector<SeqletSpan>& seqlets, const std::vector<PlantedSite>& drivers,
                               const std::vector<DiscoveredMotif>& motifs, double q_max,
                               const std::vector<PlantedSite>& planted) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  DiscoveryScore out;
  // Sites by sequence, for the overlap tests.
  std::map<int, std::vector<std::size_t>> sites_of;
  for (std::size_t i = 0; i < drivers.size(); ++i) sites_of[drivers[i].seq].push_back(i);
  std::vector<char> site_hit(drivers.size(), 0);
  for (const auto& s : seqlets) {
    if (s.sign <= 0) {
      ++out.seqlets_negative;
      continue;
    }
    ++out.seqlets;
    bool any = false;
    if (auto it = sites_of.find(s.seq); it != sites_of.end())
      for (const std::size_t i : it->second)
        if (hits(s, drivers[i])) {
          any = true;
          site_hit[i] = 1;
        }
    out.seqlet_hits += any;
  }
  out.sites = static_cast<int>(drivers.size());
  for (const char h : site_hit) out.sites_hit += h;
  out.precision = out.seqlets ? static_cast<double>(out.seqlet_hits) / out.seqlets : kNaN;
  out.recall = out.sites ? static_cast<double>(out.sites_hit) / out.sites : kNaN;

  for (const auto& site : drivers) {
    auto it = std::find_if(out.recovery.begin(), out.recovery.end(),
                           [&](const MotifRecovery& r) { return r.motif == site.motif; });
    if (it == out.recovery.end()) {
      MotifRecovery r;
      r.motif = site.motif;
      out.recovery.push_back(std::move(r));
      it = out.recovery.end() - 1;
    }
    ++it->sites;
  }
  const double total = static_cast<double>(seqlets.size());
  out.motifs = static_cast<int>(motifs.size());
  std::map<int, std::vector<std::size_t>> planted_of;
  for (std::size_t i = 0; i < planted.size(); ++i) planted_of[planted[i].seq].push_back(i);
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
    bool matched = false, driver = false;
    for (const auto& x : m.matches) {
      if (!(x.q < q_max)) continue;
      matched = true;
      if (m.sign <= 0) continue;
      for (auto& r : out.recovery) {
        if (r.motif != x.target) continue;
        driver = true;
        r.support += m.support;
        // The best: lowest q, then higher score, then the earlier motif.
        if (!r.found || x.q < r.q || (x.q == r.q && x.score > r.score)) {
          r.found = true;
          r.by = m.name;
          r.q = x.q;
          r.score = x.score;
        }
      }
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
    truth.kind = !matched ? (m.sign > 0 ? "unmatched_positive" : "unmatched_negative")
                          : m.sign > 0 ? (driver ? "driver" : "off_task") : "negative_matched";
    if (matched && !planted.empty() && truth.on_match_sites < 0.5) {
      ++out.off_site_matches;
      out.off_site_match_max_share = std::max(out.off_site_match_max_share, share);
    }
    out.per_motif.push_back(std::move(truth));
  }
  return out;
}

}  // namespace lb::discover
