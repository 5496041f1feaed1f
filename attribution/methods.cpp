// Attribution methods by name: parsing, references per chunk, Multiref-n averaging and the
// summation-to-delta bookkeeping. The rules themselves live in engine.cpp and onehot.cpp.
#include "attribution/methods.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <mutex>

#include <fmt/format.h>

#include "attribution/onehot.h"
#include "attribution/profile.h"
#include "io/atomic_file.h"
#include "io/npz.h"
#include "core/error.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/text.h"
#include "sim/pwm.h"
#include "sim/shuffle.h"

namespace lb::attr {

namespace {

const MethodKindInfo* find_kind(std::string_view name);

// The parts of a method string: kind[:arg] +modifiers @reference.
struct MethodSyntax {
  std::string_view kind, arg, reference;
  bool has_arg = false, has_reference = false, gc = false, rcavg = false;
};

MethodSyntax split_method(std::string_view item) {
  MethodSyntax m;
  std::string_view body = item;
  if (const auto at = item.find('@'); at != std::string_view::npos) {
    m.reference = item.substr(at + 1);
    m.has_reference = true;
    body = item.substr(0, at);
  }
  const auto plus = body.find('+');
  std::string_view mods = plus == std::string_view::npos ? std::string_view{} : body.substr(plus);
  body = body.substr(0, plus);
  const auto colon = body.find(':');
  m.kind = body.substr(0, colon);
  m.has_arg = colon != std::string_view::npos;
  if (m.has_arg) m.arg = body.substr(colon + 1);
  while (!mods.empty()) {  // "+gc+rcavg"
    const auto next = mods.find('+', 1);
    const std::string_view mod = mods.substr(1, next == std::string_view::npos ? std::string_view::npos : next - 1);
    bool& flag = mod == "gc" ? m.gc : m.rcavg;
    if ((mod != "gc" && mod != "rcavg"))
      throw ConfigError(fmt::format("attribution.methods: unknown modifier {} in {}; expected +gc or +rcavg, got {}",
                                    quote_token(fmt::format("+{}", mod)), quote_token(item),
                                    quote_token(fmt::format("+{}", mod))));
    if (flag)
      throw ConfigError(fmt::format("attribution.methods: modifier '+{}' twice in {}; expected each modifier once, "
                                    "got {}",
                                    mod, quote_token(item), quote_token(item)));
    flag = true;
    mods = next == std::string_view::npos ? std::string_view{} : mods.substr(next);
  }
  return m;
}

// One item of the list, without the rules check that needs a network (net == nullptr).
Method parse_one(std::string_view item, const model::Network* net, const AttributionConfig& cfg) {
  Method m{std::string(item), Method::Kind::Grad, {}, ReferenceKind::Background};
  if (!parse_reference(cfg.reference, m.reference))
    throw ConfigError(fmt::format("attribution.reference: unknown reference; expected zeros, background, shuffle or "
                                  "dinuc_shuffle, got {}",
                                  quote_token(cfg.reference)));
  const MethodSyntax syn = split_method(item);
  if (syn.has_reference && !parse_reference(syn.reference, m.reference))
    throw ConfigError(fmt::format("attribution.methods: unknown reference {} in {}; expected zeros, background, "
                                  "shuffle or dinuc_shuffle, got {}",
                                  quote_token(syn.reference), quote_token(item), quote_token(syn.reference)));
  const MethodKindInfo* info = find_kind(syn.kind);
  if (!info)
    throw ConfigError(fmt::format("attribution.methods: unknown method {}; expected one of {}, got {}",
                                  quote_token(item), method_kind_list(), quote_token(item)));
  m.kind = info->kind;
  // What follows "name:" is the kind's to parse (a required argument's parser refuses an empty one).
  if (syn.has_arg && !info->parse_argument)
    throw ConfigError(fmt::format("attribution.methods: unknown method {}; expected one of {}, got {}",
                                  quote_token(item), method_kind_list(), quote_token(item)));
  if (syn.has_arg || info->argument_required) info->parse_argument(m, item, syn.arg, net, cfg);
  if (syn.has_reference && !info->uses_reference)
    throw ConfigError(fmt::format("attribution.methods: method '{}' takes no reference; expected '{}', got {}",
                                  info->name, info->name, quote_token(item)));
  if (!syn.has_reference && !info->default_reference.empty()) parse_reference(info->default_reference, m.reference);
  if (info->needs_shuffled_reference && m.reference != ReferenceKind::Shuffle &&
      m.reference != ReferenceKind::DinucShuffle)
    throw ConfigError(fmt::format("attribution.methods: {} averages over shuffled references; expected @shuffle or "
                                  "@dinuc_shuffle, got {}",
                                  info->name, quote_token(item)));
  if (syn.gc && !info->gradient_based)
    throw ConfigError(fmt::format("attribution.methods: +gc corrects gradients and hypothetical scores; expected a "
                                  "gradient-based method, got {}",
                                  quote_token(item)));
  m.gradient_correction = syn.gc || (cfg.gradient_correction && info->gradient_based);
  m.revcomp_average = syn.rcavg || cfg.revcomp_average;
  return m;
}

std::vector<Method> parse_list(const std::string& list, const model::Network* net, const AttributionConfig& cfg) {
  std::vector<Method> out;
  std::string_view rest = list;
  if (trim(rest).empty())
    throw ConfigError(fmt::format("attribution.methods: empty method list; expected at least one method, got {}",
                                  quote_token(list)));
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (item.empty())
      throw ConfigError(fmt::format("attribution.methods: empty method in the list; expected names separated by "
                                    "single commas, got {}",
                                    quote_token(list)));
    Method m = parse_one(item, net, cfg);
    for (const auto& prev : out)
      if (prev.name == m.name)
        throw ConfigError(fmt::format("attribution.methods: duplicate method {}; expected each method once, got {} "
                                      "twice",
                                      quote_token(m.name), quote_token(m.name)));
    out.push_back(std::move(m));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

bool is_one_hot_input(const model::Network& net) {
  const model::Shape s = net.input_shape();
  return s.c == 4 && s.h == 1;
}

// Reference j of each sequence of a chunk: blocks s*K + j of the shuffles, side by side.
Reference gather_reference(const Mat& shuffles, int m, int n_refs, int j, int len) {
  Reference r{Mat(4, static_cast<Eigen::Index>(m) * len), false};
  for (int s = 0; s < m; ++s)
    r.values.middleCols(static_cast<Eigen::Index>(s) * len, len) =
        shuffles.middleCols((static_cast<Eigen::Index>(s) * n_refs + j) * len, len);
  return r;
}

// ISM's per-base contribution: -(mean of the three substitutions' Δlogit) at the observed base,
// the logit lost on average when the base is mutated away; 0 elsewhere and at N positions.
Mat ism_contributions(const Mat& ism, const Mat& x, int n, int n_tasks, int len) {
  Mat out = Mat::Zero(ism.rows(), ism.cols());
  for (int t = 0; t < n_tasks; ++t)
    for (int i = 0; i < n; ++i)
      for (int l = 0; l < len; ++l) {
        const Eigen::Index xc = static_cast<Eigen::Index>(i) * len + l;
        const Eigen::Index mc = (static_cast<Eigen::Index>(t) * n + i) * len + l;
        for (int b = 0; b < 4; ++b) {
          if (x(b, xc) != 1.0f) continue;
          out(b, mc) = -(ism.col(mc).sum() - ism(b, mc)) / 3.0f;
        }
      }
  return out;
}

// m ⊙ (x - r) is nonzero at unobserved bases too (x - r = -r there). For one-hot input the
// convention of deeplift's genomics notebooks, TF-MoDISco and tangermeme is the position's total,
// Σ_c m[c](x[c] - r[c]) = hyp[observed], at the observed base and 0 elsewhere; the per-position
// sums, and so summation-to-delta, are unchanged. An N column (all zero) has no observed base:
// its raw contributions stay, so the sums still add up.
void project_on_observed_base(Mat& contrib, const Mat& x, int n, int n_tasks, int len) {
  for (int t = 0; t < n_tasks; ++t)
    for (int i = 0; i < n; ++i)
      for (int l = 0; l < len; ++l) {
        const Eigen::Index xc = static_cast<Eigen::Index>(i) * len + l;
        if (x.col(xc).sum() != 1.0f) continue;
        const Eigen::Index mc = (static_cast<Eigen::Index>(t) * n + i) * len + l;
        const float total = contrib.col(mc).sum();
        for (int b = 0; b < 4; ++b) contrib(b, mc) = x(b, xc) == 1.0f ? total : 0.0f;
      }
}

// Reverse complement of one-hot blocks in place: every block of `len` columns reversed in
// position and in channel (A C G T -> T G C A is the row reversal), so the map of rc(x)
// becomes a map over x's positions and bases. Works on inputs (4 x n*L) and on multiplier
// layouts (4 x T*n*L) alike; its own inverse.
Mat revcomp_blocks(const Mat& m, int len) {
  Mat out(m.rows(), m.cols());
  const Eigen::Index blocks = m.cols() / len;
  for (Eigen::Index b = 0; b < blocks; ++b) out.middleCols(b * len, len) = m.middleCols(b * len, len).reverse();
  return out;
}

Reference revcomp_reference(const Reference& r, int len) { return Reference{revcomp_blocks(r.values, len), r.shared}; }

// The off-simplex correction: every column minus its mean over the channels (A, C, G, T).
void center_over_bases(Mat& m) {
  const Eigen::RowVectorXf mean = m.colwise().mean();
  m.rowwise() -= mean;
}

// Σ_c hyp[c] x[c] at the observed base of each one-hot column, 0 elsewhere (0 at N columns):
// contributions from hypothetical scores.
Mat observed_from_hypothetical(const Mat& hyp, const Mat& x, int n, int n_tasks, int len) {
  Mat out = Mat::Zero(hyp.rows(), hyp.cols());
  for (int t = 0; t < n_tasks; ++t)
    for (int i = 0; i < n; ++i)
      for (int l = 0; l < len; ++l) {
        const Eigen::Index xc = static_cast<Eigen::Index>(i) * len + l;
        const Eigen::Index mc = (static_cast<Eigen::Index>(t) * n + i) * len + l;
        for (Eigen::Index b = 0; b < hyp.rows(); ++b)
          if (x(b, xc) == 1.0f) out(b, mc) = hyp(b, mc);
      }
  return out;
}

// SmoothGrad (Smilkov et al. 2017): the gradient averaged over `samples` copies x + ε, ε ~ N(0, σ²)
// per element, σ = noise x (max - min of the sample's input). Sample i draws its noise from
// Rng(seed ^ kSmoothGradSalt, streams[i]): identical for any chunking and thread count.
constexpr std::uint64_t kSmoothGradSalt = 0x5347'7261'6453'6d6full;  // separates it from the shuffle streams

Mat smoothgrad_multipliers(const model::Network& net, const Mat& x, int n, const Targets& targets, int samples,
                           double noise, std::uint64_t seed, std::span<const std::uint64_t> streams) {
  LB_CHECK(streams.size() == static_cast<std::size_t>(n), "smoothgrad: {} noise streams for {} samples",
           streams.size(), n);
  const model::Shape in = net.input_shape();
  const Eigen::Index C = in.c, S = in.spatial(), K = samples, T = targets.size();
  Mat noisy(C, n * K * S);
  for (int i = 0; i < n; ++i) {
    const auto xi = x.middleCols(i * S, S);
    const double sigma = noise * (static_cast<double>(xi.maxCoeff()) - static_cast<double>(xi.minCoeff()));
    Rng rng(seed ^ kSmoothGradSalt, streams[static_cast<std::size_t>(i)]);
    for (Eigen::Index k = 0; k < K; ++k) {
      auto block = noisy.middleCols((i * K + k) * S, S);
      for (Eigen::Index e = 0; e < C * S; ++e) block.data()[e] = xi.data()[e] + static_cast<float>(sigma * rng.normal());
    }
  }
  const Mat g = gradient_multipliers(net, noisy, static_cast<int>(n * K), targets.repeat(samples), false);
  Mat out = Mat::Zero(C, T * n * S);
  for (Eigen::Index t = 0; t < T; ++t)
    for (Eigen::Index i = 0; i < n; ++i) {
      auto dst = out.middleCols((t * n + i) * S, S);
      for (Eigen::Index k = 0; k < K; ++k) dst += g.middleCols((t * n * K + i * K + k) * S, S);
      dst *= 1.0f / static_cast<float>(K);
    }
  return out;
}

// ---- The kinds: how each parses its argument and computes -----------------------------------

// deeplift:<rules>: the explicit form separates its items with ';' inside the comma-separated
// method list. Without a network only the syntax is checked (validate).
void parse_deeplift_rules(Method& m, std::string_view item, std::string_view arg, const model::Network* net,
                          const AttributionConfig& cfg) {
  (void)cfg;
  if (arg.empty())
    throw ConfigError(fmt::format("attribution.methods: 'deeplift' needs rules; expected deeplift:<rules> with "
                                  "rescale, revealcancel, genomics or layer=rule;..., got {}",
                                  quote_token(item)));
  if (!net) return;
  std::string spec(arg);
  std::replace(spec.begin(), spec.end(), ';', ',');
  m.rules = parse_rules(*net, spec);
}

// ig:<steps>: this method's own number of quadrature nodes instead of attribution.ig_steps.
void parse_ig_steps(Method& m, std::string_view item, std::string_view arg, const model::Network* net,
                    const AttributionConfig& cfg) {
  (void)net;
  const int min_steps = cfg.ig_rule == "trapezoid" ? 2 : 1;
  int steps = 0;
  const auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), steps);
  if (arg.empty() || ec != std::errc{} || p != arg.data() + arg.size() || steps < min_steps)
    throw ConfigError(fmt::format("attribution.methods: bad step count in {}; expected ig:<steps> with an integer "
                                  ">= {}, got {}",
                                  quote_token(item), min_steps, quote_token(arg)));
  m.ig_steps = steps;
}

// Maps of the kinds without a reference, into res.contributions; +gc centres the gradient over
// the bases.
Mat corrected(const MethodBatch& b, Mat g) {
  if (b.method.gradient_correction) center_over_bases(g);
  return g;
}
void map_grad(const MethodBatch& b, MethodResult& res) {
  res.contributions = corrected(b, gradient_multipliers(b.net, b.x, b.n, b.targets, false));
}
void map_guided_grad(const MethodBatch& b, MethodResult& res) {
  res.contributions = corrected(b, gradient_multipliers(b.net, b.x, b.n, b.targets, true));
}
// |gradient| where the input is nonzero, 0 where it is 0.
void map_abs_grad(const MethodBatch& b, MethodResult& res) {
  res.contributions = corrected(b, gradient_multipliers(b.net, b.x, b.n, b.targets, false));
  const Eigen::Index block_cols = static_cast<Eigen::Index>(b.n) * b.net.input_shape().spatial();
  for (Eigen::Index t = 0; t < static_cast<Eigen::Index>(b.targets.size()); ++t) {
    auto block = res.contributions.middleCols(t * block_cols, block_cols);
    block = (b.x.array() != 0.0f).select(block.cwiseAbs(), 0.0f);
  }
}
Mat smoothgrad_of(const MethodBatch& b) {
  return smoothgrad_multipliers(b.net, b.x, b.n, b.targets, b.cfg.smoothgrad_samples, b.cfg.smoothgrad_noise, b.cfg.seed,
                                b.streams);
}
void map_smoothgrad(const MethodBatch& b, MethodResult& res) { res.contributions = corrected(b, smoothgrad_of(b)); }
void map_ism(const MethodBatch& b, MethodResult& res) {
  res.ism = in_silico_mutagenesis(b.net, b.x, b.n, b.targets);
  res.contributions = ism_contributions(res.ism, b.x, b.n, static_cast<int>(b.targets.size()),
                                        b.net.input_shape().spatial());
}

// Multipliers of the kinds with a reference.
Multipliers mult_gradient(const MethodBatch& b) {
  return {gradient_multipliers(b.net, b.x, b.n, b.targets, false), {}, {}};
}
Multipliers mult_guided(const MethodBatch& b) { return {gradient_multipliers(b.net, b.x, b.n, b.targets, true), {}, {}}; }
Multipliers mult_smoothgrad(const MethodBatch& b) { return {smoothgrad_of(b), {}, {}}; }
// DeepLIFT against every reference in one call: the input's forward pass is shared.
Multipliers mult_deeplift(const MethodBatch& b) {
  Multipliers out;
  out.per_reference = deeplift_multipliers(b.net, b.x, b.refs, b.n, b.targets, b.method.rules,
                                           DeepliftOptions{b.cfg.near_zero}, &out.dlogit);
  return out;
}
Multipliers mult_integrated_gradients(const MethodBatch& b) {
  Multipliers out;
  const int steps = b.method.ig_steps > 0 ? b.method.ig_steps : b.cfg.ig_steps;
  for (const Reference& r : b.refs) {
    Mat dlogit;
    out.per_reference.push_back(integrated_gradients(b.net, b.x, r, b.n, b.targets, steps, b.ig_rule, &dlogit));
    out.dlogit.push_back(std::move(dlogit));
  }
  return out;
}

// The registry: every method kind, in the order the errors list them.
using K = Method::Kind;
const MethodKindInfo kKinds[] = {
    {.name = "grad", .kind = K::Grad, .summary = "the gradient of the logit", .map = map_grad},
    {.name = "abs_grad",
     .kind = K::AbsGrad,
     .summary = "|gradient| where the input is nonzero, 0 where it is 0 (the saliency map of the paper's MNIST "
                "benchmark)",
     .map = map_abs_grad},
    {.name = "grad_x_input",
     .kind = K::GradXInput,
     .uses_reference = true,
     .summary = "gradient x (input - reference)",
     .multipliers = mult_gradient},
    {.name = "ig",
     .kind = K::Ig,
     .argument = "<steps>",
     .uses_reference = true,
     .has_delta = true,
     .summary = "integrated gradients (attribution.ig_steps, or ig:<steps>; attribution.ig_rule)",
     .parse_argument = parse_ig_steps,
     .multipliers = mult_integrated_gradients},
    {.name = "guided_backprop",
     .kind = K::GuidedBackprop,
     .uses_reference = true,
     .summary = "guided backprop x (input - reference)",
     .multipliers = mult_guided},
    {.name = "guided_grad",
     .kind = K::GuidedGrad,
     .summary = "the guided-backprop multipliers themselves",
     .map = map_guided_grad},
    {.name = "deeplift",
     .kind = K::Deeplift,
     .argument = "<rules>",
     .argument_required = true,
     .uses_reference = true,
     .has_delta = true,
     .exact_delta = true,
     .summary = "DeepLIFT with rules: deeplift:<rules>",
     .parse_argument = parse_deeplift_rules,
     .multipliers = mult_deeplift},
    {.name = "ism",
     .kind = K::Ism,
     .gradient_based = false,
     .needs_one_hot = true,
     .full_map = true,
     .summary = "in-silico mutagenesis",
     .map = map_ism},
    {.name = "smoothgrad",
     .kind = K::SmoothGrad,
     .summary = "the gradient averaged over noisy copies (attribution.smoothgrad_samples, smoothgrad_noise)",
     .map = map_smoothgrad},
    {.name = "smoothgrad_x_input",
     .kind = K::SmoothGradXInput,
     .uses_reference = true,
     .summary = "SmoothGrad x (input - reference)",
     .multipliers = mult_smoothgrad},
    {.name = "expected_gradients",
     .kind = K::ExpectedGradients,
     .uses_reference = true,
     .has_delta = true,
     .needs_shuffled_reference = true,
     .default_reference = "dinuc_shuffle",
     .summary = "integrated gradients averaged over attribution.n_shuffles shuffled references",
     .multipliers = mult_integrated_gradients},
};

const MethodKindInfo* find_kind(std::string_view name) {
  for (const auto& k : kKinds)
    if (k.name == name) return &k;
  return nullptr;
}

// Per-chunk worst error, reduced in chunk order afterwards (thread-count independent).
struct Worst {
  double abs = 0, rel = 0;
  int seq = -1, task = -1, ref = -1;
};

}  // namespace

