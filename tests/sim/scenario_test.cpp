// Scenarios (sim/scenario.h, docs/scenarios.md): the paper as a scenario file gives the paper's
// dataset byte for byte; task expressions, labels and roles by hand; placements (spacing,
// windows, orientation, counts); real-valued targets; and every bad input's exact message.
#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "core/error.h"
#include "sim/simulator.h"
#include "testing/helpers.h"

namespace lb::sim {
namespace {

using lb::testing::read_text;
using lb::testing::TempDir;
using lb::testing::write_text;

const std::string kScenarios = std::string(LB_SOURCE_DIR) + "/configs/scenarios";
const std::vector<std::string> kKeys{"gata", "tal", "ctcf"};

Instance inst(int key, std::int64_t start, int width = 10, char strand = '+') { return {key, start, start + width, strand}; }

bool label_of(const std::string& expr, const std::vector<Instance>& v, std::vector<Role>* roles = nullptr) {
  return evaluate_task(parse_expression(expr, kKeys, "test"), v, roles);
}

// The paper scenario file reproduces the built-in paper simulation exactly: every file of the
// dataset directory but config.ini (which names the scenario) is byte-identical.
TEST(ScenarioTest, PaperScenarioFileEqualsTheBuiltInPaperSimulation) {
  SimConfig cfg;
  cfg.n_seqs = 2000;
  cfg.motifs_file = std::string(LB_SOURCE_DIR) + "/configs/motifs/tal1_gata1.meme";
  const auto motifs = load_motifs(cfg);
  const Dataset a = simulate(cfg, motifs.gata, motifs.tal);
  const Dataset b = simulate_scenario(cfg, read_scenario(kScenarios + "/paper.scenario"));
  TempDir tmp;
  write_dataset_dir(tmp.file("a"), a, "");
  write_dataset_dir(tmp.file("b"), b, "");
  for (const char* f : {"sequences.fa", "sequences.fa.fai", "labels.tsv", "motifs.bed", "roles.tsv", "tasks.tsv",
                        "classes.tsv"})
    EXPECT_EQ(read_text(tmp.file(std::string("a/") + f)), read_text(tmp.file(std::string("b/") + f))) << f;
}

TEST(ScenarioTest, BooleanLabelsAndRolesByHand) {
  const std::vector<Instance> g_only{inst(0, 10)}, both{inst(0, 10), inst(1, 50)}, none{};
  std::vector<Role> r;
  // AND: both drivers when both present; a lone half is context; the third motif irrelevant.
  EXPECT_TRUE(label_of("gata & tal", {inst(0, 10), inst(1, 50), inst(2, 90)}, &r));
  EXPECT_EQ(r, (std::vector<Role>{Role::Driver, Role::Driver, Role::Irrelevant}));
  EXPECT_FALSE(label_of("gata and tal", g_only, &r));
  EXPECT_EQ(r, (std::vector<Role>{Role::Context}));
  // OR: every present instance drives.
  EXPECT_TRUE(label_of("gata | tal", both, &r));
  EXPECT_EQ(r, (std::vector<Role>{Role::Driver, Role::Driver}));
  EXPECT_FALSE(label_of("gata or tal", none, &r));
  // NOT: the negated motif is a repressor; what it silences is context.
  EXPECT_TRUE(label_of("gata & !tal", g_only, &r));
  EXPECT_EQ(r, (std::vector<Role>{Role::Driver}));
  EXPECT_FALSE(label_of("gata & not tal", both, &r));
  EXPECT_EQ(r, (std::vector<Role>{Role::Context, Role::Repressor}));
  // Parentheses and precedence: & binds tighter than |.
  EXPECT_TRUE(label_of("ctcf | gata & tal", both));
  EXPECT_FALSE(label_of("(ctcf | gata) & tal", g_only));
}

TEST(ScenarioTest, SpacingAndStrandByHand) {
  // gata at [10, 20), tal starting 6..10 after its end satisfies "gata then tal at 6-10".
  for (int gap : {5, 6, 8, 10, 11}) {
    std::vector<Role> r;
    const bool on = label_of("gata then tal at 6-10", {inst(0, 10), inst(1, 20 + gap)}, &r);
    EXPECT_EQ(on, gap >= 6 && gap <= 10) << gap;
    EXPECT_EQ(r[0], on ? Role::Driver : Role::Context) << gap;
  }
  // Order matters: tal before gata is not "gata then tal".
  EXPECT_FALSE(label_of("gata then tal at 6-10", {inst(1, 10), inst(0, 28)}));
  // Off-spacing instances beside an on-spacing pair stay context.
  std::vector<Role> r;
  EXPECT_TRUE(label_of("gata then tal at 6-10", {inst(0, 10), inst(1, 28), inst(1, 100)}, &r));
  EXPECT_EQ(r, (std::vector<Role>{Role::Driver, Role::Driver, Role::Context}));
  // Strand: only the + instance counts for gata+.
  EXPECT_TRUE(label_of("gata+", {inst(0, 10, 10, '-'), inst(0, 50, 10, '+')}, &r));
  EXPECT_EQ(r, (std::vector<Role>{Role::Context, Role::Driver}));
  EXPECT_FALSE(label_of("gata+", {inst(0, 10, 10, '-')}));
  EXPECT_TRUE(label_of("gata-", {inst(0, 10, 10, '-')}));
}

TEST(ScenarioTest, ExpressionErrorsNameTheText) {
  EXPECT_THROW_MSG(parse_expression("gata & nfkb", kKeys, "f.scenario:9: task.x.label"), ConfigError,
                   "f.scenario:9: task.x.label: unknown motif 'nfkb'; expected one of gata, tal, ctcf, got "
                   "'gata & nfkb' at the end");
  EXPECT_THROW_MSG(parse_expression("(gata | tal", kKeys, "w"), ConfigError,
                   "w: unbalanced parenthesis; expected ')', got '(gata | tal' at the end");
  EXPECT_THROW_MSG(parse_expression("gata then tal at 10-6", kKeys, "w"), ConfigError,
                   "w: bad spacing; expected 'at LO-HI' bases with 0 <= LO <= HI, got 'gata then tal at 10-6' at "
                   "'10-6'");
  EXPECT_THROW_MSG(parse_expression("gata tal", kKeys, "w"), ConfigError,
                   "w: unexpected text; expected '&', '|', ')' or the end, got 'gata tal' at 'tal'");
}

// The parser recurses once per '(', '!' or 'not': an expression nested 20,000 deep overflowed its
// stack (SIGSEGV). Nesting stops at kMaxExpressionDepth (100) with an error at the first level too
// many; 100 levels still parse and evaluate.
TEST(ScenarioTest, ExpressionsNestAtMost100Deep) {
  ASSERT_EQ(kMaxExpressionDepth, 100);
  const auto nested = [](int depth) { return std::string(depth, '(') + "gata" + std::string(depth, ')'); };
  EXPECT_TRUE(label_of(nested(100), {inst(0, 10)}));
  EXPECT_TRUE(label_of(std::string(100, '!') + "gata", {inst(0, 10)}));
  EXPECT_THROW_MSG(parse_expression(nested(101), kKeys, "w"), ConfigError,
                   "w: expression nested too deeply; expected at most 100 nested '(', '!' or 'not', got "
                   "'((((((((((((((((((((((((((((((((((((((((...' at '(gata)))))))))))))))))))))))))))))))))))...'");
  EXPECT_THROW_MSG(parse_expression(std::string(20000, '!') + "gata", kKeys, "w"), ConfigError,
                   "w: expression nested too deeply; expected at most 100 nested '(', '!' or 'not', got "
                   "'!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!...' at '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!...'");
  std::string mixed;
  for (int k = 0; k < 33; ++k) mixed += "(! not ";  // 99 levels
  mixed += "(not gata" + std::string(34, ')');      // the 100th and the 101st
  EXPECT_THROW_MSG(parse_expression(mixed, kKeys, "w"), ConfigError,
                   "w: expression nested too deeply; expected at most 100 nested '(', '!' or 'not', got "
                   "'(! not (! not (! not (! not (! not (! no...' at 'not gata))))))))))))))))))))))))))))))))...'");
}

// A scenario file in a temporary directory next to a copy of the paper's motifs.
class ScenarioFileTest : public ::testing::Test {
 protected:
  std::string write(const std::string& body) {
    const std::string path = tmp_.file("s.scenario");
    write_text(path, "[scenario]\nmotifs = " + std::string(LB_SOURCE_DIR) +
                         "/configs/motifs/tal1_gata1.meme\nmotif.gata = GATA_disc1\nmotif.tal = TAL1_known1\n" + body);
    return path;
  }
  Dataset run(const std::string& body, int n = 400, int len = 200) {
    SimConfig cfg;
    cfg.n_seqs = n;
    cfg.seq_len = len;
    return simulate_scenario(cfg, read_scenario(write(body)));
  }
  TempDir tmp_;
};

TEST_F(ScenarioFileTest, AnchoredPlacementsKeepTheirGapAndOrientation) {
  const Dataset d = run(
      "[class.pair]\nweight = 1\nplace.g = gata count=1 strand=random\n"
      "place.t = tal count=1 after=g gap=6-10 orient=opposite\n[task.t]\nlabel = gata then tal at 6-10\n");
  std::map<int, int> gaps;
  for (int i = 0; i < d.size(); ++i) {
    std::vector<const MotifSite*> s;
    for (const auto& site : d.sites)
      if (site.seq == i) s.push_back(&site);
    ASSERT_EQ(s.size(), 2u);
    const MotifSite* g = s[0]->key == 0 ? s[0] : s[1];
    const MotifSite* t = s[0]->key == 0 ? s[1] : s[0];
    ++gaps[static_cast<int>(t->start - g->end)];
    EXPECT_NE(g->strand, t->strand);  // orient=opposite
    EXPECT_EQ(d.label(i, 0), 1.0f);
  }
  // Every gap of 6..10 drawn, none other (400 draws of 5 values: each appears).
  EXPECT_EQ(gaps.size(), 5u);
  EXPECT_EQ(gaps.begin()->first, 6);
  EXPECT_EQ(gaps.rbegin()->first, 10);
}

TEST_F(ScenarioFileTest, WindowsCountsAndDecoys) {
  const Dataset d = run(
      "decoy.tal = count=2\n"  // still in the [scenario] section
      "[class.c]\nweight = 1\nplace.g = gata count=uniform(1,3) window=30-130\n[task.t]\nlabel = gata\n");
  std::map<int, int> counts;
  for (int i = 0; i < d.size(); ++i) {
    ++counts[d.count(i, 0)];
    EXPECT_EQ(d.count(i, 1), 2);  // the decoys, in every sequence
  }
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts.begin()->first, 1);
  for (const auto& s : d.sites) {
    if (s.key != 0) continue;
    EXPECT_GE(s.start, 30);
    EXPECT_LE(s.end, 130);
  }
}

// An instance planted between an anchor and its dependant can block every gap: the sequence's
// planting restarts instead of failing (3 decoy-like tal instances between gata and its pair
// blocked the gap in about 1% of sequences before). More dependants than anchors need a gap range
// as wide as the motif; a windowed anchor's chain may extend beyond its window.
TEST_F(ScenarioFileTest, AnchoredPlacementsSurviveBlockedGapsAndAreChecked) {
  const Dataset d = run(
      "[class.c]\nweight = 1\nplace.g = gata count=2\nplace.x = tal count=3\n"
      "place.t = tal count=2 after=g gap=6-30\n[task.t]\nlabel = gata then tal at 6-30\n",
      3000, 200);
  for (int i = 0; i < d.size(); ++i) EXPECT_EQ(d.label(i, 0), 1.0f) << i;
  const std::string p = tmp_.file("s.scenario");
  EXPECT_THROW_MSG(check_scenario_fits(read_scenario(write("[class.c]\nweight = 1\nplace.g = gata count=1\n"
                                                           "place.t = tal count=2 after=g gap=6-10\n[task.t]\n"
                                                           "label = gata\n")),
                                       200),
                   ConfigError,
                   p + ":8: class.c.place.t: more instances than anchors; expected at most 1 instance(s) (the anchor's "
                       "smallest count), or a gap range at least 16 bases wide so that two fit after one anchor, got up "
                       "to 2 with gap 6-10");
  EXPECT_NO_THROW(check_scenario_fits(read_scenario(write("[class.c]\nweight = 1\nplace.g = gata window=0-20\n"
                                                          "place.t = tal after=g gap=6-10\n[task.t]\nlabel = gata\n")),
                                      1000));
}

// A motif with no effect of its own takes its role from its strongest interaction whose partner
// is present (context when none is).
TEST_F(ScenarioFileTest, InteractionRolesUseAPresentPartner) {
  const Dataset d = run("[class.g]\nweight = 1\nplace.g = gata count=1\n[class.b]\nweight = 1\n"
                        "place.g = gata count=1\nplace.t = tal count=1\n[task.y]\neffect.tal = 0.5\n"
                        "interaction.gata.tal = -2\n");
  for (std::size_t k = 0; k < d.sites.size(); ++k) {
    const int i = d.sites[k].seq;
    if (d.sites[k].key == 1) EXPECT_EQ(d.role(k, 0), Role::Driver);
    else EXPECT_EQ(d.role(k, 0), d.count(i, 1) > 0 ? Role::Repressor : Role::Context) << i;
  }
}

// Real-valued target: intercept + effects x counts + interaction x presence (+ noise). With no
// noise the value is exact; with noise the residuals have the noise's standard deviation.
TEST_F(ScenarioFileTest, RealValuedTargets) {
  const std::string classes =
      "[class.e]\nweight = 1\n[class.g]\nweight = 1\nplace.g = gata count=uniform(1,2)\n"
      "[class.b]\nweight = 1\nplace.g = gata count=1\nplace.t = tal count=1\n";
  const Dataset d = run(classes + "[task.y]\nintercept = 0.5\neffect.gata = 1.5\neffect.tal = -1\n"
                                  "interaction.gata.tal = 2\n");
  ASSERT_EQ(d.tasks[0].kind, TaskKind::Linear);
  for (int i = 0; i < d.size(); ++i) {
    const int g = d.count(i, 0), t = d.count(i, 1);
    EXPECT_FLOAT_EQ(d.label(i, 0), static_cast<float>(0.5 + 1.5 * g - t + 2.0 * (g > 0 && t > 0))) << i;
  }
  for (std::size_t k = 0; k < d.sites.size(); ++k)  // tal's effect is negative, but its interaction with gata positive
    EXPECT_EQ(d.role(k, 0), d.sites[k].key == 0 ? Role::Driver : Role::Repressor);
  const Dataset n = run(classes + "[task.y]\neffect.gata = 1\nnoise = 0.5\n", 3000);
  double ss = 0;
  for (int i = 0; i < n.size(); ++i) ss += std::pow(static_cast<double>(n.label(i, 0)) - n.count(i, 0), 2);
  EXPECT_NEAR(std::sqrt(ss / n.size()), 0.5, 0.05);  // sd of the sd estimate ~ 0.5/sqrt(2*3000) = 0.0065
}

TEST_F(ScenarioFileTest, BadScenariosNameFileLineAndKey) {
  const std::string p = tmp_.file("s.scenario");
  auto fails = [&](const std::string& body, const std::string& msg) {
    EXPECT_THROW_MSG(read_scenario(write(body)), ConfigError, msg);
  };
  fails("[class.c]\nweight = 1\n[task.t]\nlabel = gata & nfkb\n",
        p + ":8: task.t.label: unknown motif 'nfkb'; expected one of gata, tal, got 'gata & nfkb' at the end");
  fails("[class.c]\nweight = 1\nplace.x = nfkb count=1\n[task.t]\nlabel = gata\n",
        p + ":7: class.c.place.x: unknown motif key; expected one of the scenario's motifs (gata, tal), got 'nfkb'");
  fails("[class.c]\nweight = 1\nplace.t = tal count=1 after=g gap=2-4\n[task.t]\nlabel = gata\n",
        p + ":7: class.c.place.t: unknown anchor; expected the id of an earlier placement of this class, got 'g'");
  fails("[class.c]\nweight = 1\nplace.g = gata count=1 count=2\n[task.t]\nlabel = gata\n",
        p + ":7: class.c.place.g: placement option given twice; expected each option at most once, got 'count=2'");
  fails("[class.c]\nweight = 1\nplace.g = gata count=1\n[task.t]\neffect.gata = 1e308\n",
        p + ":9: task.t.effect.gata: bad effect; expected a number with |x| <= 1e6, got '1e308'");
  fails("[class.c]\nweight = 1\nplace.g = gata count=1\n[task.t]\neffect.gata = 1\ninteraction.gata.tal = -2e6\n",
        p + ":10: task.t.interaction.gata.tal: bad interaction; expected a number with |x| <= 1e6, got '-2e6'");
  fails("[class.c]\nweight = 1\nplace.g = gata count=1\n[task.t]\neffect.gata = 1\nnoise = 1e7\n",
        p + ":10: task.t.noise: bad noise; expected a standard deviation in [0, 1e6], got '1e7'");
  fails("[class.c]\nweight = 1\nplace.g = gata count=lots\n[task.t]\nlabel = gata\n",
        p + ":7: class.c.place.g: bad count; expected count=N, count=poisson(mean,min,max) or "
            "count=uniform(min,max) with 0 <= min <= max, got 'lots'");
  fails("[class.c]\nweight = 1\n[task.t]\nlabel = gata\nnoise = 1\n",
        p + ":9: task.t.noise: label mixed with a real-valued target; expected either task.<name>.label (binary) "
            "or effect./interaction./intercept/noise keys (real-valued), got 'noise'");
  fails("[class.c]\nplace.g = gata\n[task.t]\nlabel = gata\n",
        p + ":6: class.c.weight: missing weight; expected class.c.weight = W, got nothing");
  fails("[class.c]\nweight = 1\n[task.t]\nlabel = gata\n[extra]\nx = 1\n",
        p + ":10: extra.x: unknown key; expected scenario.{name, description, motifs, motif.<key>, decoy.<key>}, "
            "class.<name>.{weight, place.<id>} or task.<name>.{label, effect.<key>, interaction.<a>.<b>, intercept, "
            "noise}, got 'extra.x'");
  const std::string nomotif = tmp_.file("n.scenario");
  write_text(nomotif, "[scenario]\nmotifs = " + std::string(LB_SOURCE_DIR) +
                          "/configs/motifs/tal1_gata1.meme\nmotif.gata = GATA_disc9\n");
  EXPECT_THROW_MSG(read_scenario(nomotif), ConfigError,
                   nomotif + ":3: scenario.motif.gata: motif not in " + std::string(LB_SOURCE_DIR) +
                       "/configs/motifs/tal1_gata1.meme; expected one of GATA_disc1, TAL1_known1, got 'GATA_disc9'");
}

// Found by fuzz/fuzz_scenario: a key's bytes (here an invalid UTF-8 \xf4) reached the "FILE:LINE:
// KEY:" part of a message raw; the key is escaped there now.
TEST_F(ScenarioFileTest, UnprintableKeysAreEscapedAndUnprintableMotifFileNamesRefused) {
  EXPECT_THROW_MSG(read_scenario(write("mo\xf4if.x = 1\n")), ConfigError,
                   tmp_.file("s.scenario") +
                       ":5: scenario.mo\\xf4if.x: unknown key; expected scenario.{name, description, motifs, "
                       "motif.<key>, decoy.<key>}, class.<name>.{weight, place.<id>} or task.<name>.{label, "
                       "effect.<key>, interaction.<a>.<b>, intercept, noise}, got 'scenario.mo\\xf4if.x'");
  // And a task's key in a task expression's error (fuzz_scenario again).
  EXPECT_THROW_MSG(read_scenario(write("[class.c]\nweight = 1\n[task.t\xd4]\nlabel = gata & nfkb\n")), ConfigError,
                   tmp_.file("s.scenario") +
                       ":8: task.t\\xd4.label: unknown motif 'nfkb'; expected one of gata, tal, got 'gata & nfkb' at "
                       "the end");
  // Also found by fuzz_scenario: the motif file's name, with control bytes, reached the reader's
  // messages raw ("<path>: cannot open: ..."); such a name is refused first.
  const std::string p = tmp_.file("m.scenario");
  write_text(p, "[scenario]\nmotifs = ../motifs/x\x1d\x12.meme\nmotif.gata = GATA_disc1\n");
  EXPECT_THROW_MSG(read_scenario(p), ConfigError,
                   p + ":2: scenario.motifs: unprintable file name; expected a path without control characters or "
                       "invalid UTF-8, got '../motifs/x\\x1d\\x12.meme'");
}

// The motif file's names reach the placement errors escaped (the "cannot place motif" message
// printed them raw).
TEST_F(ScenarioFileTest, MotifNamesInPlacementErrorsAreEscaped) {
  std::string meme = read_text(std::string(LB_SOURCE_DIR) + "/configs/motifs/tal1_gata1.meme");
  meme.replace(meme.find("MOTIF GATA_disc1"), 16, "MOTIF GA\x7fTA\xff");
  write_text(tmp_.file("odd.meme"), meme);
  const std::string p = tmp_.file("odd.scenario");
  write_text(p, "[scenario]\nmotifs = odd.meme\nmotif.gata = GA\x7fTA\xff\n[class.c]\nweight = 1\n"
                "place.g = gata count=3\n[task.t]\nlabel = gata\n");
  SimConfig cfg;
  cfg.n_seqs = 1;
  cfg.seq_len = 25;
  EXPECT_THROW_MSG(simulate_scenario(cfg, read_scenario(p)), InputError,
                   "sequence 'seq0000': cannot place motif 'GA\\x7fTA\\xff' (width 10) without overlap after 1000 "
                   "attempts; expected free space for 10 bases, got 2 motifs already covering 20 of 25 bases");
}

TEST_F(ScenarioFileTest, PlacementsThatCannotFitAreConfigErrors) {
  const std::string p = tmp_.file("s.scenario");
  const std::string body =
      "[class.c]\nweight = 1\nplace.g = gata count=1\nplace.t = tal count=1 after=g gap=150-190\n[task.t]\n"
      "label = gata\n";
  SimConfig cfg;
  cfg.seq_len = 200;
  EXPECT_THROW_MSG(check_scenario_fits(read_scenario(write(body)), 200), ConfigError,
                   p + ":7: class.c.place.g: spacing contradicts the sequence length; expected room for the motif (10 "
                       "bases) and what follows it (206 bases) inside 200 bases, got 216 bases");
  const std::string window = "[class.c]\nweight = 1\nplace.g = gata count=1 window=0-8\n[task.t]\nlabel = gata\n";
  EXPECT_THROW_MSG(check_scenario_fits(read_scenario(write(window)), 200), ConfigError,
                   p + ":7: class.c.place.g: window 0-8 cannot hold motif 'gata' (width 10); expected a window inside "
                       "[0, 200] at least 10 bases wide, got 0-8");
}

// A gap near INT_MAX overflowed 32-bit arithmetic twice: the room an anchor keeps for its
// dependants (gap + width) wrapped negative, so the fit check passed, and the number of gaps of
// 0-2147483647 wrapped to INT_MIN, so a dependant's gap came out negative and its letters were
// written before the sequence (SIGSEGV). Both are 64-bit now: such a spacing is the fit check's
// error, a chain of two large gaps included.
TEST_F(ScenarioFileTest, GapsNearIntMaxAreConfigErrors) {
  const std::string p = tmp_.file("s.scenario");
  SimConfig cfg;
  cfg.n_seqs = 24;
  cfg.seq_len = 200;
  auto simulate_body = [&](const std::string& placements) {
    simulate_scenario(cfg, read_scenario(write("[class.c]\nweight = 1\nplace.g = gata count=1\n" + placements +
                                               "[task.t]\nlabel = gata then tal at 6-10\n")));
  };
  EXPECT_THROW_MSG(simulate_body("place.t = tal count=1 after=g gap=0-2147483647\n"), ConfigError,
                   p + ":7: class.c.place.g: spacing contradicts the sequence length; expected room for the motif (10 "
                       "bases) and what follows it (2147483663 bases) inside 200 bases, got 2147483673 bases");
  EXPECT_THROW_MSG(simulate_body("place.t = tal count=1 after=g gap=2147483600\n"), ConfigError,
                   p + ":7: class.c.place.g: spacing contradicts the sequence length; expected room for the motif (10 "
                       "bases) and what follows it (2147483616 bases) inside 200 bases, got 2147483626 bases");
  EXPECT_THROW_MSG(simulate_body("place.t = tal count=1 after=g gap=2000000000\n"
                                 "place.u = gata count=1 after=t gap=2000000000\n"),
                   ConfigError,
                   p + ":7: class.c.place.g: spacing contradicts the sequence length; expected room for the motif (10 "
                       "bases) and what follows it (4000000026 bases) inside 200 bases, got 4000000036 bases");
}

// The number of counts of uniform(0,2147483647) wrapped to INT_MIN in 32 bits, and the drawn
// count came out of range (a negative count planted nothing): it is counted in 64 bits, so the
// count lies in [0, INT_MAX] and a sequence of 200 bases runs out of room.
TEST_F(ScenarioFileTest, UniformCountsUpToIntMaxStayInRange) {
  SimConfig cfg;
  cfg.n_seqs = 1;
  cfg.seq_len = 200;
  EXPECT_THROW_MSG(simulate_scenario(cfg, read_scenario(write("[class.c]\nweight = 1\n"
                                                              "place.g = gata count=uniform(0,2147483647)\n"
                                                              "[task.t]\nlabel = gata\n"))),
                   InputError,
                   "sequence 'seq0000': cannot place motif 'GATA_disc1' (width 10) without overlap after 1000 attempts; "
                   "expected free space for 10 bases, got 14 motifs already covering 140 of 200 bases");
}

// A task expression nested 20,000 deep in a scenario file: the nesting error names the file,
// line and key.
TEST_F(ScenarioFileTest, DeeplyNestedTaskExpressionsAreConfigErrors) {
  const std::string deep = std::string(20000, '(') + "gata" + std::string(20000, ')');
  EXPECT_THROW_MSG(read_scenario(write("[class.c]\nweight = 1\n[task.t]\nlabel = " + deep + "\n")), ConfigError,
                   tmp_.file("s.scenario") +
                       ":8: task.t.label: expression nested too deeply; expected at most 100 nested '(', '!' or "
                       "'not', got '((((((((((((((((((((((((((((((((((((((((...' at "
                       "'((((((((((((((((((((((((((((((((((((((((...'");
}

// Shipped scenarios all read and simulate; their labels are not constant.
TEST(ScenarioTest, ShippedScenariosSimulate) {
  for (const auto& e : std::filesystem::directory_iterator(kScenarios)) {
    if (e.path().extension() != ".scenario") continue;
    SCOPED_TRACE(e.path().string());
    const Scenario s = read_scenario(e.path().string());
    SimConfig cfg;
    cfg.n_seqs = 500;
    const Dataset d = simulate_scenario(cfg, s);
    for (int t = 0; t < d.n_tasks(); ++t) {
      float lo = d.label(0, t), hi = lo;
      for (int i = 0; i < d.size(); ++i) lo = std::min(lo, d.label(i, t)), hi = std::max(hi, d.label(i, t));
      EXPECT_LT(lo, hi) << d.tasks[static_cast<std::size_t>(t)].name;
    }
    EXPECT_TRUE(d.has_roles());
  }
}

}  // namespace
}  // namespace lb::sim
