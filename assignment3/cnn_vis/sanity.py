"""Sanity checks for saliency maps (Adebayo et al., NeurIPS 2018): cascading randomisation of the weights.

The layers' weights are re-drawn one layer at a time from the top (the output layer first),
the randomisation accumulating, and after each step every method's map is compared with its
map on the trained model by Spearman's rank correlation. A map that stays the same while the
model it explains is destroyed does not explain the model.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from torch import nn


def rankdata(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n of the entries of a 1-D array, ties sharing the mean of their ranks (as scipy's default)."""
    a = np.asarray(a).ravel()
    order = np.argsort(a, kind="mergesort")
    sorted_a = a[order]
    # first index of each run of equal values, and the run lengths
    starts = np.flatnonzero(np.r_[True, sorted_a[1:] != sorted_a[:-1]])
    lengths = np.diff(np.r_[starts, a.size])
    mean_rank = starts + (lengths + 1) / 2.0  # ranks counted from 1
    ranks = np.empty(a.size)
    ranks[order] = np.repeat(mean_rank, lengths)
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two maps of the same size (Pearson's of their ranks).

    0 when either map is constant."""
    ra, rb = rankdata(a), rankdata(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = np.sqrt((ra**2).sum() * (rb**2).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else 0.0


def layer_groups(model: nn.Module) -> list[tuple[str, list[nn.Module]]]:
    """The model's layers with weights, from the top: each convolution or linear layer with the batch
    normalisation that follows it. Returns (name, modules) pairs, the output layer first."""
    groups: list[tuple[str, list[nn.Module]]] = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            groups.append((name, [module]))
        elif isinstance(module, nn.modules.batchnorm._BatchNorm) and groups:
            groups[-1][1].append(module)
    return groups[::-1]


def cascading_randomization(model: nn.Module, seed: int = 0):
    """Yield ``(layer name, model)``: first ``("none", a copy of the trained model)``, then the copy
    with its layers re-drawn (``reset_parameters``, PyTorch's initialisation) one more at a time
    from the top. The caller's model is unchanged."""
    clone = copy.deepcopy(model).eval()
    yield "none", clone
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        for name, modules in layer_groups(clone):
            for module in modules:
                module.reset_parameters()
            yield name, clone
    finally:
        torch.random.set_rng_state(generator_state)


MapFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def method_maps(cam_layer: str, ig_steps: int) -> dict[str, MapFn]:
    """Each method as ``fn(model, x, y) -> (N, H, W)`` maps of absolute importance (channels reduced)."""
    from cnn_vis import attribution, saliency

    def ig(model, x, y):
        attributions, _ = attribution.integrated_gradients(model, x, y, torch.zeros_like(x), ig_steps)
        return attributions.abs().sum(dim=1)

    return {
        "gradient": saliency.saliency_map,
        "guided_backprop": lambda m, x, y: saliency.guided_backprop(m, x, y).abs().amax(dim=1),
        "grad_cam": lambda m, x, y: saliency.grad_cam(m, m.get_submodule(cam_layer), x, y),
        "guided_grad_cam": lambda m, x, y: (
            saliency.guided_grad_cam(m, m.get_submodule(cam_layer), x, y).abs().amax(dim=1)
        ),
        "integrated_gradients": ig,
    }