bool parse_reference(std::string_view name, ReferenceKind& out) {
  if (name == "zeros") out = ReferenceKind::Zeros;
  else if (name == "background") out = ReferenceKind::Background;
  else if (name == "shuffle") out = ReferenceKind::Shuffle;
  else if (name == "dinuc_shuffle") out = ReferenceKind::DinucShuffle;
  else return false;
  return true;
}

std::string_view reference_name(ReferenceKind kind) {
  switch (kind) {
    case ReferenceKind::Zeros: return "zeros";
    case ReferenceKind::Background: return "background";
    case ReferenceKind::Shuffle: return "shuffle";
    case ReferenceKind::DinucShuffle: return "dinuc_shuffle";
  }
  return "?";
}

bool parse_ig_rule(std::string_view name, IgRule& out) {
  if (name == "midpoint") out = IgRule::Midpoint;
  else if (name == "trapezoid") out = IgRule::Trapezoid;
  else if (name == "gauss_legendre") out = IgRule::GaussLegendre;
  else return false;
  return true;
}

GivenReferences read_references(const std::string& path, int n, const model::Shape& input) {
  const io::NpyArray a = io::decode_npy(io::read_file(path), path);
  std::vector<std::int64_t> want{n, -1, input.c};
  if (input.h > 1) want.push_back(input.h);
  want.push_back(input.w);
  std::string want_str = fmt::format("({}, K, {}{}, {})", n, input.c, input.h > 1 ? fmt::format(", {}", input.h) : "",
                                     input.w);
  bool ok = a.shape.size() == want.size() && a.shape[1] >= 1;
  for (std::size_t d = 0; ok && d < want.size(); ++d) ok = want[d] < 0 || a.shape[d] == want[d];
  if (!ok)
    throw InputError(fmt::format("{}: wrong shape; expected {} for the {} sequences of {} (K references each), got {}",
                                 path, want_str, n, input.str(), a.shape_str()));
  if (a.dtype != "<f4" && a.dtype != "<f8")
    throw InputError(fmt::format("{}: wrong dtype; expected float32 or float64, got {}", path, a.dtype));
  const std::vector<double> v = a.to_f64(path);
  const int k = static_cast<int>(a.shape[1]), S = input.spatial(), C = input.c;
  GivenReferences out;
  out.k = k;
  out.values.resize(C, static_cast<Eigen::Index>(n) * k * S);
  // (n, K, C, S) C order -> column (i*K + j)*S + p, row c.
  for (std::size_t e = 0; e < v.size(); ++e) {
    if (!std::isfinite(v[e])) {
      const std::size_t p = e % S, c = e / S % C, j = e / S / C % k, i = e / S / C / k;
      throw InputError(fmt::format("{}: value {} at [{}, {}, {}, {}]; expected finite values", path, v[e], i, j, c, p));
    }
    const std::size_t p = e % S, c = e / S % C, block = e / S / C;
    out.values(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(block * S + p)) = static_cast<float>(v[e]);
  }
  return out;
}

