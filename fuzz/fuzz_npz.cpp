// .npz archives (io/npz.h read_npz): the zip is built from the fuzz bytes (zip_input.h), or
// with flag bit 7 the bytes are the file itself. What reads back must write and read again
// unchanged.
#include "harness.h"
#include "io/npz.h"
#include "zip_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::scratch_dir() + "/in.npz";
  lb::fuzz::write_zip_input(lb::fuzz::as_text(data, size), path);
  lb::fuzz::run([&] {
    const lb::io::NpzArchive a = lb::io::read_npz(path);
    std::size_t total = 0;
    for (const auto& [name, arr] : a) total += arr.bytes.size();
    if (a.empty() || total > (std::size_t{64} << 20)) return;
    lb::fuzz::run([&] { lb::io::find_array(a, a.front().first, path); });
    lb::fuzz::run([&] { lb::io::find_array(a, "no such array", path); });
    const std::string copy = lb::fuzz::scratch_dir() + "/copy.npz";
    lb::io::write_npz(copy, a, size % 2 == 0);
    const lb::io::NpzArchive b = lb::io::read_npz(copy);
    if (b.size() != a.size()) lb::fuzz::fail("npz round trip changed the member count");
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i].first != b[i].first || a[i].second.dtype != b[i].second.dtype || a[i].second.shape != b[i].second.shape ||
          a[i].second.bytes != b[i].second.bytes)
        lb::fuzz::fail("npz round trip changed a member");
  });
  return 0;
}
