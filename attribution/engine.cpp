// The attribution engine: forward passes of the input and the reference through one const
// network, then one backward pass of multipliers for T tasks at once (docs/attribution.md; paper
// appendices A, B, C). Method wrappers (references, averaging, score files) live in methods.cpp.
//
// How a pass is organised. Samples are split into fixed chunks of kChunk; each chunk runs its
// own forward (the shared reference is run once, for one sample, and broadcast) and backward,
// and writes only its own output columns, so results do not depend on the thread count.
//
// What travels down. Above a RevealCancel ReLU the multipliers of its input are a PAIR (m+ for
// the positive part Δx+ of the input difference, m- for Δx-); everywhere else m+ = m- and one
// matrix travels (the "same" fast path: ordinary transposed products, the gradient's cost).
//   - linear layers (Conv1d, Conv2d, Dense) consume a pair and emit one matrix (appendix B);
//   - GlobalAvgPool, Flatten, Dropout (inference) are linear maps with non-negative weights that
//     we treat as TRANSPARENT: forward they carry Δ± of the linear layer below unchanged in kind
//     (docs/attribution.md: "Δx+ and Δx- from the linear layer below"), backward they map m+ and m-
//     separately, so the linear layer below sees the pair that matches the Δ± it produced;
//   - a pair that reaches a ReLU output or the network input without meeting a linear layer is
//     collapsed with the identity split (Δ± = positive / negative part of Δ): m = m+ where Δ > 0,
//     m- where Δ < 0, ½(m+ + m-) where Δ = 0 (appendix B with W = I).
// Summation-to-delta (appendix A) holds layer by layer: every step keeps Σ Δ·m unchanged.
#include "attribution/engine.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "core/error.h"
#include "core/parallel.h"
#include "core/text.h"
#include "model/layers.h"