bool load_given_references(AttributionConfig& cfg, int n, const model::Shape& input) {
  if (cfg.references_file.empty()) return false;
  cfg.given_references = std::make_shared<const GivenReferences>(read_references(cfg.references_file, n, input));
  return true;
}

void validate(const AttributionConfig& cfg) {
  ReferenceKind ref{};
  if (!parse_reference(cfg.reference, ref))
    throw ConfigError(fmt::format("attribution.reference: unknown reference; expected zeros, background, shuffle or "
                                  "dinuc_shuffle, got {}",
                                  quote_token(cfg.reference)));
  sim::validate_background(sim::Background{cfg.background}, "attribution.background");
  check_at_least(cfg.n_shuffles, 1, "attribution.n_shuffles");
  check_at_least(cfg.ig_steps, 1, "attribution.ig_steps");
  IgRule rule{};
  if (!parse_ig_rule(cfg.ig_rule, rule))
    throw ConfigError(fmt::format("attribution.ig_rule: unknown rule; expected midpoint, trapezoid or gauss_legendre, "
                                  "got {}",
                                  quote_token(cfg.ig_rule)));
  // The trapezoid rule's nodes include both ends: it needs two.
  if (rule == IgRule::Trapezoid) check_at_least(cfg.ig_steps, 2, "attribution.ig_steps (trapezoid)");
  if (!(cfg.near_zero > 0 && std::isfinite(cfg.near_zero)))
    throw ConfigError(fmt::format("attribution.near_zero: must be positive; expected a value > 0, got {}", cfg.near_zero));
  if (!(cfg.delta_warn >= 0 && std::isfinite(cfg.delta_warn)))
    throw ConfigError(fmt::format("attribution.delta_warn: must be non-negative; expected a value >= 0, got {}",
                                  cfg.delta_warn));
  check_at_least(cfg.chunk, 1, "attribution.chunk");
  check_at_least(cfg.smoothgrad_samples, 1, "attribution.smoothgrad_samples");
  if (!(cfg.smoothgrad_noise >= 0 && std::isfinite(cfg.smoothgrad_noise)))
    throw ConfigError(fmt::format("attribution.smoothgrad_noise: must be non-negative; expected a value >= 0, got {}",
                                  cfg.smoothgrad_noise));
  parse_list(cfg.methods, nullptr, cfg);
  if (!trim(cfg.targets).empty()) validate_targets(cfg.targets);
}

