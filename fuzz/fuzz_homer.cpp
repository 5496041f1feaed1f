// HOMER motif files (io/meme.h, io/motif_file.h): the input as a .motif file, read by
// read_homer directly and through read_motif_file; every motif read must be a usable PWM.
#include <cmath>

#include "harness.h"
#include "io/meme.h"
#include "io/motif_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.motif", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::io::MemeFile file = lb::io::read_homer(path);
    if (file.motifs.empty()) lb::fuzz::fail("read_homer returned no motifs");
    for (const auto& m : file.motifs) {
      if (m.probs.empty()) lb::fuzz::fail("read_homer returned a motif without rows");
      for (const auto& row : m.probs)
        for (const double p : row)
          if (!std::isfinite(p) || p < 0 || p > 1) lb::fuzz::fail("read_homer returned a probability outside [0, 1]");
    }
  });
  lb::fuzz::run([&] { lb::io::read_motif_file(path); });
  return 0;
}
