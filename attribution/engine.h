// The attribution engine: one backward pass of multipliers from chosen logits (always the
// pre-activation: before sigmoid or softmax), with a rule per nonlinearity, and the input and
// the reference run through the same const network (docs/attribution.md; paper appendices A, B, C).
//
// Conventions. x and r are (C x n*S) batches in the network's input layout (core/tensor.h).
// Multipliers of T tasks travel as one matrix: the result is (C x T*n*S), task-major: task t of
// sample i at columns [(t*n + i)*S, (t*n + i + 1)*S). A contribution is m ⊙ (x - r).
//
// Each layer is handled by its role (model/layer.h, AttrRole), never by its type.
// DeepLIFT's Linear rule (appendix B) on Linear layers (dense, conv, batch norm at inference), with
// A = W+ᵀ m+ + W-ᵀ m-  and  B = W-ᵀ m+ + W+ᵀ m-  (W± the positive / negative parts of W):
//   m_in = A where Δx > 0,  B where Δx < 0,  ½(A + B) where Δx = 0.
// When m+ = m- (every rule but RevealCancel) this is the ordinary transpose Wᵀ m.
// Nonlinearities (model/nonlinearity.h: ReLU, sigmoid, tanh, softplus, ELU, GELU, exp) with
// y = f(x), Δ = value(x) - value(r), x0 the reference input:
//   Rescale:      m_in = m_out · Δy/Δx  (the derivative at the reference, f'(x0), when |Δx| < near_zero)
//   RevealCancel: Δy+ = ½[f(x0+Δx+) - f(x0)] + ½[f(x0+Δx-+Δx+) - f(x0+Δx-)],
//                 Δy- = ½[f(x0+Δx-) - f(x0)] + ½[f(x0+Δx++Δx-) - f(x0+Δx+)],
//                 m+_in = m_out · Δy+/Δx+,  m-_in = m_out · Δy-/Δx-; an empty part (|Δx±| < near_zero)
//                 takes the one-sided limit m+ = ½[f'+(x0) + f'+(x)], m- = ½[f'-(x0) + f'-(x)]
//                 (docs/attribution.md)
//   Gradient:     m_in = f'(x) m_out (at the input, no reference)
//   GuidedBackprop: m_in = f'(x) · max(m_out, 0)
// where Δx+ and Δx- are the positive and negative parts of Δx from the linear layer below
// (Δx+ = Σ 1{wΔx_in > 0} wΔx_in over its inputs, Δx- likewise; Δx+ + Δx- = Δx).
// Transparent layers (average pools, flatten, crop, dropout) between that linear layer and the
// nonlinearity are carried through:
// they carry Δ+ and Δ- up, and m+ and m- down, separately, so the linear layer below applies
// appendix B with the split it produced. A pair that meets no linear layer (a RevealCancel
// nonlinearity on the input, on another nonlinearity or on a max pool) uses the identity split
// Δ± = max(Δ, 0), min(Δ, 0). Max pools (role Gradient) pass multipliers through their gradient
// at the actual input (deeplift's max-pool rule; summation-to-delta does not hold across them).
// Every call splits the samples into fixed chunks of 16 run with parallel_for: results are
// identical for any thread count.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attribution/targets.h"
#include "core/tensor.h"
#include "model/network.h"

