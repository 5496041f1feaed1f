// Attribution targets: what a method explains, as a function of the network's logits
// (docs/attribution.md, "Targets"). Each target becomes one task of scores.npz.
//
//   HEAD[i]                 one output unit of a head (PyTorch's flatten order within the head)
//   sum(HEAD[i], ...)       the sum of units;  diff(HEAD[i], HEAD[j]) their difference
//   window(HEAD, start, end) the head's units summed over positions [start, end) (every channel)
//   counts(HEAD)            the one unit of a counts head
//   profile(HEAD)           bpnet-lite's and tangermeme's profile target: p = the head's logits
//                           flattened and mean-centred, target Σ_j p_j softmax(p)_j
//   profile_detached(HEAD)  Σ_j w_j p_j with w = softmax(p(x)) of the input x held fixed (the
//                           stop-gradient form of the BPNet and ChromBPNet code): linear in the
//                           logits, so summation-to-delta is exact
//
// The engine starts its backward pass from a target's seed: the multipliers (or gradient) of the
// target with respect to the logits. Linear targets (units, sum, diff, window, counts, and
// profile_detached once its weights are bound) have constant seeds. profile's seed is, for
// gradient methods, its gradient at the point evaluated, and for DeepLIFT the Rescale rule on the
// elementwise step q_j = p_j softmax(p)_j: m_j = Δq_j / Δp_j (the gradient at the input where
// |Δp_j| < near_zero), carried through the centring.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "model/network.h"

namespace lb::attr {

struct Target {
  enum class Kind { Linear, Profile, ProfileDetached };
  std::string name;  // canonical spelling, no spaces: "fc2[0]", "diff(fc2[0],fc2[2])", "profile(profile)"
  Kind kind = Kind::Linear;
  std::vector<std::pair<int, float>> terms;  // Linear: Σ weight · logit[unit], units ascending, distinct
  int begin = 0, size = 0;                   // Profile kinds: the head's logits [begin, begin + size)
  int unit = -1;  // a single output unit of weight 1 (HEAD[i], counts): scores.npz's `tasks`; else -1
};

class Targets {
 public:
  Targets() = default;
  /// `named`: the targets of attribution.targets (parse_targets), whose names scores.npz stores.
  explicit Targets(std::vector<Target> list, bool named = false) : list_(std::move(list)), named_(named) {}
  /// One unit target per output unit in `units`, named HEAD[i] after the network's heads.
  static Targets units(const model::Network& net, std::span<const int> units);

  int size() const { return static_cast<int>(list_.size()); }
  bool empty() const { return list_.empty(); }
  const Target& operator[](int t) const { return list_[static_cast<std::size_t>(t)]; }
  const std::vector<Target>& list() const { return list_; }
  /// Every target's unit (-1 for those that are not one unit) and name.
  std::vector<int> unit_indices() const;
  std::vector<std::string> names() const;
  /// The names scores.npz stores as `targets`: those of attribution.targets; none for the output
  /// units of attribution.tasks (the archive then has only `tasks`, as before targets existed).
  std::vector<std::string> stored_names() const { return named_ ? names() : std::vector<std::string>{}; }
  /// Target t in log lines: its name, or for attribution.tasks' units the unit index.
  std::string label(int t) const;
  /// Whether every target is one output unit (HEAD[i], counts).
  bool all_units() const;

  /// Whether some target needs its weights from the inputs' logits (profile_detached): then the
  /// engine reads the targets of bound() only.
  bool needs_binding() const;
  bool bound() const { return bound_n_ >= 0; }
  int bound_samples() const { return bound_n_; }
  /// A copy with the detached weights of n samples taken from their logits z (n_outputs x n).
  Targets bind(const Mat& z) const;
  /// This set ready for the n samples x of `net`: bound from their logits (one forward pass) when
  /// some target needs it and it is not bound yet, else a copy.
  Targets bound_for(const model::Network& net, const Mat& x, int n) const;
  /// A copy for samples [first, first + count) of a bound set (the same set when none binds).
  Targets slice(int first, int count) const;
  /// A copy in which sample i*k + j has sample i's weights (SmoothGrad's noisy copies).
  Targets repeat(int k) const;

  /// The value of target t at logits z (n_outputs) of sample `sample` (for bound weights).
  double value(int t, const float* z, int sample) const;
  /// Target values (T x nc) at logits z (n_outputs x nc) of samples first..first+nc-1.
  Mat values(const Mat& z, int first = 0) const;
  /// values(zx) - values(zr) (T x nc), zr with one column (`shared`) or nc; Linear targets of one
  /// unit subtract the logits in float, exactly as before targets existed.
  Mat deltas(const Mat& zx, const Mat& zr, bool shared, int first = 0) const;
  /// The backward pass's start (n_outputs x T*nc), task-major (column t*nc + b): each target's
  /// seed at logits zx of samples first..first+nc-1; with zr (DeepLIFT; one column when
  /// `shared`) profile's seed is the Rescale one, otherwise its gradient at zx.
  Mat seeds(const Mat& zx, const Mat* zr, bool shared, float near_zero, int first = 0) const;

 private:
  std::vector<Target> list_;
  bool named_ = false;
  std::vector<Mat> weights_;  // per target: ProfileDetached's (size x n) softmax weights when bound
  int bound_n_ = -1;
};

/// attribution.targets parsed against the network's heads (the grammar above, items separated
/// by spaces or commas outside parentheses). ConfigError "attribution.targets: ..." naming the
/// item: an unknown head, a unit or window out of range, a counts head of several units, a
/// profile of one unit, a target given twice.
Targets parse_targets(const std::string& spec, const model::Network& net);

/// Checks the syntax of attribution.targets without a network (the same errors but those that
/// need the heads).
void validate_targets(const std::string& spec);

}  // namespace lb::attr
