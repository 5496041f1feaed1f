// IDX (io/idx.h, MNIST): the input as a file, read as images and as labels.
#include "harness.h"
#include "io/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.idx", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::io::IdxImages im = lb::io::read_idx_images(path);
    if (im.pixels.size() != static_cast<std::size_t>(im.n) * static_cast<std::size_t>(im.rows) *
                                static_cast<std::size_t>(im.cols))
      lb::fuzz::fail("read_idx_images: pixel count disagrees with n x rows x cols");
  });
  lb::fuzz::run([&] { lb::io::read_idx_labels(path); });
  return 0;
}
