#!/usr/bin/python3
"""liftbench side by side with PyTorch on the same model, the same sequences, in one run
(docs/benchmarks/speed.md, "Side by side with PyTorch").

    /usr/bin/python3 bench/pytorch_side_by_side.py [--run DIR] [--liftbench BIN] [--reps N]
    /usr/bin/python3 bench/pytorch_side_by_side.py --check [--liftbench BIN]

Needs Debian's python3-torch and python3-numpy (scripts/setup.sh); nothing else (no Captum:
integrated gradients and DeepLIFT are written here with batched autograd).

The benchmark (default) reads a finished paper run, DIR/model.npz and DIR/data (default
out/paper_genomics, as `liftbench run -c configs/paper_genomics.ini -o out/paper_genomics` writes
it), loads model.npz into an equivalent torch.nn model (the architecture from the archive
comment, the arrays as its state_dict) and first checks that the two compute the same thing:

  - torch's sigmoid outputs (float64) equal `liftbench predict` on the test split within 1e-5;
  - liftbench's grad_x_input, ig and deeplift:rescale arrays (contributions, hypothetical
    contributions, .delta) equal this script's within 1e-5 x the largest |value| of each array
    (at least 1 for .delta, itself a rounding or quadrature error), both the float32 code that is
    timed (all test sequences) and a float64 evaluation (the first --check-float64 of them).
    The gradient jumps where a ReLU's input crosses 0, and an input within 1e-5 of 0 may fall on
    either side in float32 and in float64: sequences that differ only there are excused when
    they are at most 1% of them, and counted (the paper model: 1-2 of 800 for IG, none else).

Only then does it time, in one process and alternating (PyTorch, liftbench, PyTorch, ...), N
repetitions of, and keeps the minimum of each:

  (a) one training epoch: Adam (lr 1e-3), batches of 128, BCE with logits, dropout, over the 6,400
      training sequences, then the validation loss and auROC (what liftbench's epoch line
      covers), both from liftbench's initial weights (obtained from a 1-epoch `liftbench train`
      at learning rate 1e-30, which leaves them unchanged to float precision), against
      `liftbench train --train.max_epochs 1` (its epoch line and the whole command);
  (b) gradient x input of every task (one forward, one backward per task) against
      `liftbench attribute --methods grad_x_input`;
  (c) integrated gradients, 10 midpoint steps against the per-position background reference
      (every step of a batch of sequences in one forward, one backward per task) against
      `--methods ig`;
  (d) DeepLIFT Rescale against PyTorch's plain autograd gradient of every task (one forward, one
      backward per task: the least any hook-based DeepLIFT costs, since it needs that and the
      reference's forward on top), and, for information, a DeepLIFT Rescale written in PyTorch
      (the rescale trick: the reference's forward, then autograd with each ReLU's backward
      replaced by its secant slope).

PyTorch's figures are compute only (tensors in memory, after one warm-up call: no interpreter
start, no import, no file reading or writing). liftbench's are given twice: the method's own
time from its log line, and the whole process (start, reading the data, writing the archive).
Both use 2 threads (torch.set_num_threads, --threads). Prints the machine, the load average at
the start and the end, the times and the ratios (liftbench speed / PyTorch speed).

--check (a CTest test, tests/CMakeLists.txt; nothing timed): simulates a small dataset, trains a
tiny model with a max pool, a padded dilated convolution and dropout for 2 epochs, and checks
the loader and the three methods as above on all its sequences; and that the comparison fails
when one bias of the torch model is moved by 1e-3. Exit status 0 when everything agrees.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
ARCH_TAG = "liftbench-architecture 1\n"
TOL = 1e-5  # agreement required, relative to the largest |value| of each array (compare())
KINK = 1e-5  # a ReLU input this close to 0 may fall on either side of the kink in float32


class Mismatch(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# model.npz -> torch.nn
# ---------------------------------------------------------------------------------------------

class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=-1)


class GlobalMaxPool(nn.Module):
    def forward(self, x):
        return x.amax(dim=-1)


class Conv1dPadded(nn.Module):
    """A Conv1d with liftbench's (left, right) zero padding, which may be asymmetric."""

    def __init__(self, cin, cout, kernel, stride, left, right, dilation):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel, stride=stride, dilation=dilation)
        self.left, self.right = left, right

    def forward(self, x):
        if self.left or self.right:
            x = F.pad(x, (self.left, self.right))
        return self.conv(x)


def parse_args_text(text):
    """'in=4, out=50, padding=(1,2)' -> {'in': '4', 'out': '50', 'padding': '(1,2)'}"""
    out, depth, cur = {}, 0, ""
    for ch in text + ",":
        if ch == "," and depth == 0:
            if cur.strip():
                k, _, v = cur.strip().partition("=")
                out[k.strip()] = v.strip()
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    return out


