// The .fai index reader (io/genome.h, Genome): the fuzz bytes are the index of a fixed FASTA
// (three sequences: lines of 15 bases, one soft-masked line of 12, CRLF lines of 2). Every
// sequence the index lists is read in windows, and a read returns exactly the bases asked for.
#include <algorithm>

#include "harness.h"
#include "io/genome.h"

namespace {

const char kFasta[] = ">chr1 first\nACGTACGTAACCGGT\nTAAGGCCTTAGCATG\n>chr2\nacgtNNRYacgt\n>chr3\r\nAC\r\nG\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The FASTA first and once, so that the index written after it is never the older file.
  static const std::string fasta = lb::fuzz::write_temp("ref.fa", std::string_view(kFasta, sizeof kFasta - 1));
  lb::fuzz::write_temp("ref.fa.fai", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::io::Genome g(fasta);
    for (const auto& c : g.sequences()) {
      if (c.length < 0 || g.length(c.name) != c.length) lb::fuzz::fail("a sequence's length disagrees with the index");
      for (std::int64_t beg = 0; beg < c.length; beg += 5) {
        const std::int64_t end = std::min<std::int64_t>(c.length, beg + 17);
        lb::fuzz::run([&] {
          if (static_cast<std::int64_t>(g.fetch(c.name, beg, end).size()) != end - beg)
            lb::fuzz::fail("fetch returned another number of bases than asked for");
        });
      }
    }
  });
  return 0;
}
