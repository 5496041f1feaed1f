// DeepLIFT on an MLP (Dense and ReLU layers) in double precision, written straight from
// docs/attribution.md: the Linear rule with W+ / W- and the ½(A + B) case, Δx± of each ReLU
// input as the sums of the positive / negative terms w_iΔx_i. The multiplier of each ReLU unit
// comes from the caller (`unit`), so that the tests can state a rule in two independent ways.
// One sample, one task. The oracle of tests/attribution/{engine,rules}_test.cpp.
#pragma once

#include <functional>
#include <vector>

#include <Eigen/Dense>

#include "model/layers.h"
#include "model/network.h"

namespace lb::attr::testing {

/// A ReLU unit's multipliers (m+, m-) of its input from: the reference input x0, the actual
/// input x, the parts Δx+ (a) and Δx- (b), and the multiplier of its output m_out.
using UnitRule = std::function<void(double x0, double x, double a, double b, double m_out, double& m_plus,
                                    double& m_minus)>;

inline Eigen::VectorXd mlp_deeplift(const model::Network& net, const Eigen::VectorXd& x, const Eigen::VectorXd& r,
                                    int task, const UnitRule& unit) {
  using VD = Eigen::VectorXd;
  using MD = Eigen::MatrixXd;
  auto f = [](double z) { return z > 0 ? z : 0.0; };
  const int n_layers = net.n_layers();
  std::vector<VD> hx{x}, hr{r}, pos(static_cast<std::size_t>(n_layers)), neg(static_cast<std::size_t>(n_layers));
  for (int i = 0; i < n_layers; ++i) {
    const auto& l = net.layer(i);
    if (dynamic_cast<const model::Dense*>(&l)) {
      const auto& d = static_cast<const model::Dense&>(l);
      const MD W = d.weight().cast<double>();
      const VD b = d.bias().col(0).cast<double>();
      const VD dh = hx.back() - hr.back();
      VD p = VD::Zero(W.rows()), q = VD::Zero(W.rows());
      for (int j = 0; j < W.rows(); ++j)
        for (int k = 0; k < W.cols(); ++k) (W(j, k) * dh(k) > 0 ? p(j) : q(j)) += W(j, k) * dh(k);
      pos[static_cast<std::size_t>(i)] = p;
      neg[static_cast<std::size_t>(i)] = q;
      hx.push_back(W * hx.back() + b);
      hr.push_back(W * hr.back() + b);
    } else {
      hx.push_back(hx.back().unaryExpr(f));
      hr.push_back(hr.back().unaryExpr(f));
    }
  }
  VD mp = VD::Zero(net.n_outputs());
  mp(task) = 1;
  VD mn = mp;
  for (int i = n_layers - 1; i >= 0; --i) {
    const auto ui = static_cast<std::size_t>(i);
    if (dynamic_cast<const model::Dense*>(&net.layer(i))) {
      const MD W = static_cast<const model::Dense&>(net.layer(i)).weight().cast<double>();
      const MD Wp = W.cwiseMax(0.0), Wn = W.cwiseMin(0.0);
      const VD dh = hx[ui] - hr[ui];
      const VD A = Wp.transpose() * mp + Wn.transpose() * mn, B = Wn.transpose() * mp + Wp.transpose() * mn;
      VD o(W.cols());
      for (int k = 0; k < W.cols(); ++k) o(k) = dh(k) > 0 ? A(k) : dh(k) < 0 ? B(k) : 0.5 * (A(k) + B(k));
      mp = mn = o;
      continue;
    }
    for (int k = 0; k < hx[ui].size(); ++k) {
      const double mo = mp(k);
      unit(hr[ui](k), hx[ui](k), pos[ui - 1](k), neg[ui - 1](k), mo, mp(k), mn(k));
    }
  }
  return mp;
}

}  // namespace lb::attr::testing
