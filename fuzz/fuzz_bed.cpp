// BED6(+n) (io/bed.h): the input as a file.
#include "harness.h"
#include "io/bed.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.bed", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    for (const auto& r : lb::io::read_bed(path))
      if (r.start < 0 || r.end < r.start || (r.strand != '+' && r.strand != '-' && r.strand != '.'))
        lb::fuzz::fail("read_bed returned a record it promises to refuse");
  });
  return 0;
}
