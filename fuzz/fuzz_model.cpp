// model.npz (model/model_file.h load_model): the archive is built from the fuzz bytes
// (zip_input.h; the architecture as a plain-text `architecture` member or as the `#comment`
// archive comment, parameters as typed descriptions such as "<f4 50,4,11\n<bytes>"). Flag bit 1
// also loads it against the paper's [model] settings for a 4x200 input. A network that loads
// runs one forward pass when its shapes are small.
#include "harness.h"
#include "model/model_file.h"
#include "network_check.h"
#include "zip_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::scratch_dir() + "/model.npz";
  const std::uint8_t flags = lb::fuzz::write_zip_input(lb::fuzz::as_text(data, size), path);
  lb::fuzz::run([&] {
    const lb::model::Network net = lb::model::load_model(path);
    lb::fuzz::forward_if_small(net);
  });
  if (flags & 2) {
    const lb::model::ModelConfig cfg;
    const lb::model::Shape input{4, 1, 200};
    lb::fuzz::run([&] { lb::model::load_model(path, &cfg, &input); });
  }
  return 0;
}
