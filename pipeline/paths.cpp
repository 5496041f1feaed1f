// Outputs that would destroy inputs (see paths.h).
#include "pipeline/paths.h"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/error.h"
#include "core/text.h"

namespace lb::pipeline {

namespace fs = std::filesystem;

std::vector<PathUse> dataset_files(const std::string& option, const std::string& dir) {
  std::vector<PathUse> out;
  for (const char* name : {"sequences.fa", "sequences.fa.fai", "sequences.fa.gz", "sequences.fa.gz.fai",
                           "sequences.fa.gz.gzi", "labels.tsv", "motifs.bed", "roles.tsv", "tasks.tsv", "classes.tsv",
                           "scenario.ini", "config.ini", "manifest.tsv"})
    out.push_back({option, dir + "/" + name});
  return out;
}

std::vector<PathUse> genome_files(const std::string& option, const std::string& genome) {
  if (genome.empty()) return {};
  return {{option, genome}, {option, genome + ".fai"}, {option, genome + ".gzi"}};
}

std::vector<PathUse> mnist_files(const std::string& option, const std::string& dir) {
  std::vector<PathUse> out;
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"}) {
    out.push_back({option, dir + "/" + name});
    out.push_back({option, dir + "/" + name + ".gz"});
  }
  return out;
}

void refuse_output_over_input(const std::vector<PathUse>& outputs, const std::vector<PathUse>& inputs) {
  for (const PathUse& o : outputs) {
    if (o.path.empty() || o.path == "-") continue;
    for (const PathUse& i : inputs) {
      if (i.path.empty() || i.path == "-") continue;
      std::error_code ec;  // missing on either side: not the same file
      if (!fs::equivalent(o.path, i.path, ec) || ec) continue;
      throw ConfigError(fmt::format("{}: output {} is the input {} ({}); expected an output that is not an input, "
                                    "got the same file",
                                    o.option, show_path(o.path), show_path(i.path), i.option));
    }
  }
}

void require_file_output(const std::string& option, const std::string& path) {
  std::error_code ec;
  if (path != "-" && fs::is_directory(path, ec))
    throw ConfigError(fmt::format("{}: {} is a directory; expected a file, got a directory", option, show_path(path)));
}

}  // namespace lb::pipeline
