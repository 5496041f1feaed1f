// The attribution engine: forward passes of the input and the reference through one const
// network, then one backward pass of multipliers for T tasks at once (docs/attribution.md; paper
// appendices A, B, C). Method wrappers (references, averaging, score files) live in methods.cpp.
//
// How a pass is organised. Samples are split into fixed chunks of kChunk; each chunk runs its
// own forward (the shared reference is run once, for one sample, and broadcast) and backward,
// and writes only its own output columns, so results do not depend on the thread count.
//
// What travels down. Each layer is handled by its role (model/layer.h, AttrRole), never by its
// type. Above a RevealCancel nonlinearity the multipliers of its input are a PAIR (m+ for the
// positive part Δx+ of the input difference, m- for Δx-); everywhere else m+ = m- and one matrix
// travels (the "same" fast path: ordinary transposed products, the gradient's cost).
//   - Linear layers (convolutions, dense) consume a pair and emit one matrix (appendix B);
//   - Transparent layers (average pools, flatten, crop, dropout at inference: linear, weights
//     >= 0, no bias) forward carry Δ± of the linear layer below unchanged in kind
//     (docs/attribution.md: "Δx+ and Δx- from the linear layer below"), backward map m+ and m-
//     separately, so the linear layer below sees the pair that matches the Δ± it produced;
//   - Diagonal layers (batch norm at inference) do the same, scaled by their per-channel scale
//     and swapped where it is negative (deeplift's batch norm);
//   - Gradient layers (max pools) pass multipliers through their gradient at the actual input;
//   - Merge layers (add, concat) hand m+ and m- to every input (all of it, or its rows), and
//     carry Δ± of their inputs up summed or stacked;
//   - a pair that reaches a nonlinearity's output, a max pool or the network input without
//     meeting a linear layer is collapsed with the identity split (Δ± = positive / negative part
//     of Δ): m = m+ where Δ > 0, m- where Δ < 0, ½(m+ + m-) where Δ = 0 (appendix B with W = I).
// The model is a graph (model/network.h): layers run in reverse order, a topological one, and
// the multipliers reaching an activation read by several layers are summed, m+ and m- apart.
// Summation-to-delta (appendix A) holds layer by layer, max pools excepted: every other step
// keeps Σ Δ·m unchanged.
#include "attribution/engine.h"
#include "attribution/profile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <string>

#include "core/error.h"
#include "core/parallel.h"
#include "core/text.h"
#include "model/layers.h"
#include "model/nonlinearity.h"

