// Sequence shuffles, used as attribution references: mononucleotide, and dinucleotide-
// preserving (uniform among all sequences with the same first base and dinucleotide counts,
// by the Altschul-Erickson / Kandel et al. method: a uniformly random last-edge arborescence of
// the dinucleotide multigraph, then uniformly shuffled remaining edges), plus a
// deeplift-compatible mode that keeps each base's original last exit edge (as deeplift's and
// tangermeme's dinuc_shuffle do; that mode is not uniform).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace lb::sim {

enum class ShuffleKind { Mono, Dinuc, DinucCompatible };

/// A shuffle of `codes` (values 0..4, 4 = N, treated as a fifth letter). Mono: a uniform
/// permutation. Dinuc / DinucCompatible: same first and last letter and dinucleotide counts
/// (sequences of length <= 2 come back unchanged, without drawing). Throws lb::Error on a code
/// above 4. The draws are a fixed function of the Rng state, so equal states give equal shuffles.
std::vector<std::uint8_t> shuffle_codes(std::span<const std::uint8_t> codes, ShuffleKind kind,
                                        Rng& rng);

/// `n_shuffles` shuffles of each sequence of a one-hot batch x (4 x N*L). Returns
/// (4 x N*n_shuffles*L): shuffle j of sequence s is block s * n_shuffles + j. Sequence s draws
/// from Rng(seed, first_index + s), so results do not depend on how a dataset is batched; its
/// n_shuffles draws are made in order j = 0..n_shuffles-1 from that one stream. An all-zero (N)
/// column shuffles as letter N and stays all zero. Throws lb::Error (via from_one_hot) if x has
/// the wrong shape or a column that is neither one-hot nor all zero.
Mat shuffle_one_hot(const Mat& x, int n_seqs, int seq_len, ShuffleKind kind, int n_shuffles,
                    std::uint64_t seed, std::uint64_t first_index = 0);

}  // namespace lb::sim
