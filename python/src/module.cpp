// The compiled half of the Python package (`liftbench._liftbench`, pybind11): models, attribution,
// datasets and shuffles on numpy arrays in the CLI's layouts, one-hot (N, 4, L) float32 and scores
// (N, T, 4, L). Configuration goes through the CLI's own option table (cli/sections.h), so option
// names, defaults, value checks and error texts are those of the config keys; the arrays and the
// archive come from the same functions as `liftbench attribute`, so they are the same bytes.
// liftbench's errors become ValueError (bad input or option) and OSError (system failure) with
// the CLI's one-line message. The GIL is released while computing.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "attribution/methods.h"
#include "attribution/scores_file.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/sections.h"
#include "core/alphabet.h"
#include "core/build_info.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "model/model_file.h"
#include "model/onnx.h"
#include "model/trainer.h"
#include "sim/dataset.h"
#include "sim/shuffle.h"

namespace py = pybind11;

namespace lb::python {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// The engine's layout (C x N*S), channels innermost, from a C-order (N, C, S) array: the one
// conversion of the input.
Mat from_ncs(const float* data, py::ssize_t n, py::ssize_t c, py::ssize_t s) {
  Mat x(c, n * s);
  for (py::ssize_t i = 0; i < n; ++i)
    for (py::ssize_t ch = 0; ch < c; ++ch) {
      const float* src = data + (i * c + ch) * s;
      for (py::ssize_t p = 0; p < s; ++p) x(ch, i * s + p) = src[p];
    }
  return x;
}

// Checks X against the model's input: (N, C, L) for 1-D inputs, (N, C, H, W) for 2-D ones
// ((N, C) for flat ones), naming the argument.
Mat input_of(const model::Network& net, const py::array& arg, const char* name, int& n) {
  const model::Shape in = net.input_shape();
  const bool lossless = py::isinstance<py::array_t<float>>(arg) || py::isinstance<py::array_t<double>>(arg) ||
                        py::isinstance<py::array_t<std::uint8_t>>(arg) || py::isinstance<py::array_t<bool>>(arg) ||
                        py::isinstance<py::array_t<std::int64_t>>(arg) || py::isinstance<py::array_t<std::int32_t>>(arg);
  if (!lossless)
    throw InputError(fmt::format("{}: dtype {}; expected float32 (or a real or integer type converted to it)", name,
                                 std::string(py::str(arg.dtype()))));
  const FloatArray a = FloatArray::ensure(arg);
  if (!a) throw InputError(fmt::format("{}: cannot be read as float32", name));
  std::vector<py::ssize_t> want{in.c};
  if (in.h > 1) want.push_back(in.h);
  if (in.h > 1 || in.w > 1) want.push_back(in.w);
  const auto shape_text = [](const std::vector<py::ssize_t>& dims) {
    std::string s = "(N";
    for (const auto d : dims) s += fmt::format(", {}", d);
    return s + ")";
  };
  std::string got = "(";
  for (py::ssize_t k = 0; k < a.ndim(); ++k) got += fmt::format("{}{}", k ? ", " : "", a.shape(k));
  got += a.ndim() == 1 ? ",)" : ")";
  bool ok = a.ndim() == static_cast<py::ssize_t>(want.size()) + 1;
  for (std::size_t k = 0; ok && k < want.size(); ++k) ok = a.shape(static_cast<py::ssize_t>(k) + 1) == want[k];
  if (!ok) throw InputError(fmt::format("{}: shape {}; expected {} for this model, got {}", name, got, shape_text(want), got));
  if (a.shape(0) > INT32_MAX) throw InputError(fmt::format("{}: {} samples; expected at most {}", name, a.shape(0), INT32_MAX));
  n = static_cast<int>(a.shape(0));
  const float* d = a.data();
  for (py::ssize_t e = 0; e < a.size(); ++e)
    if (!std::isfinite(d[e])) throw InputError(fmt::format("{}: a value that is not finite at flat index {}", name, e));
  return from_ncs(d, a.shape(0), in.c, static_cast<py::ssize_t>(in.spatial()));
}

// A float32 array of the given shape holding `values`.
py::array_t<float> array_of(std::vector<float>&& values, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<float>(std::move(values));
  py::capsule free_it(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>(shape, owned->data(), free_it);
}

// The configuration of a call: the CLI's defaults, then `-c config` when given, then every
// option as `--section.key value`, parsed by the CLI's own option table.
cli::RunConfig run_config(const std::string& command, const std::string& config_file,
                          const std::vector<std::pair<std::string, std::string>>& options) {
  cli::RunConfig run;
  cli::OptionSet opts(command);
  cli::add_all_options(opts, run);
  std::vector<std::string> args{command};
  if (!config_file.empty()) args.insert(args.end(), {"-c", config_file});
  for (const auto& [key, value] : options) args.insert(args.end(), {"--" + key, value});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  opts.parse(static_cast<int>(argv.size()), argv.data());
  return run;
}

struct Model {
  model::Network net;

  static Model load(const std::string& path) {
    Model m;
    m.net = model::load_model(path);
    return m;
  }
  static Model from_onnx_bytes(const py::bytes& data, const std::string& name) {
    Model m;
    const std::string bytes = data;
    m.net = model::import_onnx_bytes(bytes, name);
    return m;
  }
  py::tuple input_shape() const {
    const model::Shape in = net.input_shape();
    if (in.h > 1) return py::make_tuple(in.c, in.h, in.w);
    if (in.w > 1) return py::make_tuple(in.c, in.w);
    return py::make_tuple(in.c);
  }
  std::vector<py::tuple> layers() const {
    std::vector<py::tuple> out;
    for (int i = 0; i < net.n_layers(); ++i) {
      std::vector<std::string> inputs;
      for (const int a : net.inputs(i)) inputs.push_back(a == 0 ? "input" : net.layer(a - 1).name());
      out.push_back(py::make_tuple(net.layer(i).name(), net.layer(i).describe(), inputs));
    }
    return out;
  }
  // Logits (T x n) of X, then per output what `liftbench predict` reports: a probability
  // (sigmoid, softmax) or the value (linear), in double; (N, T).
  py::array_t<double> predict(const py::array& x_arg, bool logits_only, int threads) const {
    int n = 0;
    const Mat x = input_of(net, x_arg, "X", n);
    Mat z;
    {
      py::gil_scoped_release release;
      lb::set_threads(threads);
      z = n > 0 ? model::predict_logits(net, x, net.input_shape(), n) : Mat(net.n_outputs(), 0);
    }
    const py::ssize_t T = z.rows();
    py::array_t<double> out({static_cast<py::ssize_t>(n), T});
    auto o = out.mutable_unchecked<2>();
    for (int j = 0; j < n; ++j) {
      double zmax = -HUGE_VAL, norm = 0;
      if (!logits_only && net.output_kind() == model::OutputKind::Softmax) {
        for (py::ssize_t t = 0; t < T; ++t) zmax = std::max(zmax, double{z(t, j)});
        for (py::ssize_t t = 0; t < T; ++t) norm += std::exp(z(t, j) - zmax);
      }
      for (py::ssize_t t = 0; t < T; ++t) {
        const double v = z(t, j);
        o(j, t) = logits_only                                             ? v
                  : net.output_kind() == model::OutputKind::Softmax        ? std::exp(v - zmax) / norm
                  : net.output_kind() == model::OutputKind::Linear         ? v
                                                                           : 1.0 / (1.0 + std::exp(-v));
      }
    }
    return out;
  }
};

// The result of attribute(): the methods' results in the engine's layout, with what the archive
// needs, converted to numpy on request.
struct Attribution {
  std::vector<std::string> ids;
  Mat x;
  model::Shape input;
  std::vector<int> tasks;
  std::vector<std::string> targets;  // the names, when attribution.targets is set
  std::vector<attr::ScoredMethod> methods;
  int n = 0;

  py::dict arrays() const {
    py::dict out;
    const int T = static_cast<int>(tasks.size()), S = input.spatial();
    std::vector<py::ssize_t> shape{n, T, input.c};
    if (input.h > 1) shape.push_back(input.h);
    shape.push_back(input.w);
    for (const auto& m : methods) {
      py::dict d;
      d["contributions"] = array_of(attr::to_ntcs(m.result.contributions, n, T, S), shape);
      if (m.result.hypothetical.size())
        d["hypothetical"] = array_of(attr::to_ntcs(m.result.hypothetical, n, T, S), shape);
      if (m.result.delta.size()) d["delta"] = array_of(attr::to_nt(m.result.delta), {n, T});
      if (m.result.ism.size()) d["ism"] = array_of(attr::to_ntcs(m.result.ism, n, T, S), shape);
      d["max_abs_delta"] = m.result.max_abs_delta;
      d["max_rel_delta"] = m.result.max_rel_delta;
      d["n_references"] = m.result.n_references;
      out[py::str(m.name)] = d;
    }
    return out;
  }
  void to_npz(const std::string& path) const {
    py::gil_scoped_release release;
    attr::write_scores(path, ids, x, input, tasks, methods, targets);
  }
};

Attribution attribute(const Model& model, const py::array& x_arg, const std::vector<std::string>& ids,
                      const std::string& config_file, const std::vector<std::pair<std::string, std::string>>& options,
                      int threads) {
  Attribution a;
  a.x = input_of(model.net, x_arg, "X", a.n);
  if (!ids.empty() && ids.size() != static_cast<std::size_t>(a.n))
    throw InputError(fmt::format("ids: {} names; expected one per sequence of X, got {} for {} sequences", ids.size(),
                                 ids.size(), a.n));
  for (int i = 0; i < a.n; ++i) a.ids.push_back(ids.empty() ? fmt::format("seq{}", i) : ids[static_cast<std::size_t>(i)]);
  cli::RunConfig run = run_config("attribute", config_file, options);
  attr::validate(run.attribution);  // as the attribute step checks its section
  attr::load_given_references(run.attribution, a.n, model.net.input_shape());
  a.input = model.net.input_shape();
  const auto methods = attr::parse_methods(run.attribution.methods, model.net, run.attribution);
  const attr::Targets targets = attr::resolve_targets(run.attribution, model.net);
  a.tasks = targets.unit_indices();
  a.targets = targets.stored_names();
  std::vector<std::uint64_t> streams;  // as `liftbench attribute --fasta`: sequence i draws from stream i
  for (int i = 0; i < a.n; ++i) streams.push_back(static_cast<std::uint64_t>(i));
  py::gil_scoped_release release;
  lb::set_threads(threads);
  for (const auto& m : methods)
    a.methods.push_back({m.name, attr::run_method(m, model.net, a.x, a.n, targets, run.attribution, streams)});
  return a;
}

// `n` dinucleotide shuffles of each one-hot sequence, (N, n, 4, L): shuffle j of sequence i is
// the j-th draw of Rng(seed, i), as the references of a method with @dinuc_shuffle.
py::array_t<float> dinucleotide_shuffle(const py::array& x_arg, int n_shuffles, std::uint64_t seed) {
  const FloatArray a = FloatArray::ensure(x_arg);
  if (!a || a.ndim() != 3 || a.shape(1) != 4)
    throw InputError("X: expected a one-hot array of shape (N, 4, L)");
  if (n_shuffles < 1) throw InputError(fmt::format("n: {}; expected at least 1 shuffle per sequence", n_shuffles));
  const int n = static_cast<int>(a.shape(0)), L = static_cast<int>(a.shape(2));
  const Mat x = from_ncs(a.data(), n, 4, L);
  Mat s;
  {
    py::gil_scoped_release release;
    s = sim::shuffle_one_hot(x, n, L, sim::ShuffleKind::Dinuc, n_shuffles, seed);
  }
  return array_of(attr::to_ncs(s, n * n_shuffles, L), {n, n_shuffles, 4, L});
}

// The directory `liftbench simulate` writes, as numpy arrays and lists.
py::dict load_dataset(const std::string& dir) {
  const sim::Dataset ds = sim::read_dataset_dir(dir);
  py::dict d;
  const int N = ds.size(), T = ds.n_tasks(), L = ds.seq_len;
  std::vector<std::vector<std::uint8_t>> codes;
  codes.reserve(ds.seqs.size());
  for (const auto& s : ds.seqs) {
    std::vector<std::uint8_t> c(s.size());
    for (std::size_t p = 0; p < s.size(); ++p) c[p] = base_code(s[p]);
    codes.push_back(std::move(c));
  }
  d["onehot"] = array_of(attr::to_ncs(one_hot(codes), N, L), {N, 4, L});
  d["labels"] = array_of(std::vector<float>(ds.labels), {N, T});
  std::vector<std::string> splits, tasks, kinds, definitions;
  for (const auto s : ds.splits) splits.emplace_back(sim::split_name(s));
  for (const auto& t : ds.tasks) {
    tasks.push_back(t.name);
    kinds.push_back(t.kind == sim::TaskKind::Binary ? "binary" : "linear");
    definitions.push_back(t.definition);
  }
  d["ids"] = ds.ids;
  d["split"] = splits;
  d["tasks"] = tasks;
  d["task_kinds"] = kinds;
  d["task_definitions"] = definitions;
  py::list sites;
  for (std::size_t k = 0; k < ds.sites.size(); ++k) {
    const auto& s = ds.sites[k];
    py::list roles;
    for (int t = 0; t < T; ++t) roles.append(ds.roles.empty() ? std::string() : std::string(sim::role_name(ds.role(k, t))));
    sites.append(py::make_tuple(ds.ids[static_cast<std::size_t>(s.seq)], s.seq, s.motif, s.start, s.end,
                                std::string(1, s.strand), s.log_odds, roles));
  }
  d["sites"] = sites;
  return d;
}

}  // namespace
}  // namespace lb::python