namespace lb::attr {

namespace {

using model::Layer;
using model::AttrRole;
using model::Shape;
using Index = Eigen::Index;

constexpr int kChunk = 16;  // samples per parallel work item (fixed: results must not depend on threads)
// Relative size below which a RevealCancel part Δx± computed as ½(Δy ± |W||Δx|) is rounding
// noise: about 80 float32 epsilons, the error of a sum of a few hundred terms (rc_split).
constexpr float kSplitTolerance = 1e-5f;

bool is_linear(const Layer& l) { return l.attr_role() == AttrRole::Linear; }
bool is_transparent(const Layer& l) { return l.attr_role() == AttrRole::Transparent; }
bool is_diagonal(const Layer& l) { return l.attr_role() == AttrRole::Diagonal; }
// Layers that carry Δ± up and m± down between a linear layer and its nonlinearity.
bool carries_parts(const Layer& l) { return is_transparent(l) || is_diagonal(l); }

// A pair (p, n) through a diagonal layer of scale a, row c: (a p, a n) where a_c >= 0, and
// (a n, a p) where a_c < 0 (a negative scale turns the positive part into the negative one).
// The same map carries Δ± up and multipliers m± down (contribution a·Δ·m is then the same).
void diagonal_pair(const Vec& a, Mat& p, Mat& n) {
  for (Eigen::Index c = 0; c < p.rows(); ++c) {
    const float ac = a(c);
    if (ac < 0.0f) p.row(c).swap(n.row(c));
    p.row(c) *= ac;
    n.row(c) *= ac;
  }
}
const model::Nonlinearity* nonlinearity(const Layer& l) {
  return l.attr_role() == AttrRole::Nonlinearity ? static_cast<const model::Nonlinearity*>(&l) : nullptr;
}

// Activation a of the network (model/network.h): 0 the input, k + 1 the output of layer k.
// The layer that produced it is a - 1; the first input of layer i is first_in(net, i).
int first_in(const model::Network& net, int i) { return net.inputs(i)[0]; }

// The nonlinearity above linear layer i (through linear and transparent layers, each the only
// reader of the one below: a convolution, its batch norm, its nonlinearity), or -1.
int nonlinearity_above(const model::Network& net, int i) {
  int a = i + 1;
  while (net.consumers(a).size() == 1) {
    const int j = net.consumers(a)[0];
    const Layer& l = net.layer(j);
    if (nonlinearity(l)) return j;
    if (!carries_parts(l) && !is_linear(l)) return -1;
    a = j + 1;
  }
  return -1;
}

// The weighted layer (convolution or dense: Layer::weight_kind) below nonlinearity j through linear and transparent
// layers (a batch norm between a convolution and its nonlinearity), or -1 (also below a merge):
// what the layer groups and the genomics preset go by.
int source_of(const model::Network& net, int j) {
  for (int a = first_in(net, j); a > 0; a = first_in(net, a - 1)) {
    const Layer& l = net.layer(a - 1);
    if (l.weight_kind() != model::WeightKind::None) return a - 1;
    if (!is_linear(l) && !carries_parts(l)) return -1;
  }
  return -1;
}
bool is_dense(const Layer& l) { return l.weight_kind() == model::WeightKind::Dense; }

// Transposed conv1d of FACTORED multipliers m[f, p] = s_i[f, p] · g[f, t*nc + i] (block (t, i)):
// what arrives at a conv output when only a ReLU (scale s, shared by all tasks) sits between it
// and a global average pool (whose transpose spreads one value g/S per channel over all
// positions). For the genomics network this product (conv2ᵀ) is ~80% of the backward work.
// Folding g into the weights, per sample i:
//   D = [Wᵀ diag(g_{1,i}); ...; Wᵀ diag(g_{T,i})] (T*KC x F) · s_i (F x Lout)      one GEMM,
// then window l of task t adds D[t*KC : (t+1)*KC, l] to input columns [l*stride, l*stride + K),
// which with channels innermost is ONE contiguous run of K*C floats (the col2im of conv1d.cpp's
// strided window view). Same MACs as T per-tap passes, but one tall GEMM per sample that reads
// s_i once for all tasks instead of T*K small ones.
void conv1d_transpose_factored(const model::Conv1d& l, const Mat& w, const Shape& in, const Shape& out, int nc,
                               Index T, const Mat& s, const Mat& g, Mat& dst) {
  const Index C = in.c, KC = Index{l.kernel()} * C, F = w.rows(), Lin = in.w, Lout = out.w,
              step = Index{l.stride()} * C;
  dst.resize(C, T * nc * Lin);  // every value written below: no zeroing pass
  const Mat wt = w.transpose();  // (KC x F)
  Mat wg(T * KC, F), d;
  using VecMap = Eigen::Map<Vec>;
  for (int i = 0; i < nc; ++i) {
    for (Index t = 0; t < T; ++t) wg.middleRows(t * KC, KC).noalias() = wt * g.col(t * nc + i).asDiagonal();
    d.noalias() = wg * s.middleCols(Index{i} * Lout, Lout);  // (T*KC x Lout)
    for (Index t = 0; t < T; ++t) {
      float* db = dst.data() + (t * nc + i) * Lin * C;
      // Windows in order: the part a window shares with earlier ones is added to, the part it is
      // first to reach is set to 0 + value (as the sum from zero gives, -0 included), positions
      // no window reaches are 0. `hi`: the end of what earlier windows reached.
      Index hi = 0;
      for (Index p = 0; p < Lout; ++p) {
        const Index a = p * step, b = a + KC;
        const float* src = d.data() + p * T * KC + t * KC;
        if (a > hi) VecMap(db + hi, a - hi).setZero(), hi = a;
        VecMap(db + a, hi - a) += Eigen::Map<const Vec>(src, hi - a);
        VecMap(db + hi, b - hi) = Eigen::Map<const Vec>(src + (hi - a), b - hi).array() + 0.0f;
        hi = b;
      }
      VecMap(db + hi, Lin * C - hi).setZero();
    }
  }
  (void)F;
}

// out = ½U + ½V·sign(Δ): the appendix-B selection (see backward_chunk), Δ (C x nc*S) broadcast
// over the task blocks of U and V (C x T*nc*S). Result in u.
void select_by_sign(Mat& u, const Mat& v, const Mat& dx) {
  const Index wdt = dx.cols(), R = dx.rows(), T = u.cols() / std::max<Index>(wdt, 1);
  for (Index t = 0; t < T; ++t)
    for (Index col = 0; col < wdt; ++col)
      for (Index r = 0; r < R; ++r) {
        const float sg = dx(r, col) > 0.0f ? 1.0f : dx(r, col) < 0.0f ? -1.0f : 0.0f;
        float& uv = u(r, t * wdt + col);
        uv = 0.5f * uv + 0.5f * sg * v(r, t * wdt + col);
      }
}

// ---- The plan of one call: a rule per nonlinearity.
struct Plan {
  std::vector<Rule> rule;  // per layer; read at nonlinearities
};

Plan make_plan(const model::Network& net, const RuleAssignment& rules, bool deeplift) {
  Plan p;
  const int L = net.n_layers();
  LB_CHECK(static_cast<int>(rules.by_layer.size()) == L, "rule assignment has {} entries, network has {} layers",
           rules.by_layer.size(), L);
  p.rule = rules.by_layer;
  for (int j = 0; j < L; ++j) {
    if (!nonlinearity(net.layer(j))) continue;
    const Rule r = p.rule[static_cast<std::size_t>(j)];
    LB_CHECK(deeplift || r == Rule::Gradient || r == Rule::GuidedBackprop,
             "rule of '{}' needs a reference", net.layer(j).name());
  }
  return p;
}

// ---- One chunk of nc samples: forward passes and the nonlinearities' multiplier scales.
struct Chunk {
  int nc = 0;
  model::Trace tx;            // forward of x
  model::Trace tr_own;        // forward of a per-sample reference (unused when shared)
  const model::Trace* tr = nullptr;  // the reference trace (n = 1 when shared, nc otherwise)
  bool shared = true;
  std::vector<Mat> sp, sn;    // per nonlinearity: scales of m+ and m- (sn only for RevealCancel)
};

// The reference's activation acts[i], broadcast to nc samples when shared.
Mat ref_at(const Chunk& c, int i) {
  const Mat& r = c.tr->acts[static_cast<std::size_t>(i)];
  if (!c.shared) return r;
  Mat out(r.rows(), r.cols() * c.nc);
  for (int b = 0; b < c.nc; ++b) out.middleCols(b * r.cols(), r.cols()) = r;
  return out;
}
// Δ at acts[i]: value(x) - value(r).
Mat delta_at(const Chunk& c, int i) { return c.tx.acts[static_cast<std::size_t>(i)] - ref_at(c, i); }

// Δx+ and Δx- of activation a (the input of a RevealCancel nonlinearity), by the layer that
// produced it. A linear layer s: for y = W x + b0,
//   Δy+ = Σ_i max(w_i Δx_i, 0) = ½(W Δx + |W| |Δx|),   Δy- = Σ_i min(w_i Δx_i, 0) = ½(W Δx - |W| |Δx|)
// (docs/attribution.md's Σ 1{w_iΔx_i > 0} w_iΔx_i, i.e. W+ΔX+ + W-ΔX- and W+ΔX- + W-ΔX+ of the brief), so
// one extra product |W| |Δx| per RC layer, with W Δx = Δy taken from the two traces. A
// transparent or diagonal layer (linear, non-negative or per-channel, bias-free) carries the
// parts of its input up; a merge sums or stacks the parts of its inputs. Anything else (the
// network input, a nonlinearity, a max pool): the identity split Δ± = max(Δ, 0), min(Δ, 0).
// `memo` keeps the parts of every activation below a merge once computed, so that a graph whose
// paths rejoin (several skips over one block) is walked once per activation, not once per path.
using PartsMemo = std::map<int, std::pair<Mat, Mat>>;
void parts_at(const model::Network& net, const Chunk& c, int a, Mat& dp, Mat& dn, PartsMemo& memo) {
  const Layer* l = a > 0 ? &net.layer(a - 1) : nullptr;
  const int s = a - 1;
  if (l && carries_parts(*l)) {
    parts_at(net, c, first_in(net, s), dp, dn, memo);
    if (is_diagonal(*l)) {
      diagonal_pair(l->channel_scale(), dp, dn);
      return;
    }
    Mat tmp, aux;
    l->forward(dp, net.shape(s), c.nc, tmp, aux, {});
    dp.swap(tmp);
    l->forward(dn, net.shape(s), c.nc, tmp, aux, {});
    dn.swap(tmp);
    return;
  }
  if (l && l->attr_role() == AttrRole::Merge) {
    const auto& in = net.inputs(s);
    std::vector<Mat> ps(in.size()), ns(in.size());
    std::vector<const Mat*> pp, np;
    for (std::size_t k = 0; k < in.size(); ++k) {
      if (const auto it = memo.find(in[k]); it != memo.end()) {
        ps[k] = it->second.first, ns[k] = it->second.second;
      } else {
        parts_at(net, c, in[k], ps[k], ns[k], memo);
        memo.emplace(in[k], std::pair{ps[k], ns[k]});
      }
      pp.push_back(&ps[k]), np.push_back(&ns[k]);
    }
    const auto& merge = static_cast<const model::Merge&>(*l);
    merge.merge_forward(pp, net.input_shapes(s), c.nc, dp);
    merge.merge_forward(np, net.input_shapes(s), c.nc, dn);
    return;
  }
  const Mat d = delta_at(c, a);
  if (l && is_linear(*l)) {
    const Mat ad = delta_at(c, first_in(net, s)).cwiseAbs();
    Mat p;
    net.layer(s).abs_forward(ad, net.shape(s), c.nc, p);
    dp = 0.5f * (d + p);
    dn = 0.5f * (d - p);
    // ½(d ± p) cancels when the true part is 0 (all w_iΔx_i of one sign): d and p then agree only
    // to rounding, and the leftover noise (either sign, relative to the magnitudes of p and of the
    // two pre-activations d came from) would pass the absolute near_zero guard and turn
    // Δy∓/Δx∓ into a ratio of rounding errors. So a part within kSplitTolerance of those
    // magnitudes is exactly 0 (the empty-part limit then applies), and the signs are clamped.
    const Mat& yx = c.tx.acts[static_cast<std::size_t>(a)];
    const Mat yr = ref_at(c, a);
    for (Index e = 0; e < dp.size(); ++e) {
      const float tol = kSplitTolerance * (p.data()[e] + std::abs(yx.data()[e]) + std::abs(yr.data()[e]));
      if (dp.data()[e] <= tol) dp.data()[e] = 0.0f;
      if (dn.data()[e] >= -tol) dn.data()[e] = 0.0f;
    }
    return;
  }
  dp = d.cwiseMax(0.0f);
  dn = d.cwiseMin(0.0f);
}

// Multiplier scales of nonlinearity j (docs/attribution.md states every rule with its limits;
// model/nonlinearity.h computes them from f and its one-sided derivatives):
//   Gradient / GuidedBackprop: f'(x)       (guided also clamps m_out at 0 in the backward pass)
//   Rescale:      Δy/Δx; when |Δx| < near_zero the derivative at the REFERENCE input, f'(x0)
//                 (deeplift's choice, and the limit of Δy/Δx as x -> x0)
//   RevealCancel: Δy+/Δx+ and Δy-/Δx- with (x0 the reference pre-activation, x = x0 + Δx)
//     Δy+ = ½[f(x0+Δx+) - f(x0)] + ½[f(x) - f(x0+Δx-)],  Δy- = ½[f(x0+Δx-) - f(x0)] + ½[f(x) - f(x0+Δx+)]
//     (appendix C §3.4: Shapley values of the two "players" Δx+ and Δx-; Δy+ + Δy- = Δy exactly,
//     which is what summation-to-delta needs). An empty part (|Δx±| < near_zero) takes the limit
//     of its own ratio as it goes to 0 from its own side:
//       m+ = ½[f'+(x0) + f'+(x)]  as Δx+ -> 0+,    m- = ½[f'-(x0) + f'-(x)]  as Δx- -> 0-
//     (both empty: x = x0, m+ = f'+(x0), m- = f'-(x0)).
void nonlinearity_scales(const model::Network& net, const Plan& plan, Chunk& c, int j, float near_zero) {
  const auto uj = static_cast<std::size_t>(j);
  const auto& fn = static_cast<const model::Nonlinearity&>(net.layer(j));
  const int a = first_in(net, j);
  const Mat& x = c.tx.acts[static_cast<std::size_t>(a)];
  const Rule rule = plan.rule[uj];
  Mat& sp = c.sp[uj];
  sp.resize(x.rows(), x.cols());
  if (rule == Rule::Gradient || rule == Rule::GuidedBackprop) {
    fn.gradient_scale(x.data(), sp.data(), x.size());
    return;
  }
  if (rule == Rule::Rescale) {
    if (c.shared) {  // sample by sample against the one reference: no broadcast copy
      const Mat& r = c.tr->acts[static_cast<std::size_t>(a)];
      for (int b = 0; b < c.nc; ++b)
        fn.rescale_scale(x.data() + b * r.size(), r.data(), sp.data() + b * r.size(), r.size(), near_zero);
    } else {
      fn.rescale_scale(x.data(), c.tr->acts[static_cast<std::size_t>(a)].data(), sp.data(), x.size(), near_zero);
    }
    return;
  }
  const Mat x0 = ref_at(c, a);
  Mat dp, dn;
  PartsMemo memo;
  parts_at(net, c, a, dp, dn, memo);
  Mat& sn = c.sn[uj];
  sn.resize(x.rows(), x.cols());
  fn.revealcancel_scale(x.data(), x0.data(), dp.data(), dn.data(), sp.data(), sn.data(), x.size(), near_zero);
}

// m (C x T*nc*S) *= s (C x nc*S) broadcast over the T task blocks.
void scale_tasks(Mat& m, const Mat& s) {
  const Index w = s.cols(), T = m.cols() / std::max<Index>(w, 1);
  for (Index t = 0; t < T; ++t) m.middleCols(t * w, w).array() *= s.array();
}

// The appendix-B selection with identity weights: m+ where Δ > 0, m- where Δ < 0, ½(m+ + m-)
// at Δ = 0; Δ (C x nc*S) broadcast over tasks. Result in p.
void collapse(Mat& p, const Mat& n, const Mat& d) {
  const Index w = d.cols(), T = p.cols() / std::max<Index>(w, 1), R = d.rows();
  for (Index t = 0; t < T; ++t)
    for (Index col = 0; col < w; ++col)
      for (Index r = 0; r < R; ++r) {
        const float dv = d(r, col);
        float& pv = p(r, t * w + col);
        const float nv = n(r, t * w + col);
        pv = dv > 0.0f ? pv : dv < 0.0f ? nv : 0.5f * (pv + nv);
      }
}

// A Conv1d without padding or dilation (the factored product below needs contiguous windows).
const model::Conv1d* plain_conv1d(const Layer& l) {
  const auto* c = dynamic_cast<const model::Conv1d*>(&l);
  return c && c->plain() ? c : nullptr;
}

// The multipliers arriving at one activation: m+ and m- (same: m+ == m-, only p is valid),
// summed over the layers that read it. Each layer's contribution Σ Δ± m± adds, so a sum of
// pairs is the pair of sums; a single m is the pair (m, m).
struct Flow {
  Mat p, n;
  bool same = true, set = false;
};

bool is_zero(const Mat& m) { return (m.array() == 0.0f).all(); }

void deposit(Flow& f, Mat& p, Mat* n) {
  if (!f.set) {
    f.p.swap(p);
    f.same = n == nullptr;
    if (n) f.n.swap(*n);
    f.set = true;
    return;
  }
  if (!n && f.same) {
    f.p += p;
    return;
  }
  if (f.same) f.n = f.p, f.same = false;
  f.p += p;
  f.n += n ? *n : p;
}

// The factored fast path applies at global average pool i when it reads a nonlinearity over a
// plain Conv1d, each the only reader of the activation below it: returns the nonlinearity's
// index (the convolution is the layer below it), or -1.
int factored_pattern(const model::Network& net, int i) {
  if (!dynamic_cast<const model::GlobalAvgPool*>(&net.layer(i))) return -1;
  const int a = first_in(net, i);
  if (a == 0 || net.consumers(a).size() != 1 || !nonlinearity(net.layer(a - 1))) return -1;
  const int j = a - 1, a2 = first_in(net, j);
  if (a2 == 0 || net.consumers(a2).size() != 1 || !plain_conv1d(net.layer(a2 - 1))) return -1;
  return j;
}

// Backward of one chunk: multipliers of the input (C0 x T*nc*S0), task-major. Layers run in
// reverse order (a topological order of the graph); each is handled by its role (model/layer.h),
// never by its type; the one exception is an optional fast path (a global average pool over a
// nonlinearity over a plain Conv1d).
// `top` (n_outputs x T*nc): the targets' seeds (Targets::seeds).
Mat backward_chunk(const model::Network& net, const Plan& plan, const Chunk& c, Mat top) {
  const int nc = c.nc, L = net.n_layers();
  const Index T = top.cols() / nc;
  std::vector<Flow> flow(static_cast<std::size_t>(L) + 1);
  deposit(flow.back(), top, nullptr);
  Mat tmp, v;
  for (int i = L - 1; i >= 0; --i) {
    const auto ui = static_cast<std::size_t>(i);
    Flow& f = flow[ui + 1];
    if (!f.set) continue;  // nothing reached it (also the layers the fast path below consumed)
    const Layer& l = net.layer(i);
    const int a = first_in(net, i);
    Flow& below = flow[static_cast<std::size_t>(a)];
    const Shape in = net.shape(i), out = net.act_shape(i + 1);
    const Index blocks = T * nc;
    Mat& mp = f.p;
    Mat& mn = f.n;
    if (const int j = f.same ? factored_pattern(net, i) : -1; j >= 0) {
      // Factored form (see conv1d_transpose_factored): the pool spreads g = m/S over every
      // position, the nonlinearity scales it by s+ (and s-), shared by all tasks.
      const int k = first_in(net, j) - 1;
      const auto& conv = static_cast<const model::Conv1d&>(net.layer(k));
      const auto uj = static_cast<std::size_t>(j);
      Mat g = mp * (1.0f / static_cast<float>(in.spatial()));  // GlobalAvgPool::transpose's product
      const Rule rule = plan.rule[uj];
      if (rule == Rule::GuidedBackprop) g = g.cwiseMax(0.0f);  // max(m_out, 0): m_out is g broadcast
      const Shape cin = net.shape(k), cout = net.act_shape(k + 1);
      if (rule != Rule::RevealCancel) {
        conv1d_transpose_factored(conv, conv.weight(), cin, cout, nc, T, c.sp[uj], g, tmp);  // Wᵀ m
      } else {  // U = Wᵀ((s+ + s-) g), V = |W|ᵀ((s+ - s-) g); see the linear case below
        conv1d_transpose_factored(conv, conv.weight(), cin, cout, nc, T, c.sp[uj] + c.sn[uj], g, tmp);
        conv1d_transpose_factored(conv, conv.weight().cwiseAbs(), cin, cout, nc, T, c.sp[uj] - c.sn[uj], g, v);
        select_by_sign(tmp, v, delta_at(c, first_in(net, k)));
      }
      // The nonlinearity and the convolution read nothing else's output and are read only here,
      // so their flows stay unset and the loop passes over them.
      deposit(flow[static_cast<std::size_t>(first_in(net, k))], tmp, nullptr);
      f = Flow{};
      continue;
    }
    switch (l.attr_role()) {
      case AttrRole::Linear: {
        if (f.same) {
          l.transpose(mp, in, blocks, tmp, false);  // the fast path: Wᵀ m
        } else {
          // Appendix B with A = W+ᵀm+ + W-ᵀm-, B = W-ᵀm+ + W+ᵀm- written as two products:
          // U = Wᵀ(m+ + m-), V = |W|ᵀ(m+ - m-); A = ½(U + V), B = ½(U - V), ½(A + B) = ½U.
          // So m_in = ½U + ½V·sign(Δx_in): sign +1 takes A, -1 takes B, 0 the half rule.
          Mat sum = mp + mn, diff = mp - mn;
          l.transpose(sum, in, blocks, tmp, false);
          l.transpose(diff, in, blocks, v, true);
          select_by_sign(tmp, v, delta_at(c, a));
        }
        deposit(below, tmp, nullptr);
        break;
      }
      case AttrRole::Diagonal:
        if (f.same) {
          l.transpose(mp, in, blocks, tmp, false);  // a·m
          deposit(below, tmp, nullptr);
        } else {
          diagonal_pair(l.channel_scale(), mp, mn);
          deposit(below, mp, &mn);
        }
        break;
      case AttrRole::Transparent:
        l.transpose(mp, in, blocks, tmp, false);
        if (f.same) {
          deposit(below, tmp, nullptr);
        } else {
          l.transpose(mn, in, blocks, v, false);
          deposit(below, tmp, &v);
        }
        break;
      case AttrRole::Merge: {
        // Every input receives its part of m+ (and m-): a copy for Add, its rows for Concat.
        const auto& merge = static_cast<const model::Merge&>(l);
        const auto& ins = net.inputs(i);
        std::vector<Mat> ps(ins.size()), ns(f.same ? 0 : ins.size());
        std::vector<Mat*> pp, np;
        for (std::size_t k = 0; k < ins.size(); ++k) {
          pp.push_back(&ps[k]);
          if (!f.same) np.push_back(&ns[k]);
        }
        merge.merge_backward(mp, net.input_shapes(i), blocks, pp);
        if (!f.same) merge.merge_backward(mn, net.input_shapes(i), blocks, np);
        // A head whose outputs are no task receives only zeros from a concat: nothing to carry
        // down that branch, which is then skipped (BPNet's profile head when the counts are
        // attributed).
        for (std::size_t k = 0; k < ins.size(); ++k)
          if (!is_zero(ps[k]) || (!f.same && !is_zero(ns[k])))
            deposit(flow[static_cast<std::size_t>(ins[k])], ps[k], f.same ? nullptr : &ns[k]);
        break;
      }
      case AttrRole::Nonlinearity: {
        if (!f.same) {  // a pair formed at this output by the identity split (no linear layer between)
          collapse(mp, mn, delta_at(c, i + 1));
          f.same = true;
        }
        const Rule rule = plan.rule[ui];
        if (rule == Rule::GuidedBackprop) mp = mp.cwiseMax(0.0f);  // pass only positive multipliers...
        if (rule == Rule::RevealCancel) {
          mn = mp;
          scale_tasks(mn, c.sn[ui]);
        }
        scale_tasks(mp, c.sp[ui]);  // ... times f'(x) (guided, gradient); or Δy/Δx
        deposit(below, mp, rule == Rule::RevealCancel ? &mn : nullptr);
        break;
      }
      case AttrRole::Gradient: {
        // A pair formed at this layer's output by the identity split is collapsed there; then the
        // layer's own gradient at the actual input, per task (a max pool routes each output's
        // multiplier to the argmax of the input's window).
        if (!f.same) {
          collapse(mp, mn, delta_at(c, i + 1));
          f.same = true;
        }
        const Index Sin = in.spatial(), Sout = out.spatial();
        const auto ua = static_cast<std::size_t>(a);
        tmp.resize(in.c, blocks * Sin);
        Mat part;
        for (Index t = 0; t < T; ++t) {
          l.backward(c.tx.acts[ua], c.tx.acts[ui + 1], c.tx.aux[ui], mp.middleCols(t * nc * Sout, nc * Sout), in, nc,
                     &part, {});
          tmp.middleCols(t * nc * Sin, nc * Sin) = part;
        }
        deposit(below, tmp, nullptr);
        break;
      }
    }
    f = Flow{};  // used up
  }
  Flow& f0 = flow[0];
  if (!f0.set) return Mat::Zero(net.input_shape().c, T * nc * net.input_shape().spatial());  // every path carried zeros
  if (!f0.same) collapse(f0.p, f0.n, delta_at(c, 0));
  return std::move(f0.p);
}

// Runs f(chunk index, first sample, count) over fixed chunks in parallel.
template <class F>
void for_chunks(int n, F&& f) {
  const int nchunks = (n + kChunk - 1) / kChunk;
  parallel_for(nchunks, [&](int ci) {
    const int i0 = ci * kChunk;
    f(i0, std::min(kChunk, n - i0));
  });
}

// Writes a chunk's task-major result (C x T*nc*S) into out (C x T*n*S).
void place(Mat& out, const Mat& res, int n, int i0, int nc, Index T, Index S) {
  for (Index t = 0; t < T; ++t)
    out.middleCols((t * n + i0) * S, nc * S) = res.middleCols(t * nc * S, nc * S);
}

void check_inputs(const model::Network& net, const Mat& x, int n, const Targets& targets) {
  const Shape s0 = net.input_shape();
  LB_CHECK(n > 0, "attribution of {} samples", n);
  LB_CHECK(x.rows() == s0.c && x.cols() == Index{n} * s0.spatial(), "input is {}x{}, expected {}x{} ({} samples of {})",
           x.rows(), x.cols(), s0.c, Index{n} * s0.spatial(), n, s0.str());
  LB_CHECK(!targets.empty(), "attribution needs at least one target");
  for (const Target& t : targets.list()) {
    for (const auto& [u, w] : t.terms) LB_CHECK(u >= 0 && u < net.n_outputs(), "target {}: unit {} outside [0, {})", t.name, u, net.n_outputs());
    LB_CHECK(t.begin >= 0 && t.begin + t.size <= net.n_outputs(), "target {}: logits [{}, {}) of {}", t.name, t.begin,
             t.begin + t.size, net.n_outputs());
  }
  LB_CHECK(!targets.needs_binding() || targets.bound_samples() == n, "targets bound for {} samples, attributing {}",
           targets.bound_samples(), n);
}

void check_reference(const model::Network& net, const Reference& r, int n) {
  const Shape s0 = net.input_shape();
  const Index cols = r.shared ? s0.spatial() : Index{n} * s0.spatial();
  LB_CHECK(r.values.rows() == s0.c && r.values.cols() == cols, "reference is {}x{}, expected {}x{} ({})",
           r.values.rows(), r.values.cols(), s0.c, cols, r.shared ? "shared" : "one per sample");
}

// Reference columns of samples [i0, i0 + nc) (per-sample references only).
Mat ref_cols(const Reference& r, int i0, int nc, Index S) { return r.values.middleCols(i0 * S, nc * S); }

void write_delta_logits(Mat* dl, const Mat& lx, const Mat& lr, bool shared, const Targets& targets, int i0, int nc) {
  dl->middleCols(i0, nc) = targets.deltas(lx, lr, shared, i0);
}

}  // namespace

// ---- Rules

RuleAssignment uniform_rules(const model::Network& net, Rule rule) {
  return RuleAssignment{std::vector<Rule>(static_cast<std::size_t>(net.n_layers()), rule)};
}

RuleAssignment parse_rules(const model::Network& net, std::string_view spec) {
  const std::string quoted = "attribution: bad rule spec '" + std::string(spec) + "'; expected ";
  const std::string_view s = trim(spec);
  if (s == "rescale") return uniform_rules(net, Rule::Rescale);
  if (s == "revealcancel") return uniform_rules(net, Rule::RevealCancel);
  RuleAssignment out = uniform_rules(net, Rule::Rescale);
  if (s == "genomics") {
    // The paper's "fc-RC-conv-RS": RevealCancel on nonlinearities fed by a dense layer, Rescale
    // otherwise.
    for (int j = 0; j < net.n_layers(); ++j) {
      if (!nonlinearity(net.layer(j))) continue;
      const int f = source_of(net, j);
      if (f >= 0 && is_dense(net.layer(f))) out.by_layer[static_cast<std::size_t>(j)] = Rule::RevealCancel;
    }
    return out;
  }
  // Names a nonlinearity can be given by: its own name or its source's (the convolution or dense
  // layer below it, through linear and transparent layers).
  std::string names;
  for (int j = 0; j < net.n_layers(); ++j) {
    if (!nonlinearity(net.layer(j))) continue;
    const int f = source_of(net, j);
    names += names.empty() ? "" : ", ";
    names += f >= 0 ? net.layer(f).name() + "|" + net.layer(j).name() : net.layer(j).name();
  }
  if (s.empty())
    throw ConfigError(quoted + "rescale, revealcancel, genomics or layer=rule items, got an empty spec");
  // Layer groups: the nonlinearities whose source is the network's first convolution, any later
  // convolution, either, or a dense layer. A group may match no nonlinearity.
  int first_conv = -1;
  for (int i = 0; i < net.n_layers() && first_conv < 0; ++i)
    if (net.layer(i).weight_kind() == model::WeightKind::Conv) first_conv = i;
  const auto in_group = [&](std::string_view group, int relu) {
    const int f = source_of(net, relu);
    if (f < 0) return false;
    const bool conv = !is_dense(net.layer(f));
    if (group == "[dense]") return !conv;
    if (group == "[conv]") return conv;
    if (group == "[first_conv]") return conv && f == first_conv;
    return conv && f != first_conv;  // [later_conv]
  };
  std::vector<bool> seen(static_cast<std::size_t>(net.n_layers()), false);
  const auto assign = [&](int relu, Rule rule, std::string_view key) {
    if (seen[static_cast<std::size_t>(relu)])
      throw ConfigError(quoted + "each nonlinearity once, got '" + std::string(key) + "' (" + net.layer(relu).name() +
                        ") twice");
    seen[static_cast<std::size_t>(relu)] = true;
    out.by_layer[static_cast<std::size_t>(relu)] = rule;
  };
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const std::size_t end = std::min(s.find_first_of(",;", pos), s.size());
    const std::string_view item = trim(s.substr(pos, end - pos));
    pos = end + 1;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      throw ConfigError(quoted + "rescale, revealcancel, genomics or layer=rule items, got '" + std::string(item) +
                        "'");
    const std::string_view layer = trim(item.substr(0, eq)), rule_name = trim(item.substr(eq + 1));
    Rule rule;
    if (rule_name == "rescale" || rule_name == "rs")
      rule = Rule::Rescale;
    else if (rule_name == "revealcancel" || rule_name == "rc")
      rule = Rule::RevealCancel;
    else
      throw ConfigError(quoted + "a rule rescale|rs|revealcancel|rc, got '" + std::string(rule_name) + "'");
    if (layer.starts_with('[')) {
      if (layer != "[first_conv]" && layer != "[later_conv]" && layer != "[conv]" && layer != "[dense]")
        throw ConfigError(quoted + "a layer group [first_conv], [later_conv], [conv] or [dense], got '" +
                          std::string(layer) + "'");
      for (int j = 0; j < net.n_layers(); ++j)
        if (nonlinearity(net.layer(j)) && in_group(layer, j)) assign(j, rule, layer);
      continue;
    }
    int relu = -1;
    for (int i = 0; i < net.n_layers() && relu < 0; ++i) {
      if (net.layer(i).name() != layer) continue;
      if (nonlinearity(net.layer(i)))
        relu = i;
      else if (is_linear(net.layer(i)) || is_diagonal(net.layer(i)))
        relu = nonlinearity_above(net, i);
      if (relu < 0) break;
    }
    if (relu < 0)
      throw ConfigError(quoted + "a nonlinearity or the layer feeding one (" + names + "), got '" + std::string(layer) +
                        "'");
    assign(relu, rule, layer);
  }
  return out;
}

