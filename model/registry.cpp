// The layer registry and the argument parser shared by every layer type (model/registry.h).
#include "model/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text.h"

namespace lb::model {

namespace {

struct Registry {
  std::map<std::string, LayerType, std::less<>> by_config, by_arch;
};

Registry& registry() {
  static Registry r;  // constructed on first use: safe from any file's static initialisation
  return r;
}

std::string names_of(const std::map<std::string, LayerType, std::less<>>& m) {
  std::string out;
  for (const auto& [name, type] : m) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string torch_shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += fmt::format("{}{}", i ? "," : "", s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

bool parse_rate_text(std::string_view s, double& out) {
  if (s.empty() || s[0] == '+') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out >= 0.0 && out < 1.0;
}

}  // namespace

bool parse_positive(std::string_view s, int& out) {
  if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out > 0;
}

bool split_top(std::string_view s, char sep, std::vector<std::string_view>& parts) {
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')' && --depth < 0) return false;
    if (s[i] == sep && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return depth == 0;
}

// ---- LayerArgs --------------------------------------------------------------------------------

LayerArgs LayerArgs::parse(std::string_view text, bool architecture) {
  LayerArgs a;
  a.text_ = text;
  a.architecture_ = architecture;
  const auto open = text.find('(');
  a.kind_ = text.substr(0, open);
  if (open == std::string_view::npos) {
    if (architecture)
      throw InputError(fmt::format("bad layer description; expected <Layer>(<arguments>), got {}", quote_token(text, 80)));
    return a;
  }
  if (text.back() != ')') {
    if (architecture)
      throw InputError(fmt::format("bad layer description; expected <Layer>(<arguments>), got {}", quote_token(text, 80)));
    throw ConfigError(fmt::format("model.layers: text after ')' in {}; expected nothing after the closing parenthesis, got {}",
                                  quote_token(text), quote_token(text)));
  }
  const std::string_view inner = trim(text.substr(open + 1, text.size() - open - 2));
  if (inner.empty()) return a;
  std::vector<std::string_view> parts;
  if (!split_top(inner, ',', parts)) {
    if (architecture)
      throw InputError(fmt::format("bad layer description; expected balanced parentheses, got {}", quote_token(text, 80)));
    throw ConfigError(fmt::format("model.layers: unbalanced parentheses; expected '(' and ')' in pairs, got {}",
                                  quote_token(text)));
  }
  for (auto p : parts) {
    p = trim(p);
    const auto eq = p.find('=');
    if (eq == std::string_view::npos) {
      if (architecture)
        throw InputError(fmt::format("bad layer description; expected key=value arguments, got {}", quote_token(text, 80)));
      if (!a.keyed_.empty())
        throw ConfigError(fmt::format("model.layers: positional argument after key=value in {}; expected positional "
                                      "arguments first, got {}",
                                      quote_token(text), quote_token(p)));
      a.positional_.push_back(p);
    } else {
      a.keyed_.emplace_back(trim(p.substr(0, eq)), trim(p.substr(eq + 1)));
    }
  }
  return a;
}

void LayerArgs::fail(std::string_view what, std::string_view expected, std::string_view got) const {
  if (architecture_)
    throw InputError(fmt::format("bad layer description; expected {}, got {}", form_, quote_token(text_, 80)));
  throw ConfigError(fmt::format("model.layers: {} in {}; expected {}, got {}", what, quote_token(text_), expected, got));
}

void LayerArgs::want_positional(std::initializer_list<std::size_t> counts) const {
  if (std::find(counts.begin(), counts.end(), positional_.size()) != counts.end()) return;
  fail("wrong number of arguments", form_,
       fmt::format("{} argument{}", positional_.size(), positional_.size() == 1 ? "" : "s"));
}

void LayerArgs::only_keys(std::initializer_list<std::string_view> keys) const {
  for (std::size_t i = 0; i < keyed_.size(); ++i) {
    const auto& k = keyed_[i].first;
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      std::string list;
      for (auto key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
      fail("unknown argument", keys.size() ? "one of " + list : "no key=value arguments", quote_token(k));
    }
    for (std::size_t j = 0; j < i; ++j)
      if (keyed_[j].first == k) fail("repeated argument", "each key once", quote_token(k));
  }
  // Architecture text is canonical: keys in the order of the form (the builder's describe()
  // comparison catches any other difference).
}

bool LayerArgs::has(std::string_view key) const {
  return std::any_of(keyed_.begin(), keyed_.end(), [&](const auto& kv) { return kv.first == key; });
}

std::string_view LayerArgs::value(std::string_view key) const {
  for (const auto& [k, v] : keyed_)
    if (k == key) return v;
  return {};
}

int LayerArgs::positive(std::size_t i) const {
  int v = 0;
  if (i >= positional_.size() || !parse_positive(positional_[i], v))
    fail("bad argument", "a positive integer", quote_token(i < positional_.size() ? positional_[i] : ""));
  return v;
}

int LayerArgs::positive(std::string_view key) const {
  if (!has(key)) fail(fmt::format("missing argument {}", key), fmt::format("{}=<positive integer>", key), "none");
  return positive(key, 1);
}

int LayerArgs::positive(std::string_view key, int fallback) const {
  if (!has(key)) return fallback;
  int v = 0;
  if (!parse_positive(value(key), v))
    fail(fmt::format("bad argument {}", key), "a positive integer", quote_token(value(key)));
  return v;
}

int LayerArgs::non_negative(std::string_view key, int fallback) const {
  if (!has(key)) return fallback;
  if (value(key) == "0") return 0;
  int v = 0;
  if (!parse_positive(value(key), v))
    fail(fmt::format("bad argument {}", key), "a non-negative integer", quote_token(value(key)));
  return v;
}

std::vector<int> LayerArgs::positive_tuple(std::string_view key, std::size_t n) const {
  if (!has(key)) fail(fmt::format("missing argument {}", key), fmt::format("{}=<positive integer>", key), "none");
  const std::string_view val = value(key);
  std::vector<std::string_view> items;
  if (val.size() >= 2 && val.front() == '(' && val.back() == ')')
    split_top(val.substr(1, val.size() - 2), ',', items);
  else
    items.push_back(val);
  std::vector<int> out;
  for (auto it : items) {
    int x = 0;
    if (!parse_positive(trim(it), x)) fail(fmt::format("bad argument {}", key), "positive integers", quote_token(val));
    out.push_back(x);
  }
  if (out.size() != n) fail(fmt::format("bad argument {}", key), fmt::format("{} positive integers", n), quote_token(val));
  return out;
}

double LayerArgs::rate(std::size_t i) const {
  double r = 0;
  if (i >= positional_.size() || !parse_rate_text(positional_[i], r))
    fail("bad argument", "a dropout rate in [0, 1)", quote_token(i < positional_.size() ? positional_[i] : ""));
  return r;
}

double LayerArgs::rate(std::string_view key) const {
  double r = 0;
  if (!has(key) || !parse_rate_text(value(key), r))
    fail(fmt::format("bad argument {}", key), "a rate in [0, 1)", quote_token(value(key)));
  return r;
}

double LayerArgs::positive_real(std::string_view key, double fallback) const {
  if (!has(key)) return fallback;
  const std::string_view s = value(key);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s[0] == '+' || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v) || v <= 0)
    fail(fmt::format("bad argument {}", key), "a finite number > 0", quote_token(s));
  return v;
}

// ---- The table --------------------------------------------------------------------------------

bool register_layer_type(const LayerType& type) {
  auto& r = registry();
  LB_CHECK(!type.arch_name.empty() && type.from_architecture, "layer type without an architecture name or parser");
  LB_CHECK(r.by_arch.emplace(std::string(type.arch_name), type).second, "layer type {} registered twice", type.arch_name);
  if (!type.config_name.empty()) {
    LB_CHECK(type.from_config, "layer type {} has a config name but no config builder", type.arch_name);
    LB_CHECK(r.by_config.emplace(std::string(type.config_name), type).second, "layer kind {} registered twice",
             type.config_name);
  }
  return true;
}

const LayerType* find_config_type(std::string_view name) {
  const auto& m = registry().by_config;
  const auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

const LayerType* find_arch_type(std::string_view name) {
  const auto& m = registry().by_arch;
  const auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

std::vector<const LayerType*> layer_types() {
  std::vector<const LayerType*> out;
  for (const auto& [name, type] : registry().by_arch) out.push_back(&type);
  return out;
}

std::string config_type_names() { return names_of(registry().by_config); }
std::string arch_type_names() { return names_of(registry().by_arch); }

void check_param_sizes(std::string_view layer, const std::vector<ParamDecl>& params) {
  for (const auto& p : params) {
    std::int64_t n = 1;
    bool fits = true;
    for (const auto d : p.torch_shape) fits = fits && d >= 0 && !__builtin_mul_overflow(n, d, &n) && n <= INT32_MAX;
    if (!fits)
      throw layer_error(layer, "too many parameters", fmt::format("at most {} values per array", INT32_MAX),
                        torch_shape_str(p.torch_shape));
  }
}

}  // namespace lb::model