std::vector<Method> parse_methods(const std::string& list, const model::Network& net, const AttributionConfig& cfg) {
  return parse_list(list, &net, cfg);
}

Method parse_method(std::string_view item, const model::Network& net, const AttributionConfig& cfg) {
  return parse_one(trim(item), &net, cfg);
}

std::span<const MethodKindInfo> method_kinds() { return kKinds; }

std::string method_kind_list() {
  std::string out;
  for (const auto& k : kKinds) {
    if (!out.empty()) out += ", ";
    out += k.name;
    if (!k.argument.empty())
      out += (k.argument_required ? ":" : "[:") + std::string(k.argument) + (k.argument_required ? "" : "]");
  }
  return out;
}

const MethodKindInfo& method_kind_info(Method::Kind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k;
  LB_CHECK(false, "method kind {} not in the table", static_cast<int>(kind));
  return kKinds[0];
}

bool has_delta(Method::Kind kind) { return method_kind_info(kind).has_delta; }
bool has_delta(const Method& method) { return has_delta(method.kind) && !method.gradient_correction; }
bool uses_reference(Method::Kind kind) { return method_kind_info(kind).uses_reference; }

std::string_view delta_error_name(const Method& method) {
  return method_kind_info(method.kind).exact_delta ? "summation-to-delta error" : "completeness error";
}

