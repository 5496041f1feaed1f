// Motif matching, the third step of motif discovery (docs/discovery.md, "Matching"): each query
// motif against a database of target motifs, TOMTOM-like (Gupta, Stamatoyannopoulos, Bailey &
// Noble, Genome Biology 2007). Columns are compared with a column similarity (Pearson correlation
// by default, or negative Euclidean distance); every offset with at least the minimum overlap and
// both strands of the target are tried; an alignment scores the sum of its column scores.
//
// Null: the score of query column j against a random column is distributed as its scores
// against every column of every target, both strands (the database's columns); scores are
// discretised to `bins` steps over the similarity's range, and the null of a sum over a run of
// query columns is the convolution of those columns' distributions (independence assumed).
// The p-value of an alignment is P(null sum >= observed sum) for exactly its overlapping query
// columns; the pair's p-value is the best alignment's, Šidák-corrected for the number of
// alignments tried: 1 - (1 - p_min)^m. E = p × number of targets; q-values are
// Benjamini-Hochberg across the targets of one query. Results depend only on the inputs (no
// threads, no randomness; ties are broken by a stated order).
#pragma once

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/meme.h"

namespace lb::discover {

using Column = std::array<double, 4>;  // A, C, G, T

enum class ColumnSimilarity {
  Pearson,       // Pearson correlation of the two columns' four values, in [-1, 1] (0 when one is constant)
  NegEuclidean,  // -sqrt(Σ_b (x_b - y_b)²), in [-√2, 0] for probability columns
};

struct MatchConfig {
  ColumnSimilarity similarity = ColumnSimilarity::Pearson;
  int min_overlap = 5;  // TOMTOM's default; the shorter motif's width when that is smaller
  int bins = 100;       // steps of a column score over the similarity's range
};

/// --dist spelling: "pearson" or "ed"; ConfigError "--dist: unknown column similarity; ..." otherwise.
ColumnSimilarity parse_similarity(const std::string& name);
std::string similarity_name(ColumnSimilarity s);

/// --min-overlap >= 1, --bins in [10, 1000]: ConfigError naming the option.
void validate(const MatchConfig& cfg);

/// One column score (unbinned).
double column_score(ColumnSimilarity s, const Column& x, const Column& y);

/// The reverse complement of a motif: columns reversed, A<->T and C<->G swapped.
std::vector<Column> reverse_complement(std::span<const Column> motif);

/// Consensus: per column the most probable letter (ties to the earlier of A, C, G, T).
std::string consensus(std::span<const Column> motif);

/// Benjamini-Hochberg q-values of p-values (any order; returned in the same order):
/// q_i = min over p_k >= p_i of min(1, n p_k / rank_k), ranks 1..n by ascending p (ties share
/// the larger rank's value), so q is monotone in p.
std::vector<double> benjamini_hochberg(std::span<const double> p);

/// The best alignment of one query against one target.
struct Match {
  int query = 0;          // index in the query list
  int target = 0;         // index in the target list
  int offset = 0;         // target column aligned with query column 0 (target in `strand` orientation)
  char strand = '+';      // '+': the target as given, '-': its reverse complement
  int overlap = 0;        // columns aligned
  double score = 0;       // sum of the aligned column scores (unbinned)
  double p_alignment = 0; // the best alignment's p-value, before the correction
  int n_alignments = 0;   // m: offsets × 2 strands tried
  double p = 0;           // 1 - (1 - p_alignment)^m
  double e = 0;           // p × number of targets
  double q = 0;           // Benjamini-Hochberg over the query's targets
};

struct QueryMatches {
  std::vector<Match> by_target;  // one per target, in target order
  int best = 0;                  // index into by_target: smallest p, then larger score, then lower target
};

/// Matches every query against every target. LB_CHECK: validate(cfg) holds, motifs non-empty.
/// InputError "<where>no target motifs; ..." on an empty database.
std::vector<QueryMatches> match_motifs(std::span<const io::MemeMotif> queries, std::span<const io::MemeMotif> targets,
                                       const MatchConfig& cfg, std::string_view where = {});

/// TOMTOM-like TSV: header Query_ID Target_ID Optimal_offset p-value E-value q-value Overlap
/// Query_consensus Target_consensus Orientation Similarity; rows with q <= thresh, per query
/// (query order) by ascending p, then descending score, then target order.
std::string matches_tsv(const std::vector<QueryMatches>& results, std::span<const io::MemeMotif> queries,
                        std::span<const io::MemeMotif> targets, double thresh);

}  // namespace lb::discover