// ---- DeepLIFT

Mat deeplift_multipliers(const model::Network& net, const Mat& x, const Reference& r, int n,
                         const Targets& targets, const RuleAssignment& rules, const DeepliftOptions& opt,
                         Mat* delta_logits) {
  std::vector<Mat> deltas;
  std::vector<Mat> out = deeplift_multipliers(net, x, std::span<const Reference>(&r, 1), n, targets, rules, opt,
                                              delta_logits ? &deltas : nullptr);
  if (delta_logits) *delta_logits = std::move(deltas[0]);
  return std::move(out[0]);
}

std::vector<Mat> deeplift_multipliers(const model::Network& net, const Mat& x, std::span<const Reference> refs, int n,
                                      const Targets& targets, const RuleAssignment& rules,
                                      const DeepliftOptions& opt, std::vector<Mat>* delta_logits) {
  check_inputs(net, x, n, targets);
  LB_CHECK(!refs.empty(), "deeplift_multipliers: no reference");
  for (const Reference& r : refs) check_reference(net, r, n);
  const Plan plan = make_plan(net, rules, true);
  const Shape s0 = net.input_shape();
  const Index S = s0.spatial(), T = targets.size();
  const std::size_t K = refs.size();
  std::vector<model::Trace> shared_traces(K);
  for (std::size_t j = 0; j < K; ++j)
    if (refs[j].shared) {
      StageTimer timer("forward (reference)");
      net.forward(refs[j].values, 1, shared_traces[j]);  // once for all samples
    }
  std::vector<Mat> out(K);
  for (Mat& o : out) o.resize(s0.c, T * n * S);
  if (delta_logits) delta_logits->assign(K, Mat(T, n));
  const auto near_zero = static_cast<float>(opt.near_zero);
  for_chunks(n, [&](int i0, int nc) {
    Chunk c;
    c.nc = nc;
    // The input's forward pass serves every reference: only the reference side, the scales and
    // the backward pass are per reference.
    StageTimer timer("forward (inputs)");
    net.forward(x.middleCols(i0 * S, nc * S), nc, c.tx);
    c.sp.resize(static_cast<std::size_t>(net.n_layers()));
    c.sn.resize(c.sp.size());
    for (std::size_t j = 0; j < K; ++j) {
      const Reference& r = refs[j];
      c.shared = r.shared;
      if (r.shared) {
        c.tr = &shared_traces[j];
      } else {
        timer.next("forward (reference)");
        net.forward(ref_cols(r, i0, nc, S), nc, c.tr_own);
        c.tr = &c.tr_own;
      }
      timer.next("multiplier scales (nonlinearities)");
      for (int l = 0; l < net.n_layers(); ++l)
        if (nonlinearity(net.layer(l))) nonlinearity_scales(net, plan, c, l, near_zero);
      timer.next("backward (all tasks)");
      const Mat m = backward_chunk(net, plan, c, targets.seeds(net.logits(c.tx), &net.logits(*c.tr), r.shared, near_zero, i0));
      timer.next("place chunk results");
      place(out[j], m, n, i0, nc, T, S);
      if (delta_logits)
        write_delta_logits(&(*delta_logits)[j], net.logits(c.tx), net.logits(*c.tr), r.shared, targets, i0, nc);
    }
  });
  return out;
}