def read_architecture(path):
    """The architecture text of a self-describing model.npz (archive comment or the older
    'architecture' array): (input (C, L), output kind, [(name, kind, {args})])."""
    with zipfile.ZipFile(path) as z:
        comment = z.comment.decode()
    if comment.startswith(ARCH_TAG):
        text = comment[len(ARCH_TAG):]
    else:
        archive = np.load(path)
        if "architecture" not in archive.files:
            raise SystemExit(f"{path}: no architecture (a model.npz written by liftbench train is self-describing)")
        text = str(archive["architecture"])
    lines = [l for l in text.splitlines() if l.strip()]
    shape, output, layers = None, None, []
    for line in lines:
        if line.startswith("input "):
            dims = [int(d) for d in line.split()[1].split("x")]
            if len(dims) != 2:
                raise SystemExit(f"{path}: input {line.split()[1]}: only 1-D (C x L) inputs are supported here")
            shape = tuple(dims)
        elif line.startswith("output "):
            output = line.split()[1]
        else:
            m = re.fullmatch(r"(\S+) (\w+)\((.*)\)", line)
            if not m:
                raise SystemExit(f"{path}: architecture line '{line}': only chains of layers are supported here")
            layers.append((m.group(1), m.group(2), parse_args_text(m.group(3))))
    return shape, output, layers


def build_model(path, dtype=torch.float32):
    """The torch.nn.Sequential equivalent of a liftbench model.npz, weights loaded."""
    shape, output, layers = read_architecture(path)
    mods = OrderedDict()
    renames = {}
    for name, kind, a in layers:
        if kind == "Conv1d":
            left = right = 0
            if "padding" in a:
                left, right = (int(v) for v in a["padding"].strip("()").split(","))
            conv = Conv1dPadded(int(a["in"]), int(a["out"]), int(a["kernel"]), int(a["stride"]), left, right,
                                int(a.get("dilation", 1)))
            mods[name] = conv
            renames[f"{name}.weight"] = f"{name}.conv.weight"
            renames[f"{name}.bias"] = f"{name}.conv.bias"
        elif kind == "Linear":
            mods[name] = nn.Linear(int(a["in"]), int(a["out"]))
        elif kind == "ReLU":
            mods[name] = nn.ReLU()
        elif kind == "Dropout":
            mods[name] = nn.Dropout(float(a["p"]))
        elif kind == "GlobalAvgPool":
            mods[name] = GlobalAvgPool()
        elif kind == "GlobalMaxPool":
            mods[name] = GlobalMaxPool()
        elif kind == "MaxPool1d":
            mods[name] = nn.MaxPool1d(int(a["kernel"]), int(a["stride"]), int(a.get("padding", 0)))
        elif kind == "AvgPool1d":
            mods[name] = nn.AvgPool1d(int(a["kernel"]), int(a["stride"]))
        else:
            raise SystemExit(f"{path}: layer {name} {kind}: not supported by this script")
    model = nn.Sequential(mods)
    state = {renames.get(k, k): torch.from_numpy(v.astype(np.float64)) for k, v in np.load(path).items()
             if k != "architecture"}
    model.load_state_dict(state, strict=True)  # every array used, every parameter given
    model.to(dtype).eval()
    model.liftbench_input = shape
    model.liftbench_output = output
    return model


def layer_macs(model):
    """Multiply-adds of each convolution and dense layer for one input: [(module, macs)]."""
    out = []
    h = torch.zeros((1,) + tuple(model.liftbench_input), dtype=next(model.parameters()).dtype)
    with torch.no_grad():
        for mod in model:
            y = mod(h)
            if isinstance(mod, Conv1dPadded):
                c = mod.conv
                out.append((mod, y.shape[-1] * c.out_channels * c.in_channels * c.kernel_size[0]))
            elif isinstance(mod, nn.Linear):
                out.append((mod, mod.in_features * mod.out_features))
            h = y
    return out


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------