namespace lb::attr {

namespace {

using model::Layer;
using model::LayerKind;
using model::Shape;
using Index = Eigen::Index;
using StridedMapMut = Eigen::Map<Mat, 0, Eigen::OuterStride<>>;

constexpr int kChunk = 16;
// Relative size below which a RevealCancel part Δx± computed as ½(Δy ± |W||Δx|) is rounding
// noise: about 80 float32 epsilons, the error of a sum of a few hundred terms (rc_split).
constexpr float kSplitTolerance = 1e-5f;  // samples per parallel work item (fixed: results must not depend on threads)

bool is_linear(LayerKind k) { return k == LayerKind::Conv1d || k == LayerKind::Conv2d || k == LayerKind::Dense; }
bool is_transparent(LayerKind k) {
  return k == LayerKind::GlobalAvgPool || k == LayerKind::Flatten || k == LayerKind::Dropout;
}

const Mat& weight_of(const Layer& l) {
  switch (l.kind()) {
    case LayerKind::Conv1d: return static_cast<const model::Conv1d&>(l).weight();
    case LayerKind::Conv2d: return static_cast<const model::Conv2d&>(l).weight();
    default: return static_cast<const model::Dense&>(l).weight();
  }
}

// A copy of linear layer l with weight |W| and zero bias: its forward is |W| x, the term that
// splits Wx into positive and negative parts (see rc_split below).
model::LayerPtr abs_copy(const Layer& l) {
  model::LayerPtr out;
  switch (l.kind()) {
    case LayerKind::Conv1d: {
      const auto& c = static_cast<const model::Conv1d&>(l);
      auto a = std::make_unique<model::Conv1d>(c.name(), c.in_channels(), c.out_channels(), c.kernel(), c.stride());
      a->weight() = c.weight().cwiseAbs();
      out = std::move(a);
      break;
    }
    case LayerKind::Conv2d: {
      const auto& c = static_cast<const model::Conv2d&>(l);
      auto a = std::make_unique<model::Conv2d>(c.name(), c.in_channels(), c.out_channels(), c.kernel_h(),
                                               c.kernel_w(), c.stride_h(), c.stride_w());
      a->weight() = c.weight().cwiseAbs();
      out = std::move(a);
      break;
    }
    default: {
      const auto& d = static_cast<const model::Dense&>(l);
      auto a = std::make_unique<model::Dense>(d.name(), d.in_features(), d.out_features());
      a->weight() = d.weight().cwiseAbs();
      out = std::move(a);
    }
  }
  return out;
}

// The ReLU that linear layer i feeds (through transparent layers only), or -1.
int relu_fed_by(const model::Network& net, int i) {
  int j = i + 1;
  while (j < net.n_layers() && is_transparent(net.layer(j).kind())) ++j;
  return j < net.n_layers() && net.layer(j).kind() == LayerKind::ReLU ? j : -1;
}

// The bottom b of the transparent run below ReLU j (acts[b] is where its Δ± are formed) and the
// linear layer feeding it (b - 1), or -1 when the run starts at the input or at another ReLU.
int run_bottom(const model::Network& net, int j) {
  int b = j;
  while (b > 0 && is_transparent(net.layer(b - 1).kind())) --b;
  return b;
}
int feeder_of(const model::Network& net, int j) {
  const int b = run_bottom(net, j);
  return b > 0 && is_linear(net.layer(b - 1).kind()) ? b - 1 : -1;
}

// ---- Transposed products of linear and transparent layers, for `blocks` column blocks (a block
// is one sample of one task: in.spatial() columns of dst, out.spatial() columns of m).

// dst += col2im of dcols for conv2d (the adjoint of the layer's im2col; windows overlap when
// stride < kernel). dcols rows (ky*KW + kx)*C + c, one column per output position.
void conv2d_col2im_add(const Mat& dcols, const model::Conv2d& l, const Shape& in, const Shape& out, Index count,
                       float* dx) {
  const int C = in.c, W = in.w, KH = l.kernel_h(), KW = l.kernel_w(), SH = l.stride_h(), SW = l.stride_w();
  const Index P = out.spatial(), rows = Index{KH} * KW * C, run = Index{KW} * C;
  for (Index s = 0; s < count; ++s) {
    float* dxs = dx + s * in.spatial() * C;
    for (int oy = 0; oy < out.h; ++oy)
      for (int ox = 0; ox < out.w; ++ox) {
        const float* src = dcols.data() + (s * P + oy * out.w + ox) * rows;
        for (int ky = 0; ky < KH; ++ky) {
          Eigen::Map<Vec> dst(dxs + (Index{oy * SH + ky} * W + ox * SW) * C, run);
          dst += Eigen::Map<const Vec>(src + ky * run, run);
        }
      }
  }
}

// dst = Lᵀ m: the transposed map of layer l (w = its weight, or |W| for the RevealCancel term).
// Conv1d with C >= 16 is the layer's own dx kernel (model/conv1d.cpp): per block, per tap k, one
// (C x F)(F x Lout) GEMM into the strided view of destination columns k, k + stride, ... — no
// scratch, the same arithmetic as Conv1d::backward.
void transpose_apply(const Layer& l, const Mat* w, const Shape& in, const Shape& out, Index blocks, const Mat& m,
                     Mat& dst) {
  const Index Sin = in.spatial(), Sout = out.spatial();
  switch (l.kind()) {
    case LayerKind::Conv1d: {
      const auto& c = static_cast<const model::Conv1d&>(l);
      const int C = in.c, K = c.kernel(), st = c.stride();
      dst.setZero(C, blocks * Sin);
      if (C < 16) {
        // Few input channels (the first layer on DNA: C = 4): per-tap products would be (4 x F)
        // GEMMs, too thin to run fast. Instead one (K*C x F)(F x g*Lout) GEMM per group of blocks
        // into a scratch, then window l of each block adds its K*C-float column to the one
        // contiguous run of input columns [l*stride, l*stride + K) (channels innermost).
        const Index KC = Index{K} * C, step = Index{st} * C;
        const Index g = std::clamp<Index>((Index{1} << 16) / std::max<Index>(KC * Sout, 1), 1, std::max<Index>(blocks, 1));
        const Mat wt = w->transpose();
        Mat d;
        for (Index b0 = 0; b0 < blocks; b0 += g) {
          const Index cnt = std::min(g, blocks - b0);
          d.noalias() = wt * m.middleCols(b0 * Sout, cnt * Sout);
          for (Index b = 0; b < cnt; ++b) {
            float* db = dst.data() + (b0 + b) * Sin * C;
            for (Index p = 0; p < Sout; ++p)
              Eigen::Map<Vec>(db + p * step, KC) += Eigen::Map<const Vec>(d.data() + (b * Sout + p) * KC, KC);
          }
        }
        return;
      }
      for (Index b = 0; b < blocks; ++b) {
        const auto mb = m.middleCols(b * Sout, Sout);  // (F x Lout)
        float* db = dst.data() + b * Sin * C;
        for (int k = 0; k < K; ++k) {
          StridedMapMut d(db + Index{k} * C, C, Sout, Eigen::OuterStride<>(Index{st} * C));
          d.noalias() += w->middleCols(Index{k} * C, C).transpose() * mb;
        }
      }
      return;
    }
    case LayerKind::Conv2d: {
      const auto& c = static_cast<const model::Conv2d&>(l);
      dst.setZero(in.c, blocks * Sin);
      // Groups of blocks so that the (KH*KW*C x g*P) column scratch stays near 1 MB.
      const Index per = std::max<Index>(w->cols() * Sout, 1);
      const Index g = std::clamp<Index>((Index{1} << 18) / per, 1, std::max<Index>(blocks, 1));
      Mat dcols;
      for (Index b0 = 0; b0 < blocks; b0 += g) {
        const Index cnt = std::min(g, blocks - b0);
        dcols.noalias() = w->transpose() * m.middleCols(b0 * Sout, cnt * Sout);
        conv2d_col2im_add(dcols, c, in, out, cnt, dst.data() + b0 * Sin * in.c);
      }
      return;
    }
    case LayerKind::Dense:
      dst.resize(in.c, blocks);
      dst.noalias() = w->transpose() * m;  // (in x out)(out x blocks)
      return;
    case LayerKind::GlobalAvgPool: {
      // y = (1/S) Σ_s x_s, so every position of the block receives m / S (the same float
      // product as GlobalAvgPool::backward).
      const float inv = 1.0f / static_cast<float>(Sin);
      dst.resize(in.c, blocks * Sin);
      Vec share(in.c);
      for (Index b = 0; b < blocks; ++b) {
        share = m.col(b) * inv;
        for (Index s = 0; s < Sin; ++s) dst.col(b * Sin + s) = share;
      }
      return;
    }
    case LayerKind::Flatten: {
      dst.resize(in.c, blocks * Sin);
      for (Index b = 0; b < blocks; ++b)
        dst.middleCols(b * Sin, Sin) = Eigen::Map<const Mat>(m.col(b).data(), Sin, in.c).transpose();
      return;
    }
    case LayerKind::Dropout: dst = m; return;  // identity at inference
    case LayerKind::ReLU: break;
  }
  LB_CHECK(false, "transpose_apply on layer '{}'", l.name());
}

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
  dst.setZero(C, T * nc * Lin);
  const Mat wt = w.transpose();  // (KC x F)
  Mat wg(T * KC, F), d;
  for (int i = 0; i < nc; ++i) {
    for (Index t = 0; t < T; ++t) wg.middleRows(t * KC, KC).noalias() = wt * g.col(t * nc + i).asDiagonal();
    d.noalias() = wg * s.middleCols(Index{i} * Lout, Lout);  // (T*KC x Lout)
    for (Index t = 0; t < T; ++t) {
      float* db = dst.data() + (t * nc + i) * Lin * C;
      for (Index p = 0; p < Lout; ++p)
        Eigen::Map<Vec>(db + p * step, KC) += Eigen::Map<const Vec>(d.data() + p * T * KC + t * KC, KC);
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

// ---- The plan of one call: a rule per ReLU, |W| copies of the linear layers that feed a
// RevealCancel ReLU (they are the only ones to receive distinct m+ and m-).
struct Plan {
  std::vector<Rule> rule;                 // per layer; read at ReLUs
  std::vector<model::LayerPtr> abs_layer;  // per layer: |W| copy (RC feeders only)
  bool deeplift = true;                   // Δ available (a reference was run)
};

Plan make_plan(const model::Network& net, const RuleAssignment& rules, bool deeplift) {
  Plan p;
  const int L = net.n_layers();
  LB_CHECK(static_cast<int>(rules.by_layer.size()) == L, "rule assignment has {} entries, network has {} layers",
           rules.by_layer.size(), L);
  p.rule = rules.by_layer;
  p.abs_layer.resize(static_cast<std::size_t>(L));
  p.deeplift = deeplift;
  for (int j = 0; j < L; ++j) {
    if (net.layer(j).kind() != LayerKind::ReLU) continue;
    const Rule r = p.rule[static_cast<std::size_t>(j)];
    LB_CHECK(deeplift || r == Rule::Gradient || r == Rule::GuidedBackprop,
             "rule of '{}' needs a reference", net.layer(j).name());
    if (r != Rule::RevealCancel) continue;
    const int s = feeder_of(net, j);
    if (s >= 0 && !p.abs_layer[static_cast<std::size_t>(s)]) p.abs_layer[static_cast<std::size_t>(s)] = abs_copy(net.layer(s));
  }
  return p;
}

// ---- One chunk of nc samples: forward passes and the ReLU multiplier scales.
struct Chunk {
  int nc = 0;
  model::Trace tx;            // forward of x
  model::Trace tr_own;        // forward of a per-sample reference (unused when shared)
  const model::Trace* tr = nullptr;  // the reference trace (n = 1 when shared, nc otherwise)
  bool shared = true;
  std::vector<Mat> sp, sn;    // per ReLU layer: scales of m+ and m- (sn only for RevealCancel)
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

// Δx+ and Δx- at the input of RevealCancel ReLU j. With the linear layer s = b - 1 below the
// transparent run [b, j): for y = W x + b0,
//   Δy+ = Σ_i max(w_i Δx_i, 0) = ½(W Δx + |W| |Δx|),   Δy- = Σ_i min(w_i Δx_i, 0) = ½(W Δx - |W| |Δx|)
// (docs/attribution.md's Σ 1{w_iΔx_i > 0} w_iΔx_i, i.e. W+ΔX+ + W-ΔX- and W+ΔX- + W-ΔX+ of the brief), so
// one extra product |W| |Δx| per RC layer, with W Δx = Δy taken from the two traces. Without a
// linear layer below, the identity split Δ± = max(Δ, 0), min(Δ, 0). The transparent layers
// (linear, non-negative, bias-free) then carry Δ+ and Δ- up separately.
void rc_split(const model::Network& net, const Plan& plan, const Chunk& c, int j, Mat& dp, Mat& dn) {
  const int b = run_bottom(net, j);
  const Mat d = delta_at(c, b);
  if (b > 0 && is_linear(net.layer(b - 1).kind())) {
    const int s = b - 1;
    const Mat ad = delta_at(c, s).cwiseAbs();
    Mat p, aux;
    plan.abs_layer[static_cast<std::size_t>(s)]->forward(ad, net.shape(s), c.nc, p, aux, {});
    dp = 0.5f * (d + p);
    dn = 0.5f * (d - p);
    // ½(d ± p) cancels when the true part is 0 (all w_iΔx_i of one sign): d and p then agree only
    // to rounding, and the leftover noise (either sign, relative to the magnitudes of p and of the
    // two pre-activations d came from) would pass the absolute near_zero guard and turn
    // Δy∓/Δx∓ into a ratio of rounding errors. So a part within kSplitTolerance of those
    // magnitudes is exactly 0 (the empty-part limit then applies), and the signs are clamped.
    const Mat& yx = c.tx.acts[static_cast<std::size_t>(b)];
    const Mat yr = ref_at(c, b);
    for (Index e = 0; e < dp.size(); ++e) {
      const float tol = kSplitTolerance * (p.data()[e] + std::abs(yx.data()[e]) + std::abs(yr.data()[e]));
      if (dp.data()[e] <= tol) dp.data()[e] = 0.0f;
      if (dn.data()[e] >= -tol) dn.data()[e] = 0.0f;
    }
  } else {
    dp = d.cwiseMax(0.0f);
    dn = d.cwiseMin(0.0f);
  }
  Mat tmp, aux;
  for (int i = b; i < j; ++i) {
    net.layer(i).forward(dp, net.shape(i), c.nc, tmp, aux, {});
    dp.swap(tmp);
    net.layer(i).forward(dn, net.shape(i), c.nc, tmp, aux, {});
    dn.swap(tmp);
  }
}

// Multiplier scales of ReLU j (docs/attribution.md states every rule with its limits). With
// f(z) = max(z, 0), its derivative f'(z) = 1{z > 0} (0 at the kink, as PyTorch and TensorFlow) and
// its one-sided derivatives f'+(z) = 1{z >= 0}, f'-(z) = 1{z > 0}:
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
void relu_scales(const model::Network& net, const Plan& plan, Chunk& c, int j, float near_zero) {
  const auto uj = static_cast<std::size_t>(j);
  const Mat& x = c.tx.acts[uj];
  const Rule rule = plan.rule[uj];
  Mat& sp = c.sp[uj];
  if (rule == Rule::Gradient || rule == Rule::GuidedBackprop) {
    sp = (x.array() > 0.0f).cast<float>().matrix();
    return;
  }
  const Mat x0 = ref_at(c, j);
  const Index N = x.size();
  sp.resize(x.rows(), x.cols());
  const float* px = x.data();
  const float* p0 = x0.data();
  auto f = [](float z) { return z > 0.0f ? z : 0.0f; };
  // (f(v + h) - f(v))/h for ReLU: exactly 1 or 0 when [v, v + h] lies on one side of the kink
  // (the float difference of two nearby values would leave a relative error of eps/|h|, large
  // for the small parts RevealCancel produces); the fraction of the segment above 0 otherwise.
  auto relu_secant = [&f](float v, float h) {
    const float w = v + h;
    if (v >= 0.0f && w >= 0.0f) return 1.0f;
    if (v <= 0.0f && w <= 0.0f) return 0.0f;
    return (f(w) - f(v)) / h;
  };
  auto d_plus = [](float z) { return z >= 0.0f ? 1.0f : 0.0f; };   // f'+(z)
  auto d_minus = [](float z) { return z > 0.0f ? 1.0f : 0.0f; };   // f'-(z) = f'(z)
  if (rule == Rule::Rescale) {
    float* s = sp.data();
    for (Index e = 0; e < N; ++e) {
      const float dx = px[e] - p0[e], dy = f(px[e]) - f(p0[e]);
      s[e] = std::abs(dx) >= near_zero ? dy / dx : d_minus(p0[e]);
    }
    return;
  }
  Mat dp, dn;
  rc_split(net, plan, c, j, dp, dn);
  Mat& sn = c.sn[uj];
  sn.resize(x.rows(), x.cols());
  float* s1 = sp.data();
  float* s2 = sn.data();
  const float* a = dp.data();
  const float* bneg = dn.data();
  for (Index e = 0; e < N; ++e) {
    // m+ = Δy+/Δx+ = ½ sec(x0, Δx+) + ½ sec(x0 + Δx-, Δx+), and m- likewise, with the secant
    // sec(v, h) = (f(v + h) - f(v))/h taken without cancellation (relu_secant).
    const float z0 = p0[e], z = px[e], up = a[e], down = bneg[e];
    s1[e] = std::abs(up) >= near_zero ? 0.5f * (relu_secant(z0, up) + relu_secant(z0 + down, up))
                                      : 0.5f * (d_plus(z0) + d_plus(z));
    s2[e] = std::abs(down) >= near_zero ? 0.5f * (relu_secant(z0, down) + relu_secant(z0 + up, down))
                                        : 0.5f * (d_minus(z0) + d_minus(z));
  }
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

// Backward of one chunk: multipliers of the input (C0 x T*nc*S0), task-major.
Mat backward_chunk(const model::Network& net, const Plan& plan, const Chunk& c, std::span<const int> tasks) {
  const Index T = static_cast<Index>(tasks.size());
  const int nc = c.nc;
  Mat mp = Mat::Zero(net.n_outputs(), T * nc), mn, tmp;
  for (Index t = 0; t < T; ++t)
    for (int b = 0; b < nc; ++b) mp(tasks[static_cast<std::size_t>(t)], t * nc + b) = 1.0f;
  bool same = true;  // m+ == m- (only mp is valid)
  // Factored form below a global average pool (see conv1d_transpose_factored): m+ = fsp ⊙ g and
  // m- = fsn ⊙ g with g (C x T*nc) constant over positions and the scales shared by all tasks.
  bool factored = false;
  Mat g;
  const Mat* fsp = nullptr;
  const Mat* fsn = nullptr;
  for (int i = net.n_layers() - 1; i >= 0; --i) {
    const Layer& l = net.layer(i);
    const auto ui = static_cast<std::size_t>(i);
    const Shape in = net.shape(i), out = net.shape(i + 1);
    const Index blocks = T * nc;
    const LayerKind k = l.kind();
    if (factored) {
      if (k == LayerKind::ReLU && !fsp) {  // one ReLU between the pool and the conv: keep factoring
        const Rule rule = plan.rule[ui];
        if (rule == Rule::GuidedBackprop) g = g.cwiseMax(0.0f);  // max(m_out, 0): m_out is g broadcast
        fsp = &c.sp[ui];
        if (rule == Rule::RevealCancel) fsn = &c.sn[ui];
        continue;
      }
      if (k == LayerKind::Conv1d && fsp) {
        const auto& conv = static_cast<const model::Conv1d&>(l);
        if (!fsn) {
          conv1d_transpose_factored(conv, weight_of(l), in, out, nc, T, *fsp, g, mp);  // Wᵀ m
        } else {  // U = Wᵀ((s+ + s-) g), V = |W|ᵀ((s+ - s-) g); see the linear case below
          Mat v;
          conv1d_transpose_factored(conv, weight_of(l), in, out, nc, T, *fsp + *fsn, g, mp);
          conv1d_transpose_factored(conv, weight_of(*plan.abs_layer[ui]), in, out, nc, T, *fsp - *fsn, g, v);
          select_by_sign(mp, v, delta_at(c, i));
        }
        factored = false, same = true;
        continue;
      }
      // Anything else: materialise m+ (and m-) at the output of layer i and go on as usual.
      const Index S = out.spatial();
      mp.resize(out.c, blocks * S);
      for (Index b = 0; b < blocks; ++b) mp.middleCols(b * S, S) = g.col(b).replicate(1, S);
      if (fsn) {
        mn = mp;
        scale_tasks(mn, *fsn);
      }
      if (fsp) scale_tasks(mp, *fsp);
      same = fsn == nullptr;
      factored = false;
    }
    if (k == LayerKind::GlobalAvgPool && same && i >= 1 &&
        (net.layer(i - 1).kind() == LayerKind::Conv1d ||
         (i >= 2 && net.layer(i - 1).kind() == LayerKind::ReLU && net.layer(i - 2).kind() == LayerKind::Conv1d))) {
      // y = (1/S) Σ_s x_s: every position of the block receives m/S (GlobalAvgPool::backward's product).
      g = mp * (1.0f / static_cast<float>(in.spatial()));
      factored = true, fsp = fsn = nullptr;
      continue;
    }
    if (is_linear(k)) {
      const Mat& w = weight_of(l);
      if (same) {
        transpose_apply(l, &w, in, out, blocks, mp, tmp);  // the fast path: Wᵀ m
        mp.swap(tmp);
        continue;
      }
      // Appendix B with A = W+ᵀm+ + W-ᵀm-, B = W-ᵀm+ + W+ᵀm- written as two products:
      // U = Wᵀ(m+ + m-), V = |W|ᵀ(m+ - m-); A = ½(U + V), B = ½(U - V), ½(A + B) = ½U.
      // So m_in = ½U + ½V·sign(Δx_in): sign +1 takes A, -1 takes B, 0 the half rule.
      const Mat& aw = weight_of(*plan.abs_layer[ui]);
      Mat s = mp + mn, d = mp - mn, v;
      transpose_apply(l, &w, in, out, blocks, s, tmp);
      transpose_apply(l, &aw, in, out, blocks, d, v);
      select_by_sign(tmp, v, delta_at(c, i));
      mp.swap(tmp);
      mn.resize(0, 0);
      same = true;
    } else if (is_transparent(k)) {
      transpose_apply(l, nullptr, in, out, blocks, mp, tmp);
      mp.swap(tmp);
      if (!same) {
        transpose_apply(l, nullptr, in, out, blocks, mn, tmp);
        mn.swap(tmp);
      }
    } else {  // ReLU
      if (!same) {  // a pair from a RevealCancel ReLU above, with no linear layer between
        collapse(mp, mn, delta_at(c, i + 1));
        same = true;
      }
      const Rule rule = plan.rule[ui];
      if (rule == Rule::GuidedBackprop) mp = mp.cwiseMax(0.0f);  // pass only positive multipliers...
      if (rule == Rule::RevealCancel) {
        mn = mp;
        scale_tasks(mn, c.sn[ui]);
        same = false;
      }
      scale_tasks(mp, c.sp[ui]);  // ... where the input is positive (guided); or Δy/Δx, f'(x)
    }
  }
  if (!same) collapse(mp, mn, delta_at(c, 0));
  return mp;
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

void check_inputs(const model::Network& net, const Mat& x, int n, std::span<const int> tasks) {
  const Shape s0 = net.input_shape();
  LB_CHECK(n > 0, "attribution of {} samples", n);
  LB_CHECK(x.rows() == s0.c && x.cols() == Index{n} * s0.spatial(), "input is {}x{}, expected {}x{} ({} samples of {})",
           x.rows(), x.cols(), s0.c, Index{n} * s0.spatial(), n, s0.str());
  LB_CHECK(!tasks.empty(), "attribution needs at least one task");
  for (int t : tasks) LB_CHECK(t >= 0 && t < net.n_outputs(), "task {} outside [0, {})", t, net.n_outputs());
}

void check_reference(const model::Network& net, const Reference& r, int n) {
  const Shape s0 = net.input_shape();
  const Index cols = r.shared ? s0.spatial() : Index{n} * s0.spatial();
  LB_CHECK(r.values.rows() == s0.c && r.values.cols() == cols, "reference is {}x{}, expected {}x{} ({})",
           r.values.rows(), r.values.cols(), s0.c, cols, r.shared ? "shared" : "one per sample");
}

// Reference columns of samples [i0, i0 + nc) (per-sample references only).
Mat ref_cols(const Reference& r, int i0, int nc, Index S) { return r.values.middleCols(i0 * S, nc * S); }

void write_delta_logits(Mat* dl, const Mat& lx, const Mat& lr, bool shared, std::span<const int> tasks, int i0,
                        int nc) {
  for (std::size_t t = 0; t < tasks.size(); ++t)
    for (int b = 0; b < nc; ++b)
      (*dl)(static_cast<Index>(t), i0 + b) = lx(tasks[t], b) - lr(tasks[t], shared ? 0 : b);
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
    // The paper's "fc-RC-conv-RS": RevealCancel on ReLUs fed by a dense layer, Rescale otherwise.
    for (int j = 0; j < net.n_layers(); ++j) {
      if (net.layer(j).kind() != LayerKind::ReLU) continue;
      const int f = feeder_of(net, j);
      if (f >= 0 && net.layer(f).kind() == LayerKind::Dense) out.by_layer[static_cast<std::size_t>(j)] = Rule::RevealCancel;
    }
    return out;
  }
  // Names a nonlinearity can be given by: the ReLU's own name or its feeding linear layer's.
  std::string names;
  for (int j = 0; j < net.n_layers(); ++j) {
    if (net.layer(j).kind() != LayerKind::ReLU) continue;
    const int f = feeder_of(net, j);
    names += names.empty() ? "" : ", ";
    names += f >= 0 ? net.layer(f).name() + "|" + net.layer(j).name() : net.layer(j).name();
  }
  if (s.empty())
    throw ConfigError(quoted + "rescale, revealcancel, genomics or layer=rule items, got an empty spec");
  // Layer groups: the ReLUs fed (through transparent layers) by the network's first convolution,
  // by any later convolution, by either, or by a dense layer. A group may match no ReLU.
  int first_conv = -1;
  for (int i = 0; i < net.n_layers() && first_conv < 0; ++i)
    if (net.layer(i).kind() == LayerKind::Conv1d || net.layer(i).kind() == LayerKind::Conv2d) first_conv = i;
  const auto in_group = [&](std::string_view group, int relu) {
    const int f = feeder_of(net, relu);
    if (f < 0) return false;
    const bool conv = net.layer(f).kind() != LayerKind::Dense;
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
        if (net.layer(j).kind() == LayerKind::ReLU && in_group(layer, j)) assign(j, rule, layer);
      continue;
    }
    int relu = -1;
    for (int i = 0; i < net.n_layers() && relu < 0; ++i) {
      if (net.layer(i).name() != layer) continue;
      if (net.layer(i).kind() == LayerKind::ReLU)
        relu = i;
      else if (is_linear(net.layer(i).kind()))
        relu = relu_fed_by(net, i);
      if (relu < 0) break;
    }
    if (relu < 0)
      throw ConfigError(quoted + "a ReLU or the layer feeding one (" + names + "), got '" + std::string(layer) + "'");
    assign(relu, rule, layer);
  }
  return out;
}

// ---- DeepLIFT

Mat deeplift_multipliers(const model::Network& net, const Mat& x, const Reference& r, int n,
                         std::span<const int> tasks, const RuleAssignment& rules, const DeepliftOptions& opt,
                         Mat* delta_logits) {
  check_inputs(net, x, n, tasks);
  check_reference(net, r, n);
  const Plan plan = make_plan(net, rules, true);
  const Shape s0 = net.input_shape();
  const Index S = s0.spatial(), T = static_cast<Index>(tasks.size());
  model::Trace shared_trace;
  if (r.shared) net.forward(r.values, 1, shared_trace);  // once for all samples
  Mat out(s0.c, T * n * S);
  if (delta_logits) delta_logits->resize(T, n);
  const auto near_zero = static_cast<float>(opt.near_zero);
  for_chunks(n, [&](int i0, int nc) {
    Chunk c;
    c.nc = nc;
    c.shared = r.shared;
    net.forward(x.middleCols(i0 * S, nc * S), nc, c.tx);
    if (r.shared) {
      c.tr = &shared_trace;
    } else {
      net.forward(ref_cols(r, i0, nc, S), nc, c.tr_own);
      c.tr = &c.tr_own;
    }
    c.sp.resize(static_cast<std::size_t>(net.n_layers()));
    c.sn.resize(c.sp.size());
    for (int j = 0; j < net.n_layers(); ++j)
      if (net.layer(j).kind() == LayerKind::ReLU) relu_scales(net, plan, c, j, near_zero);
    place(out, backward_chunk(net, plan, c, tasks), n, i0, nc, T, S);
    if (delta_logits) write_delta_logits(delta_logits, net.logits(c.tx), net.logits(*c.tr), r.shared, tasks, i0, nc);
  });
  return out;
}

// ---- Gradients

namespace {
// Gradient multipliers of one chunk at inputs xc (C0 x nc*S0).
Mat gradient_chunk(const model::Network& net, const Plan& plan, const Mat& xc, int nc, std::span<const int> tasks,
                   Chunk& c) {
  c.nc = nc;
  net.forward(xc, nc, c.tx);
  c.sp.resize(static_cast<std::size_t>(net.n_layers()));
  c.sn.resize(c.sp.size());
  for (int j = 0; j < net.n_layers(); ++j)
    if (net.layer(j).kind() == LayerKind::ReLU) relu_scales(net, plan, c, j, 0.0f);
  return backward_chunk(net, plan, c, tasks);
}
}  // namespace

Mat gradient_multipliers(const model::Network& net, const Mat& x, int n, std::span<const int> tasks, bool guided) {
  check_inputs(net, x, n, tasks);
  const Plan plan = make_plan(net, uniform_rules(net, guided ? Rule::GuidedBackprop : Rule::Gradient), false);
  const Index S = net.input_shape().spatial(), T = static_cast<Index>(tasks.size());
  Mat out(net.input_shape().c, T * n * S);
  for_chunks(n, [&](int i0, int nc) {
    Chunk c;
    place(out, gradient_chunk(net, plan, x.middleCols(i0 * S, nc * S), nc, tasks, c), n, i0, nc, T, S);
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
                         std::span<const int> tasks, int steps, IgRule rule, Mat* delta_logits) {
  check_inputs(net, x, n, tasks);
  check_reference(net, r, n);
  std::vector<double> alphas, weights;
  ig_nodes(rule, steps, alphas, weights);
  const Plan plan = make_plan(net, uniform_rules(net, Rule::Gradient), false);
  const Shape s0 = net.input_shape();
  const Index S = s0.spatial(), T = static_cast<Index>(tasks.size());
  Mat out(s0.c, T * n * S);
  if (delta_logits) delta_logits->resize(T, n);
  model::Trace shared_trace;
  if (r.shared && delta_logits) net.forward(r.values, 1, shared_trace);
  for_chunks(n, [&](int i0, int nc) {
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
      xa = rc + static_cast<float>(alphas[k]) * dxr;
      acc += static_cast<float>(weights[k]) * gradient_chunk(net, plan, xa, nc, tasks, c);
    }
    place(out, acc, n, i0, nc, T, S);
    if (delta_logits) {
      model::Trace tx, tr;
      net.forward(xc, nc, tx);
      if (!r.shared) net.forward(rc, nc, tr);
      write_delta_logits(delta_logits, net.logits(tx), net.logits(r.shared ? shared_trace : tr), r.shared, tasks, i0,
                         nc);
    }
  });
  return out;
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
