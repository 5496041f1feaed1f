// The config sections of the pipeline's steps (pipeline/steps.h).
#include "pipeline/steps.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"

namespace lb::pipeline {

const std::vector<std::string>& step_sections(std::string_view command) {
  static const std::array<std::pair<std::string_view, std::vector<std::string>>, 6> table{{
      {"simulate", {"sim"}},
      {"train", {"model", "train"}},
      {"attribute", {"model", "attribution"}},
      {"evaluate", {"sim", "eval"}},
      {"sanity", {"model", "attribution", "sanity"}},
      {"discover", {"sim", "eval"}},
  }};
  for (const auto& [name, sections] : table)
    if (name == command) return sections;
  throw Error(fmt::format("step_sections: no step named '{}'", command));
}

}  // namespace lb::pipeline
