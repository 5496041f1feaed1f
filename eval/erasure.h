// The MNIST pixel-erasure benchmark (docs/cli.md, liftbench evaluate, paper appendix E): erase the pixels a method ranks as most c0-vs-ct and measure the drop of logit_c0 - logit_ct.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "attribution/methods.h"
#include "core/tensor.h"
#include "model/network.h"

namespace lb::eval {

/// Images of one shape as the network's input layout: images (C x n*S), labels 0..9 (n).
/// Any reader (the IDX reader, synthetic test data) fills this.
struct ImageSet {
  model::Shape shape{1, 28, 28};
  Mat images;
  std::vector<int> labels;
  int n() const { return static_cast<int>(labels.size()); }
};

/// The pixels to erase for one image from its scores for c0 and ct (S values each, one per
/// input element): every index i with d_i = s_c0[i] - s_ct[i] > 0 (strictly), ordered by d
/// descending, ties by ascending index, the first min(k, #positive) of them. NaN differences
/// are never chosen.
std::vector<int> pixels_to_erase(std::span<const float> s_c0, std::span<const float> s_ct, int k);

/// One method of the benchmark: its name in the outputs and its attribution method string
/// (attribution/methods.h, the registry `attribute` and `evaluate` use), against the all-zero
/// reference: "grad_x_input@zeros", "ig:5@zeros", "deeplift:[conv]=rs;[dense]=rc@zeros".
struct ErasureMethod {
  std::string name;
  std::string spec;
};

/// The paper's ten appendix E methods, in this order, with their method strings (docs/cli.md):
/// abs_grad (abs_grad), guided_backprop (guided_grad), guided_backprop_x_input
/// (guided_backprop@zeros), grad_x_input (grad_x_input@zeros), ig_5 (ig:5@zeros), ig_10
/// (ig:10@zeros), deeplift_rescale (deeplift:rescale@zeros), deeplift_revealcancel
/// (deeplift:[conv]=rc;[dense]=rc@zeros: RC on every ReLU a linear layer feeds),
/// deeplift_rc_fc_conv2_rs_conv1 (deeplift:[first_conv]=rs;[later_conv]=rc;[dense]=rc@zeros),
/// deeplift_rc_fc_rs_conv (deeplift:[conv]=rs;[dense]=rc@zeros).
std::vector<ErasureMethod> paper_erasure_methods();

/// The attribution settings every erasure method runs with: the defaults of [attribution]
/// with the zero reference (midpoint IG, near_zero 1e-7, chunks of 16).
attr::AttributionConfig erasure_config();

/// m.spec parsed by the registry against `net` (attr::parse_method with erasure_config()).
attr::Method erasure_method(const model::Network& net, const ErasureMethod& m);

/// m run by the attribution engine's common path (attr::run_method) on logits {c0, ct} of n
/// images x: contributions (C x 2*n*S) task-major (task 0 = c0), the summation-to-delta error
/// for methods with one. `net` may be mean-normalised by the caller
/// (attr::mean_normalize_softmax): scores become class-mean-centred, S_c0 - S_ct is unchanged
/// for the methods linear in the logits.
attr::MethodResult erasure_run(const ErasureMethod& m, const model::Network& net, const Mat& x, int n, int c0, int ct);

/// erasure_run's contributions: the scores the pixels are ranked by.
Mat erasure_scores(const ErasureMethod& m, const model::Network& net, const Mat& x, int n, int c0, int ct);

/// Per image of one pair and method.
struct ErasureRow {
  int c0 = 0, ct = 0;
  int image = 0;  // index in the ImageSet
  std::string method;
  double diff_before = 0, diff_after = 0;  // logit_c0 - logit_ct
  double drop = 0;                         // diff_before - diff_after
  int n_erased = 0;
  bool flipped = false;  // argmax of the erased image's logits is no longer c0
};

struct ErasureOptions {
  int k = 157;                 // at most k pixels erased per image (20% of 784)
  bool only_correct = true;    // only images of label c0 that the model also classifies as c0
};

/// Images of label c0 (and, with only_correct, predicted c0), in index order.
std::vector<int> source_images(const model::Network& net, const ImageSet& data, int c0, bool only_correct);

/// Runs every method on every pair: for each image, scores, pixels_to_erase on S_c0 - S_ct
/// summed over channels, erasure to 0 (the all-zero reference every method is scored against),
/// and the drop of logit_c0 - logit_ct. Rows
/// ordered by pair, method, image. Deterministic for any thread count (the engine's chunking).
std::vector<ErasureRow> run_erasure(const model::Network& net, const ImageSet& data,
                                    std::span<const std::pair<int, int>> pairs,
                                    std::span<const ErasureMethod> methods, const ErasureOptions& opt);

/// Per method and pair: n images, median, quartiles (linear interpolation, numpy's default)
/// and mean of the drops, share of flipped decisions, mean number of erased pixels.
struct ErasureSummary {
  std::string method;
  int c0 = 0, ct = 0, n = 0;
  double median = 0, q1 = 0, q3 = 0, mean = 0, share_flipped = 0, mean_erased = 0;
};
std::vector<ErasureSummary> summarize_erasure(const std::vector<ErasureRow>& rows);

/// Writes dir/erasure.tsv (pair, image, method, drop, n_erased, flipped, diff_before,
/// diff_after) and dir/erasure_summary.tsv, each atomically; creates dir.
void write_erasure_tsv(const std::string& dir, const std::vector<ErasureRow>& rows,
                       const std::vector<ErasureSummary>& summary);

/// Quantile q in [0, 1] of v (linear interpolation between order statistics); NaN if empty.
double quantile(std::vector<double> v, double q);

}  // namespace lb::eval