// ---- Gradients

namespace {
// Gradient multipliers of one chunk at inputs xc (C0 x nc*S0).
// Samples first..first+nc-1 of the targets' bound weights.
Mat gradient_chunk(const model::Network& net, const Plan& plan, const Mat& xc, int nc, const Targets& targets,
                   int first, Chunk& c) {
  c.nc = nc;
  StageTimer timer("forward (inputs)");
  net.forward(xc, nc, c.tx);
  timer.next("multiplier scales (nonlinearities)");
  c.sp.resize(static_cast<std::size_t>(net.n_layers()));
  c.sn.resize(c.sp.size());
  for (int j = 0; j < net.n_layers(); ++j)
    if (nonlinearity(net.layer(j))) nonlinearity_scales(net, plan, c, j, 0.0f);
  timer.next("backward (all tasks)");
  return backward_chunk(net, plan, c, targets.seeds(net.logits(c.tx), nullptr, false, 0.0f, first));
}
}  // namespace

Mat gradient_multipliers(const model::Network& net, const Mat& x, int n, const Targets& targets, bool guided) {
  check_inputs(net, x, n, targets);
  const Plan plan = make_plan(net, uniform_rules(net, guided ? Rule::GuidedBackprop : Rule::Gradient), false);
  const Index S = net.input_shape().spatial(), T = targets.size();
  Mat out(net.input_shape().c, T * n * S);
  for_chunks(n, [&](int i0, int nc) {
    Chunk c;
    Mat m = gradient_chunk(net, plan, x.middleCols(i0 * S, nc * S), nc, targets, i0, c);
    StageTimer timer("place chunk results");
    place(out, m, n, i0, nc, T, S);
  });
  return out;
}

