// Attribution methods by name, as the CLI and the benchmark run them: method parsing, the
// reference of each run, multi-reference averaging ("Multiref-n", appendix J), hypothetical
// contributions and the summation-to-delta check.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "attribution/engine.h"

namespace lb::attr {

enum class ReferenceKind { Zeros, Background, Shuffle, DinucShuffle };

/// [attribution] section.
/// References supplied per sequence (attribution.references_file): `values` (C x n*K*S), block
/// i*K + j reference j of sequence i, as MethodResult::references.
struct GivenReferences {
  Mat values;
  int k = 0;
};

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
  int smoothgrad_samples = 25;                    // SmoothGrad: noisy copies per sequence
  double smoothgrad_noise = 0.15;                 // SmoothGrad: σ relative to the sequence's input range
  bool gradient_correction = false;               // every method as if with +gc
  bool revcomp_average = false;                   // every method as if with +rcavg
  std::string tasks = "all";                      // output tasks to attribute: all, or indices "0,2"
  std::string targets;                            // named targets (attribution/targets.h) instead of tasks
  bool store_references = false;                  // write <method>.references (N, n_refs, C, L)
  std::string references_file;                    // .npy (N, K, C, L): every method's references
  /// The references of references_file, read by the attribute step (read_references): every
  /// method with a reference uses them instead of its own, averaged over their K. Not a key.
  std::shared_ptr<const GivenReferences> given_references;
};

/// attribution.references_file read for n sequences of shape `input` (InputError naming the
/// file: not an .npy, not float32 or float64, a shape other than (n, K, C, L) (or (n, K, C, H, W)),
/// a value that is not finite).
GivenReferences read_references(const std::string& path, int n, const model::Shape& input);
/// cfg.given_references from cfg.references_file when it is set (read_references); false when not.
bool load_given_references(AttributionConfig& cfg, int n, const model::Shape& input);

/// Throws ConfigError naming the option (attribution.ig_steps, ...). Checks the method list's
/// syntax too (names and @references; DeepLIFT rules need the network: parse_methods).
void validate(const AttributionConfig& cfg);

/// "zeros", "background", "shuffle", "dinuc_shuffle"; false when unknown.
bool parse_reference(std::string_view name, ReferenceKind& out);
std::string_view reference_name(ReferenceKind kind);
/// "midpoint", "trapezoid", "gauss_legendre"; false when unknown.
bool parse_ig_rule(std::string_view name, IgRule& out);

/// One parsed method: `<kind>[:<argument>][+gc][+rcavg][@<reference>]`. Kinds (method_kinds(),
/// the one table): grad, abs_grad, grad_x_input, ig[:<steps>], guided_backprop, guided_grad,
/// deeplift:<rules> (rules as parse_rules: rescale, revealcancel, genomics, layer=rule items or
/// layer groups such as [dense]=rc), ism, smoothgrad, smoothgrad_x_input, expected_gradients.
/// Modifiers: +gc, the off-simplex gradient correction (Majdandzic et al. 2023: the per-position
/// mean over A,C,G,T subtracted from gradients and hypothetical scores); +rcavg,
/// reverse-complement averaging (the map of x averaged with the map of its reverse complement
/// mapped back). A method may carry its own reference after '@':
/// "deeplift:genomics@dinuc_shuffle", "deeplift:rescale+gc@zeros". Its output name in scores.npz
/// is the method string as given. docs/attribution.md defines every method.
struct Method {
  std::string name;                 // as given
  enum class Kind {
    Grad, AbsGrad, GradXInput, Ig, GuidedBackprop, GuidedGrad, Deeplift, Ism, SmoothGrad, SmoothGradXInput,
    ExpectedGradients
  } kind;
  RuleAssignment rules;             // Deeplift
  ReferenceKind reference;          // the method's own or the config's
  bool gradient_correction = false;  // +gc (or attribution.gradient_correction)
  bool revcomp_average = false;      // +rcavg (or attribution.revcomp_average)
  int ig_steps = 0;                  // Ig: the steps of "ig:<steps>"; 0: attribution.ig_steps
};

