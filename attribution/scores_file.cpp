// scores.npz assembly: layout conversions and array names.
#include "attribution/scores_file.h"

#include "core/error.h"

namespace lb::attr {

std::vector<float> to_ntcs(const Mat& m, int n, int n_tasks, int spatial) {
  const auto C = m.rows();
  LB_CHECK(m.cols() == static_cast<Eigen::Index>(n_tasks) * n * spatial, "to_ntcs: {} columns; expected T*n*S = {}",
           m.cols(), static_cast<long>(n_tasks) * n * spatial);
  std::vector<float> out(static_cast<std::size_t>(m.size()));
  std::size_t k = 0;
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < n_tasks; ++t)
      for (Eigen::Index c = 0; c < C; ++c)
        for (int p = 0; p < spatial; ++p) out[k++] = m(c, (static_cast<Eigen::Index>(t) * n + i) * spatial + p);
  return out;
}

std::vector<float> to_ncs(const Mat& x, int n, int spatial) { return to_ntcs(x, n, 1, spatial); }

std::vector<float> to_nt(const Mat& delta) {
  // (T x n) column-major is already (n, T) in C order.
  return std::vector<float>(delta.data(), delta.data() + delta.size());
}

io::NpzArchive scores_archive(std::span<const std::string> ids, const Mat& x, const model::Shape& input,
                              std::span<const int> tasks, std::span<const ScoredMethod> methods) {
  const int n_tasks = static_cast<int>(tasks.size());
  const auto n = static_cast<std::int64_t>(ids.size());
  const int S = input.spatial();
  const bool dna = input.c == 4 && input.h == 1;
  std::vector<std::int64_t> sample_shape{input.c};
  if (input.h != 1) sample_shape.push_back(input.h);
  sample_shape.push_back(input.w);
  auto shape = [&](std::initializer_list<std::int64_t> lead) {
    std::vector<std::int64_t> s(lead);
    s.insert(s.end(), sample_shape.begin(), sample_shape.end());
    return s;
  };
  io::NpzArchive a;
  a.emplace_back("ids", io::NpyArray::from_strings({n}, ids));
  a.emplace_back(dna ? "onehot" : "inputs", io::NpyArray::from_f32(shape({n}), to_ncs(x, static_cast<int>(n), S)));
  const std::vector<std::int64_t> task_ids(tasks.begin(), tasks.end());
  a.emplace_back("tasks", io::NpyArray::from_i64({n_tasks}, task_ids));
  for (const auto& m : methods) {
    const auto& r = m.result;
    a.emplace_back(m.name, io::NpyArray::from_f32(shape({n, n_tasks}), to_ntcs(r.contributions, static_cast<int>(n), n_tasks, S)));
    if (r.hypothetical.size())
      a.emplace_back(m.name + ".hypothetical",
                     io::NpyArray::from_f32(shape({n, n_tasks}), to_ntcs(r.hypothetical, static_cast<int>(n), n_tasks, S)));
    if (r.ism.size())
      a.emplace_back(m.name + ".ism", io::NpyArray::from_f32(shape({n, n_tasks}), to_ntcs(r.ism, static_cast<int>(n), n_tasks, S)));
    if (r.delta.size()) a.emplace_back(m.name + ".delta", io::NpyArray::from_f32({n, n_tasks}, to_nt(r.delta)));
    if (r.references.size()) {
      const std::int64_t k = r.n_references;
      LB_CHECK(r.references.cols() == n * k * S, "{}: references have {} columns; expected N*K*S = {}", m.name,
               r.references.cols(), n * k * S);
      a.emplace_back(m.name + ".references",
                     io::NpyArray::from_f32(shape({n, k}), to_ncs(r.references, static_cast<int>(n * k), S)));
    }
  }
  return a;
}

}  // namespace lb::attr