std::string gradient_rule_layer(const model::Network& net) {
  for (int i = 0; i < net.n_layers(); ++i)
    if (net.layer(i).attr_role() == model::AttrRole::Gradient)
      return fmt::format("{} ({})", quote_token(net.layer(i).name()), net.layer(i).describe());
  return {};
}

bool delta_violated(const Method& method, const model::Network& net, double max_rel_delta,
                    const AttributionConfig& cfg) {
  return method_kind_info(method.kind).exact_delta && has_delta(method) && gradient_rule_layer(net).empty() &&
         max_rel_delta > cfg.delta_warn;
}

std::string method_reference_label(std::string_view name, std::string_view default_reference) {
  MethodSyntax syn;
  try {
    syn = split_method(name);
  } catch (const ConfigError&) {
    return std::string(default_reference);
  }
  if (syn.has_reference) return std::string(syn.reference);  // as the array name says
  const MethodKindInfo* info = find_kind(syn.kind);
  if (info && !info->uses_reference) return "none";
  if (info && !info->default_reference.empty()) return std::string(info->default_reference);
  return std::string(default_reference);
}

Targets resolve_targets(const AttributionConfig& cfg, const model::Network& net) {
  if (!trim(cfg.targets).empty()) {
    if (trim(cfg.tasks) != "all")
      throw ConfigError(fmt::format("attribution.targets: set with attribution.tasks = {}; expected one of the two, got "
                                    "both",
                                    quote_token(cfg.tasks)));
    return parse_targets(cfg.targets, net);
  }
  if (net.heads().size() > 1 && trim(cfg.tasks) == "all")
    throw ConfigError(fmt::format("attribution.targets: the model has heads {}; expected targets naming them, e.g. "
                                  "profile({}) or counts({}), got none",
                                  model::heads_str(net), net.heads()[0].name, net.heads().back().name));
  return Targets::units(net, parse_tasks(cfg.tasks, net.n_outputs()));
}

