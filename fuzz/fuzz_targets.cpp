// attribution.targets (attribution/targets.h) against a fixed network of two heads, a profile
// (2 x 14) and a count: every spec is validated and parsed; a spec that parses is attributed with
// DeepLIFT Rescale, the gradient and ISM on two sequences, and each target's summation-to-delta
// error must stay small (the seeds and values of every target kind are then exercised).
#include <cmath>

#include "attribution/methods.h"
#include "attribution/targets.h"
#include "harness.h"
#include "model/network.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const lb::model::Network net = [] {
    lb::model::ModelConfig cfg;
    cfg.layers = "c1=conv1d(3,5) r1=relu prof=conv1d(2,3)@r1 g=gap@r1 cnt=dense(1)@g heads(prof,cnt)";
    cfg.output = "linear";
    lb::model::Network n = lb::model::Network::from_config(cfg, lb::model::Shape{4, 1, 20});
    n.init(7);
    return n;
  }();
  const std::string spec(lb::fuzz::as_text(data, size));
  lb::fuzz::run([&] { lb::attr::validate_targets(spec); });
  lb::fuzz::run([&] {
    const lb::attr::Targets t = lb::attr::parse_targets(spec, net);
    if (t.size() > 8) return;  // a long list is legitimate; its cost is not the parser's
    lb::Mat x = lb::Mat::Zero(4, 40);
    for (int p = 0; p < 40; ++p) x((p * 7 + p / 3) % 4, p) = 1.0f;
    lb::attr::AttributionConfig cfg;
    cfg.reference = "background";
    const std::vector<std::uint64_t> streams{0, 1};
    for (const char* m : {"deeplift:rescale", "grad", "ism"}) {
      const auto r = lb::attr::run_method(lb::attr::parse_method(m, net, cfg), net, x, 2, t, cfg, streams);
      if (r.delta.size() && !(r.max_rel_delta < 1e-3))
        lb::fuzz::fail("a target's DeepLIFT contributions do not add up to its difference");
    }
  });
  return 0;
}
