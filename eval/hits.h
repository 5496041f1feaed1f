// Hit scores: per-base importance (the sum of a position's contributions over A,C,G,T) and the
// total over a motif hit's window. Knows nothing of files: see evaluate.h.
#pragma once

#include <span>
#include <vector>

namespace lb::eval {

/// Per-base scores (L) of one sequence and task: out[l] = Σ_c contrib[c * L + l], from the
/// (4, L) float32 block of a scores array (N, T, 4, L), summed in double.
void per_base_scores(std::span<const float> contrib, int seq_len, std::span<double> out);
std::vector<double> per_base_scores(std::span<const float> contrib, int seq_len);

/// A hit's score: Σ per_base[start, end).
double hit_score(std::span<const double> per_base, int start, int end);

}  // namespace lb::eval
