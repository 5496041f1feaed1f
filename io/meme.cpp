// MEME minimal motif format (version 4) reader: header, alphabet, strands, background and
// letter-probability matrices. Log-odds matrices, URLs and free text are skipped.
#include "io/meme.h"

#include <cmath>
#include <unordered_map>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/text_io.h"

namespace lb::io {

namespace {

// Value of `key=` in "letter-probability matrix: alength= 4 w= 10 ..." ("key=10" also works).
std::optional<std::string_view> matrix_field(const std::vector<std::string_view>& tokens, std::string_view key) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!detail::starts_with(tokens[i], key)) continue;
    if (tokens[i].size() > key.size()) return tokens[i].substr(key.size());
    if (i + 1 < tokens.size()) return tokens[i + 1];
    return std::string_view{};
  }
  return std::nullopt;
}

bool looks_numeric(std::string_view line) {
  const auto t = detail::split_ws(line);
  return !t.empty() && detail::parse_double(t[0]).has_value();
}

// One matrix row, checked here where its line is known (sim::Pwm checks again, but can only
// name the MOTIF line).
std::array<double, 4> parse_row(const std::string& path, long ln, std::string_view line, const MemeMotif& m) {
  const auto t = detail::split_ws(line);
  std::array<double, 4> row{};
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto v = detail::parse_double(t[i]);
    if (!v) throw input_error(path, ln, "bad matrix value", "a number", quote_token(t[i]));
    if (i < 4) row[i] = *v;
  }
  if (t.size() != 4)
    throw input_error(path, ln, "wrong number of values in matrix row", "4 (alength= 4)", std::to_string(t.size()));
  const std::size_t position = m.probs.size() + 1;
  double sum = 0;
  for (std::size_t b = 0; b < 4; ++b) {
    if (!(row[b] >= 0 && row[b] <= 1))
      throw input_error(path, ln,
                        fmt::format("motif {} position {}: probability of {} out of range", quote_token(m.name, 80), position, "ACGT"[b]),
                        "a value in [0, 1]", quote_token(t[b]));
    sum += row[b];
  }
  if (!(std::fabs(sum - 1) <= 1e-3))
    throw input_error(path, ln, fmt::format("motif {} position {}: probabilities do not sum to 1", quote_token(m.name, 80), position),
                      "a sum of 1 within 1e-3", fmt::format("{:g}", sum));
  return row;
}

}  // namespace

