// Scenarios: a benchmark as configuration (docs/scenarios.md). A scenario names its motifs
// (keys bound to PWMs of a motif file), its classes (each with a weight and a list of motif
// placements: how many, which strand, where — anywhere, inside a window, or at a spacing from
// another placement), decoys planted in every sequence, and its tasks: Boolean expressions
// over the planted content (presence, strand, ordered spacing; and, or, not) or real-valued
// targets (additive effects, pairwise interactions, Gaussian noise). The simulator plants the
// content, computes every label from it, and gives each planted instance a role per task.
// The expressions are sim/expression.h; the file reader and the fit check are in
// scenario_read.cpp, the simulator in scenario_simulate.cpp, the paper's built-in scenario and
// describe_task in scenario.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/dataset.h"
#include "sim/expression.h"
#include "sim/pwm.h"

namespace lb::sim {

struct SimConfig;

/// How many instances a placement plants: a fixed number, a Poisson(mean) redrawn until in
/// [min, max] (the paper's rule), or uniform on [min, max].
struct CountSpec {
  enum class Kind { Fixed, Poisson, Uniform } kind = Kind::Fixed;
  double mean = 0;
  int min = 1, max = 1;
};

struct Placement {
  std::string id;          // unique within its class ("gata", or the place.<id> name)
  int key = 0;             // index into Scenario::keys
  CountSpec count;
  double p_minus = 0;      // probability of the reverse strand (0: '+', 1: '-')
  int window_lo = 0;       // starts in [window_lo, window_hi - width]; window_hi < 0: the end
  int window_hi = -1;
  int anchor = -1;         // index of an earlier placement of the class: placed after it
  int gap_lo = 0, gap_hi = 0;  // start - anchor's end, drawn uniformly in [gap_lo, gap_hi]
  enum class Orient { Any, Same, Opposite } orient = Orient::Any;
  long line = 0;
};

struct ClassSpec {
  std::string name;
  double weight = 0;
  std::vector<Placement> placements;
  long line = 0;
};

struct TaskSpec {
  std::string name;
  TaskKind kind = TaskKind::Binary;
  std::string text;         // the definition as written
  Expr expr;                // Binary
  std::vector<double> effect;  // Linear: per key, times its count
  struct Interaction {
    int a, b;
    double coef;            // times 1{a present} 1{b present}
  };
  std::vector<Interaction> interactions;
  double intercept = 0, noise = 0;
  long line = 0;
};

struct Scenario {
  std::string name, description, path;  // path: the scenario file ("" for the built-in paper one)
  std::string motifs_path;              // its motif file, resolved ("" for the built-in paper one)
  std::vector<std::string> keys;        // motif keys
  std::vector<Pwm> pwms;                // unsmoothed, one per key
  std::vector<ClassSpec> classes;
  std::vector<Placement> decoys;        // planted in every sequence after the class's placements
  std::vector<TaskSpec> tasks;
};

/// The DeepLIFT paper's scenario from the [sim] keys (appendix F): keys gata, tal; classes
/// empty, gata_only, tal_only, both with weights sim.class_fractions and counts truncated
/// Poisson(sim.mean_single / sim.mean_both) on [count_min, count_max], strands reversed with
/// probability sim.revcomp_prob; tasks task0 = "gata & tal", task1 = "gata", task2 = "tal".
Scenario paper_scenario(const SimConfig& cfg, const Pwm& gata, const Pwm& tal);

/// Reads a scenario file (INI, docs/scenarios.md). Its motif file is relative to the scenario
/// file's directory. Every error names the file, line and key: ConfigError
/// "FILE:LINE: KEY: what; expected X, got Y".
Scenario read_scenario(const std::string& path);

/// Checks that every class's placements fit a sequence of seq_len bases (widths, windows,
/// spacings); ConfigError naming the scenario file, line and placement.
void check_scenario_fits(const Scenario& s, int seq_len);

/// The room each of a class's placements keeps after its end for the placements anchored on it,
/// directly or down a chain: the largest gap_hi + width + own room among its dependants (0 when
/// it has none); `pwms` per key. In 64 bits: a gap may be as large as INT_MAX.
std::vector<std::int64_t> anchor_reserves(const std::vector<Placement>& placements, const std::vector<Pwm>& pwms);

/// Simulates the dataset of a scenario. Deterministic in cfg.seed and thread-count independent:
/// Rng(seed, 0) shuffles the classes, stratified_split draws from its own stream, sequence i
/// draws everything (background, counts, starts, strands, letters) from Rng(seed, 1 + i), and
/// the noise of real-valued targets from Rng(seed, kNoiseStream + i). For the paper scenario
/// the output equals the paper simulator's, byte for byte. Sequences run in parallel chunks of
/// 256; `progress` gets the number done after each chunk (serialised, ascending, last n).
inline constexpr std::uint64_t kNoiseStream = std::uint64_t{1} << 62;
Dataset simulate_scenario(const SimConfig& cfg, const Scenario& s, const std::function<void(int)>& progress = {});

/// Exact class sizes for weights w (largest-remainder rounding of w/Σw x n, ties to the lower
/// index); they sum to n.
std::vector<int> class_sizes(const std::vector<double>& weights, int n);

/// The scenario's grammar in words, one line per task, for the report.
std::string describe_task(const TaskSpec& t, const std::vector<std::string>& keys);

}  // namespace lb::sim
