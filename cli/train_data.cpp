// The flags train, predict, attribute and sanity share: --split, --threads, the model stem.
#include "cli/train_data.h"

#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "core/alphabet.h"
#include "core/error.h"
#include "core/parallel.h"

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

}  // namespace lb::cli