void ig_nodes(IgRule rule, int steps, std::vector<double>& alphas, std::vector<double>& weights) {
  LB_CHECK(steps >= 1, "integrated gradients with {} steps", steps);
  const auto m = static_cast<std::size_t>(steps);
  alphas.assign(m, 0.0);
  weights.assign(m, 0.0);
  switch (rule) {
    case IgRule::Midpoint:  // α_k = (k + ½)/m, w = 1/m: the paper's rule (docs/attribution.md)
      for (std::size_t k = 0; k < m; ++k) alphas[k] = (static_cast<double>(k) + 0.5) / steps, weights[k] = 1.0 / steps;
      return;
    case IgRule::Trapezoid:  // m nodes on [0, 1] including both ends: α_k = k/(m-1), ends weigh half
      LB_CHECK(steps >= 2, "the trapezoid rule needs at least 2 steps, got {}", steps);
      for (std::size_t k = 0; k < m; ++k) {
        alphas[k] = static_cast<double>(k) / (steps - 1);
        weights[k] = (k == 0 || k + 1 == m ? 0.5 : 1.0) / (steps - 1);
      }
      return;
    case IgRule::GaussLegendre: {
      // Roots of P_m by Newton's method from Tricomi's guess cos(π(k + ¾)/(m + ½)); P_m and P_m'
      // by the three-term recurrence (j+1)P_{j+1} = (2j+1) z P_j - j P_{j-1}; weight
      // 2/((1 - z²) P_m'(z)²); mapped from [-1, 1] to [0, 1] (α = (1 + z)/2, w/2), ascending.
      for (std::size_t k = 0; k < m; ++k) {
        // P_m(z) and P_m'(z) = m (z P_m - P_{m-1}) / (z² - 1).
        auto legendre = [steps](double z, double& pm, double& dpm) {
          double p0 = 1.0, p1 = z;
          for (int j = 1; j < steps; ++j) {
            const double p2 = ((2.0 * j + 1.0) * z * p1 - j * p0) / (j + 1.0);
            p0 = p1, p1 = p2;
          }
          pm = p1;
          dpm = steps * (z * p1 - p0) / (z * z - 1.0);
        };
        double z = std::cos(std::numbers::pi * (static_cast<double>(k) + 0.75) / (steps + 0.5)), pm = 0, dp = 0;
        for (int it = 0; it < 100; ++it) {
          legendre(z, pm, dp);
          const double dz = pm / dp;
          z -= dz;
          if (std::abs(dz) < 1e-16) break;
        }
        legendre(z, pm, dp);  // the weight needs P_m' at the converged root
        alphas[m - 1 - k] = 0.5 * (1.0 + z);
        weights[m - 1 - k] = 1.0 / ((1.0 - z * z) * dp * dp);  // ½ · 2/((1 - z²)P'²)
      }
      return;
    }
  }
}

