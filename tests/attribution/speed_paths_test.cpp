// The batched and streamed paths of the attribute command (docs/benchmarks/speed.md) against the
// plain ones: DeepLIFT against several references in one call (the input's forward pass shared)
// equals one call per reference bit for bit, on chains and on graphs (residual adds, concatenated
// heads), with shared and per-sample references, for any thread count, and sums to delta; all
// tasks in one backward pass equal one pass per task; the streamed scores.npz holds exactly the
// arrays of scores_archive(); stage timings are off without a log and count every chunk with one.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/engine.h"
#include "attribution/methods.h"
#include "attribution/onehot.h"
#include "attribution/profile.h"
#include "attribution/scores_file.h"
#include "core/alphabet.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "io/npz.h"
#include "model/network.h"
#include "testing/helpers.h"
#include "testing/networks.h"
#include "testing/random_inputs.h"

namespace lb::attr {
namespace {

using lb::testing::random_mat;
using lb::testing::random_one_hot;

using model::Network;
using model::Shape;

// The networks of these tests, Glorot-initialised.
Network glorot_net(const std::string& layers, Shape in, std::uint64_t seed) {
  return lb::testing::config_net(layers, in, seed, "sigmoid", model::InitScheme::GlorotUniform);
}

// A chain like the paper's (its factored conv-ReLU-pool fast path included), and two graphs:
// residual adds of dilated convolutions with a cropped profile head concatenated to a count
// head, and a nonlinearity reading the add of a ReLU and a convolution (RevealCancel then mixes
// the identity split and the linear split).
const std::vector<std::string>& nets() {
  static const std::vector<std::string> cases{
      "conv1=conv1d(6,5) relu conv2=conv1d(5,3) relu gap fc1=dense(5) relu dropout(0.5) fc2=dense(3)",
      "stem=conv1d(6,5,padding=same) r0=relu c1=conv1d(6,3,padding=same,dilation=2) r1=relu a1=add(r0,r1) "
      "c2=conv1d(6,3,padding=same,dilation=4) r2=relu a2=add(a1,r2) prof=conv1d(2,3,padding=same) "
      "crop(left=8,right=8) pf=flatten g=gap@a2 counts=dense(2) heads=concat(pf,counts)",
      "c0=conv1d(6,3,padding=same) r0=relu c1=conv1d(6,3,padding=same) a=add(r0,c1) r1=relu c2=conv1d(4,3) "
      "r2=relu gap fc1=dense(5) relu fc2=dense(3)",
  };
  return cases;
}

constexpr int kLen = 24;
constexpr int kN = 37;  // three chunks of 16, the last one short

std::vector<int> some_tasks(const Network& net) {
  std::vector<int> t;
  for (int k = 0; k < net.n_outputs(); k += std::max(1, net.n_outputs() / 3)) t.push_back(k);
  return t;
}

// Shared (background, zeros) and per-sample (shuffles, random soft) references.
std::vector<Reference> mixed_references(const Mat& x, int n, int len, std::uint64_t seed) {
  std::vector<Reference> refs;
  refs.push_back(background_reference({0.3, 0.2, 0.2, 0.3}, len));
  refs.push_back(Reference{random_one_hot(n, len, seed), false});
  refs.push_back(zero_reference(4, len));
  refs.push_back(Reference{random_mat(4, Eigen::Index{n} * len, seed + 1, 0, 0.5), false});
  refs.push_back(Reference{x, false});  // the input itself: every multiplier at its limit
  return refs;
}

bool same(const Mat& a, const Mat& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() && (a.array() == b.array()).all();
}

TEST(SpeedPathsTest, MultiReferenceEqualsOneCallPerReferenceBitForBit) {
  for (std::size_t ci = 0; ci < nets().size(); ++ci) {
    SCOPED_TRACE(nets()[ci]);
    const Network net = glorot_net(nets()[ci], Shape{4, 1, kLen}, 3 + ci);
    const Mat x = random_one_hot(kN, kLen, 20 + ci);
    const auto refs = mixed_references(x, kN, kLen, 40 + ci);
    const auto tasks = some_tasks(net);
    for (const char* rules : {"rescale", "revealcancel", "genomics"}) {
      SCOPED_TRACE(rules);
      const RuleAssignment ra = parse_rules(net, rules);
      std::vector<Mat> deltas;
      const std::vector<Mat> all = deeplift_multipliers(net, x, refs, kN, tasks, ra, {}, &deltas);
      ASSERT_EQ(all.size(), refs.size());
      ASSERT_EQ(deltas.size(), refs.size());
      for (std::size_t j = 0; j < refs.size(); ++j) {
        Mat dl;
        const Mat one = deeplift_multipliers(net, x, refs[j], kN, tasks, ra, {}, &dl);
        EXPECT_TRUE(same(all[j], one)) << "reference " << j;
        EXPECT_TRUE(same(deltas[j], dl)) << "reference " << j;
      }
    }
  }
}

TEST(SpeedPathsTest, MultiReferenceSumsToDeltaForAnyThreadCount) {
  const int saved = threads();
  for (std::size_t ci = 0; ci < nets().size(); ++ci) {
    SCOPED_TRACE(nets()[ci]);
    const Network net = glorot_net(nets()[ci], Shape{4, 1, kLen}, 7 + ci);
    const Mat x = random_one_hot(kN, kLen, 60 + ci);
    const auto refs = mixed_references(x, kN, kLen, 80 + ci);
    const auto tasks = some_tasks(net);
    const RuleAssignment ra = parse_rules(net, "revealcancel");
    set_threads(1);
    std::vector<Mat> d1, d2;
    const auto one = deeplift_multipliers(net, x, refs, kN, tasks, ra, {}, &d1);
    set_threads(2);
    const auto two = deeplift_multipliers(net, x, refs, kN, tasks, ra, {}, &d2);
    for (std::size_t j = 0; j < refs.size(); ++j) {
      EXPECT_TRUE(same(one[j], two[j])) << "reference " << j;
      EXPECT_TRUE(same(d1[j], d2[j])) << "reference " << j;
      const Mat err = summation_error(contributions(one[j], x, refs[j], kN, static_cast<int>(tasks.size()), kLen),
                                      d1[j], kN, kLen);
      const float scale = std::max(1.0f, d1[j].cwiseAbs().maxCoeff());
      EXPECT_LE(err.cwiseAbs().maxCoeff(), 1e-4f * scale) << "reference " << j;
    }
  }
  set_threads(saved);
}

// Tasks travel as extra columns of one backward pass; each task's block equals the pass of that
// task alone (the same products, row by row).
TEST(SpeedPathsTest, AllTasksInOnePassEqualOnePassPerTask) {
  for (std::size_t ci = 0; ci < nets().size(); ++ci) {
    SCOPED_TRACE(nets()[ci]);
    const Network net = glorot_net(nets()[ci], Shape{4, 1, kLen}, 11 + ci);
    const Mat x = random_one_hot(kN, kLen, 90 + ci);
    const Reference bg = background_reference({0.3, 0.2, 0.2, 0.3}, kLen);
    const auto tasks = some_tasks(net);
    const auto T = static_cast<Eigen::Index>(tasks.size());
    const Eigen::Index w = Eigen::Index{kN} * kLen;
    for (const char* rules : {"rescale", "revealcancel"}) {
      SCOPED_TRACE(rules);
      const RuleAssignment ra = parse_rules(net, rules);
      const Mat all = deeplift_multipliers(net, x, bg, kN, tasks, ra, {});
      const Mat grads = gradient_multipliers(net, x, kN, tasks);
      for (Eigen::Index t = 0; t < T; ++t) {
        const std::vector<int> one{tasks[static_cast<std::size_t>(t)]};
        const Mat m = deeplift_multipliers(net, x, bg, kN, one, ra, {});
        const Mat g = gradient_multipliers(net, x, kN, one);
        const float sm = std::max(1.0f, m.cwiseAbs().maxCoeff()), sg = std::max(1.0f, g.cwiseAbs().maxCoeff());
        EXPECT_LE((all.middleCols(t * w, w) - m).cwiseAbs().maxCoeff(), 1e-6f * sm) << "task " << t;
        EXPECT_LE((grads.middleCols(t * w, w) - g).cwiseAbs().maxCoeff(), 1e-6f * sg) << "task " << t;
      }
    }
  }
}

// The shuffled-reference method through run_method (which batches the references of a chunk in
// one engine call) sums to delta and is the same for one thread and two. (That it is the mean of
// single-reference engine calls: MethodsTest.MultirefAveragesSingleReferenceRuns.)
TEST(SpeedPathsTest, ShuffledReferencesThroughRunMethod) {
  const Network net = glorot_net(nets()[2], Shape{4, 1, kLen}, 5);
  const Mat x = random_one_hot(kN, kLen, 7);
  AttributionConfig cfg;
  cfg.n_shuffles = 4;
  cfg.seed = 9;
  const std::vector<int> tasks{0, 2};
  const Method m = parse_method("deeplift:genomics@dinuc_shuffle", net, cfg);
  const int saved = threads();
  set_threads(1);
  const MethodResult a = run_method(m, net, x, kN, tasks, cfg);
  set_threads(2);
  const MethodResult b = run_method(m, net, x, kN, tasks, cfg);
  set_threads(saved);
  EXPECT_TRUE(same(a.contributions, b.contributions));
  EXPECT_TRUE(same(a.hypothetical, b.hypothetical));
  EXPECT_TRUE(same(a.delta, b.delta));
  EXPECT_EQ(a.n_references, 4);
  EXPECT_EQ(a.max_abs_delta, b.max_abs_delta);
  EXPECT_LE(a.max_rel_delta, 1e-4);  // summation to delta, every reference, before averaging
}

// write_scores streams the very arrays write_npz(scores_archive(...)) stores: names, order,
// dtypes, shapes and bytes, for DNA input (onehot) and other input (inputs), with hypothetical
// scores, deltas, ISM maps and stored references.
TEST(SpeedPathsTest, StreamedScoresEqualTheArchive) {
  testing::TempDir tmp;
  for (const Shape in : {Shape{4, 1, 7}, Shape{1, 2, 3}}) {
    SCOPED_TRACE(in.str());
    const int n = 150, T = 2, S = in.spatial(), K = 3;  // more samples than one block of 64
    const Mat x = random_mat(in.c, Eigen::Index{n} * S, 1);
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) ids.push_back(i % 7 == 0 ? "seq_é" + std::to_string(i) : "s" + std::to_string(i));
    MethodResult dl;
    dl.contributions = random_mat(in.c, Eigen::Index{T} * n * S, 2);
    dl.hypothetical = random_mat(in.c, Eigen::Index{T} * n * S, 3);
    dl.delta = random_mat(T, n, 4);
    dl.references = random_mat(in.c, Eigen::Index{n} * K * S, 5);
    dl.n_references = K;
    MethodResult ism;
    ism.contributions = random_mat(in.c, Eigen::Index{T} * n * S, 6);
    ism.ism = random_mat(in.c, Eigen::Index{T} * n * S, 7);
    MethodResult grad;
    grad.contributions = random_mat(in.c, Eigen::Index{T} * n * S, 8);
    const std::vector<ScoredMethod> methods{{"deeplift:genomics@dinuc_shuffle", dl}, {"ism", ism}, {"grad", grad}};
    const std::vector<int> tasks{0, 2};
    const std::string a = tmp.file("archive.npz"), b = tmp.file("streamed.npz");
    io::write_npz(a, scores_archive(ids, x, in, tasks, methods));
    write_scores(b, ids, x, in, tasks, methods);
    const io::NpzArchive want = io::read_npz(a), got = io::read_npz(b);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(got[k].first, want[k].first);
      EXPECT_EQ(got[k].second.dtype, want[k].second.dtype) << want[k].first;
      EXPECT_EQ(got[k].second.shape, want[k].second.shape) << want[k].first;
      EXPECT_TRUE(got[k].second.bytes == want[k].second.bytes) << want[k].first;
    }
    EXPECT_EQ(testing::list_dir(tmp.path()), (std::vector<std::string>{"archive.npz", "streamed.npz"}));
  }
}