std::vector<int> parse_tasks(const std::string& spec, int n_outputs) {
  std::vector<int> out;
  const std::string_view all = trim(spec);
  if (all == "all") {
    for (int t = 0; t < n_outputs; ++t) out.push_back(t);
    return out;
  }
  std::string_view rest = all;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    int t = -1;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), t);
    if (item.empty() || ec != std::errc{} || p != item.data() + item.size() || t < 0 || t >= n_outputs)
      throw ConfigError(fmt::format("attribution.tasks: bad task {}; expected all or task indices in [0, {}) "
                                    "separated by commas, got {}",
                                    quote_token(item), n_outputs, quote_token(spec)));
    if (!out.empty() && t <= out.back())
      throw ConfigError(fmt::format("attribution.tasks: tasks out of order; expected distinct indices in increasing "
                                    "order, got {}",
                                    quote_token(spec)));
    out.push_back(t);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

MethodResult run_method(const Method& method, const model::Network& net, const Mat& x, int n,
                        std::span<const int> tasks, const AttributionConfig& cfg, std::uint64_t first_index,
                        const ProgressFn& progress) {
  std::vector<std::uint64_t> streams(static_cast<std::size_t>(std::max(n, 0)));
  for (std::size_t i = 0; i < streams.size(); ++i) streams[i] = first_index + i;
  return run_method(method, net, x, n, Targets::units(net, tasks), cfg, streams, progress);
}

MethodResult run_method(const Method& method, const model::Network& net, const Mat& x, int n,
                        std::span<const int> tasks, const AttributionConfig& cfg,
                        std::span<const std::uint64_t> streams, const ProgressFn& progress) {
  return run_method(method, net, x, n, Targets::units(net, tasks), cfg, streams, progress);
}

