// Small networks for the engine, method and erasure tests, built from a `model.layers` string.
#pragma once

#include <cstdint>
#include <string>

#include "model/network.h"

namespace lb::testing {

/// The network of `layers` on input shape `in` with output `output`, initialised from `seed` by
/// `scheme`.
inline model::Network config_net(const std::string& layers, model::Shape in, std::uint64_t seed,
                                 const std::string& output = "sigmoid",
                                 model::InitScheme scheme = model::InitScheme::PyTorch) {
  model::ModelConfig cfg;
  cfg.layers = layers;
  cfg.output = output;
  model::Network net = model::Network::from_config(cfg, in);
  net.init(seed, scheme);
  return net;
}

}  // namespace lb::testing
