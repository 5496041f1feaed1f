// scores.npz assembly: layout conversions and array names.
#include "attribution/scores_file.h"

#include "core/error.h"
#include "io/npz_stream.h"

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

namespace {

/// An array's shape: the `lead` axes (samples, tasks, ...), then one sample's input, (C, W) for a
/// sequence or (C, H, W) for an image.
std::vector<std::int64_t> array_shape(std::initializer_list<std::int64_t> lead, const model::Shape& input) {
  std::vector<std::int64_t> s(lead);
  s.push_back(input.c);
  if (input.h != 1) s.push_back(input.h);
  s.push_back(input.w);
  return s;
}

}  // namespace

std::vector<float> to_nt(const Mat& delta) {
  // (T x n) column-major is already (n, T) in C order.
  return std::vector<float>(delta.data(), delta.data() + delta.size());
}

io::NpzArchive scores_archive(std::span<const std::string> ids, const Mat& x, const model::Shape& input,
                              std::span<const int> tasks, std::span<const ScoredMethod> methods,
                              std::span<const std::string> target_names) {
  const int n_tasks = static_cast<int>(tasks.size());
  const auto n = static_cast<std::int64_t>(ids.size());
  const int S = input.spatial();
  const bool dna = input.c == 4 && input.h == 1;
  auto shape = [&](std::initializer_list<std::int64_t> lead) { return array_shape(lead, input); };
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
  if (!target_names.empty()) a.emplace_back("targets", io::NpyArray::from_strings({n_tasks}, target_names));
  return a;
}

namespace {

// Samples [i0, i0 + m) of a (C x T*n*S) task-major matrix as (m, T, C, S) C-order floats: the
// rows of the scores.npz member for those samples (to_ntcs on a slice of samples).
void ntcs_block(const Mat& mat, int n, int n_tasks, int spatial, int i0, int m, std::vector<float>& out) {
  const Eigen::Index C = mat.rows(), S = spatial;
  out.resize(static_cast<std::size_t>(Eigen::Index{m} * n_tasks * C * S));
  float* o = out.data();
  for (int i = i0; i < i0 + m; ++i)
    for (int t = 0; t < n_tasks; ++t) {
      // Block (t, i) is C x S column-major: element (c, p) at src[p*C + c].
      const float* src = mat.data() + (static_cast<Eigen::Index>(t) * n + i) * S * C;
      for (Eigen::Index c = 0; c < C; ++c)
        for (Eigen::Index p = 0; p < S; ++p) *o++ = src[p * C + c];
    }
}

std::string_view float_bytes(const std::vector<float>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)};
}

}  // namespace

void write_scores(const std::string& path, std::span<const std::string> ids, const Mat& x, const model::Shape& input,
                  std::span<const int> tasks, std::span<const ScoredMethod> methods,
                  std::span<const std::string> target_names) {
  const int n_tasks = static_cast<int>(tasks.size());
  const auto n = static_cast<std::int64_t>(ids.size());
  const int N = static_cast<int>(n), S = input.spatial();
  const bool dna = input.c == 4 && input.h == 1;
  LB_CHECK(x.cols() == n * S, "write_scores: input has {} columns; expected N*S = {}", x.cols(), n * S);
  auto shape = [&](std::initializer_list<std::int64_t> lead) { return array_shape(lead, input); };
  // The members in scores_archive's order, each with how to produce a block of its samples.
  const io::NpyArray id_array = io::NpyArray::from_strings({n}, ids);
  const std::vector<std::int64_t> task_ids(tasks.begin(), tasks.end());
  const io::NpyArray task_array = io::NpyArray::from_i64({n_tasks}, task_ids);
  std::vector<io::NpzStreamWriter::Member> members{{"ids", id_array.dtype, id_array.shape},
                                                   {dna ? "onehot" : "inputs", "<f4", shape({n})},
                                                   {"tasks", task_array.dtype, task_array.shape}};
  // Per member: the matrix in the multiplier layout, its task count (1 for inputs and
  // references) and its samples per N (K for references); or a delta (T x n).
  struct Source {
    const Mat* mat = nullptr;
    int tasks = 0, per_sample = 1;
    bool delta = false;
  };
  std::vector<Source> sources{{}, {&x, 1, 1, false}, {}};
  for (const auto& m : methods) {
    const auto& r = m.result;
    members.push_back({m.name, "<f4", shape({n, n_tasks})});
    sources.push_back({&r.contributions, n_tasks, 1, false});
    if (r.hypothetical.size()) {
      members.push_back({m.name + ".hypothetical", "<f4", shape({n, n_tasks})});
      sources.push_back({&r.hypothetical, n_tasks, 1, false});
    }
    if (r.ism.size()) {
      members.push_back({m.name + ".ism", "<f4", shape({n, n_tasks})});
      sources.push_back({&r.ism, n_tasks, 1, false});
    }
    if (r.delta.size()) {
      members.push_back({m.name + ".delta", "<f4", {n, n_tasks}});
      sources.push_back({&r.delta, n_tasks, 1, true});
    }
    if (r.references.size()) {
      const std::int64_t k = r.n_references;
      LB_CHECK(r.references.cols() == n * k * S, "{}: references have {} columns; expected N*K*S = {}", m.name,
               r.references.cols(), n * k * S);
      members.push_back({m.name + ".references", "<f4", shape({n, k})});
      sources.push_back({&r.references, 1, r.n_references, false});
    }
  }
  io::NpyArray name_array;
  if (!target_names.empty()) {
    name_array = io::NpyArray::from_strings({n_tasks}, target_names);
    members.push_back({"targets", name_array.dtype, name_array.shape});
    sources.push_back({});
  }
  io::NpzStreamWriter writer(path, members);
  writer.append(0, std::string_view(id_array.bytes.data(), id_array.bytes.size()));
  writer.append(2, std::string_view(task_array.bytes.data(), task_array.bytes.size()));
  if (!target_names.empty())
    writer.append(members.size() - 1, std::string_view(name_array.bytes.data(), name_array.bytes.size()));
  constexpr int kBlock = 64;  // samples converted at a time: a few hundred KB, in cache
  std::vector<float> buf;
  for (std::size_t k = 1; k < members.size(); ++k) {
    const Source& src = sources[k];
    if (!src.mat) continue;  // ids, tasks: written above
    LB_CHECK(src.mat->cols() == (src.delta ? n : n * src.tasks * src.per_sample * S),
             "write_scores: member '{}' has {} columns", members[k].name, src.mat->cols());
    if (src.delta) {  // (T x n) column-major is (n, T) C order already
      writer.append(k, std::string_view(reinterpret_cast<const char*>(src.mat->data()),
                                        static_cast<std::size_t>(src.mat->size()) * sizeof(float)));
      continue;
    }
    // References are (C x n*K*S) sample-major blocks: as inputs of n*K samples.
    const int rows = N * src.per_sample;
    for (int i0 = 0; i0 < rows; i0 += kBlock) {
      const int m = std::min(kBlock, rows - i0);
      ntcs_block(*src.mat, rows, src.tasks, S, i0, m, buf);
      writer.append(k, float_bytes(buf));
    }
  }
  writer.finish();
}

}  // namespace lb::attr
