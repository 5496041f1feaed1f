// Scenarios without a file (sim/scenario.h): the DeepLIFT paper's built-in scenario from the
// [sim] keys, and a task's definition in words.
#include "sim/scenario.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/simulator.h"

namespace lb::sim {

std::string describe_task(const TaskSpec& t, const std::vector<std::string>& keys) {
  if (t.kind == TaskKind::Binary) return fmt::format("{} = 1 when {}", t.name, expression_text(t.expr, keys));
  std::vector<std::string> terms;
  if (t.intercept != 0) terms.push_back(fmt::format("{}", t.intercept));
  for (std::size_t k = 0; k < t.effect.size(); ++k)
    if (t.effect[k] != 0) terms.push_back(fmt::format("{} x count({})", t.effect[k], keys[k]));
  for (const auto& i : t.interactions)
    terms.push_back(fmt::format("{} x [{} and {} present]", i.coef, keys[static_cast<std::size_t>(i.a)],
                                keys[static_cast<std::size_t>(i.b)]));
  return fmt::format("{} = {} + N(0, {}^2)", t.name, terms.empty() ? "0" : fmt::format("{}", fmt::join(terms, " + ")),
                     t.noise);
}

Scenario paper_scenario(const SimConfig& cfg, const Pwm& gata, const Pwm& tal) {
  Scenario s;
  s.name = "paper";
  s.description = "The DeepLIFT paper's genomics simulation (appendix F): GATA1 and TAL1 motifs in four classes.";
  s.keys = {"gata", "tal"};
  s.pwms = {gata, tal};
  auto place = [&](int key, double mean) {
    Placement p;
    p.id = s.keys[static_cast<std::size_t>(key)];
    p.key = key;
    p.count = {CountSpec::Kind::Poisson, mean, cfg.count_min, cfg.count_max};
    p.p_minus = cfg.revcomp_prob;
    return p;
  };
  const auto& f = cfg.class_fractions;
  s.classes = {{"empty", f[0], {}, 0},
               {"gata_only", f[1], {place(0, cfg.mean_single)}, 0},
               {"tal_only", f[2], {place(1, cfg.mean_single)}, 0},
               {"both", f[3], {place(0, cfg.mean_both), place(1, cfg.mean_both)}, 0}};
  const std::vector<std::pair<std::string, std::string>> tasks{{"task0", "gata & tal"}, {"task1", "gata"}, {"task2", "tal"}};
  for (const auto& [name, text] : tasks) {
    TaskSpec t;
    t.name = name;
    t.text = text;
    t.expr = parse_expression(text, s.keys, "paper scenario");
    s.tasks.push_back(std::move(t));
  }
  return s;
}

}  // namespace lb::sim
