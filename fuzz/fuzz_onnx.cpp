// ONNX models (model/onnx.h import_onnx): the bytes as a .onnx file. A network that imports runs
// one forward pass when small, and exports and imports again to the same layers and input.
#include "harness.h"
#include "model/onnx.h"
#include "network_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("model.onnx", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::model::Network net = lb::model::import_onnx(path);
    lb::fuzz::forward_if_small(net);
    const std::string again = lb::fuzz::scratch_dir() + "/again.onnx";
    lb::model::export_onnx(again, net);
    const lb::model::Network back = lb::model::import_onnx(again);
    if (back.n_layers() != net.n_layers() || !(back.input_shape() == net.input_shape()) ||
        back.output_kind() != net.output_kind())
      lb::fuzz::fail("onnx export and import changed the network");
  });
  return 0;
}
