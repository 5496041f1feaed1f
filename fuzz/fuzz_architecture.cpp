// The architecture text of model.npz (model/network.h Network::from_architecture), as text. The
// parameter check stands in for load_model's (which refuses a declaration that no array in the
// file backs): here any declared array over 2^22 values is refused the same way.
#include <cstdint>

#include "core/error.h"
#include "harness.h"
#include "model/network.h"
#include "network_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto check = [](const std::string& name, const std::vector<std::int64_t>& shape, std::string_view,
                        std::string_view) {
    std::int64_t n = 1;
    for (const auto d : shape)
      if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > (std::int64_t{1} << 22))
        throw lb::InputError("fuzz: array '" + name + "' larger than this harness backs");
  };
  lb::fuzz::run([&] {
    const auto net = lb::model::Network::from_architecture(lb::fuzz::as_text(data, size), "fuzz.npz[architecture]", check);
    // What the network describes must read back as the same network.
    const std::string text = net.architecture();
    if (lb::model::Network::from_architecture(text, "again", check).architecture() != text)
      lb::fuzz::fail("architecture round trip changed the text");
    lb::fuzz::forward_if_small(net);
  });
  return 0;
}
