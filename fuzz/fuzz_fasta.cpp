// FASTA (io/fasta.h): the input as a file, read DNA-only and as any residues; what reads back
// must survive a plain write and a second read unchanged.
#include "harness.h"
#include "io/fasta.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.fa", lb::fuzz::as_text(data, size));
  for (const bool dna_only : {true, false}) {
    lb::fuzz::run([&] {
      const auto records = lb::io::read_fasta(path, {.dna_only = dna_only});
      for (const auto& r : records)
        if (r.name.empty() || r.name.size() > lb::io::kMaxFastaNameLength || r.seq.empty())
          lb::fuzz::fail("read_fasta returned a record it promises to refuse");
      if (!dna_only || records.empty()) return;
      const std::string copy = lb::fuzz::scratch_dir() + "/copy.fa";
      lb::io::write_fasta_plain(copy, records);
      const auto again = lb::io::read_fasta(copy);
      if (again.size() != records.size()) lb::fuzz::fail("FASTA round trip changed the record count");
      for (std::size_t i = 0; i < records.size(); ++i)
        if (again[i].name != records[i].name || again[i].seq != records[i].seq)
          lb::fuzz::fail("FASTA round trip changed a name or sequence");
    });
  }
  return 0;
}
