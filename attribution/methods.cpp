// Attribution methods by name: parsing, references per chunk, Multiref-n averaging and the
// summation-to-delta bookkeeping. The rules themselves live in engine.cpp and onehot.cpp.
#include "attribution/methods.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <fmt/format.h>

#include "attribution/onehot.h"
#include "core/error.h"
#include "core/text.h"
#include "core/parallel.h"
#include "sim/pwm.h"
#include "sim/shuffle.h"

namespace lb::attr {

namespace {

constexpr std::string_view kMethodNames =
    "grad, grad_x_input, ig, guided_backprop, deeplift:<rules>, ism";

// One item of the list, without the rules check that needs a network (net == nullptr).
Method parse_one(std::string_view item, const model::Network* net, const AttributionConfig& cfg) {
  Method m{std::string(item), Method::Kind::Grad, {}, ReferenceKind::Background};
  if (!parse_reference(cfg.reference, m.reference))
    throw ConfigError(fmt::format("attribution.reference: unknown reference; expected zeros, background, shuffle or "
                                  "dinuc_shuffle, got {}",
                                  quote_token(cfg.reference)));
  std::string_view body = item;
  bool own_reference = false;
  if (const auto at = item.find('@'); at != std::string_view::npos) {
    const std::string_view ref = item.substr(at + 1);
    if (!parse_reference(ref, m.reference))
      throw ConfigError(fmt::format("attribution.methods: unknown reference {} in {}; expected zeros, background, "
                                    "shuffle or dinuc_shuffle, got {}",
                                    quote_token(ref), quote_token(item), quote_token(ref)));
    body = item.substr(0, at);
    own_reference = true;
  }
  const auto colon = body.find(':');
  const std::string_view kind = body.substr(0, colon);
  const bool has_arg = colon != std::string_view::npos;
  auto unknown = [&] {
    return ConfigError(fmt::format("attribution.methods: unknown method {}; expected one of {}, got {}",
                                   quote_token(item), kMethodNames, quote_token(item)));
  };
  if (kind == "deeplift") {
    m.kind = Method::Kind::Deeplift;
    const std::string_view rules = has_arg ? body.substr(colon + 1) : std::string_view{};
    if (rules.empty())
      throw ConfigError(fmt::format("attribution.methods: 'deeplift' needs rules; expected deeplift:<rules> with "
                                    "rescale, revealcancel, genomics or layer=rule;..., got {}",
                                    quote_token(item)));
    if (net) {
      // The explicit form separates its items with ';' inside the comma-separated method list.
      std::string spec(rules);
      std::replace(spec.begin(), spec.end(), ';', ',');
      m.rules = parse_rules(*net, spec);
    }
    return m;
  }
  if (has_arg) throw unknown();
  if (kind == "grad") m.kind = Method::Kind::Grad;
  else if (kind == "grad_x_input") m.kind = Method::Kind::GradXInput;
  else if (kind == "ig") m.kind = Method::Kind::Ig;
  else if (kind == "guided_backprop") m.kind = Method::Kind::GuidedBackprop;
  else if (kind == "ism") m.kind = Method::Kind::Ism;
  else throw unknown();
  if (own_reference && (m.kind == Method::Kind::Grad || m.kind == Method::Kind::Ism))
    throw ConfigError(fmt::format("attribution.methods: method '{}' takes no reference; expected '{}', got {}", kind,
                                  kind, quote_token(item)));
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
  parse_list(cfg.methods, nullptr, cfg);
}

std::vector<Method> parse_methods(const std::string& list, const model::Network& net, const AttributionConfig& cfg) {
  return parse_list(list, &net, cfg);
}

bool has_delta(Method::Kind kind) { return kind == Method::Kind::Deeplift || kind == Method::Kind::Ig; }

MethodResult run_method(const Method& method, const model::Network& net, const Mat& x, int n,
                        std::span<const int> tasks, const AttributionConfig& cfg, std::uint64_t first_index,
                        const ProgressFn& progress) {
  std::vector<std::uint64_t> streams(static_cast<std::size_t>(std::max(n, 0)));
  for (std::size_t i = 0; i < streams.size(); ++i) streams[i] = first_index + i;
  return run_method(method, net, x, n, tasks, cfg, streams, progress);
}

MethodResult run_method(const Method& method, const model::Network& net_in, const Mat& x, int n,
                        std::span<const int> tasks, const AttributionConfig& cfg,
                        std::span<const std::uint64_t> streams, const ProgressFn& progress) {
  using Kind = Method::Kind;
  const model::Shape in = net_in.input_shape();
  const int C = in.c, S = in.spatial(), T = static_cast<int>(tasks.size());
  LB_CHECK(n >= 0 && x.rows() == C && x.cols() == static_cast<Eigen::Index>(n) * S,
           "run_method: x is {}x{}; expected {}x{} ({} samples of {})", x.rows(), x.cols(), C,
           static_cast<long>(n) * S, n, in.str());
  LB_CHECK(streams.size() == static_cast<std::size_t>(n), "run_method: {} shuffle streams for {} samples",
           streams.size(), n);
  for (int t : tasks) LB_CHECK(t >= 0 && t < net_in.n_outputs(), "run_method: task {} of {} outputs", t, net_in.n_outputs());
  const bool one_hot = is_one_hot_input(net_in);
  const bool uses_reference = method.kind != Kind::Grad && method.kind != Kind::Ism;
  if (uses_reference && method.reference != ReferenceKind::Zeros && !one_hot)
    throw ConfigError(fmt::format("attribution.reference: {} needs one-hot DNA input (4 x L); expected zeros for a {} "
                                  "input, got '{}' (method {})",
                                  reference_name(method.reference), in.str(), reference_name(method.reference),
                                  quote_token(method.name)));
  if (method.kind == Kind::Ism && !one_hot)
    throw ConfigError(fmt::format("attribution.methods: ism needs one-hot DNA input (4 x L); expected a 4xL model "
                                  "input, got {}",
                                  in.str()));
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

  const bool shuffled = method.reference == ReferenceKind::Shuffle || method.reference == ReferenceKind::DinucShuffle;
  const int n_refs = !uses_reference ? 0 : shuffled ? cfg.n_shuffles : 1;
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
  if (method.kind == Kind::Ism) res.ism = Mat::Zero(C, cols);
  if (has_delta(method.kind)) res.delta = Mat::Zero(T, n);

  const int chunk = std::max(1, cfg.chunk);
  const int n_chunks = (n + chunk - 1) / chunk;
  std::vector<Worst> worst(static_cast<std::size_t>(n_chunks));
  std::mutex progress_mutex;
  int done = 0;

  parallel_for(n_chunks, [&](int c) {
    const int s0 = c * chunk, m = std::min(chunk, n - s0);
    const Mat xc = x.middleCols(static_cast<Eigen::Index>(s0) * S, static_cast<Eigen::Index>(m) * S);
    std::vector<Reference> refs;
    if (shuffled) {
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
    const MethodResult r = run_with_references(method, *net, xc, m, tasks, cfg, refs);
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
                                 std::span<const Reference> refs) {
  using Kind = Method::Kind;
  const model::Shape in = net.input_shape();
  const int C = in.c, S = in.spatial(), T = static_cast<int>(tasks.size());
  const bool uses_reference = method.kind != Kind::Grad && method.kind != Kind::Ism;
  LB_CHECK(uses_reference ? !refs.empty() : refs.empty(), "run_with_references: {} references for method '{}'",
           refs.size(), method.name);
  const bool hypothetical = is_one_hot_input(net) && uses_reference;
  const bool delta = has_delta(method.kind);
  IgRule ig_rule = IgRule::Midpoint;
  LB_CHECK(parse_ig_rule(cfg.ig_rule, ig_rule), "unknown attribution.ig_rule '{}' (validate() first)", cfg.ig_rule);
  const DeepliftOptions dl_opt{cfg.near_zero};
  const Eigen::Index cols = static_cast<Eigen::Index>(T) * n * S;

  MethodResult res;
  res.n_references = static_cast<int>(refs.size());
  if (method.kind == Kind::Grad) {
    res.contributions = gradient_multipliers(net, x, n, tasks, false);
    return res;
  }
  if (method.kind == Kind::Ism) {
    res.ism = in_silico_mutagenesis(net, x, n, tasks);
    res.contributions = ism_contributions(res.ism, x, n, T, S);
    return res;
  }
  res.contributions = Mat::Zero(C, cols);
  if (hypothetical) res.hypothetical = Mat::Zero(C, cols);
  if (delta) res.delta = Mat::Zero(T, n);
  // Gradients do not depend on the reference: one backward pass serves every reference.
  Mat grad;
  if (method.kind == Kind::GradXInput || method.kind == Kind::GuidedBackprop)
    grad = gradient_multipliers(net, x, n, tasks, method.kind == Kind::GuidedBackprop);
  for (std::size_t j = 0; j < refs.size(); ++j) {
    const Reference& r = refs[j];
    Mat mult, dlogit;
    if (method.kind == Kind::Deeplift)
      mult = deeplift_multipliers(net, x, r, n, tasks, method.rules, dl_opt, &dlogit);
    else if (method.kind == Kind::Ig)
      mult = integrated_gradients(net, x, r, n, tasks, cfg.ig_steps, ig_rule, &dlogit);
    const Mat& mj = grad.size() ? grad : mult;
    const Mat cj = contributions(mj, x, r, n, T, S);
    res.contributions += cj;
    if (hypothetical) res.hypothetical += hypothetical_contributions(mj, r, n, T, S);
    if (!delta) continue;
    // Checked per reference, before averaging: a bad reference cannot hide behind good ones.
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
  if (refs.size() > 1) {
    const float inv = 1.0f / static_cast<float>(refs.size());
    res.contributions *= inv;
    if (hypothetical) res.hypothetical *= inv;
    if (delta) res.delta *= inv;
  }
  if (hypothetical) project_on_observed_base(res.contributions, x, n, T, S);
  return res;
}

}  // namespace lb::attr