MethodResult run_method(const Method& method, const model::Network& net_in, const Mat& x, int n,
                        const Targets& targets, const AttributionConfig& cfg,
                        std::span<const std::uint64_t> streams, const ProgressFn& progress) {
  const MethodKindInfo& info = method_kind_info(method.kind);
  const model::Shape in = net_in.input_shape();
  const int C = in.c, S = in.spatial(), T = targets.size();
  LB_CHECK(n >= 0 && x.rows() == C && x.cols() == static_cast<Eigen::Index>(n) * S,
           "run_method: x is {}x{}; expected {}x{} ({} samples of {})", x.rows(), x.cols(), C,
           static_cast<long>(n) * S, n, in.str());
  LB_CHECK(streams.size() == static_cast<std::size_t>(n), "run_method: {} shuffle streams for {} samples",
           streams.size(), n);
  LB_CHECK(!targets.needs_binding() || !targets.bound(), "run_method: targets bound before the chunks");
  const bool one_hot = is_one_hot_input(net_in);
  const bool uses_reference = info.uses_reference;
  if ((method.gradient_correction || method.revcomp_average) && !one_hot)
    throw ConfigError(fmt::format("attribution.methods: {} of {} needs one-hot DNA input (4 x L); expected a 4xL model "
                                  "input, got {}",
                                  method.gradient_correction ? "gradient correction (+gc)" : "reverse-complement "
                                                                                             "averaging (+rcavg)",
                                  quote_token(method.name), in.str()));
  if (uses_reference && method.reference != ReferenceKind::Zeros && !one_hot)
    throw ConfigError(fmt::format("attribution.reference: {} needs one-hot DNA input (4 x L); expected zeros for a {} "
                                  "input, got '{}' (method {})",
                                  reference_name(method.reference), in.str(), reference_name(method.reference),
                                  quote_token(method.name)));
  if (info.needs_one_hot && !one_hot)
    throw ConfigError(fmt::format("attribution.methods: {} needs one-hot DNA input (4 x L); expected a 4xL model "
                                  "input, got {}",
                                  info.name, in.str()));
  if (cfg.mean_normalize && net_in.output_kind() != model::OutputKind::Softmax)
    throw ConfigError("attribution.mean_normalize: centres the logits of a softmax model; expected model.output = "
                      "softmax, got sigmoid");
  // Appendix K and the softmax centring both act on copies; the caller's network is untouched.
  model::Network normalized, centred;
  const model::Network* net = &net_in;
  if (cfg.weight_normalize) {
    // Appendix K preserves outputs only when the channels sum to 1 at every position (one-hot
    // DNA); on other input (e.g. one-channel images, where W' = 0) it would silently change the model.
    if (!is_one_hot_input(*net))
      throw ConfigError(fmt::format("attribution.weight_normalize: needs one-hot DNA input; expected a 4xL model "
                                    "input, got {}",
                                    net->input_shape().str()));
    normalized = normalize_first_layer(*net);
    net = &normalized;
  }
  if (cfg.mean_normalize) {
    centred = mean_normalize_softmax(*net);
    net = &centred;
  }

  const GivenReferences* given = uses_reference ? cfg.given_references.get() : nullptr;
  if (given)
    LB_CHECK(given->values.rows() == C && given->values.cols() == static_cast<Eigen::Index>(n) * given->k * S,
             "run_method: given references {}x{} for {} sequences of {} x {}", given->values.rows(),
             given->values.cols(), n, given->k, in.str());
  const bool shuffled =
      !given && (method.reference == ReferenceKind::Shuffle || method.reference == ReferenceKind::DinucShuffle);
  const int n_refs = !uses_reference ? 0 : given ? given->k : shuffled ? cfg.n_shuffles : 1;
  const sim::ShuffleKind shuffle_kind = method.reference == ReferenceKind::Shuffle ? sim::ShuffleKind::Mono
                                        : cfg.deeplift_compatible_shuffle         ? sim::ShuffleKind::DinucCompatible
                                                                                  : sim::ShuffleKind::Dinuc;
  Reference shared;
  if (method.reference == ReferenceKind::Zeros) shared = zero_reference(C, S);
  else if (method.reference == ReferenceKind::Background && one_hot) shared = background_reference(cfg.background, S);

  MethodResult res;
  res.n_references = n_refs;
  const Eigen::Index cols = static_cast<Eigen::Index>(T) * n * S;
  res.contributions = Mat::Zero(C, cols);
  if (one_hot && uses_reference) res.hypothetical = Mat::Zero(C, cols);
  if (info.full_map) res.ism = Mat::Zero(C, cols);
  if (has_delta(method)) res.delta = Mat::Zero(T, n);
  if (cfg.store_references && uses_reference) res.references = Mat::Zero(C, static_cast<Eigen::Index>(n) * n_refs * S);

  const int chunk = std::max(1, cfg.chunk);
  const int n_chunks = (n + chunk - 1) / chunk;
  std::vector<Worst> worst(static_cast<std::size_t>(n_chunks));
  std::mutex progress_mutex;
  int done = 0;

  parallel_for(n_chunks, [&](int c) {
    const int s0 = c * chunk, m = std::min(chunk, n - s0);
    const Mat xc = x.middleCols(static_cast<Eigen::Index>(s0) * S, static_cast<Eigen::Index>(m) * S);
    std::vector<Reference> refs;
    StageTimer timer("references (shuffles)");
    if (given) {  // the user's, block s*K + j of the chunk
      const Mat block = given->values.middleCols(static_cast<Eigen::Index>(s0) * n_refs * S,
                                                 static_cast<Eigen::Index>(m) * n_refs * S);
      for (int j = 0; j < n_refs; ++j) refs.push_back(gather_reference(block, m, n_refs, j, S));
    } else if (shuffled) {
      // Block s*K + j is reference j of chunk sample s, drawn from that sample's own stream.
      Mat shuffles(C, static_cast<Eigen::Index>(m) * n_refs * S);
      for (int s = 0; s < m; ++s)
        shuffles.middleCols(static_cast<Eigen::Index>(s) * n_refs * S, static_cast<Eigen::Index>(n_refs) * S) =
            sim::shuffle_one_hot(xc.middleCols(static_cast<Eigen::Index>(s) * S, S), 1, S, shuffle_kind, n_refs,
                                 cfg.seed, streams[static_cast<std::size_t>(s0 + s)]);
      for (int j = 0; j < n_refs; ++j) refs.push_back(gather_reference(shuffles, m, n_refs, j, S));
    } else if (uses_reference) {
      refs.push_back(shared);
    }
    timer.stop();
    const std::span<const std::uint64_t> chunk_streams = streams.subspan(static_cast<std::size_t>(s0), static_cast<std::size_t>(m));
    MethodResult r = run_with_references(method, *net, xc, m, targets, cfg, refs, chunk_streams);
    if (method.revcomp_average) {
      // The same method on the reverse complements (against the reverse complements of the same
      // references; SmoothGrad draws fresh noise from the streams + 2^63), mapped back and averaged.
      std::vector<Reference> rc_refs;
      for (const Reference& ref : refs) rc_refs.push_back(revcomp_reference(ref, S));
      std::vector<std::uint64_t> rc_streams(chunk_streams.begin(), chunk_streams.end());
      for (auto& st : rc_streams) st ^= std::uint64_t{1} << 63;
      const MethodResult b = run_with_references(method, *net, revcomp_blocks(xc, S), m, targets, cfg, rc_refs, rc_streams);
      r.contributions = 0.5f * (r.contributions + revcomp_blocks(b.contributions, S));
      if (r.hypothetical.size()) r.hypothetical = 0.5f * (r.hypothetical + revcomp_blocks(b.hypothetical, S));
      if (r.ism.size()) r.ism = 0.5f * (r.ism + revcomp_blocks(b.ism, S));
      if (r.delta.size()) r.delta = 0.5f * (r.delta + b.delta);
      r.max_abs_delta = std::max(r.max_abs_delta, b.max_abs_delta);
      if (b.worst_sequence >= 0 && b.max_rel_delta > r.max_rel_delta) {
        r.max_rel_delta = b.max_rel_delta;
        r.worst_sequence = b.worst_sequence;
        r.worst_task = b.worst_task;
        r.worst_reference = b.worst_reference;
      }
    }
    timer.next("gather chunk results");
    if (res.references.size())  // block (s0 + s)*K + j = reference j of sample s0 + s
      for (int s = 0; s < m; ++s)
        for (int j = 0; j < n_refs; ++j) {
          const Reference& ref = refs[static_cast<std::size_t>(j)];
          res.references.middleCols((static_cast<Eigen::Index>(s0 + s) * n_refs + j) * S, S) =
              ref.shared ? ref.values : ref.values.middleCols(static_cast<Eigen::Index>(s) * S, S);
        }
    // Chunk columns (task t of chunk sample s) -> result columns (task t of sample s0 + s).
    for (int t = 0; t < T; ++t) {
      const Eigen::Index src = static_cast<Eigen::Index>(t) * m * S;
      const Eigen::Index dst = (static_cast<Eigen::Index>(t) * n + s0) * S;
      const Eigen::Index len = static_cast<Eigen::Index>(m) * S;
      res.contributions.middleCols(dst, len) = r.contributions.middleCols(src, len);
      if (r.hypothetical.size()) res.hypothetical.middleCols(dst, len) = r.hypothetical.middleCols(src, len);
      if (r.ism.size()) res.ism.middleCols(dst, len) = r.ism.middleCols(src, len);
    }
    if (r.delta.size()) res.delta.middleCols(s0, m) = r.delta;
    worst[static_cast<std::size_t>(c)] =
        Worst{r.max_abs_delta, r.max_rel_delta, r.worst_sequence < 0 ? -1 : s0 + r.worst_sequence, r.worst_task,
              r.worst_reference};
    if (progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      done += m;
      progress(done);
    }
  });
  // Reduced in chunk order: the same worst case (first in sequence order on ties) for any thread count.
  for (const Worst& w : worst) {
    res.max_abs_delta = std::max(res.max_abs_delta, w.abs);
    if (w.seq >= 0 && (w.rel > res.max_rel_delta || res.worst_sequence < 0)) {
      res.max_rel_delta = w.rel;
      res.worst_sequence = w.seq;
      res.worst_task = w.task;
      res.worst_reference = w.ref;
    }
  }
  return res;
}

