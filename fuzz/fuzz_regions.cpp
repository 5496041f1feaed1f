// BED3+ / narrowPeak regions (io/genome.h read_regions): the input as a file.
#include "harness.h"
#include "io/genome.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.bed", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    for (const auto& r : lb::io::read_regions(path))
      if (r.start < 0 || r.end < r.start || r.chrom.empty() || r.summit < -1 ||
          (r.summit >= 0 && r.summit >= r.end - r.start) || r.n_columns < 3)
        lb::fuzz::fail("read_regions returned a region it promises to refuse");
  });
  return 0;
}