Mat integrated_gradients(const model::Network& net, const Mat& x, const Reference& r, int n,
                         const Targets& targets, int steps, IgRule rule, Mat* delta_logits) {
  check_inputs(net, x, n, targets);
  check_reference(net, r, n);
  std::vector<double> alphas, weights;
  ig_nodes(rule, steps, alphas, weights);
  const Plan plan = make_plan(net, uniform_rules(net, Rule::Gradient), false);
  const Shape s0 = net.input_shape();
  const Index S = s0.spatial(), T = targets.size();
  Mat out(s0.c, T * n * S);
  if (delta_logits) delta_logits->resize(T, n);
  model::Trace shared_trace;
  if (r.shared && delta_logits) {
    StageTimer timer("forward (reference)");
    net.forward(r.values, 1, shared_trace);
  }
  for_chunks(n, [&](int i0, int nc) {
    StageTimer timer("path points");
    const auto xc = x.middleCols(i0 * S, nc * S);
    Mat rc(s0.c, nc * S);
    if (r.shared)
      for (int b = 0; b < nc; ++b) rc.middleCols(b * S, S) = r.values;
    else
      rc = ref_cols(r, i0, nc, S);
    const Mat dxr = xc - rc;
    Mat acc = Mat::Zero(s0.c, T * nc * S), xa;
    Chunk c;
    // Σ_k w_k ∇f(r + α_k (x - r)): the path integral of the gradient by quadrature, accumulated
    // in node order (fixed, so deterministic).
    for (std::size_t k = 0; k < alphas.size(); ++k) {
      timer.next("path points");
      xa = rc + static_cast<float>(alphas[k]) * dxr;
      timer.stop();
      const Mat g = gradient_chunk(net, plan, xa, nc, targets, i0, c);
      timer.next("quadrature sum");
      acc += static_cast<float>(weights[k]) * g;
    }
    timer.next("place chunk results");
    place(out, acc, n, i0, nc, T, S);
    if (delta_logits) {
      model::Trace tx, tr;
      timer.next("forward (inputs)");
      net.forward(xc, nc, tx);
      timer.next("forward (reference)");
      if (!r.shared) net.forward(rc, nc, tr);
      write_delta_logits(delta_logits, net.logits(tx), net.logits(r.shared ? shared_trace : tr), r.shared, targets, i0,
                         nc);
    }
  });
  return out;
}

