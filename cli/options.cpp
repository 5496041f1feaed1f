// OptionSet: Boost.Program_options does the command-line parsing and the help layout; the
// INI reading, typed conversion and error texts are ours so that every message names the
// file and line (or the flag) the bad value came from.
#include "cli/options.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text.h"
#include "core/build_info.h"
#include "io/atomic_file.h"

namespace lb::cli {

namespace fs = std::filesystem;

int edit_distance(const std::string& a, const std::string& b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  int best_d = 3;
  for (const auto& c : candidates) {
    const int d = edit_distance(name, c);
    if (d < best_d) { best_d = d; best = c; }
  }
  if (!best.empty()) return best;
  // A unique candidate that starts with the name (or the name with its last part cut off).
  if (name.size() >= 3) {
    std::vector<std::string> hits;
    for (const auto& c : candidates)
      if (c.rfind(name, 0) == 0) hits.push_back(c);
    if (hits.size() == 1) return hits[0];
  }
  return {};
}

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

std::string format_double(double v) { return fmt::format("{}", v); }

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && std::isfinite(out);
}

template <class T>
bool parse_integer(const std::string& s, T& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end;
}

bool parse_bool(const std::string& s, bool& out) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (l == "true" || l == "yes" || l == "on" || l == "1") { out = true; return true; }
  if (l == "false" || l == "no" || l == "off" || l == "0") { out = false; return true; }
  return false;
}

}  // namespace

OptionSet::OptionSet(std::string command, const std::string& own_config_help)
    : command_(std::move(command)),
      flags_("Command options"),
      config_("Configuration (INI [section] key, or --section.key)"),
      read_config_(own_config_help.empty()) {
  flags_.add_options()("help,h", po::bool_switch(&help_), "show this help and exit");
  flags_.add_options()("config,c", po::value<std::string>(&config_file_)->value_name("FILE"),
                       read_config_ ? "INI configuration file; flags override it" : own_config_help.c_str());
}

void OptionSet::add_flag(const std::string& name, std::string* field, const std::string& help,
                         const std::string& value_name) {
  auto* sem = po::value<std::string>(field)->value_name(value_name);
  if (!field->empty()) sem->default_value(*field, *field);
  flags_.add_options()(name.c_str(), sem, help.c_str());
}

void OptionSet::add_switch(const std::string& name, bool* field, const std::string& help) {
  flags_.add_options()(name.c_str(), po::bool_switch(field), help.c_str());
}

// Every config key is a string-valued Boost option (so help shows its live default); the
// typed conversion is ours, run once per value with the value's location for errors.
void OptionSet::add_key(const std::string& section, const std::string& key, const std::string& expected,
                        const std::string& value_name, std::function<std::string()> show,
                        std::function<bool(const std::string&)> convert, const std::string& help) {
  const std::string full = section + "." + key;
  const std::string now = show();
  config_.add_options()(full.c_str(),
                        po::value<std::string>()->value_name(value_name)->default_value(now, now),
                        help.c_str());
  keys_.push_back(Key{section, key, help, expected, std::move(show), std::move(convert)});
}

namespace {
// Text -> field for one type; false when the text is not a valid value.
template <class T, class Parse>
std::function<bool(const std::string&)> converter(T* field, Parse parse) {
  return [field, parse](const std::string& s) {
    T v{};
    if (!parse(s, v)) return false;
    *field = v;
    return true;
  };
}
bool parse_int(const std::string& s, int& v) { return parse_integer(s, v); }
bool parse_u64(const std::string& s, std::uint64_t& v) { return s.find('-') == std::string::npos && parse_integer(s, v); }
bool parse_any(const std::string& s, std::string& v) { v = s; return true; }
bool parse_nonempty(const std::string& s, std::string& v) { v = s; return !s.empty(); }
}  // namespace

void OptionSet::add(const std::string& section, const std::string& key, int* field, const std::string& help) {
  add_key(section, key, "an integer", "INT", [field] { return fmt::format("{}", *field); },
          converter(field, parse_int), help);
}
void OptionSet::add(const std::string& section, const std::string& key, std::uint64_t* field,
                    const std::string& help) {
  add_key(section, key, "a non-negative integer", "UINT", [field] { return fmt::format("{}", *field); },
          converter(field, parse_u64), help);
}
void OptionSet::add(const std::string& section, const std::string& key, double* field, const std::string& help) {
  add_key(section, key, "a finite number", "NUM", [field] { return format_double(*field); },
          converter(field, parse_double), help);
}
void OptionSet::add(const std::string& section, const std::string& key, bool* field, const std::string& help) {
  add_key(section, key, "true or false", "BOOL", [field] { return std::string(*field ? "true" : "false"); },
          converter(field, parse_bool), help);
}
void OptionSet::add(const std::string& section, const std::string& key, std::string* field,
                    const std::string& help) {
  add_key(section, key, "a string", "STR", [field] { return *field; }, converter(field, parse_any), help);
}
void OptionSet::add_path(const std::string& section, const std::string& key, std::string* field,
                         const std::string& help, bool optional) {
  add_key(section, key, optional ? "a path or nothing" : "a path", "PATH", [field] { return *field; },
          converter(field, optional ? parse_any : parse_nonempty), help);
  keys_.back().is_path = true;
  keys_.back().path_field = field;
}

