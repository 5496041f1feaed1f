// Sweep files, the grid of resolved configs, shared steps and the Snakemake workflow
// (docs/sweeps.md), every step and rule from the pipeline's table (pipeline/steps.h).
#include "cli/sweep.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "cli/sections.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/ini.h"
#include "io/manifest.h"
#include "io/tsv.h"
#include "pipeline/steps.h"

namespace lb::cli {

namespace {

namespace fs = std::filesystem;

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

/// The steps of a sweep: the table's steps that have a sweep directory, in table order.
const std::vector<const pipeline::StepDef*>& sweep_steps() {
  static const std::vector<const pipeline::StepDef*> steps = [] {
    std::vector<const pipeline::StepDef*> out;
    for (const auto& s : pipeline::steps())
      if (!s.sweep_dir.empty()) out.push_back(&s);
    return out;
  }();
  return steps;
}

/// Whether a sweep step reads `step`'s files (sweep.json then names its hash per step after it).
bool is_read(const pipeline::StepDef& step) {
  for (const auto* s : sweep_steps())
    for (const auto& in : s->inputs)
      if (&pipeline::producer(in) == &step) return true;
  return false;
}

/// SweepPoint's named hashes, by step key.
constexpr std::pair<std::string_view, std::string SweepPoint::*> kPointFields[]{
    {"data", &SweepPoint::data},         {"model", &SweepPoint::model},       {"scores", &SweepPoint::scores},
    {"evaluate", &SweepPoint::evaluate}, {"discover", &SweepPoint::discover},
};

/// A fresh OptionSet with every section of `run`, filled from the base config and `overrides`.
struct PointConfig {
  RunConfig run;
  OptionSet opts{"run"};
};

std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// Writes `content` to `path` unless it already holds exactly that.
void write_if_changed(const std::string& path, const std::string& content) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    try {
      if (io::read_file(path) == content) return;
    } catch (const Error&) {
    }
  }
  io::write_file_atomic(path, content);
}

/// The Snakefile's opening, before the rules of the steps.
constexpr const char* kSnakefileHead = R"(# Written by `liftbench sweep` (docs/sweeps.md) and rewritten by every run of it: edit the sweep
# file, not this. Each rule runs one liftbench step in a directory named after the MD5 of the
# config sections that step reads, so grid points that agree on them share the step.
configfile: "sweep.json"

LB = config["liftbench"]
S = config["steps"]
J = config["job_threads"]

wildcard_constraints:
    h="[0-9a-f]{12}"

rule all:
    input: "aggregate/index.html"
)";

/// The Snakefile's last rule, after the steps' (`{inputs}`: the manifests of the steps no step reads).
constexpr const char* kSnakefileAggregate = R"(rule aggregate:
    input:
        "axes.tsv",
        "points.tsv",
{inputs}
    output:
        "aggregate/runs.tsv",
        "aggregate/summary.tsv",
        "aggregate/comparisons.tsv",
        "aggregate/summary.json",
        "aggregate/index.html"
    log: "logs/aggregate.log"
    shell: "{{LB:q}} aggregate . -q 2> {{log:q}}"
)";

/// `path` (a file of `step`, relative to the run directory) in a sweep, as a Python expression:
/// the step's sweep directory, its hash (`hash_expr`), then the path inside the step's directory,
/// e.g. "data/" + S["train"][w.h]["data"] + "/manifest.tsv".
std::string sweep_path_expr(const pipeline::StepDef& step, std::string_view hash_expr, std::string_view path) {
  const std::string rel = pipeline::in_step_dir(step, path);
  return fmt::format("\"{}/\" + {}{}", step.sweep_dir, hash_expr, rel.empty() ? "" : fmt::format(" + \"/{}\"", rel));
}