/// The reference label of a method string without parsing its rules ("none" for methods
/// without a reference; the @reference if given; otherwise the kind's default or
/// `default_reference`). For evaluate and the report, which see only array names.
std::string method_reference_label(std::string_view name, std::string_view default_reference);

/// attribution.tasks resolved against a network with n_outputs outputs: "all" -> 0..n-1, or
/// comma-separated distinct indices in increasing order. ConfigError "attribution.tasks: ...".
std::vector<int> parse_tasks(const std::string& spec, int n_outputs);

/// What a run attributes: attribution.targets parsed against the network's heads when set, else
/// attribution.tasks' units as HEAD[i] targets. ConfigErrors: both set; a network of several
/// heads with neither (every unit of every head is rarely what anyone wants: name the targets).
Targets resolve_targets(const AttributionConfig& cfg, const model::Network& net);

/// One method string (no list: commas belong to it), checked against the network as
/// parse_methods checks each item; the same ConfigErrors.
Method parse_method(std::string_view item, const model::Network& net, const AttributionConfig& cfg);

/// Parses a comma-separated list (commas inside "deeplift:a=b,c=d" need the explicit form to
/// be written with ';': "deeplift:conv1=rs;conv2=rc;fc1=rc"). Spaces around items are ignored.
/// ConfigErrors (all start "attribution.methods: "):
///   unknown method 'x'; expected one of <method_kind_list()>, got 'x'   (also an argument on a kind without one)
///   bad step count in 'ig:0'; expected ig:<steps> with an integer >= 1, got '0'   (>= 2 for the trapezoid rule)
///   unknown reference 'r' in 'm@r'; expected zeros, background, shuffle or dinuc_shuffle, got 'r'
///   method 'grad' takes no reference; expected 'grad', got 'grad@zeros'          (kinds without a reference)
///   'deeplift' needs rules; expected deeplift:<rules> with rescale, revealcancel, genomics or layer=rule;..., got 'deeplift'
///   duplicate method 'x'; expected each method once, got 'x' twice
///   empty method list; expected at least one method, got ''   (also an empty item: "a,,b")
/// and parse_rules' own ConfigError for a bad rule spec.
std::vector<Method> parse_methods(const std::string& list, const model::Network& net, const AttributionConfig& cfg);

/// Whether a method kind has the summation-to-delta (completeness) property, and so a `.delta`:
/// DeepLIFT (exact up to float rounding), IG and expected gradients (up to their quadrature
/// error). A method with +gc has none (the correction changes the sum by design).
bool has_delta(Method::Kind kind);
bool has_delta(const Method& method);
bool uses_reference(Method::Kind kind);

/// Result of one method on n one-hot sequences of length L with T tasks, all (4 x T*n*L) in
/// the multiplier layout, averaged over the references of each sequence.
///  - contributions: m ⊙ (x - r) (grad: the gradient itself; ism: see below). For one-hot DNA
///    each position's total Σ_c m[c](x[c] - r[c]) (= the hypothetical contribution of the
///    observed base) is put at the observed base, 0 at the other three (the layout TF-MoDISco
///    and tangermeme expect; per-position sums unchanged). N positions keep m ⊙ (x - r);
///  - hypothetical: empty for methods without one (grad, ism) and for inputs that are not
///    one-hot DNA (C != 4 or 2-D);
///  - delta (T x n): the summation-to-delta error Σ contributions - mean Δlogit (= the mean over
///    references of each reference's error); 0-sized unless has_delta(kind) (deeplift, ig);
///  - references (with cfg.store_references, methods with a reference): (C x n*K*S), block
///    i*K + j is reference j of sample i (K = n_references); shared references are repeated;
///  - ism (ism only): the full map, Δlogit of substituting each base (0 at the observed base).
///    Its `contributions` are the per-base importance of the observed base, -(mean of the three
///    substitutions' Δlogit), at the observed base and 0 elsewhere (0 at N positions), so that
///    summing over A,C,G,T gives a per-position score like every other method's.
/// The max errors are over every (sequence, task, reference) before averaging, so averaging
/// can never hide a bad reference. The relative error is |error| / max(|Δlogit|, 1): relative
/// for logit changes above 1, absolute below (a Δlogit near 0 would make a pure ratio explode).
struct MethodResult {
  Mat contributions;
  Mat hypothetical;
  Mat delta;
  Mat ism;
  Mat references;
  int n_references = 0;      // per sequence (0 for grad and ism)
  double max_abs_delta = 0;  // over sequences, tasks and references (never averaged away)
  double max_rel_delta = 0;  // as above, relative
  int worst_sequence = -1;   // 0-based within x, of the largest relative error (-1: no delta)
  int worst_task = -1;       // position in `tasks`
  int worst_reference = -1;
};