// Without a log, timers record nothing; with one, every chunk of every stage is counted once.
TEST(SpeedPathsTest, StageLogCountsEveryChunk) {
  const Network net = glorot_net(nets()[0], Shape{4, 1, kLen}, 2);
  const Mat x = random_one_hot(kN, kLen, 3);
  const Reference bg = background_reference({0.3, 0.2, 0.2, 0.3}, kLen);
  const std::vector<int> tasks{0, 1, 2};
  StageLog log;
  deeplift_multipliers(net, x, bg, kN, tasks, parse_rules(net, "rescale"), {});
  EXPECT_TRUE(log.entries().empty());
  EXPECT_EQ(active_stage_log(), nullptr);
  Mat plain, timed;
  plain = deeplift_multipliers(net, x, bg, kN, tasks, parse_rules(net, "rescale"), {});
  {
    StageLogScope scope(&log);
    EXPECT_EQ(active_stage_log(), &log);
    timed = deeplift_multipliers(net, x, bg, kN, tasks, parse_rules(net, "rescale"), {});
  }
  EXPECT_EQ(active_stage_log(), nullptr);
  EXPECT_TRUE(same(plain, timed));  // timing changes nothing
  std::vector<std::string> names;
  for (const auto& e : log.entries()) {
    names.push_back(e.name);
    EXPECT_GE(e.cpu, 0.0) << e.name;
    EXPECT_GE(e.wall, 0.0) << e.name;
    EXPECT_EQ(e.calls, e.name == "forward (reference)" ? 1 : 3) << e.name;  // the shared reference once; 3 chunks
  }
  EXPECT_EQ(names, (std::vector<std::string>{"forward (reference)", "forward (inputs)",
                                             "multiplier scales (nonlinearities)", "backward (all tasks)",
                                             "place chunk results"}));
  log.clear();
  EXPECT_TRUE(log.entries().empty());
}

}  // namespace
}  // namespace lb::attr
