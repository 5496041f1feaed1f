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
                               const std::vector<DiscoveredMotif>& motifs, double q_max) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  DiscoveryScore out;
  // Sites by sequence, for the overlap tests.
  std::map<int, std::vector<std::size_t>> sites_of;
  for (std::size_t i = 0; i < drivers.size(); ++i) sites_of[drivers[i].seq].push_back(i);
  std::vector<char> site_hit(drivers.size(), 0);
  for (const auto& s : seqlets) {
    if (s.sign <= 0) continue;
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
  for (const auto& m : motifs) {
    bool matched = false;
    for (const auto& x : m.matches) {
      if (!(x.q < q_max)) continue;
      matched = true;
      if (m.sign <= 0) continue;
      for (auto& r : out.recovery) {
        if (r.motif != x.target) continue;
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
    if (!matched) {
      ++out.unmatched;
      if (total > 0) out.unmatched_max_share = std::max(out.unmatched_max_share, m.support / total);
    }
  }
  return out;
}

}  // namespace lb::discover
