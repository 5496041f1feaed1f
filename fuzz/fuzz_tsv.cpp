// TSV with a header (io/tsv.h): the input as a file; every row as wide as the header.
#include "harness.h"
#include "io/tsv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.tsv", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::io::TsvTable t = lb::io::read_tsv(path);
    if (t.rows.size() != t.lines.size()) lb::fuzz::fail("read_tsv: rows and line numbers differ in count");
    for (const auto& row : t.rows)
      if (row.size() != t.header.size()) lb::fuzz::fail("read_tsv returned a row narrower or wider than the header");
    if (!t.header.empty()) t.column(t.header.back(), path);
    t.column("no such column", path);
  });
  return 0;
}