MethodResult run_with_references(const Method& method, const model::Network& net, const Mat& x, int n,
                                 std::span<const int> tasks, const AttributionConfig& cfg,
                                 std::span<const Reference> refs, std::span<const std::uint64_t> streams) {
  return run_with_references(method, net, x, n, Targets::units(net, tasks), cfg, refs, streams);
}

MethodResult run_with_references(const Method& method, const model::Network& net, const Mat& x, int n,
                                 const Targets& targets_in, const AttributionConfig& cfg,
                                 std::span<const Reference> refs, std::span<const std::uint64_t> streams) {
  const MethodKindInfo& info = method_kind_info(method.kind);
  const model::Shape in = net.input_shape();
  const int C = in.c, S = in.spatial(), T = targets_in.size();
  // profile_detached: the weights of every sample from its own input's logits, held for the
  // input, its references, IG's path, SmoothGrad's noise and ISM's mutants alike.
  const Targets targets = targets_in.bound_for(net, x, n);
  LB_CHECK(info.uses_reference ? !refs.empty() : refs.empty(), "run_with_references: {} references for method '{}'",
           refs.size(), method.name);
  const bool hypothetical = is_one_hot_input(net) && info.uses_reference;
  const bool delta = info.has_delta;  // computed with +gc too; dropped after the correction
  std::vector<std::uint64_t> own_streams;
  if (streams.empty()) {  // sample i of this batch draws from stream i
    for (int i = 0; i < n; ++i) own_streams.push_back(static_cast<std::uint64_t>(i));
    streams = own_streams;
  }
  IgRule ig_rule = IgRule::Midpoint;
  LB_CHECK(parse_ig_rule(cfg.ig_rule, ig_rule), "unknown attribution.ig_rule '{}' (validate() first)", cfg.ig_rule);
  const MethodBatch batch{method, net, x, n, targets, cfg, refs, streams, ig_rule};
  const Eigen::Index cols = static_cast<Eigen::Index>(T) * n * S;

  MethodResult res;
  res.n_references = static_cast<int>(refs.size());
  if (!info.uses_reference) {  // the maps: grad, abs_grad, guided_grad, smoothgrad, ism
    info.map(batch, res);
    return res;
  }
  res.contributions = Mat::Zero(C, cols);
  if (hypothetical) res.hypothetical = Mat::Zero(C, cols);
  if (delta) res.delta = Mat::Zero(T, n);
  Multipliers mult = info.multipliers(batch);
  LB_CHECK(mult.shared.size() ? mult.per_reference.empty() : mult.per_reference.size() == refs.size(),
           "method '{}': {} multiplier maps for {} references", method.name, mult.per_reference.size(), refs.size());
  LB_CHECK(!delta || mult.dlogit.size() == refs.size(), "method '{}': {} logit differences for {} references",
           method.name, mult.dlogit.size(), refs.size());
  for (std::size_t j = 0; j < refs.size(); ++j) {
    const Reference& r = refs[j];
    const Mat& mj = mult.shared.size() ? mult.shared : mult.per_reference[j];
    StageTimer timer("contributions (m x dx)");
    const Mat cj = contributions(mj, x, r, n, T, S);
    res.contributions += cj;
    timer.next("hypothetical scores");
    if (hypothetical) res.hypothetical += hypothetical_contributions(mj, r, n, T, S);
    if (!delta) continue;
    timer.next("summation check");
    // Checked per reference, before averaging: a bad reference cannot hide behind good ones.
    const Mat& dlogit = mult.dlogit[j];
    const Mat e = summation_error(cj, dlogit, n, S);
    res.delta += e;
    for (int s = 0; s < n; ++s)
      for (int t = 0; t < T; ++t) {
        double a = std::fabs(static_cast<double>(e(t, s)));
        if (std::isnan(a)) a = HUGE_VAL;  // a NaN must surface as the worst error, not vanish in max()
        const double rel = a / std::max(std::fabs(static_cast<double>(dlogit(t, s))), 1.0);
        res.max_abs_delta = std::max(res.max_abs_delta, a);
        if (rel > res.max_rel_delta || res.worst_sequence < 0) {
          res.max_rel_delta = rel;
          res.worst_sequence = s;
          res.worst_task = t;
          res.worst_reference = static_cast<int>(j);
        }
      }
  }
  StageTimer timer("average over references");
  if (refs.size() > 1) {
    const float inv = 1.0f / static_cast<float>(refs.size());
    res.contributions *= inv;
    if (hypothetical) res.hypothetical *= inv;
    if (delta) res.delta *= inv;
  }
  if (method.gradient_correction) {
    // Off-simplex correction: hyp - mean over bases (for one shared reference column this is
    // m - mean(m), whatever the reference); contributions are the corrected score of the
    // observed base (without hypothetical scores — not one-hot, which run_method refuses — the
    // contributions themselves are centred). The sum no longer targets Δlogit: no delta is kept.
    if (hypothetical) {
      center_over_bases(res.hypothetical);
      res.contributions = observed_from_hypothetical(res.hypothetical, x, n, T, S);
    } else {
      center_over_bases(res.contributions);
    }
    res.delta.resize(0, 0);
    res.max_abs_delta = res.max_rel_delta = 0;
    res.worst_sequence = res.worst_task = res.worst_reference = -1;
    return res;
  }
  timer.next("projection (observed base)");
  if (hypothetical) project_on_observed_base(res.contributions, x, n, T, S);
  return res;
}

}  // namespace lb::attr
