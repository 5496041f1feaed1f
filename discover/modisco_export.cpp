// TF-MoDISco-lite inputs from a scores archive (discover/modisco_export.h, docs/discovery.md).
#include "discover/modisco_export.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "discover/seqlets.h"
#include "io/atomic_file.h"

namespace lb::discover {

std::string modisco_ohe_path(const std::string& dir) { return dir + "/ohe.npy"; }
std::string modisco_hyp_path(const std::string& dir, int task) { return fmt::format("{}/task{}.hyp.npy", dir, task); }

namespace {

constexpr std::string_view kHyp = ".hypothetical";

ModiscoExport run(const io::NpzArchive& archive, const std::string& path, const std::string& method,
                  std::optional<int> task, const std::string& dir, bool write) {
  const io::NpyArray& onehot = io::find_array(archive, "onehot", path);
  if (onehot.shape.size() != 3 || onehot.shape[0] < 1 || onehot.shape[1] != 4 || onehot.shape[2] < 1 ||
      onehot.shape[0] > std::numeric_limits<int>::max() || onehot.shape[2] > std::numeric_limits<int>::max())
    throw InputError(fmt::format("{}array 'onehot': wrong shape; expected (N,4,L) with N, L >= 1, got {}", where(path),
                                 onehot.shape_str()));
  const std::int64_t N = onehot.shape[0], L = onehot.shape[2];

  const std::string hyp_name = method + std::string(kHyp);
  const io::NpyArray* hyp = nullptr;
  std::string with_hyp;
  for (const auto& [name, a] : archive) {
    if (name == hyp_name) hyp = &a;
    if (name.size() > kHyp.size() && name.ends_with(kHyp))
      with_hyp += fmt::format("{}{}", with_hyp.empty() ? "" : ", ", name.substr(0, name.size() - kHyp.size()));
  }
  if (hyp == nullptr)
    throw InputError(fmt::format("{}no hypothetical scores for method {}; expected an array '{}' ({}), got none",
                                 where(path), quote_token(method), hyp_name,
                                 with_hyp.empty() ? "no method in the file has one" : "methods with one: " + with_hyp));
  if (hyp->shape.size() != 4 || hyp->shape[0] != N || hyp->shape[1] < 1 || hyp->shape[2] != 4 || hyp->shape[3] != L)
    throw InputError(fmt::format("{}array '{}': wrong shape; expected (N,T,4,L) with N = {}, L = {} (from 'onehot'), "
                                 "got {}",
                                 where(path), hyp_name, N, L, hyp->shape_str()));
  const std::int64_t T = hyp->shape[1];

  // Task values: the `tasks` array when present, else the axis.
  std::vector<std::int64_t> tasks = task_values(archive, path, T, hyp_name);
  for (const auto t : tasks)
    if (t < 0 || t > std::numeric_limits<int>::max())
      throw InputError(fmt::format("{}array 'tasks': task {} out of range; expected a model output >= 0, got {}",
                                   where(path), t, t));
  std::vector<std::int64_t> axes;
  if (task) {
    axes.push_back(task_axis(tasks, T, hyp_name, *task));
  } else {
    for (std::int64_t t = 0; t < T; ++t) axes.push_back(t);
  }
  if (tasks.empty())
    for (std::int64_t t = 0; t < T; ++t) tasks.push_back(t);

  ModiscoExport ex;
  ex.ohe_path = modisco_ohe_path(dir);
  ex.n_seqs = static_cast<int>(N);
  ex.seq_len = static_cast<int>(L);
  ex.window = static_cast<int>(L % 2 == 0 ? L : L - 1);
  for (const auto a : axes)
    ex.tasks.push_back({static_cast<int>(tasks[static_cast<std::size_t>(a)]),
                        modisco_hyp_path(dir, static_cast<int>(tasks[static_cast<std::size_t>(a)]))});

  const std::vector<float> x = onehot.to_f32(fmt::format("{}array 'onehot'", where(path)));
  const std::vector<float> h = hyp->to_f32(fmt::format("{}array '{}'", where(path), hyp_name));
  const auto plane = static_cast<std::size_t>(4 * L);
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const auto a = static_cast<std::size_t>(axes[k]);
    for (std::int64_t i = 0; i < N; ++i) {
      const std::size_t from = (static_cast<std::size_t>(i) * static_cast<std::size_t>(T) + a) * plane;
      for (std::size_t e = 0; e < plane; ++e)
        if (!std::isfinite(h[from + e]))
          throw InputError(fmt::format("{}array '{}': non-finite score of sequence {} (task {}) at channel {} position "
                                       "{}; expected finite hypothetical scores, got {}",
                                       where(path), hyp_name, i, ex.tasks[k].task, e / static_cast<std::size_t>(L),
                                       e % static_cast<std::size_t>(L), h[from + e]));
    }
  }
  if (!write) return ex;

  io::remove_stale_marker(ex.ohe_path);  // an older set's one-hot must not mark a half-written new one

  for (std::size_t k = 0; k < axes.size(); ++k) {
    const auto a = static_cast<std::size_t>(axes[k]);
    std::vector<float> slice(static_cast<std::size_t>(N) * plane);
    for (std::int64_t i = 0; i < N; ++i) {
      const std::size_t from = (static_cast<std::size_t>(i) * static_cast<std::size_t>(T) + a) * plane;
      std::copy_n(h.begin() + static_cast<std::ptrdiff_t>(from), plane,
                  slice.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * plane));
    }
    io::write_file_atomic(ex.tasks[k].path, io::encode_npy(io::NpyArray::from_f32({N, 4, L}, slice)));
  }
  // The one-hot last: its presence marks a complete set.
  io::write_file_atomic(ex.ohe_path, io::encode_npy(io::NpyArray::from_f32({N, 4, L}, x)));
  return ex;
}

}  // namespace

ModiscoExport plan_modisco_inputs(const io::NpzArchive& archive, const std::string& path, const std::string& method,
                                  std::optional<int> task, const std::string& dir) {
  return run(archive, path, method, task, dir, false);
}

ModiscoExport write_modisco_inputs(const io::NpzArchive& archive, const std::string& path, const std::string& method,
                                   std::optional<int> task, const std::string& dir) {
  return run(archive, path, method, task, dir, true);
}

}  // namespace lb::discover