def read_dataset(data_dir):
    """{'ids', 'split', 'x' (N,4,L) float32 one-hot A,C,G,T, 'y' (N,T) float32} in dataset order."""
    seqs, name = {}, None
    with open(os.path.join(data_dir, "sequences.fa")) as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                name = line[1:].split()[0]
                seqs[name] = []
            elif name is not None:
                seqs[name].append(line)
    with open(os.path.join(data_dir, "labels.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    task_cols = [i for i, h in enumerate(header) if re.fullmatch(r"task\d+", h)]
    ids = [r[0] for r in rows]
    split = np.array([r[header.index("split")] for r in rows])
    y = np.array([[float(r[i]) for i in task_cols] for r in rows], dtype=np.float32)
    lut = np.full(256, 4, dtype=np.int64)
    for i, b in enumerate("ACGT"):
        lut[ord(b)] = i
        lut[ord(b.lower())] = i
    L = len("".join(seqs[ids[0]]))
    x = np.zeros((len(ids), 5, L), dtype=np.float32)
    for n, i in enumerate(ids):
        codes = lut[np.frombuffer("".join(seqs[i]).encode(), dtype=np.uint8)]
        x[n, codes, np.arange(L)] = 1
    return {"ids": ids, "split": split, "x": np.ascontiguousarray(x[:, :4]), "y": y}


# ---------------------------------------------------------------------------------------------
# the methods in PyTorch
# ---------------------------------------------------------------------------------------------

def gradients(model, x, n_tasks, batch):
    """Autograd gradient of every logit with respect to the input: (N, T, 4, L); one forward
    and one backward per task for each batch."""
    n = x.shape[0]
    out = torch.empty((n, n_tasks) + tuple(x.shape[1:]), dtype=x.dtype)
    for b0 in range(0, n, batch):
        xb = x[b0:b0 + batch].detach().requires_grad_(True)
        y = model(xb)
        for t in range(n_tasks):
            (g,) = torch.autograd.grad(y[:, t].sum(), xb, retain_graph=t + 1 < n_tasks)
            out[b0:b0 + xb.shape[0], t] = g
    return out


def project(m, x, r):
    """Hypothetical contributions hyp[b] = m[b] - sum_c r[c] m[c] and contributions (hyp at the
    observed base, 0 elsewhere) of multipliers m (N,T,4,L), one-hot x (N,4,L), reference r (4,L)."""
    hyp = m - (m * r).sum(dim=2, keepdim=True)
    return hyp * x[:, None], hyp


def grad_x_input(model, x, r, n_tasks, batch):
    return project(gradients(model, x, n_tasks, batch), x, r)


def integrated_gradients(model, x, r, n_tasks, steps, batch):
    """IG, midpoint rule: m = (1/steps) sum_k grad f(r + a_k (x - r)), a_k = (k + 1/2)/steps; all
    steps of `batch` sequences go through the network as one batch. Also the completeness error
    sum(contributions) - (f(x) - f(r)) per sequence and task."""
    n = x.shape[0]
    alphas = ((torch.arange(steps, dtype=x.dtype) + 0.5) / steps).view(steps, 1, 1, 1)
    m = torch.empty((n, n_tasks) + tuple(x.shape[1:]), dtype=x.dtype)
    for b0 in range(0, n, batch):
        xb = x[b0:b0 + batch]
        nb = xb.shape[0]
        path = (r + alphas * (xb - r)[None]).reshape((steps * nb,) + tuple(x.shape[1:])).requires_grad_(True)
        y = model(path)
        for t in range(n_tasks):
            (g,) = torch.autograd.grad(y[:, t].sum(), path, retain_graph=t + 1 < n_tasks)
            m[b0:b0 + nb, t] = g.view((steps, nb) + tuple(x.shape[1:])).mean(dim=0)
    contrib, hyp = project(m, x, r)
    with torch.no_grad():
        dlogit = model(x) - model(r[None])
    delta = contrib.sum(dim=(2, 3)) - dlogit
    return contrib, hyp, delta


class _RescaleReLU(torch.autograd.Function):
    """ReLU whose backward multiplies by DeepLIFT's Rescale multiplier (relu(z) - relu(z0)) /
    (z - z0), z0 the unit's value on the reference, or relu'(z0) when |z - z0| < near_zero."""

    @staticmethod
    def forward(ctx, z, z0, near_zero):
        y = z.clamp_min(0)
        dz = z - z0
        slope = torch.where(dz.abs() >= near_zero, (y - z0.clamp_min(0)) / torch.where(dz == 0, torch.ones_like(dz), dz),
                            (z0 > 0).to(z.dtype))
        ctx.save_for_backward(slope)
        return y

    @staticmethod
    def backward(ctx, g):
        (slope,) = ctx.saved_tensors
        return g * slope, None, None


def deeplift_rescale(model, x, r, n_tasks, batch, near_zero=1e-7):
    """DeepLIFT Rescale on a chain of linear layers (conv, dense, average pools, dropout in
    eval mode) and ReLUs, by the rescale trick: the reference's activations from one forward,
    then the input's forward with each ReLU's backward replaced by its secant slope; linear
    layers keep their autograd backward, which is DeepLIFT's Linear rule."""
    mods = list(model)
    for mod in mods:
        if not isinstance(mod, (nn.ReLU, Conv1dPadded, nn.Linear, nn.Dropout, GlobalAvgPool, nn.AvgPool1d)):
            raise SystemExit(f"deeplift_rescale here handles ReLU and linear layers only, not {type(mod).__name__}")
    with torch.no_grad():
        refs, h = [], r[None]
        for mod in mods:
            refs.append(h)
            h = mod(h)
        ref_logits = h
    n = x.shape[0]
    m = torch.empty((n, n_tasks) + tuple(x.shape[1:]), dtype=x.dtype)
    logits = torch.empty((n, n_tasks), dtype=x.dtype)
    for b0 in range(0, n, batch):
        xb = x[b0:b0 + batch].detach().requires_grad_(True)
        h = xb
        for mod, h0 in zip(mods, refs):
            h = _RescaleReLU.apply(h, h0.expand_as(h), near_zero) if isinstance(mod, nn.ReLU) else mod(h)
        logits[b0:b0 + xb.shape[0]] = h.detach()
        for t in range(n_tasks):
            (g,) = torch.autograd.grad(h[:, t].sum(), xb, retain_graph=t + 1 < n_tasks)
            m[b0:b0 + xb.shape[0], t] = g
    contrib, hyp = project(m, x, r)
    delta = contrib.sum(dim=(2, 3)) - (logits - ref_logits)
    return contrib, hyp, delta


def auroc(score, label):
    """Area under the ROC curve by ranks (ties averaged)."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    s = score[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = label > 0.5
    npos, nneg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - npos * (npos + 1) / 2) / (npos * nneg)


def train_epoch(model, opt, xtr, ytr, xva, yva, batch, gen):
    """One epoch as liftbench's trainer counts it: shuffled mini-batches with Adam, then the
    validation loss and auROC per task."""
    model.train()
    perm = torch.randperm(xtr.shape[0], generator=gen)
    total = 0.0
    for b0 in range(0, xtr.shape[0], batch):
        idx = perm[b0:b0 + batch]
        opt.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    model.eval()
    with torch.no_grad():
        logits = model(xva)
        vloss = F.binary_cross_entropy_with_logits(logits, yva).item()
    aucs = [auroc(logits[:, t].numpy(), yva[:, t].numpy()) for t in range(yva.shape[1])]
    return total / xtr.shape[0], vloss, aucs


# ---------------------------------------------------------------------------------------------
# liftbench
# ---------------------------------------------------------------------------------------------

def run_lb(lb, args, what):
    """Runs liftbench; returns (wall seconds, stderr). Exits on failure."""
    t0 = time.perf_counter()
    p = subprocess.run([lb] + args, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"{what}: liftbench exited with {p.returncode}")
    return wall, p.stderr


def method_seconds(stderr, method):
    m = re.search(r"\[M::attribute\] " + re.escape(method) + r": ([0-9.]+) s, ", stderr)
    if not m:
        raise SystemExit(f"no '{method}: ... s' line in liftbench attribute's log:\n{stderr}")
    return float(m.group(1))


def epoch_seconds(stderr):
    secs = [float(s) for s in re.findall(r"\[M::train\] epoch \d+: .*?, ([0-9.]+) s", stderr)]
    if not secs:
        raise SystemExit(f"no epoch line in liftbench train's log:\n{stderr}")
    return secs


def read_predictions(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    cols = [i for i, h in enumerate(header) if re.fullmatch(r"task\d+", h)]
    return [r[0] for r in rows], np.array([[float(r[i]) for i in cols] for r in rows])


# ---------------------------------------------------------------------------------------------
# agreement
# ---------------------------------------------------------------------------------------------

def relu_margin(model, x, batch=1000):
    """Per input, the smallest |input of a ReLU| anywhere in the network (float64 model): how
    close the input lies to a kink of the gradient."""
    out = []
    with torch.no_grad():
        for b0 in range(0, x.shape[0], batch):
            h = x[b0:b0 + batch]
            m = torch.full((h.shape[0],), float("inf"), dtype=h.dtype)
            for mod in model:
                if isinstance(mod, nn.ReLU):
                    m = torch.minimum(m, h.abs().flatten(1).amin(dim=1))
                h = mod(h)
            out.append(m)
    return torch.cat(out).numpy()


def path_margin(model, x, r, steps):
    """relu_margin over IG's path points of each sequence (the smallest over its steps)."""
    alphas = ((torch.arange(steps, dtype=x.dtype) + 0.5) / steps).view(steps, 1, 1, 1)
    path = (r + alphas * (x - r)[None]).reshape((-1,) + tuple(x.shape[1:]))
    return relu_margin(model, path).reshape(steps, -1).min(axis=0)


def compare(name, got, want, report, margin=None, floor=0.0):
    """|got - want| <= TOL * max(floor, max |want|) everywhere (floor 1 for the outputs and the
    .delta arrays, which are rounding errors themselves); appends a line to `report`.

    The gradient jumps where a ReLU's input crosses 0, and an input within KINK of 0 may fall on
    either side in float32 (liftbench) and float64 (here): with `margin` (per sequence, axis 0:
    relu_margin at the points the method evaluates), sequences that differ are excused when every
    one of them has a margin below KINK and they are at most 1% of the sequences (at least 1);
    they are counted in the report. Anything else that differs is a Mismatch."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise Mismatch(f"{name}: shape {got.shape}, expected {want.shape}")
    scale = max(floor, float(np.abs(want).max()), 1e-30)
    diff = np.abs(got - want)
    bad_rows = np.flatnonzero((diff > TOL * scale).reshape(diff.shape[0], -1).any(axis=1))
    keep = np.ones(diff.shape[0], dtype=bool)
    note = ""
    if margin is not None and 0 < len(bad_rows) <= max(1, diff.shape[0] // 100) and (margin[bad_rows] < KINK).all():
        keep[bad_rows] = False
        note = (f"; {len(bad_rows)} of {diff.shape[0]} sequences excused (a ReLU input within {KINK:g} of 0: "
                f"max |diff| {diff[bad_rows].max():.2e} there)")
    err = float(diff[keep].max()) if keep.any() else 0.0
    ok = err <= TOL * scale
    report.append(f"  {name:<44} max |diff| {err:.2e} (scale {scale:.3g}) {'ok' if ok else 'MISMATCH'}{note}")
    if not ok:
        d = np.where(keep.reshape((-1,) + (1,) * (diff.ndim - 1)), diff, 0)
        idx = np.unravel_index(np.argmax(d), got.shape)
        raise Mismatch(f"{name}: max |diff| {err:.3g} > {TOL:g} x {scale:.3g} at {idx}: {got[idx]!r} vs {want[idx]!r}"
                       f" ({len(bad_rows)} sequences differ)")
    return err


def check_equivalence(lb, model_path, data, sel, split, r_np, steps, threads, work, batch, lb_config=None,
                      perturb=None, n64=None):
    """The torch model and methods against liftbench's predict and attribute on the sequences
    of `split` (sel: their indices): the float32 code that is timed on all of them, a float64
    evaluation on the first n64 (all when None; float64 runs without oneDNN, slowly). Raises Mismatch. Returns the report lines and liftbench's
    attribute log. `perturb` (name, index, amount) moves one parameter of the torch model."""
    report = []
    m64 = build_model(model_path, torch.float64)
    m32 = build_model(model_path, torch.float32)
    if perturb:
        pname, index, amount = perturb
        with torch.no_grad():
            for mod in (m64, m32):
                mod.state_dict()[pname].view(-1)[index] += amount
    x64 = torch.from_numpy(data["x"][sel]).double()
    x32 = torch.from_numpy(data["x"][sel])
    r64, r32 = torch.from_numpy(r_np).double(), torch.from_numpy(r_np)
    cfg = ["-c", lb_config] if lb_config else []
    # Forward: sigmoid outputs against `liftbench predict` (6 significant digits in its TSV).
    pred = os.path.join(work, "predictions.tsv")
    run_lb(lb, ["predict"] + cfg + ["--model", model_path, "--data", data["dir"], "--split", split, "--threads",
                                     str(threads), "-q", "-o", pred], "predict")
    ids, probs = read_predictions(pred)
    if ids != [data["ids"][i] for i in sel]:
        raise Mismatch("liftbench predict: sequence ids or order differ from labels.tsv")
    with torch.no_grad():
        logits64 = m64(x64)
    T = logits64.shape[1]
    compare("forward: sigmoid(logits) vs liftbench predict", torch.sigmoid(logits64).numpy(), probs, report, floor=1.0)
    # Attribution: the three methods of the table against liftbench's archive.
    scores = os.path.join(work, "check_scores.npz")
    ref = ",".join(f"{v:g}" for v in r_np[:, 0])
    _, log = run_lb(lb, ["attribute"] + cfg + ["--model", model_path, "--data", data["dir"], "--split", split,
                                                "--methods", "grad_x_input,ig,deeplift:rescale",
                                                "--attribution.reference", "background",
                                                "--attribution.background", ref,
                                                "--attribution.ig_steps", str(steps), "--attribution.ig_rule",
                                                "midpoint", "--threads", str(threads), "-o", scores], "attribute")
    z = np.load(scores)
    compare("input: scores.npz onehot vs labels.tsv/FASTA", z["onehot"], x32.numpy(), report)
    if list(z["tasks"]) != list(range(T)):
        raise Mismatch(f"scores.npz tasks {list(z['tasks'])}, expected 0..{T - 1}")
    mx, mp = relu_margin(m64, x64), path_margin(m64, x64, r64, steps)
    n = x64.shape[0]
    k = n if n64 is None else min(n, n64)
    for prec, model, x, r, rows in (("float64", m64, x64[:k], r64, slice(0, k)), ("float32", m32, x32, r32, slice(0, n))):
        what = f"{prec}, {rows.stop} sequences"
        c, h = grad_x_input(model, x, r, T, batch)
        compare(f"grad_x_input ({what})", c.numpy(), z["grad_x_input"][rows], report, mx[rows])
        compare(f"grad_x_input.hypothetical ({what})", h.numpy(), z["grad_x_input.hypothetical"][rows], report, mx[rows])
        c, h, d = integrated_gradients(model, x, r, T, steps, max(1, batch // steps))
        compare(f"ig ({what})", c.numpy(), z["ig"][rows], report, mp[rows])
        compare(f"ig.hypothetical ({what})", h.numpy(), z["ig.hypothetical"][rows], report, mp[rows])
        compare(f"ig.delta ({what})", d.numpy(), z["ig.delta"][rows], report, mp[rows], floor=1.0)
        c, h, d = deeplift_rescale(model, x, r, T, batch)
        compare(f"deeplift:rescale ({what})", c.numpy(), z["deeplift:rescale"][rows], report)
        compare(f"deeplift:rescale.hypothetical ({what})", h.numpy(), z["deeplift:rescale.hypothetical"][rows], report)
        compare(f"deeplift:rescale.delta ({what})", d.numpy(), z["deeplift:rescale.delta"][rows], report, floor=1.0)
    return report, log


# ---------------------------------------------------------------------------------------------
# --check: a tiny model, nothing timed
# ---------------------------------------------------------------------------------------------

def self_check(lb, threads):
    work = tempfile.mkdtemp(prefix="lb_torch_check_")
    try:
        config = os.path.join(SOURCE_DIR, "configs", "paper_genomics.ini")
        data_dir = os.path.join(work, "data")
        run_lb(lb, ["simulate", "-c", config, "--sim.n_seqs", "120", "--sim.seq_len", "100", "-q", "-o", data_dir],
               "simulate")
        layers = ("conv1=conv1d(6,5) relu1=relu pool=maxpool(2) conv2=conv1d(5,3,padding=same,dilation=2) "
                  "relu2=relu gap fc1=dense(4) relu3=relu drop=dropout(0.5) fc2=dense(3)")
        model_path = os.path.join(work, "model.npz")
        run_lb(lb, ["train", "-c", config, "--data", data_dir, "--model.layers", layers, "--train.learning_rate", "0.01",
                    "--train.max_epochs", "3", "--threads", str(threads), "-q", "-o", model_path], "train")
        shape, _, layers_read = read_architecture(model_path)
        kinds = [k for _, k, _ in layers_read]
        data = read_dataset(data_dir)
        data["dir"] = data_dir
        sel = np.arange(len(data["ids"]))
        r_np = np.repeat(np.array([0.3, 0.2, 0.2, 0.3], dtype=np.float32)[:, None], shape[1], axis=1)
        print(f"tiny model: {' '.join(kinds)}; {len(sel)} sequences of {shape[1]} bases")
        # The max pool's backward is the gradient rule; the rescale trick here is for chains of
        # linear layers and ReLUs, so DeepLIFT is checked on the same model without the pool
        # below; the gradient methods on this one.
        report = []
        m64 = build_model(model_path, torch.float64)
        x64 = torch.from_numpy(data["x"]).double()
        r64 = torch.from_numpy(r_np).double()
        pred = os.path.join(work, "predictions.tsv")
        run_lb(lb, ["predict", "--model", model_path, "--data", data_dir, "--split", "all", "-q", "-o", pred,
                    "--threads", str(threads)], "predict")
        _, probs = read_predictions(pred)
        with torch.no_grad():
            compare("forward: sigmoid(logits) vs liftbench predict", torch.sigmoid(m64(x64)).numpy(), probs, report, floor=1.0)
        scores = os.path.join(work, "pool_scores.npz")
        run_lb(lb, ["attribute", "--model", model_path, "--data", data_dir, "--split", "all", "--methods",
                    "grad_x_input,ig", "--threads", str(threads), "-q", "-o", scores], "attribute")
        z = np.load(scores)
        mx, mp = relu_margin(m64, x64), path_margin(m64, x64, r64, 10)
        c, h = grad_x_input(m64, x64, r64, 3, 32)
        compare("grad_x_input", c.numpy(), z["grad_x_input"], report, mx)
        compare("grad_x_input.hypothetical", h.numpy(), z["grad_x_input.hypothetical"], report, mx)
        c, h, d = integrated_gradients(m64, x64, r64, 3, 10, 7)
        compare("ig", c.numpy(), z["ig"], report, mp)
        compare("ig.hypothetical", h.numpy(), z["ig.hypothetical"], report, mp)
        compare("ig.delta", d.numpy(), z["ig.delta"], report, mp, floor=1.0)
        print("with a max pool:\n" + "\n".join(report))
        # The comparison has teeth: IG with 9 steps, gradient x input against the zero reference.
        for what, got, want in (("ig with 9 steps", integrated_gradients(m64, x64, r64, 3, 9, 7)[0], z["ig"]),
                                ("grad_x_input against zeros", grad_x_input(m64, x64, 0 * r64, 3, 32)[1],
                                 z["grad_x_input.hypothetical"])):
            try:
                compare(what, got.numpy(), want, [], mp)
            except Mismatch as e:
                print(f"{what} is caught: {e}")
            else:
                raise Mismatch(f"{what} passed the comparison")

        # The same without the pool: the whole check_equivalence of the benchmark.
        layers = ("conv1=conv1d(6,5) relu1=relu conv2=conv1d(5,3,padding=same,dilation=2) relu2=relu gap "
                  "fc1=dense(4) relu3=relu drop=dropout(0.5) fc2=dense(3)")
        model_path = os.path.join(work, "model2.npz")
        run_lb(lb, ["train", "-c", config, "--data", data_dir, "--model.layers", layers, "--train.learning_rate", "0.01",
                    "--train.max_epochs", "3", "--threads", str(threads), "-q", "-o", model_path], "train")
        report, _ = check_equivalence(lb, model_path, data, sel, "all", r_np, 10, threads, work, 32)
        print("without the pool:\n" + "\n".join(report))
        # The check has teeth: one bias moved by 1e-3 must be caught.
        try:
            check_equivalence(lb, model_path, data, sel, "all", r_np, 10, threads, work, 32,
                              perturb=("conv2.conv.bias", 0, 1e-3))
        except Mismatch as e:
            print(f"conv2.bias[0] + 1e-3 is caught: {e}")
        else:
            raise Mismatch("a torch model with conv2.bias[0] moved by 1e-3 passed the comparison")
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------------------------

def machine():
    model, cpus = "?", os.cpu_count()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("CPU(s):"):
                cpus = int(line.split(":", 1)[1])
    except OSError:
        pass
    return model, cpus


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def benchmark(a):
    lb = a.liftbench
    run_dir = a.run
    model_path = os.path.join(run_dir, "model.npz")
    data_dir = os.path.join(run_dir, "data")
    config = a.config
    threads = a.threads
    torch.set_num_threads(threads)
    cpu_model, cpus = machine()
    load0 = os.getloadavg()
    version = subprocess.run([lb, "version"], capture_output=True, text=True).stdout.strip().splitlines()
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"machine: {cpu_model}, {cpus} CPUs; load average at start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads, oneDNN "
          f"{'on' if torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled else 'off'}); liftbench: {version[0] if version else '?'} "
          f"({lb}, --threads {threads})")

    data = read_dataset(data_dir)
    data["dir"] = data_dir
    test = np.flatnonzero(data["split"] == "test")
    train = np.flatnonzero(data["split"] == "train")
    valid = np.flatnonzero(data["split"] == "valid")
    L = data["x"].shape[2]
    r_np = np.repeat(np.array(a.background, dtype=np.float32)[:, None], L, axis=1)
    print(f"data: {data_dir}: {len(train)} train, {len(valid)} valid, {len(test)} test sequences of {L} bases; "
          f"reference: per-position background {','.join(f'{v:g}' for v in a.background)}")

    work = tempfile.mkdtemp(prefix="lb_torch_bench_")
    try:
        # 1. The same computation, or no timings.
        try:
            report, _ = check_equivalence(lb, model_path, data, test, "test", r_np, a.ig_steps, threads, work,
                                          a.batch, lb_config=config, n64=a.check_float64)
        except Mismatch as e:
            raise SystemExit(f"torch and liftbench disagree, no timings: {e}")
        print(f"equivalence (tolerance {TOL:g} x the largest |value| of each array, at least 1 for the outputs and "
              f".delta), test split:")
        print("\n".join(report))

        # 2. liftbench's initial weights, for PyTorch's training: a 1-epoch run at lr 1e-30.
        init_path = os.path.join(work, "init.npz")
        run_lb(lb, ["train", "-c", config, "--data", data_dir, "--train.max_epochs", "1", "--train.learning_rate",
                    "1e-30", "--threads", str(threads), "-q", "-o", init_path], "train (initial weights)")

        T = len(data["y"][0])
        m32 = build_model(model_path)
        x = torch.from_numpy(data["x"][test])
        r = torch.from_numpy(r_np)
        xtr, ytr = torch.from_numpy(data["x"][train]), torch.from_numpy(data["y"][train])
        xva, yva = torch.from_numpy(data["x"][valid]), torch.from_numpy(data["y"][valid])
        gen = torch.Generator().manual_seed(1)
        tm = build_model(init_path)
        opt = torch.optim.Adam(tm.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)

        torch_jobs = {
            "train": lambda: train_epoch(tm, opt, xtr, ytr, xva, yva, 128, gen),
            "grad_x_input": lambda: grad_x_input(m32, x, r, T, a.batch),
            "ig": lambda: integrated_gradients(m32, x, r, T, a.ig_steps, a.ig_batch),
            "grad": lambda: gradients(m32, x, T, a.batch),
            "rescale": lambda: deeplift_rescale(m32, x, r, T, a.batch),
        }
        lb_attr = ["--model", model_path, "--data", data_dir, "--split", "test", "--attribution.reference",
                   "background", "--attribution.background", ",".join(f"{v:g}" for v in a.background),
                   "--attribution.ig_steps", str(a.ig_steps), "--attribution.ig_rule", "midpoint", "--threads",
                   str(threads)]
        lb_jobs = {
            "train": (["train", "-c", config, "--data", data_dir, "--train.max_epochs", "1", "--threads",
                       str(threads), "-o", os.path.join(work, "trained.npz")], None),
            "grad_x_input": (["attribute", "-c", config] + lb_attr + ["--methods", "grad_x_input", "-o",
                                                                      os.path.join(work, "gxi.npz")], "grad_x_input"),
            "ig": (["attribute", "-c", config] + lb_attr + ["--methods", "ig", "-o", os.path.join(work, "ig.npz")],
                   "ig"),
            "rescale": (["attribute", "-c", config] + lb_attr + ["--methods", "deeplift:rescale", "-o",
                                                                 os.path.join(work, "rescale.npz")],
                        "deeplift:rescale"),
        }
        for job in torch_jobs.values():  # warm-up (oneDNN primitives, allocator); not timed
            job()
        tt = {k: [] for k in torch_jobs}
        lw = {k: [] for k in lb_jobs}
        lc = {k: [] for k in lb_jobs}
        print(f"timing: {a.reps} alternating repetitions, minimum of each")
        for rep in range(a.reps):
            for k in ("train", "grad_x_input", "ig", "rescale"):
                if k == "rescale":
                    tt["grad"].append(timed(torch_jobs["grad"]))
                tt[k].append(timed(torch_jobs[k]))
                args, method = lb_jobs[k]
                wall, log = run_lb(lb, args, k)
                lw[k].append(wall)
                lc[k].append(min(epoch_seconds(log)) if method is None else method_seconds(log, method))
            print(f"  rep {rep + 1}: " + ", ".join(f"{k} torch {tt[k][-1]:.3f} s / liftbench {lc[k][-1]:.3f} s "
                                                    f"({lw[k][-1]:.3f} s whole)" for k in lb_jobs), flush=True)
        load1 = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # Work (multiply-add = 2 FLOPs), the same for both: a forward; an input-gradient pass per task
    # (each layer's transposed product, a forward's multiply-adds); training: forward, weight
    # gradients and input gradients of all but the first layer, then the validation forward.
    macs = layer_macs(m32)
    fwd = 2 * sum(mc for _, mc in macs)
    first = 2 * macs[0][1]
    n = len(test)
    work = {"grad_x_input": n * fwd * (1 + T), "rescale": n * fwd * (1 + T),
            "ig": n * fwd * (a.ig_steps * (1 + T) + 1),
            "train": len(train) * (3 * fwd - first) + len(valid) * fwd}
    work["grad"] = work["rescale"]
    best = {k: min(v) for k, v in tt.items()}
    bw = {k: min(v) for k, v in lw.items()}
    bc = {k: min(v) for k, v in lc.items()}
    n_st = len(test) * T
    rows = [
        ("training epoch (6,400 seqs + validation)", "PyTorch epoch", best["train"], "train", 2.0),
        ("gradient x input, 3 tasks", "autograd, 1 fwd + 3 bwd", best["grad_x_input"], "grad_x_input", 4.0),
        (f"IG-{a.ig_steps} (midpoint, background)", "batched autograd", best["ig"], "ig", 3.0),
        ("DeepLIFT Rescale vs plain gradient", "autograd gradient", best["grad"], "rescale", 3.0),
        ("DeepLIFT Rescale vs Rescale in PyTorch", "rescale trick", best["rescale"], "rescale", None),
    ]
    print()
    print(f"{len(test)} test sequences x {T} tasks = {n_st} sequence-tasks; seconds are the minimum of {a.reps}; "
          f"ratio = liftbench speed / PyTorch speed")
    print()
    print("| task | PyTorch | PyTorch s | liftbench compute s | ratio (compute) | liftbench whole command s "
          "| ratio (whole command) | target | met |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, what, ts, k, target in rows:
        rc, rw = ts / bc[k], ts / bw[k]
        met = "-" if target is None else ("yes" if rw >= target else ("compute only" if rc >= target else "no"))
        print(f"| {label} | {what} | {ts:.3f} | {bc[k]:.3f} | {rc:.2f}x | {bw[k]:.3f} | {rw:.2f}x | "
              f"{'-' if target is None else f'>= {target:g}x'} | {met} |")
    print()
    print("rates (sequence-tasks/s, compute): " + ", ".join(
        f"{k} PyTorch {n_st / best[k]:,.0f} / liftbench {n_st / bc[k]:,.0f}" for k in ("grad_x_input", "ig", "rescale"))
        + f"; plain gradient PyTorch {n_st / best['grad']:,.0f}")
    print("GFLOP/s (compute; forward {:.2f} MFLOP per sequence): ".format(fwd / 1e6) + ", ".join(
        f"{k} PyTorch {work[k] / best[k] / 1e9:.1f} / liftbench {work[k] / bc[k] / 1e9:.1f}"
        for k in ("train", "grad_x_input", "ig", "rescale")) + f"; plain gradient PyTorch {work['grad'] / best['grad'] / 1e9:.1f}")
    print(f"load average at the end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--check", action="store_true", help="check the loader and the methods on a tiny model; no timings")
    p.add_argument("--liftbench", default=os.path.join(SOURCE_DIR, "build", "cli", "liftbench"),
                   help="liftbench binary (default build/cli/liftbench)")
    p.add_argument("--run", default="out/paper_genomics", help="finished paper run: DIR/model.npz, DIR/data")
    p.add_argument("--config", default=os.path.join(SOURCE_DIR, "configs", "paper_genomics.ini"),
                   help="config of train and attribute (default configs/paper_genomics.ini)")
    p.add_argument("--reps", type=int, default=5, help="alternating repetitions (default 5)")
    p.add_argument("--threads", type=int, default=2, help="threads of both (default 2)")
    p.add_argument("--batch", type=int, default=800, help="PyTorch batch of the gradient methods (default 800)")
    p.add_argument("--ig-batch", type=int, default=100,
                   help="PyTorch IG: sequences per batch, each with all steps (default 100)")
    p.add_argument("--check-float64", type=int, default=100,
                   help="sequences also checked in float64 before timing (default 100; all 800 take minutes)")
    p.add_argument("--ig-steps", type=int, default=10, help="IG steps (default 10, the paper's)")
    p.add_argument("--background", type=lambda s: [float(v) for v in s.split(",")], default=[0.3, 0.2, 0.2, 0.3],
                   help="A,C,G,T reference frequencies (default 0.3,0.2,0.2,0.3)")
    a = p.parse_args()
    if not os.access(a.liftbench, os.X_OK):
        raise SystemExit(f"no liftbench binary at {a.liftbench} (--liftbench)")
    if a.check:
        torch.set_num_threads(a.threads)
        try:
            self_check(a.liftbench, a.threads)
        except Mismatch as e:
            raise SystemExit(f"MISMATCH: {e}")
        print("check passed")
        return
    benchmark(a)


if __name__ == "__main__":
    main()
