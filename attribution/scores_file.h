// scores.npz (docs/cli.md): the engine's (C x T*n*S) multiplier layout converted to NumPy's
// (N, T, C, L) C order, with ids, the one-hot input and per-method deltas. Writing only; the
// arrays are plain io::NpyArray, so readers need nothing of this file.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "attribution/methods.h"
#include "io/npz.h"
#include "model/layer.h"

namespace lb::attr {

/// (C x T*n*S) task-major multipliers (task t of sample i at columns [(t*n+i)*S, (t*n+i+1)*S))
/// -> (n, T, C, S) C-order values: element (c, (t*n+i)*S + p) goes to ((i*T + t)*C + c)*S + p.
std::vector<float> to_ntcs(const Mat& m, int n, int n_tasks, int spatial);
/// Inputs (C x n*S) -> (n, C, S) C order: element (c, i*S + p) goes to (i*C + c)*S + p.
std::vector<float> to_ncs(const Mat& x, int n, int spatial);
/// Deltas (T x n) -> (n, T) C order.
std::vector<float> to_nt(const Mat& delta);

struct ScoredMethod {
  std::string name;  // as given in attribution.methods: the array name
  MethodResult result;
};

/// The archive: `ids` (N) strings; `onehot` (N, 4, L) for DNA input (`inputs` (N, C, H, W)
/// otherwise); `tasks` (T) int64, the model outputs attributed (array axis t holds output
/// tasks[t]); for each method `<name>` (N, T, C, L) contributions and, where defined,
/// `<name>.hypothetical` (N, T, C, L), `<name>.delta` (N, T), for ism `<name>.ism` (N, T, 4, L)
/// (Δlogit of every substitution) and with stored references `<name>.references` (N, K, C, L).
/// With attribution.targets, `tasks` holds each target's output unit (-1 for a target of
/// several units) and a last member `targets` (T) strings their names (attribution/targets.h).
/// All float32 but `ids`, `tasks` and `targets`.
io::NpzArchive scores_archive(std::span<const std::string> ids, const Mat& x, const model::Shape& input,
                              std::span<const int> tasks, std::span<const ScoredMethod> methods,
                              std::span<const std::string> target_names = {});

/// The arrays of scores_archive() — the same names in the same order, dtypes, shapes and values —
/// written to `path` as they are converted, a block of samples at a time, through the streamed
/// writer (io/npz_stream.h: stored zip64 members, atomic, fsync'd): no copy of the archive is
/// built in memory, and each value is converted once and written once. IoError naming `path`.
void write_scores(const std::string& path, std::span<const std::string> ids, const Mat& x, const model::Shape& input,
                  std::span<const int> tasks, std::span<const ScoredMethod> methods,
                  std::span<const std::string> target_names = {});

}  // namespace lb::attr
