// The INI dialect of liftbench's files: `-c` configs (cli/options.cpp) and scenario files
// (sim/scenario.cpp) read it through this one parser.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lb::io {

/// One `key = value` line of an INI text, with its section folded into the key.
struct IniEntry {
  std::string key, value;
  long line;
};
/// The INI dialect of -c files: [section] headers, `key = value`, full-line comments (# or ;)
/// and inline comments after whitespace; keys before any section must be written in full
/// (`sim.seed = 3`). A value starting with '"' is quoted: it ends at the next unescaped '"'
/// and takes the escapes \\ \" \n \r \t (what ini_value writes). InputError "path:line:
/// ..." on a malformed line.
std::vector<IniEntry> parse_ini(std::string_view text, const std::string& path);
/// `v` as an INI value parse_ini reads back unchanged: as it is, or in double quotes with
/// escapes when it holds " #", " ;", a line break, leading or trailing blanks, or starts with '"'.
std::string ini_value(std::string_view v);
/// `section.key` -> value of an INI file (IoError when missing, InputError when malformed).
std::map<std::string, std::string> ini_values(const std::string& path);

}  // namespace lb::io
