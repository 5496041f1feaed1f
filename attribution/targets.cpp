// Attribution targets (attribution/targets.h): parsing against the heads, values and seeds.
#include "attribution/targets.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "attribution/profile.h"
#include "core/error.h"
#include "core/text.h"

namespace lb::attr {

namespace {

using Index = Eigen::Index;

constexpr std::string_view kForms =
    "HEAD[i], sum(HEAD[i],HEAD[j],...), diff(HEAD[i],HEAD[j]), window(HEAD,start,end), counts(HEAD), profile(HEAD) "
    "or profile_detached(HEAD)";

[[noreturn]] void fail(std::string_view what, std::string_view item, std::string_view expected, std::string_view got) {
  throw ConfigError(fmt::format("attribution.targets: {} in {}; expected {}, got {}", what, quote_token(item), expected,
                                got));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits at `seps` outside (), []; false on unbalanced brackets.
bool split_items(std::string_view s, std::string_view seps, std::vector<std::string_view>& out) {
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    const char ch = i < s.size() ? s[i] : seps[0];
    if (ch == '(' || ch == '[') ++depth;
    if ((ch == ')' || ch == ']') && --depth < 0) return false;
    if (depth == 0 && seps.find(ch) != std::string_view::npos) {
      const std::string_view part = trim(s.substr(start, i - start));
      if (!part.empty()) out.push_back(part);
      start = i + 1;
    }
  }
  return depth == 0;
}

bool whole_int(std::string_view s, int& out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size() && out >= 0;
}

bool is_head_name(std::string_view s) { return model::is_layer_name(s); }

// The pieces of one item, checked for syntax: a unit "h[i]" or a call "f(args)".
struct Parsed {
  std::string_view func;  // empty for a unit
  std::string_view head;  // a unit's head
  int index = -1;         // a unit's index
  std::vector<std::string_view> args;
};

void parse_unit(std::string_view text, std::string_view item, Parsed& p) {
  const auto open = text.find('[');
  if (open == std::string_view::npos || text.back() != ']' || !is_head_name(text.substr(0, open)) ||
      !whole_int(text.substr(open + 1, text.size() - open - 2), p.index))
    fail("bad output unit", item, "HEAD[i] with a head's name and a unit index >= 0", quote_token(text));
  p.head = text.substr(0, open);
}

Parsed parse_syntax(std::string_view item) {
  Parsed p;
  if (item.back() == ']') {
    parse_unit(item, item, p);
    return p;
  }
  const auto open = item.find('(');
  if (open == std::string_view::npos || item.back() != ')') fail("bad target", item, kForms, quote_token(item));
  p.func = item.substr(0, open);
  if (!split_items(item.substr(open + 1, item.size() - open - 2), ",", p.args))
    fail("unbalanced brackets", item, kForms, quote_token(item));
  const auto want = [&](std::size_t lo, std::size_t hi, std::string_view form) {
    if (p.args.size() < lo || p.args.size() > hi)
      fail("wrong number of arguments", item, form, fmt::format("{} argument{}", p.args.size(), p.args.size() == 1 ? "" : "s"));
  };
  if (p.func == "sum" || p.func == "diff") {
    p.func == "sum" ? want(2, 1000000, "sum(HEAD[i],HEAD[j],...) of two or more units")
                    : want(2, 2, "diff(HEAD[i],HEAD[j])");
    for (const auto a : p.args) {
      Parsed u;
      parse_unit(a, item, u);
    }
  } else if (p.func == "window") {
    want(3, 3, "window(HEAD,start,end)");
    int s = 0, e = 0;
    if (!is_head_name(p.args[0])) fail("bad head", item, "a head's name", quote_token(p.args[0]));
    if (!whole_int(p.args[1], s) || !whole_int(p.args[2], e) || e <= s)
      fail("bad window", item, "positions 0 <= start < end",
           fmt::format("{} and {}", quote_token(p.args[1]), quote_token(p.args[2])));
  } else if (p.func == "counts" || p.func == "profile" || p.func == "profile_detached") {
    want(1, 1, fmt::format("{}(HEAD)", p.func));
    if (!is_head_name(p.args[0])) fail("bad head", item, "a head's name", quote_token(p.args[0]));
  } else {
    fail("unknown target", item, kForms, quote_token(p.func));
  }
  return p;
}

std::vector<std::string_view> items_of(const std::string& spec) {
  std::vector<std::string_view> items;
  if (!split_items(spec, " \t\n,", items))
    throw ConfigError(fmt::format("attribution.targets: unbalanced brackets; expected {}, got {}", kForms,
                                  quote_token(spec)));
  if (items.empty())
    throw ConfigError(fmt::format("attribution.targets: no target; expected {}, got {}", kForms, quote_token(spec)));
  return items;
}

const model::Head& head_of(const model::Network& net, std::string_view name, std::string_view item) {
  if (const model::Head* h = net.find_head(name)) return *h;
  std::string heads;
  for (const auto& h : net.heads()) heads += (heads.empty() ? "" : ", ") + h.name;
  fail("unknown head", item, fmt::format("one of the model's heads ({})", heads), quote_token(name));
}

// The unit "h[i]": its output index.
int unit_of(const model::Network& net, std::string_view text, std::string_view item, std::string& canonical) {
  Parsed u;
  parse_unit(text, item, u);
  const model::Head& h = head_of(net, u.head, item);
  if (u.index >= h.shape.size())
    fail("unit out of range", item, fmt::format("a unit of head '{}' in [0, {}) ({})", h.name, h.shape.size(), h.shape.str()),
         std::to_string(u.index));
  canonical = fmt::format("{}[{}]", h.name, u.index);
  return h.offset + u.index;
}

// Softmax of the centred logits p (double), and p itself.
void centred_softmax(const float* z, int size, std::vector<double>& p, std::vector<double>& s) {
  p.assign(static_cast<std::size_t>(size), 0.0);
  s.assign(p.size(), 0.0);
  double mean = 0;
  for (int j = 0; j < size; ++j) mean += z[j];
  mean /= size;
  double mx = -HUGE_VAL;
  for (int j = 0; j < size; ++j) mx = std::max(mx, p[static_cast<std::size_t>(j)] = z[j] - mean);
  double total = 0;
  for (std::size_t j = 0; j < p.size(); ++j) total += s[j] = std::exp(p[j] - mx);
  for (double& v : s) v /= total;
}

// out = g - mean(g): the centring's transpose.
void centre_into(const std::vector<double>& g, float* out) {
  double mean = 0;
  for (const double v : g) mean += v;
  mean /= static_cast<double>(g.size());
  for (std::size_t j = 0; j < g.size(); ++j) out[j] = static_cast<float>(g[j] - mean);
}

}  // namespace

void validate_targets(const std::string& spec) {
  for (const auto item : items_of(spec)) parse_syntax(item);
}

Targets parse_targets(const std::string& spec, const model::Network& net) {
  std::vector<Target> out;
  for (const auto item : items_of(spec)) {
    const Parsed p = parse_syntax(item);
    Target t;
    if (p.func.empty()) {
      t.unit = unit_of(net, item, item, t.name);
      t.terms = {{t.unit, 1.0f}};
    } else if (p.func == "sum" || p.func == "diff") {
      std::vector<std::string> names;
      for (std::size_t k = 0; k < p.args.size(); ++k) {
        std::string name;
        const int u = unit_of(net, p.args[k], item, name);
        for (const auto& [v, w] : t.terms)
          if (v == u) fail("a unit twice", item, "distinct units", quote_token(name));
        t.terms.emplace_back(u, p.func == "diff" && k == 1 ? -1.0f : 1.0f);
        names.push_back(std::move(name));
      }
      t.name = fmt::format("{}({})", p.func, fmt::join(names, ","));
    } else {
      const model::Head& h = head_of(net, p.args[0], item);
      const int size = h.shape.size();
      if (p.func == "window") {
        if (h.shape.h != 1)
          fail("window of a 2-D head", item, "a head of one axis of positions (C x L) or a flat one",
               fmt::format("head '{}' ({})", h.name, h.shape.str()));
        int s = 0, e = 0;
        whole_int(p.args[1], s);
        whole_int(p.args[2], e);
        const bool flat = h.shape.w == 1;
        const int len = flat ? h.shape.c : h.shape.w, channels = flat ? 1 : h.shape.c;
        if (e > len)
          fail("window out of range", item, fmt::format("end <= {}, the positions of head '{}' ({})", len, h.name, h.shape.str()),
               std::to_string(e));
        for (int c = 0; c < channels; ++c)
          for (int l = s; l < e; ++l) t.terms.emplace_back(h.offset + c * len + l, 1.0f);
        t.name = fmt::format("window({},{},{})", h.name, s, e);
      } else if (p.func == "counts") {
        if (size != 1)
          fail("counts of a head of several units", item, "a counts head of one unit (window or sum for others)",
               fmt::format("head '{}' of {} units ({})", h.name, size, h.shape.str()));
        t.unit = h.offset;
        t.terms = {{t.unit, 1.0f}};
        t.name = fmt::format("counts({})", h.name);
      } else {
        if (size < 2)
          fail("profile of one unit", item, "a profile head of two or more units", fmt::format("head '{}' ({})", h.name, h.shape.str()));
        t.kind = p.func == "profile" ? Target::Kind::Profile : Target::Kind::ProfileDetached;
        t.begin = h.offset;
        t.size = size;
        t.name = fmt::format("{}({})", p.func, h.name);
      }
    }
    for (const Target& o : out)
      if (o.name == t.name) fail("a target twice", item, "distinct targets", quote_token(t.name));
    out.push_back(std::move(t));
  }
  return Targets(std::move(out), true);
}

Targets Targets::units(const model::Network& net, std::span<const int> units) {
  std::vector<Target> list;
  for (const int u : units) {
    LB_CHECK(u >= 0 && u < net.n_outputs(), "target unit {} of {} outputs", u, net.n_outputs());
    Target t;
    t.unit = u;
    t.terms = {{u, 1.0f}};
    for (const model::Head& h : net.heads())
      if (u >= h.offset && u < h.offset + h.shape.size()) t.name = fmt::format("{}[{}]", h.name, u - h.offset);
    list.push_back(std::move(t));
  }
  return Targets(std::move(list));
}

std::vector<int> Targets::unit_indices() const {
  std::vector<int> out;
  for (const Target& t : list_) out.push_back(t.unit);
  return out;
}

std::vector<std::string> Targets::names() const {
  std::vector<std::string> out;
  for (const Target& t : list_) out.push_back(t.name);
  return out;
}

std::string Targets::label(int t) const {
  const Target& tg = list_[static_cast<std::size_t>(t)];
  return named_ ? tg.name : std::to_string(tg.unit);
}

Targets Targets::bound_for(const model::Network& net, const Mat& x, int n) const {
  if (!needs_binding() || bound()) return *this;
  StageTimer timer("forward (detached target weights)");
  model::Trace t;
  net.forward(x, n, t);
  return bind(net.logits(t));
}

bool Targets::all_units() const {
  return std::all_of(list_.begin(), list_.end(), [](const Target& t) { return t.unit >= 0; });
}

bool Targets::needs_binding() const {
  return std::any_of(list_.begin(), list_.end(), [](const Target& t) { return t.kind == Target::Kind::ProfileDetached; });
}

Targets Targets::bind(const Mat& z) const {
  Targets out = *this;
  out.bound_n_ = static_cast<int>(z.cols());
  out.weights_.assign(list_.size(), Mat());
  std::vector<double> p, s;
  for (std::size_t t = 0; t < list_.size(); ++t) {
    const Target& tg = list_[t];
    if (tg.kind != Target::Kind::ProfileDetached) continue;
    LB_CHECK(tg.begin + tg.size <= z.rows(), "target {}: logits of {} rows", tg.name, z.rows());
    Mat& w = out.weights_[t];
    w.resize(tg.size, z.cols());
    for (Index b = 0; b < z.cols(); ++b) {
      centred_softmax(z.col(b).data() + tg.begin, tg.size, p, s);
      for (int j = 0; j < tg.size; ++j) w(j, b) = static_cast<float>(s[static_cast<std::size_t>(j)]);
    }
  }
  return out;
}

Targets Targets::slice(int first, int count) const {
  if (!bound()) return *this;
  LB_CHECK(first >= 0 && first + count <= bound_n_, "targets: samples [{}, {}) of {}", first, first + count, bound_n_);
  Targets out = *this;
  out.bound_n_ = count;
  for (Mat& w : out.weights_)
    if (w.size()) w = Mat(w.middleCols(first, count));
  return out;
}

Targets Targets::repeat(int k) const {
  if (!bound()) return *this;
  Targets out = *this;
  out.bound_n_ = bound_n_ * k;
  for (std::size_t t = 0; t < weights_.size(); ++t) {
    if (!weights_[t].size()) continue;
    Mat& w = out.weights_[t];
    w.resize(weights_[t].rows(), Index{bound_n_} * k);
    for (Index i = 0; i < bound_n_; ++i)
      for (Index j = 0; j < k; ++j) w.col(i * k + j) = weights_[t].col(i);
  }
  return out;
}

double Targets::value(int ti, const float* z, int sample) const {
  const Target& t = list_[static_cast<std::size_t>(ti)];
  switch (t.kind) {
    case Target::Kind::Linear: {
      if (t.terms.size() == 1 && t.terms[0].second == 1.0f) return z[t.terms[0].first];
      double v = 0;
      for (const auto& [u, w] : t.terms) v += static_cast<double>(w) * z[u];
      return v;
    }
    case Target::Kind::Profile: {
      std::vector<double> p, s;
      centred_softmax(z + t.begin, t.size, p, s);
      double v = 0;
      for (std::size_t j = 0; j < p.size(); ++j) v += p[j] * s[j];
      return v;
    }
    case Target::Kind::ProfileDetached: {
      LB_CHECK(bound() && sample >= 0 && sample < bound_n_, "target {}: weights of sample {} not bound", t.name, sample);
      const Mat& w = weights_[static_cast<std::size_t>(ti)];
      double mean = 0;
      for (int j = 0; j < t.size; ++j) mean += z[t.begin + j];
      mean /= t.size;
      double v = 0;
      for (int j = 0; j < t.size; ++j) v += static_cast<double>(w(j, sample)) * (z[t.begin + j] - mean);
      return v;
    }
  }
  return 0;
}

Mat Targets::values(const Mat& z, int first) const {
  Mat out(size(), z.cols());
  for (int t = 0; t < size(); ++t)
    for (Index b = 0; b < z.cols(); ++b)
      out(t, b) = static_cast<float>(value(t, z.col(b).data(), first + static_cast<int>(b)));
  return out;
}

Mat Targets::deltas(const Mat& zx, const Mat& zr, bool shared, int first) const {
  Mat out(size(), zx.cols());
  for (int t = 0; t < size(); ++t) {
    const Target& tg = list_[static_cast<std::size_t>(t)];
    for (Index b = 0; b < zx.cols(); ++b) {
      const Index rb = shared ? 0 : b;
      const int sample = first + static_cast<int>(b);
      if (tg.kind == Target::Kind::Linear && tg.terms.size() == 1 && tg.terms[0].second == 1.0f)
        out(t, b) = zx(tg.terms[0].first, b) - zr(tg.terms[0].first, rb);
      else
        out(t, b) = static_cast<float>(value(t, zx.col(b).data(), sample) - value(t, zr.col(rb).data(), sample));
    }
  }
  return out;
}

Mat Targets::seeds(const Mat& zx, const Mat* zr, bool shared, float near_zero, int first) const {
  const Index nc = zx.cols();
  Mat top = Mat::Zero(zx.rows(), size() * nc);
  std::vector<double> p, s, pr, sr, g;
  for (int t = 0; t < size(); ++t) {
    const Target& tg = list_[static_cast<std::size_t>(t)];
    for (Index b = 0; b < nc; ++b) {
      float* col = top.col(t * nc + b).data();
      switch (tg.kind) {
        case Target::Kind::Linear:
          for (const auto& [u, w] : tg.terms) col[u] = w;
          break;
        case Target::Kind::ProfileDetached: {
          LB_CHECK(bound(), "target {}: weights not bound", tg.name);
          const auto w = weights_[static_cast<std::size_t>(t)].col(first + b);
          g.assign(w.data(), w.data() + w.size());
          centre_into(g, col + tg.begin);
          break;
        }
        case Target::Kind::Profile: {
          // ∂/∂p_k Σ_j p_j s_j = s_k (1 + p_k - Σ_j p_j s_j): the gradient at the input.
          centred_softmax(zx.col(b).data() + tg.begin, tg.size, p, s);
          double e = 0;
          for (std::size_t j = 0; j < p.size(); ++j) e += p[j] * s[j];
          g.resize(p.size());
          for (std::size_t j = 0; j < p.size(); ++j) g[j] = s[j] * (1.0 + p[j] - e);
          if (zr) {  // Rescale on q_j = p_j s_j: Δq_j / Δp_j
            centred_softmax(zr->col(shared ? 0 : b).data() + tg.begin, tg.size, pr, sr);
            for (std::size_t j = 0; j < p.size(); ++j) {
              const double dp = p[j] - pr[j];
              if (std::abs(dp) >= near_zero) g[j] = (p[j] * s[j] - pr[j] * sr[j]) / dp;
            }
          }
          centre_into(g, col + tg.begin);
          break;
        }
      }
    }
  }
  return top;
}

}  // namespace lb::attr