// ---- The same on output units (HEAD[i] targets)

Mat deeplift_multipliers(const model::Network& net, const Mat& x, const Reference& r, int n, std::span<const int> tasks,
                         const RuleAssignment& rules, const DeepliftOptions& opt, Mat* delta_logits) {
  return deeplift_multipliers(net, x, r, n, Targets::units(net, tasks), rules, opt, delta_logits);
}
std::vector<Mat> deeplift_multipliers(const model::Network& net, const Mat& x, std::span<const Reference> refs, int n,
                                      std::span<const int> tasks, const RuleAssignment& rules,
                                      const DeepliftOptions& opt, std::vector<Mat>* delta_logits) {
  return deeplift_multipliers(net, x, refs, n, Targets::units(net, tasks), rules, opt, delta_logits);
}
Mat gradient_multipliers(const model::Network& net, const Mat& x, int n, std::span<const int> tasks, bool guided) {
  return gradient_multipliers(net, x, n, Targets::units(net, tasks), guided);
}
Mat integrated_gradients(const model::Network& net, const Mat& x, const Reference& r, int n,
                         std::span<const int> tasks, int steps, IgRule rule, Mat* delta_logits) {
  return integrated_gradients(net, x, r, n, Targets::units(net, tasks), steps, rule, delta_logits);
}

