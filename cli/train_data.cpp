// The flags train, predict, attribute and sanity share: --split, --threads, the model stem, --fasta.
#include "cli/train_data.h"

#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/parallel.h"
#include "io/fasta.h"
#include "model/model_file.h"

namespace lb::cli {

void apply_threads(const std::string& value) {
  int n = -1;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc() || p != end || n < 0)
    throw ConfigError(fmt::format("--threads: bad value; expected an integer >= 0 (0 = all cores), got {}",
                                  quote_token(value)));
  set_threads(n);
}

std::string output_stem(const std::string& model_path) {
  constexpr std::string_view kExt = ".npz";
  if (model_path.size() > kExt.size() && model_path.ends_with(kExt))
    return model_path.substr(0, model_path.size() - kExt.size());
  return model_path;
}

std::optional<sim::Split> parse_split_flag(const std::string& name) {
  if (name == "all") return std::nullopt;
  sim::Split s;
  if (!sim::parse_split(name, s))
    throw ConfigError(fmt::format("--split: unknown split; expected train, valid, test or all, got {}",
                                  quote_token(name)));
  return s;
}

FastaInput read_fasta_input(const std::string& fasta, const std::string& model_path, const model::ModelConfig* cfg) {
  const auto records = io::read_fasta(fasta);
  if (records.empty())
    throw InputError(fmt::format("{}no sequences; expected at least 1 FASTA record, got 0", where(fasta)));
  const model::Shape first{kNumBases, 1, static_cast<int>(records.front().seq.size())};
  FastaInput out;
  out.net = model::is_self_describing(model_path) ? model::load_model(model_path, cfg)
                                                  : model::load_model(model_path, cfg, &first);
  const model::Shape in = out.net.input_shape();
  if (in.c != kNumBases || in.h != 1)
    throw InputError(fmt::format("{}the model's input is {}; expected one-hot DNA (4xL) for --fasta, got {}",
                                 where(model_path), in.str(), in.str()));
  std::vector<std::vector<std::uint8_t>> codes;
  for (const auto& r : records) {
    if (static_cast<int>(r.seq.size()) != in.w)
      throw InputError(fmt::format("{}sequence {} has length {}; expected the model's input length {}, got {}",
                                   where(fasta, r.line), quote_token(r.name, 80), r.seq.size(), in.w, r.seq.size()));
    codes.push_back(encode_bases(r.seq, fmt::format("{}sequence {}", where(fasta, r.line), quote_token(r.name, 80))));
    out.ids.push_back(r.name);
  }
  out.x = one_hot(codes);
  out.n = static_cast<int>(records.size());
  out.len = in.w;
  return out;
}

}  // namespace lb::cli
