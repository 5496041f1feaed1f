// model.layers, the layer spec of the [model] section (model/network.h): byte 0 picks the input
// shape, the rest is the spec. Every spec is validated; a spec whose numbers are all at most 64
// is also built (bigger ones are a user's legitimate request for a big network, not an input to
// refuse) and runs one forward pass when its shapes are small.
#include <cctype>

#include "harness.h"
#include "model/network.h"
#include "network_check.h"

namespace {
bool numbers_small(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    long v = 0;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i)
      if ((v = v * 10 + (s[i] - '0')) > 64) return false;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const lb::model::Shape kInputs[] = {{4, 1, 200}, {1, 28, 28}, {50, 1, 1}, {3, 8, 8}};
  const lb::model::Shape input = kInputs[data[0] % 4];
  lb::model::ModelConfig cfg;
  cfg.layers = std::string(lb::fuzz::as_text(data + 1, size - 1));
  lb::fuzz::run([&] { lb::model::validate(cfg); });
  if (!numbers_small(cfg.layers)) return 0;
  lb::fuzz::run([&] {
    const auto net = lb::model::Network::from_config(cfg, input);
    const std::string text = net.architecture();
    if (lb::model::Network::from_architecture(text, "architecture").architecture() != text)
      lb::fuzz::fail("a network built from model.layers does not read back from its architecture text");
    lb::fuzz::forward_if_small(net);
  });
  return 0;
}
