// After a network loads in a harness: one forward pass of a zero input when every shape is
// small, so fuzzed sizes also reach the layers' kernels.
#pragma once

#include <cstdint>

#include "model/network.h"

namespace lb::fuzz {

inline void forward_if_small(const model::Network& net) {
  constexpr std::int64_t kMaxValues = std::int64_t{1} << 16;
  for (int i = 0; i <= net.n_layers(); ++i) {
    const model::Shape s = net.act_shape(i);
    if (std::int64_t{s.c} * s.h * s.w > kMaxValues) return;
  }
  const model::Shape in = net.input_shape();
  const Mat x = Mat::Zero(in.c, std::int64_t{in.h} * in.w);
  model::Trace t;
  net.forward(x, 1, t);
}

}  // namespace lb::fuzz