MemeFile read_meme(const std::string& path) {
  detail::LineReader in(path);
  MemeFile file;
  std::string_view line;
  std::unordered_map<std::string, long> seen;  // motif name -> line

  // Header: the first non-blank line.
  bool have_header = false;
  while (in.next(line)) {
    if (detail::trim(line).empty()) continue;
    const auto t = detail::split_ws(line);
    if (t.size() < 3 || t[0] != "MEME" || t[1] != "version")
      throw input_error(path, in.line_number(), "missing MEME header", "'MEME version 4'", quote_token(line));
    const auto v = detail::parse_int64(t[2].substr(0, t[2].find('.')));
    if (!v || *v < 4)
      throw input_error(path, in.line_number(), "unsupported MEME version", "4 or later", quote_token(t[2]));
    file.version = static_cast<int>(*v);
    have_header = true;
    break;
  }
  if (!have_header) throw input_error(path, 1, "missing MEME header", "'MEME version 4'", "an empty file");

  // A motif whose MOTIF line was read but whose matrix has not been seen yet.
  const auto require_matrix = [&](std::string_view got) {
    if (!file.motifs.empty() && file.motifs.back().probs.empty())
      throw input_error(path, file.motifs.back().line,
                        fmt::format("motif {} has no matrix", quote_token(file.motifs.back().name, 80)),
                        "a 'letter-probability matrix:' line", got);
  };

  bool pending = false;  // a line already read but not yet handled
  for (;;) {
    if (!pending && !in.next(line)) break;
    pending = false;
    const std::string_view s = detail::trim(line);
    const long ln = in.line_number();
    if (s.empty()) continue;
    if (detail::starts_with(s, "ALPHABET=")) {
      const std::string_view a = detail::trim(s.substr(9));
      if (a != "ACGT") throw input_error(path, ln, "unsupported alphabet", "ACGT", quote_token(a));
    } else if (detail::starts_with(s, "strands:")) {
      file.strands = std::string(detail::trim(s.substr(8)));
    } else if (detail::starts_with(s, "Background letter frequencies")) {
      std::string_view bg;
      bool have_bg = false;
      while ((have_bg = in.next(bg)) && detail::trim(bg).empty()) {
      }
      if (!have_bg)
        throw input_error(path, ln, "bad background frequencies", "'A p C p G p T p'", "end of file");
      const auto t = detail::split_ws(bg);
      bool ok = t.size() == 8;
      for (std::size_t i = 0; ok && i < 4; ++i) {
        const auto v = detail::parse_double(t[2 * i + 1]);
        ok = t[2 * i] == std::string_view(&"ACGT"[i], 1) && v.has_value();
        if (ok) file.background[i] = *v;
      }
      if (!ok)
        throw input_error(path, in.line_number(), "bad background frequencies", "'A p C p G p T p'",
                          quote_token(bg));
    } else if (detail::starts_with(s, "MOTIF")) {
      require_matrix(quote_token(s));
      const auto t = detail::split_ws(s);
      if (t[0] != "MOTIF" || t.size() < 2)
        throw input_error(path, ln, "bad MOTIF line", "'MOTIF <name> [alt_name]'", quote_token(s));
      MemeMotif m;
      m.name = std::string(t[1]);
      if (t.size() > 2) m.alt_name = std::string(t[2]);
      m.line = ln;
      const auto [it, inserted] = seen.emplace(m.name, ln);
      if (!inserted)
        throw input_error(path, ln, "duplicate motif name",
                          fmt::format("unique names (first seen on line {})", it->second), quote_token(m.name));
      file.motifs.push_back(std::move(m));
    } else if (detail::starts_with(s, "letter-probability matrix")) {
      if (file.motifs.empty())
        throw input_error(path, ln, "matrix outside a motif", "a MOTIF line first", quote_token(s));
      MemeMotif& m = file.motifs.back();
      if (!m.probs.empty())
        throw input_error(path, ln, fmt::format("second matrix for motif {}", quote_token(m.name, 80)), "one matrix per motif",
                          quote_token(s));
      const auto t = detail::split_ws(s.substr(s.find(':') == std::string_view::npos ? s.size() : s.find(':') + 1));
      if (const auto alength = matrix_field(t, "alength="); alength && *alength != "4")
        throw input_error(path, ln, "bad alength", "4", quote_token(*alength));
      std::optional<std::int64_t> w;
      if (const auto wf = matrix_field(t, "w=")) {
        w = detail::parse_int64(*wf);
        if (!w || *w < 1) throw input_error(path, ln, "bad w=", "a positive integer", quote_token(*wf));
      }
      if (const auto nf = matrix_field(t, "nsites=")) {
        // MEME writes nsites as an integer, other tools as a real; kept when a whole number.
        const auto v = detail::parse_double(*nf);
        if (v && *v >= 0 && *v == std::floor(*v) && *v < 1e15) m.nsites = static_cast<long>(*v);
      }
      // Rows: exactly w lines when w= is given, else every following line that starts with a number.
      bool more = false;
      while ((more = in.next(line))) {
        if (detail::trim(line).empty()) {
          if (m.probs.empty() || (w && static_cast<std::int64_t>(m.probs.size()) < *w)) continue;
          break;
        }
        const bool numeric = looks_numeric(line);
        if (w && static_cast<std::int64_t>(m.probs.size()) == *w) {
          if (numeric) {  // named at the first row beyond w= (the header says how many)
            const long extra = in.line_number();
            std::size_t rows = m.probs.size() + 1;
            while (in.next(line) && looks_numeric(line)) ++rows;
            throw input_error(path, extra, "w= disagrees with the matrix",
                              fmt::format("{} rows (w= on line {})", *w, ln), std::to_string(rows));
          }
          pending = true;
          break;
        }
        if (!numeric && (!w || detail::starts_with(detail::trim(line), "MOTIF") ||
                         detail::starts_with(detail::trim(line), "URL") ||
                         detail::starts_with(detail::trim(line), "letter-probability"))) {
          pending = true;
          break;
        }
        m.probs.push_back(parse_row(path, in.line_number(), line, m));
      }
      if (w && static_cast<std::int64_t>(m.probs.size()) != *w)
        throw input_error(path, ln, "w= disagrees with the matrix", fmt::format("{} rows", *w),
                          std::to_string(m.probs.size()));
      if (m.probs.empty())
        throw input_error(path, ln, fmt::format("motif {} has no matrix rows", quote_token(m.name, 80)), "at least one row",
                          "none");
      if (!more) break;
    }
    // Anything else (MEME's free text, URL lines, log-odds matrices) is skipped.
  }
  require_matrix("end of file");
  if (file.motifs.empty()) throw input_error(path, 0, "no motifs", "at least one MOTIF", "none");
  return file;
}

const MemeMotif& find_motif(const MemeFile& file, const std::string& name, const std::string& path) {
  std::string names;
  for (const MemeMotif& m : file.motifs) {
    if (m.name == name) return m;
    const std::string q = quote_token(m.name, 80);  // escaped, shown without its quotes
    names += (names.empty() ? "" : ", ") + q.substr(1, q.size() - 2);
  }
  throw InputError(fmt::format("{}no motif named {}; expected one of {}", where(path), quote_token(name, 80), names));
}

void write_meme(const std::string& path, const MemeFile& file) {
  std::string out = fmt::format("MEME version 4\n\nALPHABET= ACGT\n\nstrands: {}\n\nBackground letter frequencies\n",
                                file.strands);
  out += fmt::format("A {:.6f} C {:.6f} G {:.6f} T {:.6f}\n", file.background[0], file.background[1],
                     file.background[2], file.background[3]);
  std::unordered_map<std::string, int> seen;
  for (const MemeMotif& m : file.motifs) {
    LB_CHECK(!m.name.empty() && m.name.find_first_of(" \t\r\n") == std::string::npos, "motif name '{}'", m.name);
    LB_CHECK(seen.emplace(m.name, 1).second, "duplicate motif name '{}'", m.name);
    LB_CHECK(!m.probs.empty(), "motif '{}' has no rows", m.name);
    out += fmt::format("\nMOTIF {}{}{}\nletter-probability matrix: alength= 4 w= {}{} E= 0\n", m.name,
                       m.alt_name.empty() ? "" : " ", m.alt_name, m.probs.size(),
                       m.nsites >= 0 ? fmt::format(" nsites= {}", m.nsites) : std::string());
    for (const auto& row : m.probs) {
      double sum = 0;
      for (const double v : row) {
        LB_CHECK(v >= 0 && std::isfinite(v), "motif '{}': probability {}", m.name, v);
        sum += v;
      }
      LB_CHECK(sum > 0, "motif '{}': a row summing to 0", m.name);
      out += fmt::format(" {:.6f} {:.6f} {:.6f} {:.6f}\n", row[0] / sum, row[1] / sum, row[2] / sum, row[3] / sum);
    }
  }
  write_file_atomic(path, out);
}

}  // namespace lb::io
