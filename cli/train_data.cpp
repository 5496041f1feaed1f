// Dataset directory -> one-hot split inputs; --threads.
#include "cli/train_data.h"

#include <charconv>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/parallel.h"

namespace lb::cli {

SplitInput split_input(const sim::Dataset& ds, std::optional<sim::Split> split, const std::string& dir) {
  SplitInput out;
  std::vector<std::vector<std::uint8_t>> codes;
  for (int i = 0; i < ds.size(); ++i) {
    if (split && ds.splits[static_cast<std::size_t>(i)] != *split) continue;
    out.indices.push_back(i);
    codes.push_back(encode_bases(ds.seqs[static_cast<std::size_t>(i)],
                                 fmt::format("{}/sequences.fa.gz: sequence '{}'", dir, ds.ids[static_cast<std::size_t>(i)])));
  }
  auto& d = out.data;
  d.n = static_cast<int>(out.indices.size());
  d.shape = model::Shape{kNumBases, 1, ds.seq_len};
  d.x = d.n > 0 ? one_hot(codes) : Mat(kNumBases, 0);
  d.targets.resize(sim::kNumTasks, d.n);
  for (int j = 0; j < d.n; ++j)
    for (int t = 0; t < sim::kNumTasks; ++t)
      d.targets(t, j) = ds.labels[static_cast<std::size_t>(out.indices[static_cast<std::size_t>(j)])][static_cast<std::size_t>(t)];
  return out;
}

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

}  // namespace lb::cli
