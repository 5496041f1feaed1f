#!/usr/bin/python3
"""Builds tests/data/torch/bpnet_heads.{onnx,data.npz} (run by hand, not by CI):

    /usr/bin/python3 scripts/make_bpnet_fixture.py [OUT_DIR]     (default tests/data/torch)

A BPNet in miniature with two graph outputs, profile (N, 2, 64) and counts (N, 1), exported to
ONNX as a user exports bpnet-lite's models, and in float64 PyTorch the attributions of its
targets (docs/attribution.md, "Targets"):

    x (N,4,L), r (4,L)      one-hot inputs and the background reference
    logits (N, 129)         the profile flattened in PyTorch's order, then the count
    value_profile (N,), value_profile_r (N,)   Σ p softmax(p) at x and at r (p: centred logits)
    grad_profile (N,4,L)    autograd gradient of the profile target
    rescale_profile         DeepLIFT-Rescale multipliers of the profile target, the scaling
                            p*softmax(p) treated as an elementwise nonlinearity (as tangermeme's
                            and bpnet-lite's _ProfileLogitScaling under DeepLIFT)
    rescale_detached        the same with w = softmax(p(x)) detached (held for the reference)
    rescale_counts          DeepLIFT-Rescale multipliers of the count

tests/attribution/targets_test.cpp checks liftbench's targets against them. The DeepLIFT here is
make_torch_fixtures.py's rescale trick (its RescaleFn and Rec), written independently of
liftbench's engine.
"""
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from make_torch_fixtures import NEAR_ZERO, Rec  # noqa: E402


class BPNetHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv1d(4, 8, 7, padding=3)
        self.r0 = Rec(torch.relu)
        self.body = nn.Conv1d(8, 8, 3, padding=2, dilation=2)
        self.r1 = Rec(torch.relu)
        self.profile = nn.Conv1d(8, 2, 5, padding=2)
        self.counts = nn.Linear(8, 1)

    def forward(self, x):
        h = self.r0(self.stem(x))
        h = h + self.r1(self.body(h))
        return self.profile(h), self.counts(h.mean(dim=2))


def centred(profile):
    p = profile.reshape(profile.shape[0], -1)
    return p - p.mean(dim=1, keepdim=True)


class ProfileScaling(torch.autograd.Function):
    """q = p * softmax(p) per row, with DeepLIFT's Rescale against the reference's p0 in its
    backward: g * Δq/Δp, or the true vector-Jacobian product where |Δp| < NEAR_ZERO."""

    @staticmethod
    def forward(ctx, p, p0):
        q, q0 = p * torch.softmax(p, dim=1), p0 * torch.softmax(p0, dim=1)
        ctx.save_for_backward(p, p0, q, q0)
        return q

    @staticmethod
    def backward(ctx, g):
        p, p0, q, q0 = ctx.saved_tensors
        with torch.enable_grad():
            pp = p.detach().requires_grad_(True)
            (vjp,) = torch.autograd.grad((pp * torch.softmax(pp, dim=1) * g).sum(), pp)
        dp = p - p0
        scale = torch.where(dp.abs() >= NEAR_ZERO, g * (q - q0) / torch.where(dp == 0, torch.ones_like(dp), dp), vjp)
        return scale, None


def recs(model, mode):
    for m in model.modules():
        if isinstance(m, Rec):
            m.mode = mode


def rescale(model, x, r, target):
    """Multipliers of target(model outputs at x, outputs at r) under the rescale trick."""
    recs(model, "record")
    with torch.no_grad():
        out_r = model(r)
    recs(model, "rescale")
    h = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(target(model(h), out_r).sum(), h)
    recs(model, "plain")
    return g


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                                                                   "torch")
    torch.manual_seed(3)
    rng = np.random.default_rng(3)
    L, N = 64, 5
    model = BPNetHeads().eval()
    x = np.zeros((N, 4, L), np.float32)
    x[np.arange(N)[:, None], rng.integers(0, 4, (N, L)), np.arange(L)[None, :]] = 1.0
    r = np.tile(np.array([0.3, 0.2, 0.2, 0.3], np.float32)[:, None], (1, L))
    xt = torch.from_numpy(x)
    torch.onnx.export(model, xt[:1], os.path.join(out_dir, "bpnet_heads.onnx"), opset_version=13, input_names=["x"],
                      output_names=["profile", "counts"],
                      dynamic_axes={"x": {0: "batch"}, "profile": {0: "batch"}, "counts": {0: "batch"}})
    onnx.checker.check_model(onnx.load(os.path.join(out_dir, "bpnet_heads.onnx")), full_check=True)

    md = model.double()
    xd, rd = xt.double(), torch.from_numpy(r).double()[None]
    with torch.no_grad():
        prof, cnt = md(xd)
        prof_r, _ = md(rd)
    logits = torch.cat([prof.reshape(N, -1), cnt], dim=1).numpy()

    def value(p):
        return (p * torch.softmax(p, dim=1)).sum(dim=1)

    xg = xd.clone().requires_grad_(True)
    (grad_profile,) = torch.autograd.grad(value(centred(md(xg)[0])).sum(), xg)

    def profile_target(out, out_r):
        p, p0 = centred(out[0]), centred(out_r[0]).expand(out[0].shape[0], -1)
        return ProfileScaling.apply(p, p0).sum(dim=1)

    w = torch.softmax(centred(prof), dim=1).detach()

    def detached_target(out, out_r):
        return (w * centred(out[0])).sum(dim=1)

    def counts_target(out, out_r):
        return out[1][:, 0]

    np.savez(os.path.join(out_dir, "bpnet_heads.data.npz"), x=x, r=r, logits=logits,
             value_profile=value(centred(prof)).numpy(), value_profile_r=value(centred(prof_r)).numpy(),
             grad_profile=grad_profile.numpy(), rescale_profile=rescale(md, xd, rd, profile_target).numpy(),
             rescale_detached=rescale(md, xd, rd, detached_target).numpy(),
             rescale_counts=rescale(md, xd, rd, counts_target).numpy())
    print(f"bpnet_heads: logits {logits.shape}")


if __name__ == "__main__":
    main()