/// The rule of one sweep step: its config file and the manifests of the steps it reads as input,
/// its manifest as output, and its command with the paths of its inputs.
std::string snakefile_rule(const pipeline::StepDef& step) {
  // The steps it reads, in table order, and its inputs in that order (the params).
  std::vector<const pipeline::StepDef*> producers;
  std::vector<const pipeline::StepInput*> params;
  for (const auto* s : sweep_steps())
    for (const auto& in : step.inputs)
      if (&pipeline::producer(in) == s) {
        if (producers.empty() || producers.back() != s) producers.push_back(s);
        params.push_back(&in);
      }
  // The hash of the step `p` this rule's step reads (sweep.json).
  const auto hash_of = [&](const pipeline::StepDef& p) {
    return fmt::format("S[\"{}\"][w.h][\"{}\"]", step.name, p.key);
  };
  std::string r = fmt::format("rule {}:\n", step.name);
  if (producers.empty()) {
    r += fmt::format("    input: \"steps/{}/{{h}}.ini\"\n", step.name);
  } else {
    r += fmt::format("    input:\n        cfg=\"steps/{}/{{h}}.ini\"", step.name);
    for (const auto* p : producers)
      r += fmt::format(",\n        {}=lambda w: {}", p->key, sweep_path_expr(*p, hash_of(*p), p->manifest));
    r += "\n";
  }
  r += fmt::format("    output: \"{}/{{h}}/{}\"\n", step.sweep_dir, pipeline::in_step_dir(step, step.manifest));
  const auto param = [&](const pipeline::StepInput& in) {
    const pipeline::StepDef& p = pipeline::producer(in);
    return fmt::format("{}=lambda w: {}", in.name, sweep_path_expr(p, hash_of(p), in.path));
  };
  if (params.size() == 1) {
    r += fmt::format("    params: {}\n", param(*params[0]));
  } else if (!params.empty()) {
    r += "    params:";
    const char* sep = "\n";
    for (const auto* in : params) {
      r += fmt::format("{}        {}", sep, param(*in));
      sep = ",\n";
    }
    r += "\n";
  }
  if (step.threads) r += "    threads: J\n";
  r += fmt::format("    log: \"logs/{}/{{h}}.log\"\n", step.name);
  std::string cmd = fmt::format("{{LB:q}} {} -c {}", step.command, producers.empty() ? "{input:q}" : "{input.cfg:q}");
  for (const auto& in : step.inputs) cmd += fmt::format(" {} {{params.{}:q}}", in.flag, in.name);
  const std::string out = pipeline::in_step_dir(step, step.out);
  cmd += fmt::format(" -o {}/{{wildcards.h}}{}", step.sweep_dir, out.empty() ? "" : "/" + out);
  if (step.threads) cmd += " --threads {threads}";
  r += fmt::format("    shell: \"{} -q 2> {{log:q}}\"\n", cmd);
  return r;
}

}  // namespace

std::string snakefile_text() {
  std::string text = kSnakefileHead;
  std::string leaves;  // the manifests of the steps no step reads: the aggregate's inputs
  for (const auto* step : sweep_steps()) {
    text += '\n';
    text += snakefile_rule(*step);
    if (!is_read(*step))
      leaves += fmt::format("{}        expand(\"{}/{{h}}/{}\", h=sorted(S[\"{}\"]))", leaves.empty() ? "" : ",\n",
                            step->sweep_dir, pipeline::in_step_dir(*step, step->manifest), step->name);
  }
  return text + "\n" + fmt::format(fmt::runtime(kSnakefileAggregate), fmt::arg("inputs", leaves));
}

