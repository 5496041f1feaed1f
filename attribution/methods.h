// Attribution methods by name, as the CLI and the benchmark run them: method parsing, the
// reference of each run, multi-reference averaging ("Multiref-n", appendix J), hypothetical
// contributions and the summation-to-delta check.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "attribution/engine.h"

namespace lb::attr {

enum class ReferenceKind { Zeros, Background, Shuffle, DinucShuffle };

/// [attribution] section.
struct AttributionConfig {
  std::string methods = "grad_x_input,ig,guided_backprop,deeplift:rescale,deeplift:revealcancel,deeplift:genomics";
  std::string reference = "background";           // zeros | background | shuffle | dinuc_shuffle
  std::array<double, 4> background{0.3, 0.2, 0.2, 0.3};
  int n_shuffles = 10;                            // references per sequence for shuffle kinds
  bool deeplift_compatible_shuffle = false;       // keep each base's last exit edge (deeplift's)
  std::uint64_t seed = 1;                         // shuffles
  int ig_steps = 10;
  std::string ig_rule = "midpoint";               // midpoint | trapezoid | gauss_legendre
  double near_zero = 1e-7;                        // DeepLIFT's |Δx| guard
  double delta_warn = 1e-3;                       // summation-to-delta error (relative) that warns
  bool weight_normalize = false;                  // appendix K on the first layer before attributing
  bool mean_normalize = false;                    // softmax models: centre the last layer over classes
  int chunk = 16;                                 // sequences per parallel work item
};

/// Throws ConfigError naming the option (attribution.ig_steps, ...).
void validate(const AttributionConfig& cfg);

/// One parsed method. Names: grad, grad_x_input, ig, guided_backprop, deeplift:<rules>
/// (rules as parse_rules: rescale, revealcancel, genomics or an explicit assignment), ism; a
/// method may carry its own reference after '@': "deeplift:genomics@dinuc_shuffle",
/// "deeplift:rescale@zeros". Its output name in scores.npz is the method string as given.
struct Method {
  std::string name;                 // as given
  enum class Kind { Grad, GradXInput, Ig, GuidedBackprop, Deeplift, Ism } kind;
  RuleAssignment rules;             // Deeplift
  ReferenceKind reference;          // the method's own or the config's
};

/// Parses a comma-separated list (commas inside "deeplift:a=b,c=d" need the explicit form to
/// be written with ';': "deeplift:conv1=rs;conv2=rc;fc1=rc"). Unknown names: ConfigError
/// "attribution.methods: unknown method 'x'; expected one of ..., got 'x'".
std::vector<Method> parse_methods(const std::string& list, const model::Network& net, const AttributionConfig& cfg);

/// Result of one method on n one-hot sequences of length L with T tasks, all (4 x T*n*L) in
/// the multiplier layout, averaged over the references of each sequence; hypothetical is empty
/// for methods without one (grad, ism); delta (T x n) is the summation-to-delta error (Σ
/// contributions - mean Δlogit; 0-sized for methods without the property: grad, guided_backprop, ism).
struct MethodResult {
  Mat contributions;
  Mat hypothetical;
  Mat delta;
  double max_abs_delta = 0;  // over sequences, tasks and references (never averaged away)
};

/// Runs a method on sequences x (4 x n*L), whose dataset indices are first_index.. (for the
/// shuffle seeds), in chunks in parallel. Deterministic for any thread count.
MethodResult run_method(const Method& method, const model::Network& net, const Mat& x, int n,
                        std::span<const int> tasks, const AttributionConfig& cfg, std::uint64_t first_index = 0);

}  // namespace lb::attr
