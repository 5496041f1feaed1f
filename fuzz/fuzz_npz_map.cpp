// Mapped stored .npz (io/npz_map.h): the fuzz bytes are the file. Every member's bytes are read
// (ASan catches a pointer or size outside the mapping) and must fit its dtype and shape.
#include "harness.h"
#include "io/npz.h"
#include "io/npz_map.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.npz", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::io::NpzMap map(path);
    unsigned sum = 0;
    for (const auto& m : map.members()) {
      std::uint64_t count = 1;
      for (const auto d : m.shape) count *= static_cast<std::uint64_t>(d);
      if (m.bytes != count * lb::io::npy_itemsize(m.dtype)) lb::fuzz::fail("a member's size disagrees with its shape");
      for (std::uint64_t i = 0; i < m.bytes; ++i) sum += static_cast<unsigned char>(m.data[i]);
      if (map.find(m.name) == nullptr) lb::fuzz::fail("find misses a member");
    }
    lb::fuzz::run([&] { map.get("no such array", "an array"); });
    if (sum == 0xFFFFFFFFu) lb::fuzz::fail("unreachable");  // keeps the reads
  });
  return 0;
}
