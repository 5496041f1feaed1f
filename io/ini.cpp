// The one INI reader and value writer (io/ini.h).
#include "io/ini.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/text.h"
#include "io/atomic_file.h"

namespace lb::io {

namespace {
std::string trimmed(std::string_view s) { return std::string(trim(s)); }
}  // namespace

namespace {

// A value that the reader below would cut (" #", " ;"), trim, end at a line break, or take
// for a quoted one is written in double quotes with \\ \" \n \r \t escapes.
bool needs_quotes(std::string_view v) {
  if (v.empty()) return false;
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (blank(v.front()) || blank(v.back()) || v.front() == '"') return true;
  if (v.find_first_of("\n\r") != std::string_view::npos) return true;
  for (const char* marker : {" #", "\t#", " ;", "\t;"})
    if (v.find(marker) != std::string_view::npos) return true;
  return false;
}

std::string unquote_ini_value(std::string_view v, const std::string& path, long line) {
  std::string out;
  std::size_t i = 1;
  for (;; ++i) {
    if (i >= v.size())
      throw input_error(path, line, "unterminated quoted value", "a closing '\"'", quote_token(v));
    const char c = v[i];
    if (c == '"') break;
    if (c != '\\') {
      out += c;
      continue;
    }
    const char e = i + 1 < v.size() ? v[++i] : '\0';
    if (e == '\\' || e == '"') out += e;
    else if (e == 'n') out += '\n';
    else if (e == 'r') out += '\r';
    else if (e == 't') out += '\t';
    else
      throw input_error(path, line, "bad escape in quoted value", "one of \\\\ \\\" \\n \\r \\t",
                        quote_token(v.substr(i - 1, 2)));
  }
  const std::string rest = trimmed(v.substr(i + 1));
  if (!rest.empty() && rest[0] != '#' && rest[0] != ';')
    throw input_error(path, line, "text after a quoted value", "nothing or a comment", quote_token(rest));
  return out;
}

}  // namespace

std::string ini_value(std::string_view v) {
  if (!needs_quotes(v)) return std::string(v);
  std::string out = "\"";
  for (const char c : v) {
    if (c == '\\' || c == '"') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out + '"';
}

std::vector<IniEntry> parse_ini(std::string_view text, const std::string& path) {
  std::vector<IniEntry> out;
  std::string section;
  long n = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++n;
    std::string t = trimmed(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      if (t.back() != ']' || t.size() < 3)
        throw input_error(path, n, "malformed section header", "'[name]'", quote_token(t));
      section = trimmed(std::string_view(t).substr(1, t.size() - 2));
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos)
      throw input_error(path, n, "malformed line", "'key = value' or '[section]'", quote_token(t));
    std::string key = trimmed(std::string_view(t).substr(0, eq));
    std::string value = trimmed(std::string_view(t).substr(eq + 1));
    if (!value.empty() && value[0] == '"') {
      value = unquote_ini_value(value, path, n);
    } else {
      for (const char* marker : {" #", "\t#", " ;", "\t;"}) {
        const auto c = value.find(marker);
        if (c != std::string::npos) value = trimmed(std::string_view(value).substr(0, c));
      }
    }
    if (key.empty()) throw input_error(path, n, "missing key", "'key = value'", quote_token(t));
    if (!section.empty()) key = section + "." + key;
    else if (key.find('.') == std::string::npos)
      throw input_error(path, n, "key outside a section", "a '[section]' header first or 'section.key'",
                        quote_token(key));
    out.push_back({key, value, n});
  }
  return out;
}

std::map<std::string, std::string> ini_values(const std::string& path) {
  std::map<std::string, std::string> out;
  for (auto& e : parse_ini(io::read_file(path), path)) out[e.key] = std::move(e.value);
  return out;
}

}  // namespace lb::io
