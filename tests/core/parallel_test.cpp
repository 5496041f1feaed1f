// parallel_for: every item runs once, results do not depend on the thread count, and the
// exception of the lowest failing item is the one rethrown.
#include "core/parallel.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lb {
namespace {

// Restores the single-threaded default after a test that changes it.
struct ThreadGuard {
  ~ThreadGuard() { set_threads(1); }
};

std::vector<double> run_items(int n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  parallel_for(n, [&](int i) {
    double s = 0;
    for (int k = 1; k <= 1000; ++k) s += std::sin(i * 0.001 * k) / k;
    out[static_cast<std::size_t>(i)] = s;
  });
  return out;
}

TEST(ParallelTest, ZeroMeansAllCores) {
  ThreadGuard guard;
  set_threads(0);
  EXPECT_GE(threads(), 1);
  set_threads(3);
  EXPECT_EQ(threads(), 3);
}

TEST(ParallelTest, EveryItemRunsOnce) {
  ThreadGuard guard;
  set_threads(2);
  std::vector<int> count(101, 0);
  parallel_for(101, [&](int i) { ++count[static_cast<std::size_t>(i)]; });
  for (int c : count) EXPECT_EQ(c, 1);
  parallel_for(0, [](int) { FAIL() << "no items"; });
}

TEST(ParallelTest, ResultsEqualForOneAndTwoThreads) {
  ThreadGuard guard;
  set_threads(1);
  const auto one = run_items(257);
  set_threads(2);
  const auto two = run_items(257);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t i = 0; i < one.size(); ++i) EXPECT_EQ(one[i], two[i]) << i;
}

TEST(ParallelTest, FirstExceptionByItemIndexIsRethrown) {
  ThreadGuard guard;
  for (int nt : {1, 2, 4}) {
    set_threads(nt);
    // Items 7 and 90 fail; with a static schedule item 90 may well fail first in time.
    std::vector<int> ran(100, 0);
    try {
      parallel_for(100, [&](int i) {
        ran[static_cast<std::size_t>(i)] = 1;
        if (i == 7 || i == 90) throw std::runtime_error("item " + std::to_string(i));
      });
      ADD_FAILURE() << "no exception with " << nt << " threads";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "item 7") << nt << " threads";
    }
    // The other items still ran (no item is skipped because another failed).
    for (int r : ran) EXPECT_EQ(r, 1);
  }
}

}  // namespace
}  // namespace lb
