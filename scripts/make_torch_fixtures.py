#!/usr/bin/python3
"""Builds the PyTorch fixtures of tests/data/torch/ (run by hand, not by CI):

    /usr/bin/python3 scripts/make_torch_fixtures.py [OUT_DIR]     (default tests/data/torch)

Needs Debian's python3-torch, python3-numpy and python3-onnx. For each small model with random
weights (and, for batch norm, random running statistics) it writes

    <name>.model.npz   the model's state_dict, exactly as numpy.savez writes it
    <name>.spec        "input CxL", "output sigmoid", "layers <liftbench model.layers>" lines:
                       the same network in liftbench's spelling, with the state_dict's names
    <name>.data.npz    x (N,4,L) one-hot inputs, r (4,L) the reference, logits (N,T),
                       grad (T,N,4,L) autograd gradients of each logit with respect to x,
                       rescale (T,N,4,L) DeepLIFT-Rescale multipliers computed here, in
                       PyTorch, by an independent implementation (below)
    <name>.onnx        the model as torch.onnx.export writes it (opset 13, dynamic batch axis,
                       batch norm kept as BatchNormalization with the state_dict's names:
                       training=TrainingMode.PRESERVE on the model in eval mode; EVAL would
                       fold each batch norm into the convolution before it)

tests/attribution/torch_fixture_test.cpp checks liftbench against them, with the model loaded
from the state_dict and from the .onnx file (tests/model/onnx_test.cpp checks the import itself): predictions and gradients
within 1e-5, DeepLIFT Rescale against this script's multipliers, summation-to-delta.

The DeepLIFT reference here is the "rescale trick": the network is run on x with every
elementwise nonlinearity replaced by a function whose backward multiplies by
(f(z) - f(z0)) / (z - z0), z0 the same unit on the reference (f'(z0) when |z - z0| < 1e-7);
everything else (convolutions, batch norm in eval mode, pooling, dropout in eval mode) keeps its
autograd backward, which for linear layers is DeepLIFT's Linear rule and for max pools is
deeplift's gradient rule.
"""
import copy
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

NEAR_ZERO = 1e-7


class RescaleFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, z0, f):
        y, y0 = f(z), f(z0)
        ctx.save_for_backward(z, z0, y, y0)
        ctx.f = f
        return y

    @staticmethod
    def backward(ctx, g):
        z, z0, y, y0 = ctx.saved_tensors
        dz = z - z0
        with torch.enable_grad():
            zz = z0.detach().requires_grad_(True)
            (d0,) = torch.autograd.grad(ctx.f(zz).sum(), zz)
        scale = torch.where(dz.abs() >= NEAR_ZERO, (y - y0) / torch.where(dz == 0, torch.ones_like(dz), dz), d0)
        return g * scale, None, None


ELEMENTWISE = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.ELU, nn.GELU)


def rescale_multipliers(model, x, r, task):
    """DeepLIFT-Rescale multipliers of logit `task` at x against the reference r (1,4,L)."""
    layers = list(model.body)
    zs0 = []
    h0 = r
    with torch.no_grad():
        for layer in layers:
            zs0.append(h0)
            h0 = layer(h0)
    h = x.clone().requires_grad_(True)
    out = h
    for layer, z0 in zip(layers, zs0):
        if isinstance(layer, ELEMENTWISE):
            out = RescaleFn.apply(out, z0.expand_as(out), layer)
        else:
            out = layer(out)
    (g,) = torch.autograd.grad(out[:, task].sum(), h)
    return g


class Rec(nn.Module):
    """An elementwise nonlinearity that can record its reference input and then apply the
    rescale trick against it: what rescale_multipliers does for a Sequential, for any graph."""

    def __init__(self, f):
        super().__init__()
        self.f, self.mode, self.z0 = f, "plain", None

    def forward(self, z):
        if self.mode == "record":
            self.z0 = z.detach()
        if self.mode == "rescale":
            return RescaleFn.apply(z, self.z0.expand_as(z), self.f)
        return self.f(z)


def rescale_multipliers_graph(model, x, r, task):
    """DeepLIFT-Rescale multipliers of logit `task` for a model whose nonlinearities are Rec."""
    recs = [m for m in model.modules() if isinstance(m, Rec)]
    for m in recs:
        m.mode = "record"
    with torch.no_grad():
        model(r)
    for m in recs:
        m.mode = "rescale"
    h = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(h)[:, task].sum(), h)
    for m in recs:
        m.mode = "plain"
    return g


