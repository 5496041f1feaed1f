// The inputs of liftbench evaluate: a scores file matched to its dataset (ids, one-hot, method
// arrays reduced to per-base scores) and the model's test metrics (docs/cli.md, liftbench evaluate).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "attribution/methods.h"
#include "core/alphabet.h"
#include "core/error.h"
#include "eval/evaluate.h"
#include "eval/hits.h"
#include "eval/metrics.h"
#include "io/tsv.h"

namespace lb::eval {

namespace {


std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "(";
  for (std::size_t i = 0; i < s.size(); ++i) out += fmt::format("{}{}", i ? "," : "", s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

}  // namespace

ScoresInput match_scores(const io::NpzArchive& archive, const std::string& path, const sim::Dataset& ds,
                         std::string_view data_where, std::string_view default_reference) {
  ScoresInput in;
  in.n_tasks = ds.n_tasks();
  in.seq_len = ds.seq_len;
  const auto L = static_cast<std::int64_t>(ds.seq_len);

  const io::NpyArray& ids_arr = io::find_array(archive, "ids", path);
  if (ids_arr.shape.size() != 1)
    throw InputError(fmt::format("{}: array 'ids': wrong shape; expected (N,), got {}", path, shape_str(ids_arr.shape)));
  const std::vector<std::string> ids = ids_arr.to_strings(fmt::format("{}: array 'ids'", path));
  std::unordered_map<std::string, int> index;
  for (int i = 0; i < ds.size(); ++i) index.emplace(ds.ids[static_cast<std::size_t>(i)], i);
  std::unordered_map<std::string, int> seen;
  for (const auto& id : ids) {
    const auto it = index.find(id);
    if (it == index.end())
      throw InputError(fmt::format("{}: array 'ids': unknown sequence {}; expected an id of the dataset {}, got {}", path,
                                   quote_token(id), data_where, quote_token(id)));
    if (seen[id]++ > 0)
      throw InputError(fmt::format("{}: array 'ids': duplicate sequence {}; expected each id once, got {} twice", path,
                                   quote_token(id), quote_token(id)));
    in.seq.push_back(it->second);
  }
  const auto N = static_cast<std::int64_t>(ids.size());

  // `tasks` (written since attribution.tasks): the metrics here need every task of the dataset.
  for (const auto& [name, arr] : archive)
    if (name == "targets")
      throw InputError(fmt::format("{}: array 'targets': scores of named targets ({}); expected the dataset's tasks "
                                   "(attribute without attribution.targets), got targets",
                                   path, fmt::join(arr.to_strings(path + ": array 'targets'"), ", ")));
  for (const auto& [name, arr] : archive) {
    if (name != "tasks") continue;
    const std::vector<std::int64_t> got = arr.to_i64(fmt::format("{}: array 'tasks'", path));
    std::vector<std::int64_t> all(static_cast<std::size_t>(ds.n_tasks()));
    for (int t = 0; t < ds.n_tasks(); ++t) all[static_cast<std::size_t>(t)] = t;
    if (got != all)
      throw InputError(fmt::format("{}: array 'tasks': scores of a subset of the tasks; expected every task {} "
                                   "(attribute with attribution.tasks = all), got {}",
                                   path, fmt::join(all, ","), fmt::join(got, ",")));
  }

  const io::NpyArray& onehot = io::find_array(archive, "onehot", path);
  const std::vector<std::int64_t> want_onehot{N, 4, L};
  if (onehot.shape != want_onehot)
    throw InputError(fmt::format("{}: array 'onehot': wrong shape; expected (N,4,L) = {} (N from 'ids', L from the "
                                 "dataset {}), got {}",
                                 path, shape_str(want_onehot), data_where, shape_str(onehot.shape)));
  {
    const std::vector<float> x = onehot.to_f32(fmt::format("{}: array 'onehot'", path));
    const auto Ls = static_cast<std::size_t>(L);
    for (std::size_t r = 0; r < in.seq.size(); ++r) {
      const std::string& s = ds.seqs[static_cast<std::size_t>(in.seq[r])];
      for (std::size_t l = 0; l < Ls; ++l) {
        const std::uint8_t code = base_code(s[l]);
        bool same = true;
        int hot = -1, n_hot = 0;
        for (std::size_t c = 0; c < 4; ++c) {
          const float v = x[(r * 4 + c) * Ls + l];
          same &= v == (c == code ? 1.0f : 0.0f);
          if (v != 0) {
            hot = static_cast<int>(c);
            ++n_hot;
          }
        }
        if (!same) {
          const std::string got = n_hot == 0 ? "N" : n_hot == 1 ? std::string(1, kBases[hot]) : "not one-hot";
          throw InputError(fmt::format(
              "{}: array 'onehot': sequence {} position {} differs from the dataset {}; expected '{}', got '{}'", path,
              quote_token(ids[r]), l, data_where, kBases[std::min<int>(code, 4)], got));
        }
      }
    }
  }

  const std::vector<std::int64_t> want{N, ds.n_tasks(), 4, L};
  for (const auto& [name, arr] : archive) {
    if (io::is_scores_metadata(name) || name.find('.') != std::string::npos) continue;
    if (arr.shape != want)
      throw InputError(fmt::format("{}: array '{}': wrong shape; expected (N,T,4,L) = {} (N from 'ids', T tasks, L from "
                                   "the dataset {}), got {}",
                                   path, name, shape_str(want), data_where, shape_str(arr.shape)));
    MethodScores m;
    m.name = name;
    m.reference = attr::method_reference_label(name, default_reference);
    const std::vector<float> c = arr.to_f32(fmt::format("{}: array '{}'", path, name));
    for (std::size_t e = 0; e < c.size(); ++e)
      if (!std::isfinite(c[e]))
        throw InputError(fmt::format("{}: array '{}': non-finite score at flat index {}; expected finite "
                                     "contributions, got {}",
                                     path, name, e, c[e]));
    const auto Ls = static_cast<std::size_t>(L);
    const std::size_t blocks = static_cast<std::size_t>(N) * static_cast<std::size_t>(ds.n_tasks());
    m.per_base.resize(blocks * Ls);
    for (std::size_t b = 0; b < blocks; ++b)
      per_base_scores(std::span<const float>(c).subspan(b * 4 * Ls, 4 * Ls), ds.seq_len,
                      std::span<double>(m.per_base).subspan(b * Ls, Ls));
    in.methods.push_back(std::move(m));
  }
  if (in.methods.empty())
    throw InputError(
        fmt::format("{}: no method arrays; expected at least one array besides 'ids' and 'onehot', got none", path));
  return in;
}

ScoresInput read_scores(const std::string& path, const sim::Dataset& ds, std::string_view data_where,
                        std::string_view default_reference) {
  return match_scores(io::read_npz(path), path, ds, data_where, default_reference);
}

std::vector<double>& ModelMetrics::metric(std::size_t i) {
  return const_cast<std::vector<double>&>(std::as_const(*this).metric(i));
}

const std::vector<double>& ModelMetrics::metric(std::size_t i) const {
  static_assert(kModelMetricNames.size() == 5, "every model metric of the catalogue needs its vector in ModelMetrics");
  switch (i) {
    case family_index(Family::Model, "test_auroc"): return test_auroc;
    case family_index(Family::Model, "test_auprc"): return test_auprc;
    case family_index(Family::Model, "test_r2"): return test_r2;
    case family_index(Family::Model, "test_pearson"): return test_pearson;
    default:
      LB_CHECK(i == family_index(Family::Model, "test_mse"), "ModelMetrics::metric: index out of range");
      return test_mse;
  }
}

ModelMetrics read_model_metrics(const std::string& path, int n_tasks) {
  const io::TsvTable t = io::read_tsv(path);
  const int cm = t.column("metric", path), ct = t.column("task", path), cv = t.column("value", path);
  ModelMetrics mm;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    const std::string& metric = row[static_cast<std::size_t>(cm)];
    const auto name = std::find(kModelMetricNames.begin(), kModelMetricNames.end(), metric);
    if (name == kModelMetricNames.end()) continue;
    const std::string& task = row[static_cast<std::size_t>(ct)];
    int k = -1;
    if (task.size() > 4 && task.size() < 9 && task.starts_with("task") &&
        task.find_first_not_of("0123456789", 4) == std::string::npos)
      k = std::stoi(task.substr(4));
    if (k < 0 || k >= n_tasks)
      throw InputError(fmt::format("{}bad task; expected task0..task{}, got {}", where(path, t.lines[i]), n_tasks - 1,
                                   quote_token(task)));
    const std::string& text = row[static_cast<std::size_t>(cv)];
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
      throw InputError(fmt::format("{}bad value; expected a number, got {}", where(path, t.lines[i]), quote_token(text)));
    auto& dst = mm.metric(static_cast<std::size_t>(name - kModelMetricNames.begin()));
    if (dst.size() <= static_cast<std::size_t>(k)) dst.resize(static_cast<std::size_t>(k) + 1, kNaN);
    dst[static_cast<std::size_t>(k)] = v;
  }
  return mm;
}

}  // namespace lb::eval
