// The discovery benchmark, the last step of motif discovery (docs/discovery.md, "The benchmark"):
// how well the motifs discovered from one method's attributions recover the truth a simulation
// planted.
//
// For one task: the planted driver instances (sites whose role for the task is `driver`) are
// the truth. A positive seqlet hits a site when they overlap by at least half the site's width;
// seqlet precision is the share of positive seqlets that hit a driver site, recall the share of
// driver sites hit by a positive seqlet. A planted driver motif M is recovered when some
// positive discovered motif matches M with q < `q_max` (the matching's q-value over the motif
// file); its similarity is the best such match's score. A discovered motif (of either sign) is
// unmatched when no motif of the file matches it with q < `q_max`; the largest share of the
// task's seqlets held by an unmatched motif says how much junk was called a motif (also by
// sign). A positive motif that matches motifs of the file but none of the task's driver motifs
// is off-task. A planted repressor motif (sites whose role for the task is `repressor`) is
// recovered when some negative discovered motif matches it with q < `q_max`; repressor recall is
// the share of repressor sites hit by a negative seqlet. Redundancy is the number of motifs that
// recover a planted motif (positive ones matching a driver, negative ones matching a repressor)
// per planted motif recovered, 1 when each is found once; coverage the share of the task's
// seqlets (both signs) held by motifs that match some motif of the file.
#pragma once

#include <string>
#include <vector>

namespace lb::discover {

/// A seqlet's extent in one sequence, with its sign.
struct SeqletSpan {
  int seq = 0;
  int start = 0, end = 0;
  int sign = 1;
};

/// A planted instance of a motif, by sequence index (the same indices as the seqlets').
struct PlantedSite {
  int seq = 0;
  int start = 0, end = 0;
  std::string motif;
};

/// One discovered motif with its matches to every motif of the file.
struct DiscoveredMotif {
  std::string name;
  int sign = 1;
  int support = 0;  // seqlets in the motif
  struct Match {
    std::string target;
    double q = 1, score = 0;
  };
  std::vector<Match> matches;
  std::vector<int> seqlets;  // its seqlets (indices into score_discovery's `seqlets`); may be empty
};

/// What the truth says of one discovered motif (with `planted`, every planted instance).
struct MotifTruth {
  std::string name;
  int sign = 1, support = 0;
  std::string match;         // its best match with q < q_max (lowest q, then higher score); "" if none
  double q = 1, score = 0;
  double on_match_sites = 0; // share of its seqlets overlapping a planted instance of `match` (any role; NaN if unmatched or no seqlets)
  double on_any_site = 0;    // share of its seqlets overlapping any planted instance (NaN without seqlets)
  std::string kind;          // driver, off_task, repressor, negative_matched, unmatched_positive, unmatched_negative
};

struct MotifRecovery {
  std::string motif;     // the planted driver (repressor) motif
  int sites = 0;         // its driver (repressor) sites
  bool found = false;
  std::string by;        // the discovered motif that matches it best ("" when not found)
  double q = 1, score = 0;
  int support = 0;       // seqlets of the positive (negative) motifs matching it with q < q_max
};

/// The truth of one task: what the scenario planted in the attributed sequences.
struct TaskTruth {
  std::vector<PlantedSite> drivers{};     // instances whose role for the task is `driver`
  std::vector<PlantedSite> repressors{};  // ... `repressor`
  std::vector<PlantedSite> planted{};     // every planted instance, any role (for MotifTruth)
};

struct DiscoveryScore {
  std::vector<MotifRecovery> recovery;  // per planted driver motif, in order of first site
  int seqlets = 0;         // positive seqlets
  int seqlets_negative = 0;  // negative seqlets (not in precision and recall: drivers raise the output)
  int seqlet_hits = 0;     // of which hit a driver site
  double precision = 0;    // seqlet_hits / seqlets (NaN without seqlets)
  int sites = 0;           // driver sites
  int sites_hit = 0;
  double recall = 0;       // sites_hit / sites (NaN without sites)
  int motifs = 0;          // discovered motifs, both signs
  int unmatched = 0;       // ... matching no motif of the file with q < q_max
  double unmatched_max_share = 0;  // largest support of an unmatched motif / the task's seqlets (0 if none)
  // The same by sign: a positive unmatched motif is a false driver (junk); a negative one is
  // something the model counts against the task that the scenario did not plant.
  int unmatched_pos = 0, unmatched_neg = 0;
  double unmatched_pos_max_share = 0, unmatched_neg_max_share = 0;
  // Positive motifs that match motifs of the file, but none of the task's drivers (a planted
  // motif called a driver of a task it does not drive).
  int off_task = 0;
  double off_task_max_share = 0;
  // Matched motifs whose seqlets mostly (more than half) miss the planted instances of the motif
  // they match: a wrong match, or the motif found in chance occurrences the simulation did not
  // plant (needs `planted`).
  int off_site_matches = 0;
  double off_site_match_max_share = 0;
  // Planted repressors, found by the negative seqlets and motifs (empty without repressor sites).
  std::vector<MotifRecovery> repressor_recovery;  // per planted repressor motif, in order of first site
  int repressor_sites = 0;
  int repressor_sites_hit = 0;  // ... hit by a negative seqlet
  double repressor_recall = 0;  // repressor_sites_hit / repressor_sites (NaN without repressor sites)
  // Discovered motifs of kind driver or repressor per planted driver or repressor motif recovered
  // (NaN when none is): 1 when each planted motif comes out as one motif.
  double redundancy = 0;
  // Seqlets of the motifs matching a motif of the file with q < q_max / the task's seqlets, both
  // signs (NaN without seqlets).
  double coverage = 0;
  std::vector<MotifTruth> per_motif;  // in the order of `motifs`
};

/// Overlap of [a0, a1) and [b0, b1) in bases (0 when disjoint).
int overlap(int a0, int a1, int b0, int b1);

/// Scores one task's discovery. `seqlets`: all of the task's seqlets (both signs; precision and
/// recall use the positive ones, repressor recall the negative ones); `task`: the task's driver
/// and repressor sites and every planted instance of any role (for MotifTruth's shares and the
/// off-site matches, not counted when `planted` is empty; a seqlet is on an instance when they
/// overlap by at least half the instance's width, as for drivers).
DiscoveryScore score_discovery(const std::vector<SeqletSpan>& seqlets, const TaskTruth& task,
                               const std::vector<DiscoveredMotif>& motifs, double q_max = 0.05);

}  // namespace lb::discover