class Residual(nn.Module):
    """BPNet-like: a stem, dilated residual blocks h = h + relu(conv(h)), a cropped profile head
    and a count head on the mean over positions, concatenated."""

    def __init__(self, L):
        super().__init__()
        self.stem = nn.Conv1d(4, 8, 7, padding=3)
        self.stem_act = Rec(nn.ReLU())
        self.body = nn.ModuleList([nn.Conv1d(8, 8, 3, padding=d, dilation=d) for d in (2, 4, 8)])
        self.acts = nn.ModuleList([Rec(nn.ReLU()) for _ in range(3)])
        self.profile = nn.Conv1d(8, 2, 5, padding=2)
        self.counts = nn.Linear(8, 2)
        self.crop = (L - 8) // 2

    def forward(self, x):
        h = self.stem_act(self.stem(x))
        for conv, act in zip(self.body, self.acts):
            h = h + act(conv(h))
        prof = self.profile(h)[:, :, self.crop:h.shape[2] - self.crop].flatten(1)
        return torch.cat([prof, self.counts(h.mean(dim=2))], dim=1)


class Net(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = nn.Sequential(*body)

    def forward(self, x):
        return self.body(x)


def models(L):
    basset = Net([
        nn.Conv1d(4, 16, 11, padding=5), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(4),
        nn.Conv1d(16, 16, 7, padding=3), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(4),
        nn.Flatten(), nn.Linear(16 * (L // 16), 24), nn.ReLU(), nn.Dropout(0.3), nn.Linear(24, 3),
    ])
    basset_spec = ("body.0=conv1d(16,11,padding=5) body.1=batchnorm body.2=relu body.3=maxpool(4) "
                   "body.4=conv1d(16,7,padding=3) body.5=batchnorm body.6=relu body.7=maxpool(4) "
                   "body.8=flatten body.9=dense(24) body.10=relu body.11=dropout(0.3) body.12=dense(3)")
    deepsea = Net([
        nn.Conv1d(4, 12, 8), nn.ReLU(), nn.MaxPool1d(4, 4), nn.Conv1d(12, 12, 5, dilation=2), nn.ReLU(),
        nn.AvgPool1d(2), nn.Flatten(), nn.LazyLinear(16), nn.Sigmoid(), nn.Linear(16, 4),
    ])
    deepsea_spec = ("body.0=conv1d(12,8) body.1=relu body.2=maxpool(4) body.3=conv1d(12,5,dilation=2) body.4=relu "
                    "body.5=avgpool(2) body.6=flatten body.7=dense(16) body.8=sigmoid body.9=dense(4)")
    smooth = Net([
        nn.Conv1d(4, 8, 5, padding=2), nn.BatchNorm1d(8), nn.ELU(alpha=0.5), nn.Conv1d(8, 8, 3, padding=2, dilation=2),
        nn.Tanh(), nn.Conv1d(8, 8, 3, padding=1), nn.GELU(), nn.AvgPool1d(4), nn.Conv1d(8, 6, 3), nn.Softplus(),
        nn.Flatten(), nn.LazyLinear(2),
    ])
    smooth_spec = ("body.0=conv1d(8,5,padding=2) body.1=batchnorm body.2=elu(alpha=0.5) "
                   "body.3=conv1d(8,3,padding=2,dilation=2) body.4=tanh body.5=conv1d(8,3,padding=1) body.6=gelu "
                   "body.7=avgpool(4) body.8=conv1d(6,3) body.9=softplus body.10=flatten body.11=dense(2)")
    with torch.random.fork_rng():  # its own seed: the models above keep the draws they always had
        torch.manual_seed(2)
        residual = Residual(L)
    c = residual.crop
    residual_spec = ("stem=conv1d(8,7,padding=3) r0=relu body.0=conv1d(8,3,padding=2,dilation=2) r1=relu "
                     "a1=add(r0,r1) body.1=conv1d(8,3,padding=4,dilation=4) r2=relu a2=add(a1,r2) "
                     "body.2=conv1d(8,3,padding=8,dilation=8) r3=relu a3=add(a2,r3) profile=conv1d(2,5,padding=2) "
                     f"crop(left={c},right={c}) flatten g=gap@a3 counts=dense(2) heads=concat(flatten1,counts)")
    return [("basset_like", basset, basset_spec), ("deepsea_like", deepsea, deepsea_spec),
            ("smooth_zoo", smooth, smooth_spec), ("residual", residual, residual_spec)]


class Crop(nn.Module):
    """x[:, :, left:-right]: torch.onnx writes a Slice of the last axis."""

    def __init__(self, left, right):
        super().__init__()
        self.left, self.right = left, right

    def forward(self, x):
        return x[:, :, self.left:-self.right]


class View(nn.Module):
    """x.view(x.size(0), -1): torch.onnx writes Shape, Gather, Unsqueeze, Concat, Reshape."""

    def forward(self, x):
        return x.view(x.size(0), -1)


class Mean(nn.Module):
    """x.mean(-1): torch.onnx writes ReduceMean(axes=[-1], keepdims=0)."""

    def forward(self, x):
        return x.mean(-1)


def functional_models(L):
    """Models whose torch.onnx graphs need folding: F.pad's computed pads before a convolution
    (nn.ConstantPad1d), slicing, view and mean; built from their own seed so that the models
    above keep their weights."""
    with torch.random.fork_rng():
        torch.manual_seed(3)
        return functional_models_seeded(L)


def functional_models_seeded(L):
    ops = Net([
        nn.ConstantPad1d((2, 1), 0.0), nn.Conv1d(4, 8, 4), nn.ELU(alpha=0.7), Crop(2, 3),
        nn.Conv1d(8, 8, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool1d(3, 2, padding=1), View(),
        nn.LazyLinear(6), nn.Softplus(), nn.Linear(6, 3),
    ])
    ops_spec = ("body.1=conv1d(8,4,padding=(2,1)) body.2=elu(alpha=0.7) body.3=crop(left=2,right=3) "
                "body.4=conv1d(8,3,2,padding=1) body.5=relu body.6=maxpool(3,2,padding=1) body.7=flatten "
                "body.8=dense(6) body.9=softplus body.10=dense(3)")
    gap = Net([nn.Conv1d(4, 8, 5, padding=2), nn.BatchNorm1d(8), nn.GELU(), Mean(), nn.Linear(8, 2)])
    gap_spec = "body.0=conv1d(8,5,padding=2) body.1=batchnorm body.2=gelu body.3=gap body.4=dense(2)"
    return [("torch_ops", ops, ops_spec), ("gap_head", gap, gap_spec)]


def all_models(L):
    yield from models(L)
    yield from functional_models(L)  # constructed after the models above have drawn their weights


def export_onnx(model, x, path):
    """The model as a user would export it: opset 13, a dynamic batch axis, batch norm kept."""
    torch.onnx.export(model, x, path, opset_version=13, input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE)
    onnx.checker.check_model(onnx.load(path), full_check=True)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                                                                   "torch")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    L, N = 64, 6
    for name, model, spec in all_models(L):
        x = np.zeros((N, 4, L), np.float32)
        x[np.arange(N)[:, None], rng.integers(0, 4, (N, L)), np.arange(L)[None, :]] = 1.0
        r = np.tile(np.array([0.3, 0.2, 0.2, 0.3], np.float32)[:, None], (1, L))
        xt, rt = torch.from_numpy(x), torch.from_numpy(r)[None]
        model(xt)  # materialises the lazy layers
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                with torch.no_grad():
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.3, 0.3)
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 1.5)
        model.eval()
        state = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()
                 if not k.endswith("num_batches_tracked")}
        np.savez(os.path.join(out_dir, name + ".model.npz"), **state)
        # The expected values in float64, from exactly the float32 weights saved above: the
        # truth against which liftbench's float32 arithmetic is measured.
        md = copy.deepcopy(model).double()
        xd, rd = xt.double(), rt.double()
        with torch.no_grad():
            logits = md(xd).numpy()
        T = logits.shape[1]
        grad = np.zeros((T, N, 4, L))
        rescale = np.zeros((T, N, 4, L))
        for t in range(T):
            xg = xd.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(md(xg)[:, t].sum(), xg)
            grad[t] = g.numpy()
            multipliers = rescale_multipliers_graph if isinstance(md, Residual) else rescale_multipliers
            rescale[t] = multipliers(md, xd, rd, t).numpy()
        np.savez(os.path.join(out_dir, name + ".data.npz"), x=x, r=r, logits=logits, grad=grad, rescale=rescale)
        export_onnx(model, xt[:1], os.path.join(out_dir, name + ".onnx"))
        with open(os.path.join(out_dir, name + ".spec"), "w") as f:
            f.write(f"input 4x{L}\noutput sigmoid\nlayers {spec}\n")
        print(f"{name}: {sum(v.size for v in state.values())} parameters, logits {logits.shape}")


if __name__ == "__main__":
    main()