void OptionSet::add_list(const std::string& section, const std::string& key, std::size_t n,
                         std::function<void(const std::vector<double>&)> assign,
                         std::vector<double> init, const std::string& help) {
  auto current = std::make_shared<std::vector<double>>(std::move(init));
  auto show = [current] {
    std::string s;
    for (std::size_t i = 0; i < current->size(); ++i) {
      if (i) s += ',';
      s += format_double((*current)[i]);
    }
    return s;
  };
  auto convert = [current, assign, n](const std::string& s) {
    std::vector<double> v;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
      double d;
      if (!parse_double(trim(item), d)) return false;
      v.push_back(d);
    }
    if (v.size() != n || s.empty() || s.back() == ',') return false;
    *current = v;
    assign(v);
    return true;
  };
  add_key(section, key, fmt::format("{} comma-separated numbers", n), fmt::format("NUM,..({})", n),
          show, convert, help);
}

std::vector<std::string> OptionSet::keys() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.section + "." + k.name);
  return out;
}

int flag_int(const std::string& option, const std::string& value) {
  int v = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end)
    throw ConfigError(fmt::format("{}: bad value; expected an integer, got {}", option, quote_token(value)));
  return v;
}

std::uint64_t flag_u64(const std::string& option, const std::string& value) {
  std::uint64_t v = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end)
    throw ConfigError(fmt::format("{}: bad value; expected a non-negative integer, got {}", option, quote_token(value)));
  return v;
}

double flag_number(const std::string& option, const std::string& value) {
  double v = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end || !std::isfinite(v))
    throw ConfigError(fmt::format("{}: bad value; expected a number, got {}", option, quote_token(value)));
  return v;
}

bool OptionSet::is_path(const std::string& key) const {
  for (const auto& k : keys_)
    if (k.section + "." + k.name == key) return k.is_path;
  return false;
}

std::string OptionSet::suggest_key(const std::string& name) const { return closest(name, keys()); }

void OptionSet::check_value(const std::string& where_, const std::string& key, const std::string& value) const {
  const auto it = std::find_if(keys_.begin(), keys_.end(),
                               [&](const Key& k) { return k.section + "." + k.name == key; });
  LB_CHECK(it != keys_.end(), "no key {}", key);
  if (it->convert(value)) return;
  throw ConfigError(fmt::format("{}: bad value for '{}'; expected {}, got {}", where_, key, it->expected,
                                quote_token(value)));
}


namespace {
// Where each value of the most recent parse() came from (key -> "file:line" or "--key", and
// the value), for with_config_location: the config structs' validate() know a key, not its line.
struct Origins {
  unsigned long counter = 0, generation = 0;
  std::map<std::string, std::pair<std::string, std::string>> keys;
};
Origins& origins() {
  static Origins o;
  return o;
}
}  // namespace

std::string with_config_location(std::string_view message) {
  // "sim.n_seqs: ..." or "sim.gata_motif, sim.tal_motif: ...": the first key read from a file.
  const std::size_t colon = message.find(": ");
  if (colon == std::string_view::npos) return std::string(message);
  std::string_view keys = message.substr(0, colon);
  while (!keys.empty()) {
    const std::size_t comma = keys.find(", ");
    const std::string key(keys.substr(0, comma));
    const auto it = origins().keys.find(key);
    if (it != origins().keys.end() && !it->second.first.starts_with("--"))
      return fmt::format("{}: {}", it->second.first, message);
    if (comma == std::string_view::npos) break;
    keys.remove_prefix(comma + 2);
  }
  return std::string(message);
}