// ---- Contributions and the summation-to-delta check

Mat contributions(const Mat& multipliers, const Mat& x, const Reference& r, int n, int n_tasks, int spatial) {
  const Index S = spatial, w = Index{n} * S;
  LB_CHECK(multipliers.rows() == x.rows() && multipliers.cols() == n_tasks * w && x.cols() == w,
           "contributions: multipliers {}x{}, input {}x{}, {} tasks of {} samples x {}", multipliers.rows(),
           multipliers.cols(), x.rows(), x.cols(), n_tasks, n, spatial);
  LB_CHECK(r.values.rows() == x.rows() && r.values.cols() == (r.shared ? S : w), "contributions: reference {}x{}",
           r.values.rows(), r.values.cols());
  Mat d = x;
  if (r.shared)
    for (int b = 0; b < n; ++b) d.middleCols(b * S, S) -= r.values;
  else
    d -= r.values;
  Mat out(multipliers.rows(), multipliers.cols());
  for (Index t = 0; t < n_tasks; ++t)
    out.middleCols(t * w, w) = multipliers.middleCols(t * w, w).cwiseProduct(d);
  return out;
}

Mat summation_error(const Mat& contributions, const Mat& delta_logits, int n, int spatial) {
  const Index T = delta_logits.rows(), S = spatial;
  LB_CHECK(delta_logits.cols() == n && contributions.cols() == T * n * S, "summation_error: {} columns for {}x{}x{}",
           contributions.cols(), T, n, spatial);
  Mat err(T, n);
  for (Index t = 0; t < T; ++t)
    for (int b = 0; b < n; ++b) {
      const auto blk = contributions.middleCols((t * n + b) * S, S);
      double sum = 0;  // in double: the check must not add its own rounding
      for (Index col = 0; col < S; ++col)
        for (Index row = 0; row < blk.rows(); ++row) sum += blk(row, col);
      err(t, b) = static_cast<float>(sum - static_cast<double>(delta_logits(t, b)));
    }
  return err;
}

}  // namespace lb::attr