SweepSpec read_sweep_spec(const std::string& path) {
  SweepSpec spec;
  spec.path = path;
  const std::string dir = fs::absolute(path).parent_path().string();
  auto resolve = [&](const std::string& v) { return v.empty() || fs::path(v).is_absolute() ? v : (fs::path(dir) / v).lexically_normal().string(); };
  PointConfig probe;
  add_all_options(probe.opts, probe.run);
  const std::vector<std::string> known = probe.opts.keys();
  const std::set<std::string> known_set(known.begin(), known.end());

  std::string replicates;
  long replicates_line = 0;
  bool has_replicates = false;
  std::set<std::string> seen;
  for (const auto& e : io::parse_ini(io::read_file(path), path)) {
    const std::string at = where(path, e.line);
    if (!seen.insert(e.key).second)
      throw ConfigError(fmt::format("{}duplicate key '{}'; expected each key once", at, e.key));
    if (e.key == "sweep.base") {
      if (trim(e.value).empty()) throw ConfigError(fmt::format("{}sweep.base: empty value; expected the base config file, got ''", at));
      spec.base = resolve(trim(e.value));
    } else if (e.key == "sweep.replicates") {
      replicates = e.value;
      replicates_line = e.line;
      has_replicates = true;
    } else if (e.key.starts_with("axes.")) {
      SweepAxis axis;
      axis.key = e.key.substr(5);
      axis.line = e.line;
      if (!known_set.count(axis.key)) {
        const std::string hint = probe.opts.suggest_key(axis.key);
        throw ConfigError(fmt::format("{}unknown config key '{}'; expected a key of 'liftbench run --help'{}", at,
                                      axis.key, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
      std::set<std::string> values;
      std::size_t start = 0;
      while (true) {
        const std::size_t bar = e.value.find('|', start);
        const std::string v = trim(std::string_view(e.value).substr(start, bar == std::string::npos ? std::string::npos : bar - start));
        if (v.empty())
          throw ConfigError(fmt::format("{}{}: empty value; expected values separated by '|', got '{}'", at, axis.key,
                                        e.value));
        if (!values.insert(v).second)
          throw ConfigError(fmt::format("{}{}: duplicate value '{}'; expected distinct values", at, axis.key, v));
        axis.values.push_back(probe.opts.is_path(axis.key) ? resolve(v) : v);
        if (bar == std::string::npos) break;
        start = bar + 1;
      }
      spec.axes.push_back(std::move(axis));
    } else {
      throw ConfigError(fmt::format("{}unknown key '{}'; expected sweep.base, sweep.replicates or a config key under [axes]",
                                    at, e.key));
    }
  }
  if (spec.base.empty())
    throw ConfigError(fmt::format("{}: missing sweep.base; expected the base config file under [sweep], got nothing", path));
  if (spec.axes.empty())
    throw ConfigError(fmt::format("{}: no axes; expected at least one 'section.key = v1 | v2' under [axes]", path));
  if (has_replicates) {
    std::size_t start = 0;
    while (!trim(replicates).empty()) {
      const std::size_t comma = replicates.find(',', start);
      const std::string k = trim(std::string_view(replicates).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      bool found = false;
      for (auto& a : spec.axes)
        if (a.key == k) a.replicate = found = true;
      if (!found)
        throw ConfigError(fmt::format("{}sweep.replicates: '{}' is not an axis; expected keys listed under [axes]",
                                      where(path, replicates_line), k));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    for (auto& a : spec.axes) a.replicate = a.key.ends_with("seed");
  }
  return spec;
}

SweepPlan plan_sweep(const SweepSpec& spec) {
  SweepPlan plan;
  plan.spec = spec;
  std::size_t n = 1;
  for (const auto& a : spec.axes) n *= a.values.size();
  std::vector<std::size_t> idx(spec.axes.size(), 0);
  std::map<std::string, std::size_t> step_of;  // kind/hash -> index in plan.steps
  std::vector<std::vector<SweepStep>> by_kind(sweep_steps().size());
  for (std::size_t p = 0; p < n; ++p) {
    SweepPoint pt;
    pt.id = fmt::format("p{:04d}", p + 1);
    std::string label;
    std::vector<std::string> args{"run", "-c", spec.base};
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const std::string& v = spec.axes[a].values[idx[a]];
      pt.values.push_back(v);
      args.push_back(fmt::format("--{}={}", spec.axes[a].key, v));
      label += fmt::format("{}{}={}", a ? ", " : "", spec.axes[a].key, v);
    }
    PointConfig pc;
    add_all_options(pc.opts, pc.run);
    pc.opts.show_sections(pipeline::sweep_sections());
    try {
      std::vector<const char*> argv;
      for (const auto& s : args) argv.push_back(s.c_str());
      pc.opts.parse(static_cast<int>(argv.size()), argv.data());
      pipeline::validate(pc.run);
    } catch (const Error& e) {
      throw ConfigError(fmt::format("{}: grid point {} ({}): {}", spec.path, pt.id, label, with_config_location(e.what())));
    }
    pt.config = pc.opts.resolved_ini();
    const auto entries = io::parse_ini(pt.config, pt.id);
    std::map<std::string, std::string> upstream;  // key -> hash of the earlier steps that steps read
    for (std::size_t k = 0; k < sweep_steps().size(); ++k) {
      const pipeline::StepDef& step = *sweep_steps()[k];
      if (!pipeline::step_on(step, pc.run)) continue;
      const std::vector<std::string> sections = pipeline::depends_on_sections(step);
      std::string text;
      for (const auto& e : entries) {
        const std::string section = e.key.substr(0, e.key.find('.'));
        if (std::find(sections.begin(), sections.end(), section) != sections.end())
          text += e.key + " = " + e.value + "\n";
      }
      const std::string hash = io::text_md5(text).substr(0, 12);
      pt.hashes[std::string(step.name)] = hash;
      for (const auto& [key, field] : kPointFields)
        if (key == step.key) pt.*field = hash;
      const std::string id = fmt::format("{}/{}", step.name, hash);
      if (!step_of.count(id)) {
        step_of[id] = by_kind[k].size();
        by_kind[k].push_back({.kind = std::string(step.name), .hash = hash, .config = pt.config, .upstream = upstream});
      }
      if (is_read(step)) upstream[std::string(step.key)] = hash;
    }
    plan.points.push_back(std::move(pt));
    for (std::size_t a = spec.axes.size(); a-- > 0;) {
      if (++idx[a] < spec.axes[a].values.size()) break;
      idx[a] = 0;
    }
  }
  for (auto& v : by_kind)
    for (auto& s : v) plan.steps.push_back(std::move(s));
  return plan;
}

void write_workflow(const SweepPlan& plan, const std::string& dir, const std::string& liftbench, int job_threads) {
  io::ensure_output_dir(dir);
  for (const char* sub : {"points", "steps", "logs"}) io::ensure_output_dir(dir + "/" + sub);
  for (const auto* kind : sweep_steps()) io::ensure_output_dir(fmt::format("{}/steps/{}", dir, kind->name));
  for (const auto& s : plan.steps) write_if_changed(fmt::format("{}/steps/{}/{}.ini", dir, s.kind, s.hash), s.config);
  for (const auto& p : plan.points) write_if_changed(fmt::format("{}/points/{}.ini", dir, p.id), p.config);

  std::vector<std::vector<std::string>> axes_rows;
  for (const auto& a : plan.spec.axes) axes_rows.push_back({a.key, a.replicate ? "replicate" : "condition"});
  write_if_changed(dir + "/axes.tsv", io::format_tsv({"axis", "role"}, axes_rows));
  std::vector<std::string> header{"point"};
  for (const auto& a : plan.spec.axes) header.push_back(a.key);
  for (const auto* step : sweep_steps()) header.emplace_back(step->key);
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : plan.points) {
    std::vector<std::string> row{p.id};
    for (const auto& v : p.values) row.push_back(v);
    for (const auto* step : sweep_steps()) {
      const auto it = p.hashes.find(std::string(step->name));
      row.push_back(it == p.hashes.end() ? "-" : fmt::format("{}/{}", step->sweep_dir, it->second));
    }
    rows.push_back(std::move(row));
  }
  write_if_changed(dir + "/points.tsv", io::format_tsv(header, rows));

  std::string json = fmt::format("{{\n  \"liftbench\": {},\n  \"job_threads\": {},\n  \"steps\": {{", json_str(liftbench),
                                 job_threads);
  const char* sep_kind = "\n";
  for (const auto* kind : sweep_steps()) {
    json += fmt::format("{}    {}: {{", sep_kind, json_str(kind->name));
    sep_kind = ",\n";
    const char* sep = "\n";
    for (const auto& s : plan.steps) {
      if (s.kind != kind->name) continue;
      std::string reads;
      for (const auto* r : sweep_steps()) {
        if (!is_read(*r)) continue;
        const auto it = s.upstream.find(std::string(r->key));
        reads += fmt::format("{}{}: {}", reads.empty() ? "" : ", ", json_str(r->key),
                             json_str(it == s.upstream.end() ? "" : it->second));
      }
      json += fmt::format("{}      {}: {{{}}}", sep, json_str(s.hash), reads);
      sep = ",\n";
    }
    json += "\n    }";
  }
  json += "\n  }\n}\n";
  write_if_changed(dir + "/sweep.json", json);
  write_if_changed(dir + "/Snakefile", snakefile_text());
}

std::vector<FailedJob> failed_jobs(const std::string& snakemake_output) {
  std::vector<FailedJob> out;
  std::stringstream ss(snakemake_output);
  std::string line;
  bool in_block = false;
  const auto add_current = [&](FailedJob&& job) {
    for (const auto& j : out)
      if (j.rule == job.rule && j.log == job.log && j.cluster_jobid == job.cluster_jobid) return;
    out.push_back(std::move(job));
  };
  FailedJob current;
  constexpr std::string_view kHead = "Error in rule ", kLog = "    log: ", kJob = "    cluster_jobid: ",
                             kCheck = " (check log file(s) for error details)";
  while (std::getline(ss, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (in_block && !line.starts_with("    ")) {
      add_current(std::move(current));
      in_block = false;
    }
    if (line.starts_with(kHead) && line.ends_with(":")) {
      current = FailedJob{.rule = line.substr(kHead.size(), line.size() - kHead.size() - 1), .log = {}, .cluster_jobid = {}};
      in_block = true;
    } else if (in_block && line.starts_with(kLog)) {
      std::string log = line.substr(kLog.size());
      if (log.ends_with(kCheck)) log.resize(log.size() - kCheck.size());
      current.log = log;
    } else if (in_block && line.starts_with(kJob)) {
      current.cluster_jobid = trim(line.substr(kJob.size()));
    }
  }
  if (in_block) add_current(std::move(current));
  return out;
}

}  // namespace lb::cli