bool OptionSet::parse(int argc, const char* const* argv) {
  po::options_description all;
  all.add(flags_).add(config_);
  const auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  po::parsed_options parsed(&all);
  try {
    po::positional_options_description positional;
    if (!positional_.empty()) positional.add(positional_.c_str(), 1);
    parsed = po::command_line_parser(argc, argv).options(all).style(style).positional(positional).run();
  } catch (const po::unknown_option& e) {
    std::string name = e.get_option_name();
    std::vector<std::string> cands;
    for (const auto& o : all.options()) cands.push_back("--" + o->long_name());
    const std::string hint = closest(name, cands);
    throw ConfigError(fmt::format("{}: unknown option; expected an option of 'liftbench {}', got {}{}",
                                  name, command_, quote_token(name),
                                  hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
  } catch (const po::too_many_positional_options_error&) {
    const auto* o = positional_.empty() ? nullptr : flags_.find_nothrow(positional_, false);
    throw ConfigError(fmt::format("liftbench {}: too many arguments; expected {}, got {}", command_,
                                  o ? "options and one " + o->format_parameter() : std::string("options only (--name value)"),
                                  o ? "a second one" : "an argument without an option"));
  } catch (const po::error& e) {
    throw ConfigError(fmt::format("liftbench {}: {}", command_, e.what()));
  }

  // Values from the command line, with the flag as their location; flags are stored by Boost.
  std::map<std::string, std::pair<std::string, std::string>> sources;  // key -> (value, where)
  po::variables_map vm;
  try {
    po::store(parsed, vm);
  } catch (const po::error& e) {
    throw ConfigError(fmt::format("liftbench {}: {}", command_, e.what()));
  }
  for (const auto& o : parsed.options) {
    if (config_.find_nothrow(o.string_key, false) && !o.value.empty())
      sources[o.string_key] = {o.value.back(), "--" + o.string_key};
    // A command flag given an empty value (--methods '') is a mistake, not "use the default".
    if (flags_.find_nothrow(o.string_key, false) && !o.value.empty() && o.value.back().empty())
      throw ConfigError(fmt::format("--{}: empty value; expected a non-empty value, got ''", o.string_key));
  }
  po::notify(vm);  // command flags into their fields
  if (help_) return false;

  if (read_config_ && !config_file_.empty()) {
    std::map<std::string, long> seen;
    const std::string dir = fs::absolute(config_file_).parent_path().string();
    for (const auto& e : parse_ini(io::read_file(config_file_), config_file_)) {
      if (!config_.find_nothrow(e.key, false)) {
        const std::string hint = suggest_key(e.key);
        throw ConfigError(fmt::format("{}unknown key; expected an option of 'liftbench {} --help', got {}{}",
                                      where(config_file_, e.line), command_, quote_token(e.key),
                                      hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
      if (auto s = seen.find(e.key); s != seen.end())
        throw ConfigError(fmt::format("{}duplicate key '{}'; expected one value, got a second (first on line {})",
                                      where(config_file_, e.line), e.key, s->second));
      seen[e.key] = e.line;
      if (sources.count(e.key)) continue;  // the flag wins
      sources[e.key] = {e.value, fmt::format("{}:{}", show_path(config_file_), e.line)};
      path_origin_dir_[e.key] = dir;
    }
  }

  for (const auto& [key, vw] : sources) check_value(vw.second, key, vw.first);

  // Paths: relative to the config file's directory (file values) or the working directory.
  for (auto& k : keys_) {
    if (!k.is_path || k.path_field->empty()) continue;
    fs::path p(*k.path_field);
    if (p.is_relative()) {
      const auto it = path_origin_dir_.find(k.section + "." + k.name);
      p = (it != path_origin_dir_.end() ? fs::path(it->second) : fs::current_path()) / p;
    }
    *k.path_field = p.lexically_normal().string();
  }
  // Where each value came from, with the value as converted, for with_config_location.
  Origins& o = origins();
  o.keys.clear();
  o.generation = generation_ = ++o.counter;
  for (const auto& k : keys_) {
    const auto it = sources.find(k.section + "." + k.name);
    if (it != sources.end()) o.keys[it->first] = {it->second.second, k.show()};
  }
  return true;
}

OptionSet::~OptionSet() {
  // A command may override a key after parse() (attribute's --methods): such a value is no
  // longer the file's, so an error about it must not name the file's line.
  Origins& o = origins();
  if (generation_ == 0 || o.generation != generation_) return;
  for (const auto& k : keys_) {
    const auto it = o.keys.find(k.section + "." + k.name);
    if (it != o.keys.end() && it->second.second != k.show()) o.keys.erase(it);
  }
}

std::string OptionSet::help() const {
  std::ostringstream out;
  out << "Usage: liftbench " << command_ << " [options]";
  if (!positional_.empty()) {
    const auto* o = flags_.find_nothrow(positional_, false);
    out << " " << (o ? o->format_parameter() : std::string("ARG"));
  }
  out << "\n\n" << flags_ << "\n";
  for (const auto& section : shown_) {
    po::options_description group("[" + section + "]");
    for (const auto& k : keys_) {
      if (k.section != section) continue;
      for (const auto& o : config_.options())
        if (o->long_name() == k.section + "." + k.name) group.add(o);
    }
    out << group << "\n";
  }
  return out.str();
}

std::string OptionSet::resolved_ini() const {
  std::string out = fmt::format("# liftbench {} {}: resolved configuration (load with -c)\n",
                                build::kVersion, command_);
  for (const auto& section : shown_) {
    out += fmt::format("\n[{}]\n", section);
    for (const auto& k : keys_)
      if (k.section == section) out += fmt::format("{} = {}\n", k.name, ini_value(k.show()));
  }
  return out;
}

}  // namespace lb::cli
