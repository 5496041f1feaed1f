// The model-randomisation sanity check (Adebayo et al., "Sanity Checks for Saliency Maps",
// NeurIPS 2018): an attribution method that explains the model must give different maps when
// the model's learned parameters are replaced by random ones. The parameterised layers are
// re-initialised cascading from the top (the output layer first, then each layer below it in
// turn, cumulatively), the sequences are attributed again at every step, and each map is
// compared with the original by Spearman rank correlation. `liftbench sanity` runs it; this is
// the computation, with the method given as a function of the network so any map can be checked.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "model/network.h"

namespace lb::eval {

/// [sanity] section.
struct SanityConfig {
  std::uint64_t seed = 1;  // re-initialisation stream (salted, so it never equals model.init_seed's)
  double threshold = 0.5;  // a method passes when its mean |rho| at full randomisation is below this
  bool in_run = false;     // liftbench run adds the sanity step (after evaluate)
};

/// ConfigError "sanity.threshold: out of range; expected a value in (0, 1], got 0".
void validate(const SanityConfig& cfg);

/// One step of the cascade: the top `step` parameterised layers of the model re-initialised.
struct CascadeStep {
  int step = 0;       // 1..K
  std::string layer;  // the layer re-initialised at this step (the lowest randomised one)
  model::Network net;
};

/// The cascade of `net` (K = its layers with parameters): one randomly initialised copy R
/// (`scheme` from Rng(seed ^ salt), drawn as model::Network::init draws a fresh network), and
/// step k a copy of `net` with R's parameters in its top k parameterised layers. InputError
/// "sanity: the model has no layers with parameters; expected at least 1, got 0" when K = 0.
std::vector<CascadeStep> randomisation_cascade(const model::Network& net, model::InitScheme scheme,
                                               std::uint64_t seed);

/// Similarity of two attribution maps of n samples and T tasks, both (C x T*n*S) in the
/// attribution layout (task-major: task t of sample i at columns [(t*n + i)*S, ...)). Each map
/// is reduced to per-position scores (the sum over channels: for one-hot DNA the score of the
/// observed base, what the evaluation scores) and compared per (task, sample) by Spearman's rho,
/// and by rho of the absolute values. Identical score vectors count as rho = 1 (the map did not
/// change: what the check must catch, even for a constant map); otherwise a correlation that is
/// undefined (one side constant) is left out. Per task: the means over the samples counted.
struct MapSimilarity {
  std::vector<double> spearman, spearman_abs;  // per task; NaN when no sample counted
  std::vector<int> n, n_abs;                   // samples counted per task
};
MapSimilarity compare_maps(const Mat& original, const Mat& randomised, int n, int n_tasks, int spatial);

/// A method's maps of the batch being checked, as a function of the network (C x T*n*S).
using MapFn = std::function<Mat(const model::Network& net)>;

/// One row of sanity.tsv.
struct SanityRow {
  std::string method;
  int step = 0;
  std::string layer;
  int task = 0;
  double spearman = 0, spearman_abs = 0;
  int n = 0;
};

struct MethodSanity {
  std::string method;
  std::vector<SanityRow> rows;     // step by step, task by task
  double final_mean_abs_rho = 0;  // mean over tasks of |spearman| at the last step (NaN if undefined)
  bool passed = false;             // final_mean_abs_rho < threshold (an undefined value fails)
};

/// Maps of `net` and of every cascade step through `maps`, compared with compare_maps; `tasks`
/// are the output indices the maps hold, in order (the `task` column).
MethodSanity sanity_check(const std::string& method, const MapFn& maps, const model::Network& net,
                          std::span<const CascadeStep> cascade, int n, std::span<const int> tasks,
                          const SanityConfig& cfg);

/// sanity.tsv: header `method step layer task spearman spearman_abs n`, numbers as {:.6g}.
std::string sanity_tsv(std::span<const MethodSanity> results);

}  // namespace lb::eval
