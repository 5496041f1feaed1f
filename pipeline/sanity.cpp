// The sanity step (`liftbench sanity`, pipeline/steps.h): the model-randomisation sanity check (Adebayo et al., NeurIPS 2018) of
// every method of attribution.methods on a dataset split -> OUTDIR/sanity.tsv, sanity.config.ini
// and, last, sanity.manifest.tsv.
#include <chrono>

#include <fmt/format.h>

#include "attribution/methods.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "eval/sanity.h"
#include "io/atomic_file.h"
#include "io/manifest.h"
#include "model/inputs.h"
#include "model/model_file.h"
#include "pipeline/config.h"
#include "pipeline/inputs.h"
#include "pipeline/paths.h"
#include "pipeline/steps.h"

namespace lb::pipeline {

void sanity_step(const SanityJob& job) {
  RunConfig run = job.run;
  const std::string &model_path = job.model_path, &data_dir = job.data_dir, &out = job.out, &methods = job.methods,
                    &split_name = job.split_name, &threads = job.threads;
  if (model_path.empty()) throw ConfigError("--model: missing model file; expected --model FILE, got nothing");
  if (data_dir.empty()) throw ConfigError("--data: missing dataset directory; expected --data DIR, got nothing");
  if (out.empty()) throw ConfigError("--out: missing output directory; expected -o DIR, got nothing");
  {
    std::vector<PathUse> inputs = dataset_files("--data", data_dir);
    inputs.push_back({"--model", model_path});
    refuse_output_over_input({{"--out", out + "/sanity.tsv"},
                              {"--out", out + "/sanity.config.ini"},
                              {"--out", out + "/sanity.manifest.tsv"}},
                             inputs);
  }
  const std::optional<sim::Split> split = parse_split_flag(split_name);
  if (!methods.empty()) run.attribution.methods = methods;
  model::validate(run.model);
  attr::validate(run.attribution);
  eval::validate(run.sanity);
  model::InitScheme scheme{};
  model::parse_init_scheme(run.model.init, scheme);  // validated above
  apply_threads(threads);

  const sim::Dataset ds = sim::read_dataset_dir(data_dir, sim::DatasetParts::NoSites);
  model::SplitInput in = model::split_input(ds, split, data_dir);
  if (in.data.n == 0)
    throw InputError(fmt::format("{}no sequences in the '{}' split; expected at least 1, got 0",
                                 where(data_dir + "/labels.tsv"), split_name));
  const model::Network net =
      model::load_model(model_path, job.model_from_config ? &run.model : nullptr, &in.data.shape);
  std::vector<std::uint64_t> streams(in.indices.begin(), in.indices.end());
  const auto method_list = attr::parse_methods(run.attribution.methods, net, run.attribution);
  const attr::Targets targets = attr::resolve_targets(run.attribution, net);
  const std::vector<int> tasks = targets.unit_indices();  // -1 for a target of several units
  const auto cascade = eval::randomisation_cascade(net, scheme, run.sanity.seed);
  const int n = in.data.n;
  log_info("sanity", "{} sequences ({} split of {}), {} tasks, {} methods, {} cascade steps ({}; {}, sanity.seed = {}), {} threads",
           n, split_name, data_dir, tasks.size(), method_list.size(), cascade.size(),
           [&] {
             std::string s;
             for (const auto& c : cascade) s += (s.empty() ? "" : ", ") + c.layer;
             return s;
           }(),
           run.model.init, run.sanity.seed, lb::threads());

  std::vector<eval::MethodSanity> results;
  for (const auto& m : method_list) {
    const auto t0 = std::chrono::steady_clock::now();
    const eval::MapFn maps = [&](const model::Network& network) {
      return attr::run_method(m, network, in.data.x, n, targets, run.attribution, streams).contributions;
    };
    results.push_back(eval::sanity_check(m.name, maps, net, cascade, n, tasks, run.sanity));
    const auto& r = results.back();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log_info("sanity", "{}: mean |rho| at full randomisation {:.3f} {} sanity.threshold {:g}: {} ({:.2f} s)", m.name,
             r.final_mean_abs_rho, r.passed ? "<" : ">=", run.sanity.threshold,
             r.passed ? "passes (the maps depend on the learned parameters)" : "FAILS (the maps barely change)", secs);
  }

  io::ensure_output_dir(out);
  // The config marks a complete pair, and the manifest (written last) lists it with sizes and MD5s.
  io::remove_stale_marker(out + "/sanity.manifest.tsv");
  io::remove_stale_marker(out + "/sanity.config.ini");
  io::write_file_atomic(out + "/sanity.tsv", eval::sanity_tsv(results));
  io::write_file_atomic(out + "/sanity.config.ini", job.config_ini);
  io::write_manifest(out + "/sanity.manifest.tsv", std::vector<std::string>{"sanity.tsv", "sanity.config.ini"});
  log_info("sanity", "wrote {}/{{sanity.tsv,sanity.config.ini,sanity.manifest.tsv}}", out);
}

}  // namespace lb::pipeline