/// One batch as a method kind's function sees it (run_with_references): n samples x (C x n*S),
/// the tasks, the references (none for methods without one) and one noise stream per sample.
struct MethodBatch {
  const Method& method;
  const model::Network& net;
  const Mat& x;
  int n;
  const Targets& targets;
  const AttributionConfig& cfg;
  std::span<const Reference> refs;
  std::span<const std::uint64_t> streams;  // n values
  IgRule ig_rule;
};

/// The multipliers of a method with a reference, (C x T*n*S) each: one map for every reference
/// (`shared`: gradients do not depend on the reference), or one per reference (`per_reference`),
/// with each reference's logit differences (T x n) for the summation check when the kind has a
/// `.delta`.
struct Multipliers {
  Mat shared;
  std::vector<Mat> per_reference, dlogit;
};

/// What every method kind is, in one table, the only list of kinds (`attribute`, `evaluate`,
/// `sanity` and the MNIST erasure benchmark all parse through it, and run_with_references runs
/// a kind only through its row's function):
///  - its name in method strings; what may follow "name:" (`argument`, e.g. "<rules>"; empty:
///    nothing; required or optional) and the function that parses it into the Method;
///  - whether it takes a reference (and so has hypothetical contributions on one-hot input) and
///    the reference it uses when the method string names none (empty: attribution.reference),
///    and whether that reference must be a shuffle;
///  - whether it has the summation-to-delta / completeness property (a `.delta`), and whether
///    that sum is exact up to rounding (DeepLIFT) or up to a quadrature error (IG);
///  - whether +gc applies (gradient-based kinds) and whether it needs one-hot DNA input;
///  - how it computes: `map` for kinds without a reference (the map itself into
///    contributions, and for ism the full map), `multipliers` for kinds with one. Exactly one
///    of the two is set, as uses_reference says (tested for every row).
struct MethodKindInfo {
  std::string_view name;
  Method::Kind kind;
  std::string_view argument = {};
  bool argument_required = false;
  bool uses_reference = false;
  bool has_delta = false;
  bool exact_delta = false;               // summation-to-delta exact up to float rounding
  bool needs_shuffled_reference = false;  // averages over shuffled references only
  bool gradient_based = true;             // +gc (gradient correction) applies
  bool needs_one_hot = false;             // computes on one-hot DNA only
  bool full_map = false;                  // also fills MethodResult::ism
  std::string_view default_reference = {};
  std::string_view summary = {};  // one line, for --help and the docs
  /// The text after "name:" (the whole item for errors); net is null when validating without a
  /// network. Null for kinds without an argument.
  void (*parse_argument)(Method& m, std::string_view item, std::string_view arg, const model::Network* net,
                         const AttributionConfig& cfg) = nullptr;
  void (*map)(const MethodBatch& b, MethodResult& res) = nullptr;
  Multipliers (*multipliers)(const MethodBatch& b) = nullptr;
};
std::span<const MethodKindInfo> method_kinds();
const MethodKindInfo& method_kind_info(Method::Kind kind);
/// Every kind as written in a method list, from the table: "grad, abs_grad, grad_x_input,
/// ig[:<steps>], ..., deeplift:<rules>, ..." (the "expected one of" of the errors).
std::string method_kind_list();

