// What is specific to one-hot DNA input: references (zeros, background frequencies),
// hypothetical contributions, weight normalisation of the first layer (appendix K), the
// softmax mean-normalisation (docs/attribution.md), and in-silico mutagenesis.
#pragma once

#include <array>
#include <span>

#include "attribution/engine.h"

namespace lb::attr {

/// All-zero reference (C x S), shared.
Reference zero_reference(int channels, int spatial);
/// Per-position background frequencies (4 x L), shared: every column is p (A, C, G, T).
Reference background_reference(const std::array<double, 4>& p, int seq_len);

/// Hypothetical contributions for one-hot input (docs/attribution.md): for each task, sample and
/// position, hyp[b] = m[b] - Σ_c r[c] m[c], from multipliers m (4 x T*n*L) and the reference of
/// that sample. The actual contribution is hyp at the observed base (and 0 elsewhere).
/// Returns (4 x T*n*L). r is (4 x L) when shared, (4 x n*L) otherwise; any other shape throws
/// InputError "attribution: reference is RxC; expected 4xW (shared|one per sample), got RxC".
Mat hypothetical_contributions(const Mat& multipliers, const Reference& r, int n, int n_tasks, int seq_len);

/// Appendix K: a copy of `net` whose first layer (Conv1d or Conv2d on one-hot input) has
/// W' = W - mean over input channels at each tap position (k, or (ky, kx)), b' = b + Σ of those
/// means. Outputs are unchanged on inputs whose channels sum to 1 at every position. Any other
/// first layer (a Linear on a flattened input has no per-position channel block) throws
/// ConfigError "attribution.weight_normalize: the first layer is <Kind>; expected a Conv1d or
/// Conv2d first layer on one-hot input, got '<name>' <description>".
model::Network normalize_first_layer(const model::Network& net);

/// A copy of a softmax network whose last Dense layer has weights and bias centred across
/// outputs (subtracting the mean over classes): every attribution then equals the original minus
/// its mean over classes, and S_c0 - S_ct is unchanged. ConfigError
/// "attribution.mean_normalize: ..." for a sigmoid network or a last layer that is not Linear.
model::Network mean_normalize_softmax(const model::Network& net);

/// In-silico mutagenesis: for each sample, task and position, the change of the logit when the
/// base is replaced by each of A, C, G, T (0 at the observed base), as (4 x T*n*L) in the
/// multiplier layout. Computed incrementally: only the receptive field of a mutation is
/// recomputed (conv stacks up to the first global pooling / flatten), not a full forward pass
/// per mutant. Positions that are N (all-zero columns) get the change to each base as well.
/// The incremental path covers [Conv1d(stride 1) (ReLU|Dropout)*]+ GlobalAvgPool <any head>
/// (the genomics network); every other architecture (Conv2d, Flatten before Dense, strided
/// convolutions) falls back to full forward passes on batches of mutants: correct, slower.
/// Generally the result is (C x T*n*S) with C = input channels and S = input spatial size.
/// Parallel over fixed chunks of sequences: identical for any thread count.
/// Targets whose weights must be bound (profile_detached) are bound for the n samples of x.
Mat in_silico_mutagenesis(const model::Network& net, const Mat& x, int n, const Targets& targets);
Mat in_silico_mutagenesis(const model::Network& net, const Mat& x, int n, std::span<const int> tasks);

}  // namespace lb::attr
