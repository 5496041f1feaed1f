// One-hot specifics of attribution: references, hypothetical contributions, the appendix K
// weight normalisation, the softmax mean-normalisation and in-silico mutagenesis (ISM).
// Not here: multipliers themselves (attribution/engine.cpp), shuffled references and method
// plumbing (attribution/methods.cpp).
#include "attribution/onehot.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "model/layers.h"

namespace lb::attr {

namespace {

using Eigen::Index;

// "Linear" from "Linear(in=50, out=3)": the kind as the architecture text spells it.
std::string kind_name(const model::Layer& l) {
  const std::string d = l.describe();
  return d.substr(0, d.find('('));
}

std::string layer_label(const model::Layer& l) { return fmt::format("'{}' {}", l.name(), l.describe()); }

}  // namespace

// ---- References -------------------------------------------------------------------------------

Reference zero_reference(int channels, int spatial) {
  LB_CHECK(channels > 0 && spatial > 0, "zero_reference: channels={} spatial={}", channels, spatial);
  return Reference{Mat::Zero(channels, spatial), true};
}

Reference background_reference(const std::array<double, 4>& p, int seq_len) {
  LB_CHECK(seq_len > 0, "background_reference: seq_len={}", seq_len);
  Vec col(4);
  for (int b = 0; b < 4; ++b) col(b) = static_cast<float>(p[static_cast<std::size_t>(b)]);
  return Reference{col.replicate(1, seq_len), true};
}

// ---- Hypothetical contributions ---------------------------------------------------------------

// docs/attribution.md. For one position with multipliers m (C) and reference r (C), the contribution of
// base b if the input were e_b is m·(e_b - r) = m[b] - Σ_c r[c] m[c]. For the observed base this
// is exactly the actual contribution m·(x - r) of a one-hot x, so the actual scores are the
// hypothetical ones masked by x. One subtraction of the broadcast dot product per column.
Mat hypothetical_contributions(const Mat& multipliers, const Reference& r, int n, int n_tasks, int seq_len) {
  const Index C = multipliers.rows();
  const Index S = seq_len;
  LB_CHECK(n > 0 && n_tasks > 0 && seq_len > 0, "hypothetical_contributions: n={} tasks={} seq_len={}", n, n_tasks,
           seq_len);
  LB_CHECK(multipliers.cols() == Index{n_tasks} * n * S,
           "hypothetical_contributions: multipliers are {}x{}; expected {} columns (tasks x n x L = {} x {} x {})",
           multipliers.rows(), multipliers.cols(), Index{n_tasks} * n * S, n_tasks, n, seq_len);
  const Index want_cols = r.shared ? S : Index{n} * S;
  if (r.values.rows() != C || r.values.cols() != want_cols)
    throw InputError(fmt::format("attribution: reference is {}x{}; expected {}x{} ({}), got {}x{}", r.values.rows(),
                                 r.values.cols(), C, want_cols, r.shared ? "shared" : "one per sample",
                                 r.values.rows(), r.values.cols()));
  Mat hyp(C, multipliers.cols());
  for (int t = 0; t < n_tasks; ++t)
    for (int i = 0; i < n; ++i) {
      const Index col0 = (Index{t} * n + i) * S;
      const auto m = multipliers.middleCols(col0, S);                         // (C x L)
      const auto ref = r.values.middleCols(r.shared ? 0 : Index{i} * S, S);  // (C x L)
      // Σ_c r[c] m[c] per position, as a (1 x L) row, broadcast down the C channels.
      const Eigen::RowVectorXf rm = (ref.array() * m.array()).colwise().sum();
      hyp.middleCols(col0, S) = m.rowwise() - rm;
    }
  return hyp;
}

// ---- Weight normalisation (appendix K) --------------------------------------------------------

// With one-hot input, Σ_c x[c] = 1 at every position, so subtracting a constant c_k from all C
// weights of tap k changes the output by -c_k; adding Σ_k c_k to the bias restores it exactly
// (appendix K, eq. 5-6). With c_k the mean over channels, each tap's weights are mean-zero and
// the all-zero input gives the average output over all one-hot inputs. Both Conv1d (K taps) and
// Conv2d (KH*KW taps) store tap k's C weights as the contiguous columns [kC, (k+1)C).
// A Dense first layer is refused: its inputs are a flattened (C*L) vector in PyTorch order, where
// "one position" is not a block the layer knows about, so the transform would not be the paper's.
model::Network normalize_first_layer(const model::Network& net) {
  LB_CHECK(net.n_layers() > 0, "normalize_first_layer: empty network");
  if (net.consumers(0).size() != 1)
    throw ConfigError(fmt::format(
        "attribution.weight_normalize: the input feeds {} layers; expected one first layer on one-hot input, got {}",
        net.consumers(0).size(), net.consumers(0).size()));
  model::Network out = net.clone();
  model::Layer& first = out.layer(0);
  Mat* w = nullptr;
  Mat* b = nullptr;
  int c = 0;
  if (auto* conv1 = dynamic_cast<model::Conv1d*>(&first); conv1 && conv1->plain()) {
    w = &conv1->weight(), b = &conv1->bias(), c = conv1->in_channels();
  } else if (auto* conv2 = dynamic_cast<model::Conv2d*>(&first)) {
    w = &conv2->weight(), b = &conv2->bias(), c = conv2->in_channels();
  } else if (conv1) {
    // A padded position is all zeros, not one-hot: the transform would change the output there.
    throw ConfigError(fmt::format(
        "attribution.weight_normalize: the first layer is padded or dilated; expected a Conv1d without padding or "
        "dilation on one-hot input, got {}",
        layer_label(first)));
  } else {
    throw ConfigError(fmt::format(
        "attribution.weight_normalize: the first layer is {}; expected a Conv1d or Conv2d first layer on one-hot "
        "input, got {}",
        kind_name(first), layer_label(first)));
  }
  const Index taps = w->cols() / c;
  for (Index k = 0; k < taps; ++k) {
    auto block = w->middleCols(k * c, c);                    // (F x C): tap k of every filter
    const Vec mean = block.rowwise().mean();                 // c_k per filter
    block.colwise() -= mean;                                 // W' = W - c_k
    b->col(0) += mean;                                       // b' = b + Σ_k c_k
  }
  return out;
}

// ---- Softmax mean-normalisation (docs/attribution.md) -------------------------------------------------

// Softmax is invariant to adding one constant to every logit, so replacing each logit z_j by
// z_j - mean_k z_k changes no prediction. With z = W h + b that is W' = W - 1·mean_rows(W),
// b' = b - mean(b): a linear change of the last layer, so every linear attribution of z'_j is the
// attribution of z_j minus the mean over classes, and differences between classes are unchanged.
model::Network mean_normalize_softmax(const model::Network& net) {
  LB_CHECK(net.n_layers() > 0, "mean_normalize_softmax: empty network");
  if (net.output_kind() != model::OutputKind::Softmax)
    throw ConfigError(
        "attribution.mean_normalize: the network's output is sigmoid; expected a softmax network, got sigmoid");
  const model::Layer& last = net.layer(net.n_layers() - 1);
  if (!dynamic_cast<const model::Dense*>(&last))
    throw ConfigError(fmt::format(
        "attribution.mean_normalize: the last layer is {}; expected a Linear last layer, got {}", kind_name(last),
        layer_label(last)));
  model::Network out = net.clone();
  auto& dense = static_cast<model::Dense&>(out.layer(out.n_layers() - 1));
  const Eigen::RowVectorXf w_mean = dense.weight().colwise().mean();  // (1 x in): mean over outputs
  dense.weight().rowwise() -= w_mean;
  dense.bias().array() -= dense.bias().mean();
  return out;
}

// ---- In-silico mutagenesis --------------------------------------------------------------------
//
// ISM[b, l] = logit(x with position l set to base b) - logit(x), for every position, every base
// other than the observed one, and every requested task. Naively that is a full forward pass per
// mutant: 600 mutants x ~10.7 MFLOP for the genomics network on L = 200. But a substitution only
// moves what it can reach:
//
//   input column p                         -> Δ at conv1 outputs l in [p - (K1-1), p]
//   conv1 window (K1 wide)                 -> Δ at conv2 outputs   [p - (K1-1) - (K2-1), p]
//   ...                                    -> GlobalAvgPool: Δpool = Σ Δ(last conv stage) / S_last
//   dense head on pool + Δpool             (cheap: ~3 kFLOP per mutant)
//
// so for a stack of stride-1 Conv1d stages (each optionally followed by ReLU, or a Dropout that
// is the identity at inference) ending in a global average pool, we propagate DIFFERENCES through
// the affected windows only, using the original pass (one Network::forward per sequence) for the
// pre-activations y_j of every stage:
//
//   Stage 0 (input is one-hot): x' - x = e_new - x[:, p] =: δ (C). Output l reads input p through
//     tap k = p - l, so Δy0[:, l] = W0[:, kC:(k+1)C] δ, which for one-hot x is just the difference
//     of two weight columns W0[:, kC+new] - W0[:, kC+old] (for an N column: W0[:, kC+new]).
//   Stage j >= 1: Δy_j[:, q] = Σ_k W_j,k Δh_{j-1}[:, q + k] (W_j,k = W_j[:, kC:(k+1)C], F x C).
//     Δh_{j-1} is nonzero only in a window of w_{j-1} columns, so instead of re-running the full
//     K*C x w_j im2col GEMM (21 x 11 x 50 x 50 = 577k MAC for the genomics conv2) we form
//         Z = Wstack_j Δh_{j-1},   Wstack_j = [W_j,0; W_j,1; ...; W_j,K-1]  (K*F x C)
//     for all mutants of a block in ONE GEMM (w_{j-1} x K*F x C = 11 x 550 x 50 = 302k MAC per
//     mutant) and scatter: input column u, tap k lands on output column u - k + (K - 1) of the
//     mutant's w_j = w_{j-1} + K - 1 wide window ("col2im"). The scatter is w_{j-1}*K vector adds
//     of length F (6k flops), small next to the GEMM.
//   Nonlinearity: Δh_j = relu(y_j + Δy_j) - relu(y_j) on the window (Δh_j = Δy_j without ReLU).
//   Window columns outside the layer's valid outputs (near the sequence ends) are zero.
//
// Mutants are batched (all non-observed bases of a block of positions) so the stage GEMMs have
// hundreds of columns. Any other architecture (Conv2d networks, Flatten before Dense, strided
// convolutions, pooling not at the end of the conv stack) takes the GENERIC fallback: a full
// Network::forward per batch of mutants. Correct, but far slower: forced onto the genomics
// network (L = 200, 2 threads) it measured ~8 sequences/s against ~450 incremental.

namespace {

constexpr int kIsmChunk = 4;         // sequences per parallel_for item (fixed: thread-count independent)
constexpr int kIsmBlock = 48;        // mutants per incremental block (Z = 550 x 528 floats ~ 1.1 MB)
constexpr int kIsmFallbackBlock = 32;  // mutants per full forward in the generic fallback

struct ConvStage {
  const model::Conv1d* conv = nullptr;
  int layer = 0;      // index of the Conv1d in the network: trace.acts[layer + 1] is its output y
  bool relu = false;  // a ReLU follows (before the next conv / the pool)
  int out_len = 0;    // valid output positions
  int reach = 0;      // outputs [p - reach, p] can change for a substitution at p
  int width = 0;      // reach + 1: columns of the Δ window per mutant
  Mat wstack;         // (K*F x C) tap k at rows [kF, (k+1)F); stages >= 1 only
};

struct IncrementalPlan {
  std::vector<ConvStage> stages;
  int gap_layer = 0;  // the GlobalAvgPool ending the conv stack; the head is the layers after it
};

// The incremental plan when the network is a chain [Conv1d(stride 1) (ReLU|Dropout)*]+
// GlobalAvgPool ...; nullopt otherwise (generic fallback).
std::optional<IncrementalPlan> incremental_plan(const model::Network& net) {
  if (!net.is_chain()) return std::nullopt;
  IncrementalPlan plan;
  int i = 0;
  const int nl = net.n_layers();
  while (i < nl && dynamic_cast<const model::Conv1d*>(&net.layer(i))) {
    const auto& conv = static_cast<const model::Conv1d&>(net.layer(i));
    if (conv.stride() != 1 || !conv.plain()) return std::nullopt;
    ConvStage s;
    s.conv = &conv;
    s.layer = i;
    s.out_len = net.shape(i + 1).w;
    s.reach = (plan.stages.empty() ? 0 : plan.stages.back().reach) + conv.kernel() - 1;
    s.width = s.reach + 1;
    if (!plan.stages.empty()) {
      const int k = conv.kernel(), c = conv.in_channels(), f = conv.out_channels();
      s.wstack.resize(Index{k} * f, c);
      for (int t = 0; t < k; ++t) s.wstack.middleRows(Index{t} * f, f) = conv.weight().middleCols(Index{t} * c, c);
    }
    ++i;
    for (; i < nl; ++i) {
      const model::Layer& l = net.layer(i);
      if (dynamic_cast<const model::ReLU*>(&l))
        s.relu = true;  // relu(relu(.)) = relu(.)
      else if (!dynamic_cast<const model::Dropout*>(&l))  // identity at inference
        break;
    }
    plan.stages.push_back(std::move(s));
  }
  if (plan.stages.empty() || i >= nl || !dynamic_cast<const model::GlobalAvgPool*>(&net.layer(i))) return std::nullopt;
  plan.gap_layer = i;
  return plan;
}

// One mutant: position and new base.
struct Mutant {
  int pos, base;
};

// Every (position, base) to evaluate for one sample x_i (C x L): all bases but the observed one
// when the column is exactly one-hot, all C bases otherwise (N columns, soft inputs).
std::vector<Mutant> mutants_of(const Eigen::Ref<const Mat>& xi) {
  std::vector<Mutant> out;
  const Index C = xi.rows();
  out.reserve(static_cast<std::size_t>(xi.size()));
  for (Index p = 0; p < xi.cols(); ++p) {
    int observed = -1, ones = 0;
    bool clean = true;
    for (Index c = 0; c < C; ++c) {
      const float v = xi(c, p);
      if (v == 1.0f) observed = static_cast<int>(c), ++ones;
      else if (v != 0.0f) clean = false;
    }
    if (!clean || ones != 1) observed = -1;
    for (int b = 0; b < static_cast<int>(C); ++b)
      if (b != observed) out.push_back(Mutant{static_cast<int>(p), b});
  }
  return out;
}

// Runs layers [from, n_layers) on a (C x m) batch (the dense head): logits (T_all x m).
Mat run_head(const model::Network& net, int from, Mat h, int m, std::vector<Mat>& scratch) {
  const int nl = net.n_layers();
  scratch.resize(static_cast<std::size_t>(2 * nl));
  Mat cur = std::move(h);
  for (int l = from; l < nl; ++l) {
    Mat& y = scratch[static_cast<std::size_t>(2 * l)];
    Mat& aux = scratch[static_cast<std::size_t>(2 * l + 1)];
    net.layer(l).forward(cur, net.shape(l), m, y, aux, model::ForwardMode{});
    cur.swap(y);
  }
  return cur;
}

// Writes target(mutant) - target(x) for a block of mutants of sample i into out (base_logits:
// T_all); a target of one unit subtracts the logits in float.
void write_block(Mat& out, const Mat& logits, const Vec& base_logits, std::span<const Mutant> muts,
                 const Targets& targets, int i, int n, int len) {
  for (int t = 0; t < targets.size(); ++t) {
    const Index col0 = (static_cast<Index>(t) * n + i) * len;
    const int unit = targets[t].unit;
    const double base = unit >= 0 ? 0.0 : targets.value(t, base_logits.data(), i);
    for (std::size_t m = 0; m < muts.size(); ++m)
      out(muts[m].base, col0 + muts[m].pos) =
          unit >= 0 ? logits(unit, static_cast<Index>(m)) - base_logits(unit)
                    : static_cast<float>(targets.value(t, logits.col(static_cast<Index>(m)).data(), i) - base);
  }
}

// Incremental ISM of sample i (local index li in the chunk's trace tr).
void ism_incremental(const model::Network& net, const IncrementalPlan& plan, const model::Trace& tr, int li,
                     const Eigen::Ref<const Mat>& xi, std::span<const Mutant> muts, const Targets& tasks,
                     int i, int n, Mat& out) {
  const int L = static_cast<int>(xi.cols());
  const Index C = xi.rows();
  const auto& stages = plan.stages;
  const ConvStage& last = stages.back();
  const Index f_last = last.conv->out_channels();
  const Vec pooled = tr.acts[static_cast<std::size_t>(plan.gap_layer + 1)].col(li);  // (F_last)
  const Vec logits_x = tr.acts.back().col(li);                                       // (T_all)
  std::vector<Mat> delta(stages.size());  // Δh_j: (F_j x width_j * m), mutant m at [m*w_j, (m+1)*w_j)
  Mat z, pooled_new, head_in;
  std::vector<Mat> head_scratch;

  // Δh = relu(y + Δy) - relu(y) (or Δy) on column u of mutant window, y the original output at l.
  auto activate = [](auto&& dcol, const auto& ycol, bool relu) {
    if (relu) dcol = (ycol + dcol).cwiseMax(0.0f) - ycol.cwiseMax(0.0f);
  };

  for (std::size_t m0 = 0; m0 < muts.size(); m0 += kIsmBlock) {
    const auto block = muts.subspan(m0, std::min<std::size_t>(kIsmBlock, muts.size() - m0));
    const Index nm = static_cast<Index>(block.size());

    // Stage 0: Δy0[:, l] = W0,k δ with k = p - l; window column u <-> l = p - reach0 + u.
    {
      const ConvStage& s = stages[0];
      const Mat& w = s.conv->weight();  // (F x K*C)
      const Index f = s.conv->out_channels();
      const Mat& y = tr.acts[static_cast<std::size_t>(s.layer + 1)];  // (F x chunk*out_len)
      Mat& d = delta[0];
      d.setZero(f, nm * s.width);
      Vec dx(C);
      for (Index m = 0; m < nm; ++m) {
        const int p = block[static_cast<std::size_t>(m)].pos, b = block[static_cast<std::size_t>(m)].base;
        dx = -xi.col(p);  // δ = e_b - x[:, p]: one +1 and (one-hot) one -1, or just +1 at an N
        dx(b) += 1.0f;
        for (int u = 0; u < s.width; ++u) {
          const int l = p - s.reach + u;
          if (l < 0 || l >= s.out_len) continue;
          const Index k = p - l;
          auto dcol = d.col(m * s.width + u);
          for (Index c = 0; c < C; ++c)
            if (dx(c) != 0.0f) dcol += dx(c) * w.col(k * C + c);
          activate(dcol, y.col(Index{li} * s.out_len + l), s.relu);
        }
      }
    }

    // Stages j >= 1: Z = Wstack_j Δh_{j-1} (one GEMM for the block), then col2im scatter.
    for (std::size_t j = 1; j < stages.size(); ++j) {
      const ConvStage& s = stages[j];
      const ConvStage& prev = stages[j - 1];
      const Index f = s.conv->out_channels();
      const int k_taps = s.conv->kernel();
      const Mat& y = tr.acts[static_cast<std::size_t>(s.layer + 1)];
      z.noalias() = s.wstack * delta[j - 1];  // (K*F x w_{j-1}*m)
      Mat& d = delta[j];
      d.setZero(f, nm * s.width);
      for (Index m = 0; m < nm; ++m) {
        const int p = block[static_cast<std::size_t>(m)].pos;
        for (int u = 0; u < prev.width; ++u) {
          const int l_in = p - prev.reach + u;
          if (l_in < 0 || l_in >= prev.out_len) continue;  // Δh_{j-1} is zero there
          const auto zc = z.col(m * prev.width + u);
          // tap k: input column u feeds output column u - k + (K - 1) of this stage's window
          for (int k = 0; k < k_taps; ++k)
            d.col(m * s.width + u - k + k_taps - 1) += zc.segment(Index{k} * f, f);
        }
        for (int u = 0; u < s.width; ++u) {
          const int l = p - s.reach + u;
          auto dcol = d.col(m * s.width + u);
          if (l < 0 || l >= s.out_len) {
            dcol.setZero();  // not an output of this stage
            continue;
          }
          activate(dcol, y.col(Index{li} * s.out_len + l), s.relu);
        }
      }
    }

    // Pool: mean over last.out_len positions, so pool' = pool + Σ_window Δh / S.
    const float inv = 1.0f / static_cast<float>(last.out_len);
    pooled_new.resize(f_last, nm);
    const Mat& dl = delta.back();
    for (Index m = 0; m < nm; ++m)
      pooled_new.col(m) = pooled + dl.middleCols(m * last.width, last.width).rowwise().sum() * inv;

    const Mat logits = run_head(net, plan.gap_layer + 1, pooled_new, static_cast<int>(nm), head_scratch);
    write_block(out, logits, logits_x, block, tasks, i, n, L);
  }
}

// Generic fallback: full forward passes on batches of mutated copies of x_i.
void ism_generic(const model::Network& net, const Eigen::Ref<const Mat>& xi, const Mat& base_logits, int li,
                 std::span<const Mutant> muts, const Targets& tasks, int i, int n, Mat& out) {
  const Index C = xi.rows(), S = xi.cols();
  model::Trace tr;
  Mat batch;
  const Vec base = base_logits.col(li);
  for (std::size_t m0 = 0; m0 < muts.size(); m0 += kIsmFallbackBlock) {
    const auto block = muts.subspan(m0, std::min<std::size_t>(kIsmFallbackBlock, muts.size() - m0));
    const Index nm = static_cast<Index>(block.size());
    batch.resize(C, nm * S);
    for (Index m = 0; m < nm; ++m) {
      auto xm = batch.middleCols(m * S, S);
      xm = xi;
      xm.col(block[static_cast<std::size_t>(m)].pos).setZero();
      xm(block[static_cast<std::size_t>(m)].base, block[static_cast<std::size_t>(m)].pos) = 1.0f;
    }
    net.forward(batch, static_cast<int>(nm), tr);
    write_block(out, net.logits(tr), base, block, tasks, i, n, static_cast<int>(S));
  }
}

}  // namespace

Mat in_silico_mutagenesis(const model::Network& net, const Mat& x, int n, std::span<const int> tasks) {
  return in_silico_mutagenesis(net, x, n, Targets::units(net, tasks));
}

Mat in_silico_mutagenesis(const model::Network& net, const Mat& x, int n, const Targets& targets) {
  const model::Shape in = net.input_shape();
  const Index C = in.c, S = in.spatial();
  LB_CHECK(n >= 0, "in_silico_mutagenesis: n={}", n);
  LB_CHECK(x.rows() == C && x.cols() == Index{n} * S, "in_silico_mutagenesis: x is {}x{}; expected {}x{}", x.rows(),
           x.cols(), C, Index{n} * S);
  const Targets tasks = targets.bound_for(net, x, n);
  const Index n_tasks = tasks.size();
  Mat out = Mat::Zero(C, n_tasks * n * S);
  if (n == 0 || n_tasks == 0) return out;

  const std::optional<IncrementalPlan> plan = incremental_plan(net);
  const int n_chunks = (n + kIsmChunk - 1) / kIsmChunk;
  // Each item owns sequences [i0, i1) and writes only their columns of `out`.
  parallel_for(n_chunks, [&](int chunk) {
    const int i0 = chunk * kIsmChunk, i1 = std::min(n, i0 + kIsmChunk);
    const Mat xc = x.middleCols(Index{i0} * S, Index{i1 - i0} * S);
    model::Trace tr;
    net.forward(xc, i1 - i0, tr);
    for (int i = i0; i < i1; ++i) {
      const auto xi = xc.middleCols(Index{i - i0} * S, S);
      const std::vector<Mutant> muts = mutants_of(xi);
      if (plan)
        ism_incremental(net, *plan, tr, i - i0, xi, muts, tasks, i, n, out);
      else
        ism_generic(net, xi, net.logits(tr), i - i0, muts, tasks, i, n, out);
    }
  });
  return out;
}

}  // namespace lb::attr