/// "summation-to-delta error" for kinds whose sum is exact (DeepLIFT), "completeness error" for
/// those whose sum holds up to a quadrature error (IG, expected gradients), as the logs and
/// docs/attribution.md name them.
std::string_view delta_error_name(const Method& method);

/// The first layer with the gradient rule (role Gradient, such as a max pool), as
/// "'<name>' (<description>)", or empty: across such a layer DeepLIFT passes its multipliers
/// through the layer's gradient at the actual input (deeplift's max-pool rule), so its
/// contributions need not add up to the logit difference.
std::string gradient_rule_layer(const model::Network& net);

/// Whether a method's summation-to-delta error is a defect to warn about on this network: the
/// kind's sum is exact (DeepLIFT), the method keeps its `.delta` (no +gc) and no layer has the
/// gradient rule; `max_rel_delta` above `cfg.delta_warn` then violates it.
bool delta_violated(const Method& method, const model::Network& net, double max_rel_delta,
                    const AttributionConfig& cfg);

/// Called after each chunk with the number of sequences done so far (serialised, in any order).
using ProgressFn = std::function<void(int done)>;

/// Runs a method on sequences x (C x n*S) of the network's input shape (for DNA: one-hot
/// 4 x n*L), whose dataset indices are first_index.. (for the shuffle seeds: sequence s draws
/// its cfg.n_shuffles references from Rng(cfg.seed, first_index + s)), in chunks of cfg.chunk
/// sequences in parallel. Deterministic for any thread count. With cfg.weight_normalize the
/// first layer is normalised (appendix K) first; with cfg.mean_normalize the last layer is
/// centred over classes (softmax models only: ConfigError otherwise). Background and shuffled
/// references need one-hot DNA input (ConfigError naming attribution.reference otherwise).
MethodResult run_method(const Method& method, const model::Network& net, const Mat& x, int n,
                        std::span<const int> tasks, const AttributionConfig& cfg, std::uint64_t first_index = 0,
                        const ProgressFn& progress = {});
/// The same with an explicit shuffle stream per sequence (n values; e.g. the dataset indices of
/// a split, which are not consecutive), so a sequence gets the same references whichever
/// subset of the dataset it is attributed with.
MethodResult run_method(const Method& method, const model::Network& net, const Mat& x, int n,
                        std::span<const int> tasks, const AttributionConfig& cfg,
                        std::span<const std::uint64_t> streams, const ProgressFn& progress = {});
/// The same for any targets (attribution/targets.h), unbound: `tasks` above are HEAD[i] targets.
MethodResult run_method(const Method& method, const model::Network& net, const Mat& x, int n,
                        const Targets& targets, const AttributionConfig& cfg,
                        std::span<const std::uint64_t> streams, const ProgressFn& progress = {});

/// The core of run_method on one batch, without chunking or network normalisation: the method
/// against the given references (for methods without a reference, grad and ism: none), averaged
/// over them. Each reference is shared or per sample (engine.h). worst_sequence is within x.
/// `streams` (n values, or empty for 0..n-1) seed SmoothGrad's noise per sample.
MethodResult run_with_references(const Method& method, const model::Network& net, const Mat& x, int n,
                                 std::span<const int> tasks, const AttributionConfig& cfg,
                                 std::span<const Reference> refs, std::span<const std::uint64_t> streams = {});
/// The same for any targets; profile_detached weights are bound here from x's logits unless
/// already bound.
MethodResult run_with_references(const Method& method, const model::Network& net, const Mat& x, int n,
                                 const Targets& targets, const AttributionConfig& cfg,
                                 std::span<const Reference> refs, std::span<const std::uint64_t> streams = {});

}  // namespace lb::attr