PYBIND11_MODULE(_liftbench, m) {
  using namespace lb::python;
  m.doc() = "liftbench's compiled core; use the liftbench package.";
  // liftbench's errors carry the CLI's one-line message.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const lb::IoError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const lb::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const lb::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const lb::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  m.attr("__version__") = lb::build::kVersion;
  py::class_<Model>(m, "Model")
      .def_static("load", &Model::load, py::arg("path"))
      .def_static("from_onnx_bytes", &Model::from_onnx_bytes, py::arg("data"), py::arg("name"))
      .def_property_readonly("input_shape", &Model::input_shape)
      .def_property_readonly("n_outputs", [](const Model& md) { return md.net.n_outputs(); })
      .def_property_readonly("output", [](const Model& md) { return std::string(lb::model::output_name(md.net.output_kind())); })
      .def_property_readonly("architecture", [](const Model& md) { return md.net.architecture(); })
      .def_property_readonly("layers", &Model::layers)
      .def("predict", &Model::predict, py::arg("X"), py::arg("logits") = false, py::arg("threads") = 0);
  py::class_<Attribution>(m, "Attribution")
      .def("arrays", &Attribution::arrays)
      .def("to_npz", &Attribution::to_npz, py::arg("path"))
      .def_readonly("ids", &Attribution::ids)
      .def_readonly("tasks", &Attribution::tasks)
      .def_readonly("targets", &Attribution::targets)
      .def_property_readonly("methods", [](const Attribution& a) {
        std::vector<std::string> names;
        for (const auto& s : a.methods) names.push_back(s.name);
        return names;
      });
  m.def("attribute", &attribute, py::arg("model"), py::arg("X"), py::arg("ids"), py::arg("config"),
        py::arg("options"), py::arg("threads"));
  // `liftbench ARGS...` in this process: the command's own code, outputs and errors (raised as
  // the translator above maps them); the exit code otherwise. The log is not quiet unless -q.
  m.def("main", [](const std::vector<std::string>& args) {
    std::vector<std::string> all{"liftbench"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : all) argv.push_back(a.c_str());
    py::gil_scoped_release release;
    lb::set_log_quiet(false);
    return lb::cli::run_main(static_cast<int>(argv.size()), argv.data());
  }, py::arg("args"));
  m.def("dinucleotide_shuffle", &dinucleotide_shuffle, py::arg("X"), py::arg("n"), py::arg("seed"));
  m.def("load_dataset", &load_dataset, py::arg("dir"));
  m.def("method_kinds", [] {
    std::vector<py::tuple> out;
    for (const auto& k : lb::attr::method_kinds())
      out.push_back(py::make_tuple(std::string(k.name), std::string(k.argument), k.uses_reference, k.has_delta,
                                   std::string(k.summary)));
    return out;
  });
  m.def("option_keys", [] {
    lb::cli::RunConfig run;
    lb::cli::OptionSet opts("attribute");
    lb::cli::add_all_options(opts, run);
    return opts.keys();
  });
}
