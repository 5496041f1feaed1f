// The inputs of TF-MoDISco-lite's `modisco motifs -s ohe.npy -a shap.npy -n 2000 -w L -o
// modisco.h5` from a liftbench scores archive (docs/discovery.md, "Export for TF-MoDISco-lite").
// `modisco motifs` loads a `.npy` with numpy.load (an `.npz` through its member `arr_0`), expects
// length-last arrays of shape (N, 4, L) — the one-hot sequences and the hypothetical
// contributions of all four bases at every position — and casts both to float32. liftbench
// writes one shared DIR/ohe.npy and, per task, DIR/task<T>.hyp.npy (T = the model output, the
// value of the archive's `tasks` array), each float32, C order, atomically.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/npz.h"

namespace lb::discover {

struct ModiscoTaskFile {
  int task = 0;      // the model output (the `tasks` array's value, or the axis without one)
  std::string path;  // DIR/task<T>.hyp.npy
};

struct ModiscoExport {
  std::string ohe_path;               // DIR/ohe.npy
  std::vector<ModiscoTaskFile> tasks;
  int n_seqs = 0;
  int seq_len = 0;
  /// The largest `-w` `modisco motifs` accepts for these files: L for even L, L - 1 for odd L
  /// (it keeps positions [L/2 - w/2, L/2 + w/2), integer division, and refuses fewer than w).
  int window = 0;
};

/// The file names, without writing: `DIR/ohe.npy`, `DIR/task<T>.hyp.npy`.
std::string modisco_ohe_path(const std::string& dir);
std::string modisco_hyp_path(const std::string& dir, int task);

/// Checks the archive read from `path` and returns what would be written (paths and sizes) for
/// `method` and one task (`task`: a value of the `tasks` array, else an index on the task axis)
/// or, without one, every task. Errors (nothing is written): InputError from io::find_array for a
/// missing `onehot` or `<method>.hypothetical` (naming the methods that have one), wrong shapes,
/// a non-finite hypothetical score; ConfigError "--task: ..." for a task not in the file.
ModiscoExport plan_modisco_inputs(const io::NpzArchive& archive, const std::string& path, const std::string& method,
                                  std::optional<int> task, const std::string& dir);

/// plan_modisco_inputs, then writes the files (each atomically: io::write_file_atomic). `dir`
/// must exist.
ModiscoExport write_modisco_inputs(const io::NpzArchive& archive, const std::string& path, const std::string& method,
                                   std::optional<int> task, const std::string& dir);

}  // namespace lb::discover