namespace lb::attr {

enum class Rule { Gradient, GuidedBackprop, Rescale, RevealCancel };

/// A rule for every layer (only the entries of nonlinearities are read).
struct RuleAssignment {
  std::vector<Rule> by_layer;
};

/// All nonlinearities get `rule`.
RuleAssignment uniform_rules(const model::Network& net, Rule rule);

/// A preset or an explicit assignment. Presets: "rescale" (RS everywhere), "revealcancel" (RC
/// everywhere), "genomics" (RC after dense layers, RS after conv layers: the paper's
/// "fc-RC-conv-RS"). Explicit: comma-separated `layer=rule` items naming either a nonlinearity
/// or the linear layer below it (conv1=rescale,conv2=revealcancel,fc1=revealcancel; a convolution
/// names the nonlinearity above its batch norm), or a layer group by the kind of its source (the
/// convolution or dense layer below, through linear and transparent layers), whatever the names:
/// `[first_conv]` (the network's first convolution), `[later_conv]` (every other convolution),
/// `[conv]` (both), `[dense]` ([first_conv]=rs,[later_conv]=rc,[dense]=rc); a group may match no
/// nonlinearity; rules rescale|rs, revealcancel|rc; unnamed nonlinearities (and those without a
/// source) default to Rescale. Errors: ConfigError "attribution: bad rule spec '...'; expected
/// ..., got ..." naming the unknown layer, group or rule, or a nonlinearity assigned twice.
RuleAssignment parse_rules(const model::Network& net, std::string_view spec);

/// A reference: one shared (C x S) input for all samples (zeros, background frequencies) or
/// one per sample (C x n*S).
struct Reference {
  Mat values;
  bool shared = true;
};

struct DeepliftOptions {
  double near_zero = 1e-7;  // |Δx|, |Δx±| below which Rescale / RevealCancel take their limits
};

/// DeepLIFT multipliers (C x T*n*S) of the T targets at x against r (attribution/targets.h;
/// bound for the n samples when they need it). Optionally writes delta_logits (T x n) =
/// target(x) - target(r), the target of summation-to-delta.
Mat deeplift_multipliers(const model::Network& net, const Mat& x, const Reference& r, int n,
                         const Targets& targets, const RuleAssignment& rules, const DeepliftOptions& opt,
                         Mat* delta_logits = nullptr);
/// The same for output units `tasks` (HEAD[i] targets), as every function below.
Mat deeplift_multipliers(const model::Network& net, const Mat& x, const Reference& r, int n,
                         std::span<const int> tasks, const RuleAssignment& rules, const DeepliftOptions& opt,
                         Mat* delta_logits = nullptr);

/// The same against several references at once, one result per reference (each equal, bit for
/// bit, to the call with that reference alone): the forward pass of x is run once per chunk for
/// all of them (Multiref-n: the shuffles of a sequence share its input). delta_logits, if given,
/// gets one (T x n) matrix per reference.
std::vector<Mat> deeplift_multipliers(const model::Network& net, const Mat& x, std::span<const Reference> refs, int n,
                                      const Targets& targets, const RuleAssignment& rules,
                                      const DeepliftOptions& opt, std::vector<Mat>* delta_logits = nullptr);
std::vector<Mat> deeplift_multipliers(const model::Network& net, const Mat& x, std::span<const Reference> refs, int n,
                                      std::span<const int> tasks, const RuleAssignment& rules,
                                      const DeepliftOptions& opt, std::vector<Mat>* delta_logits = nullptr);

/// Plain gradients of the targets at x (C x T*n*S); guided = GuidedBackprop at every nonlinearity.
Mat gradient_multipliers(const model::Network& net, const Mat& x, int n, const Targets& targets, bool guided = false);
Mat gradient_multipliers(const model::Network& net, const Mat& x, int n, std::span<const int> tasks,
                         bool guided = false);

enum class IgRule { Midpoint, Trapezoid, GaussLegendre };

/// Quadrature nodes α (ascending) and weights on [0, 1], `steps` of each (= gradient evaluations):
/// midpoint α_k = (k + ½)/steps, w = 1/steps; trapezoid α_k = k/(steps - 1) with half-weight
/// ends (steps >= 2); Gauss-Legendre (exact for polynomials of degree 2*steps - 1), computed by
/// Newton's method on the Legendre polynomial in double.
void ig_nodes(IgRule rule, int steps, std::vector<double>& alphas, std::vector<double>& weights);

/// Integrated gradients: the path-averaged gradient at r + α(x - r) over `steps` nodes of the
/// quadrature `rule` (midpoint: α = (k + 0.5)/steps, the paper's), as multipliers (C x T*n*S);
/// contributions are m ⊙ (x - r). delta_logits as above.
Mat integrated_gradients(const model::Network& net, const Mat& x, const Reference& r, int n,
                         const Targets& targets, int steps, IgRule rule, Mat* delta_logits = nullptr);
Mat integrated_gradients(const model::Network& net, const Mat& x, const Reference& r, int n,
                         std::span<const int> tasks, int steps, IgRule rule, Mat* delta_logits = nullptr);

/// Contributions (C x T*n*S) = multipliers ⊙ (x - r) broadcast over tasks.
Mat contributions(const Mat& multipliers, const Mat& x, const Reference& r, int n, int n_tasks, int spatial);

/// Summation-to-delta error per task and sample (T x n): Σ contributions - Δlogit.
Mat summation_error(const Mat& contributions, const Mat& delta_logits, int n, int spatial);

}  // namespace lb::attr
