// Configuration: every field of every area's config struct is one Boost.Program_options option
// `section.field`, settable from an INI file (-c) and from a flag, with precedence
// defaults < file < flags. Values are checked where they were written (file:line or --flag),
// then each struct's validate() runs. The resolved configuration is written back as INI.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "io/ini.h"

namespace lb::cli {

namespace po = boost::program_options;

/// The options of one command: its own flags plus the config sections it reads.
class OptionSet {
 public:
  /// `own_config_help` non-empty: -c names a file the command reads itself (a sweep file), with
  /// that help text; the OptionSet leaves it alone and config_file() returns it.
  explicit OptionSet(std::string command, const std::string& own_config_help = "");
  ~OptionSet();
  OptionSet(const OptionSet&) = delete;
  OptionSet& operator=(const OptionSet&) = delete;

  // Command flags (not config keys): shown in their own help group, not written to config.ini.
  void add_flag(const std::string& name, std::string* field, const std::string& help,
                const std::string& value_name = "ARG");
  void add_switch(const std::string& name, bool* field, const std::string& help);
  /// The command's one positional argument fills the flag `name` (added with add_flag before):
  /// `liftbench import model.onnx` is `liftbench import --model model.onnx`.
  void set_positional(const std::string& name) { positional_ = name; }

  // Config keys `section.key`, bound to a struct field whose current value is the default.
  void add(const std::string& section, const std::string& key, int* field, const std::string& help);
  void add(const std::string& section, const std::string& key, std::uint64_t* field, const std::string& help);
  void add(const std::string& section, const std::string& key, double* field, const std::string& help);
  void add(const std::string& section, const std::string& key, bool* field, const std::string& help);
  void add(const std::string& section, const std::string& key, std::string* field, const std::string& help);
  /// A path: relative values in a config file resolve against that file's directory; relative
  /// values from a flag against the working directory; written back absolute.
  /// `optional`: an empty value is allowed (and stays empty).
  void add_path(const std::string& section, const std::string& key, std::string* field, const std::string& help,
                bool optional = false);
  template <std::size_t N>
  void add(const std::string& section, const std::string& key, std::array<double, N>* field,
           const std::string& help) {
    add_list(section, key, N, [field](const std::vector<double>& v) {
      for (std::size_t i = 0; i < N; ++i) (*field)[i] = v[i];
    }, std::vector<double>(field->begin(), field->end()), help);
  }

  /// Sections whose keys are shown by --help and written to the resolved config. Keys of
  /// other registered sections are still accepted (one config file serves every command).
  void show_sections(std::vector<std::string> sections) { shown_ = std::move(sections); }

  /// Parses argv (argv[0] is the command name). Returns false when --help was given (help has
  /// been printed to stdout). Throws ConfigError with the file:line or flag on bad input.
  bool parse(int argc, const char* const* argv);

  /// Help text: usage line, command flags, then config keys with their live defaults.
  std::string help() const;
  /// The resolved configuration of the shown sections, as INI loadable with -c.
  std::string resolved_ini() const;
  /// Config file given with -c, or empty.
  const std::string& config_file() const { return config_file_; }
  /// Every `section.key` name registered, in registration order.
  std::vector<std::string> keys() const;
  /// Whether `section.key` is a registered path key (add_path).
  bool is_path(const std::string& key) const;
  /// The closest registered key to `name` (for "did you mean"), or empty.
  std::string suggest_key(const std::string& name) const;

 private:
  struct Key {
    std::string section, name, help, expected;  // expected: "an integer", ...
    std::function<std::string()> show;          // current value as written in INI
    std::function<bool(const std::string&)> convert;  // parse text into the field
    bool is_path = false;
    std::string* path_field = nullptr;
  };
  void add_key(const std::string& section, const std::string& key, const std::string& expected,
               const std::string& value_name, std::function<std::string()> show,
               std::function<bool(const std::string&)> convert, const std::string& help);
  void add_list(const std::string& section, const std::string& key, std::size_t n,
                std::function<void(const std::vector<double>&)> assign, std::vector<double> init,
                const std::string& help);
  void read_config_file(const std::string& path, po::variables_map& vm);
  void check_value(const std::string& where, const std::string& key, const std::string& value) const;

  std::string command_;
  std::string positional_;  // the flag a positional argument fills, or empty: none allowed
  po::options_description flags_;
  po::options_description config_;
  std::vector<Key> keys_;
  std::vector<std::string> shown_;
  std::string config_file_;
  bool help_ = false;
  bool read_config_ = true;  // -c is an INI config of these sections (else the command's own file)
  unsigned long generation_ = 0;  // of the parse() recorded for with_config_location
  std::map<std::string, std::string> path_origin_dir_;  // key -> dir its relative value is against
};

/// The INI reader lives in io/ini.h (scenario files use it too).
using io::IniEntry;
using io::ini_value;
using io::ini_values;
using io::parse_ini;

/// `message` of a ConfigError that starts with a config key ("sim.n_seqs: too small; ...") with
/// the file:line that key's value came from in the most recent OptionSet::parse() in front
/// ("run.ini:3: sim.n_seqs: ..."); unchanged when the value came from a flag or the default.
std::string with_config_location(std::string_view message);

/// A command flag's value as an int, an unsigned 64-bit integer or a finite number; ConfigError
/// "--flag: bad value; expected an integer, got 'x'" (resp. "a non-negative integer", "a number").
int flag_int(const std::string& option, const std::string& value);
std::uint64_t flag_u64(const std::string& option, const std::string& value);
double flag_number(const std::string& option, const std::string& value);

/// Levenshtein distance, for "did you mean" suggestions.
int edit_distance(const std::string& a, const std::string& b);
/// The closest candidate within distance 2 (or sharing a prefix of 3+), or empty.
std::string closest(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace lb::cli
