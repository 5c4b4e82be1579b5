"""The same maps through Captum (https://captum.ai), and two attribution methods it adds.

Each function builds the Captum object on ``model`` and returns its ``attribute(...)``
result, shaped as the docstring says. Arguments are those of ``saliency.py``: ``model`` in
evaluation mode, images ``x (N, C, H, W)``, classes ``y (N,)`` int64 (Captum's ``target``),
``layer`` a module of ``model``.
"""

from __future__ import annotations

import torch
from captum.attr import (
    GuidedBackprop,
    GuidedGradCam,
    IntegratedGradients,
    LayerAttribution,
    LayerConductance,
    LayerGradCam,
    Saliency,
)
from torch import nn


def captum_saliency(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``Saliency`` with ``abs=True``, then the maximum over channels: equals ``saliency_map``.

    Shape: -> ``(N, H, W)``.
    """
    # BEGIN SOLUTION
    return Saliency(model).attribute(x, target=y, abs=True).amax(dim=1)
    # END SOLUTION


def captum_guided_backprop(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``GuidedBackprop``: equals ``guided_backprop``. Shape: -> ``(N, C, H, W)``."""
    # BEGIN SOLUTION
    return GuidedBackprop(model).attribute(x, target=y)
    # END SOLUTION


def captum_grad_cam(model: nn.Module, layer: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``LayerGradCam`` with ``relu_attributions=True``, upsampled with
    ``LayerAttribution.interpolate(..., interpolate_mode="bilinear")``: equals ``grad_cam``.

    Shape: -> ``(N, H, W)``.
    """
    # BEGIN SOLUTION
    cam = LayerGradCam(model, layer).attribute(x, target=y, relu_attributions=True)  # (N, 1, h, w)
    return LayerAttribution.interpolate(cam, tuple(x.shape[2:]), interpolate_mode="bilinear")[:, 0]
    # END SOLUTION


def captum_guided_grad_cam(model: nn.Module, layer: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``GuidedGradCam`` with ``interpolate_mode="bilinear"`` (its default is "nearest"): equals
    ``guided_grad_cam``. Shape: -> ``(N, C, H, W)``."""
    # BEGIN SOLUTION
    return GuidedGradCam(model, layer).attribute(x, target=y, interpolate_mode="bilinear")
    # END SOLUTION


def integrated_gradients(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, baseline: torch.Tensor, steps: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Integrated Gradients (Sundararajan et al., 2017) from ``baseline`` (same shape as ``x``) to ``x``.

    ``IntegratedGradients(model).attribute`` with ``baselines=baseline``, ``n_steps=steps``, its
    default method (Gauss-Legendre) and ``return_convergence_delta=True``.

    Shape: -> attributions ``(N, C, H, W)`` and the convergence deltas ``(N,)``: how far the
    attributions' sum is from ``score(x) - score(baseline)`` (completeness).
    """
    # BEGIN SOLUTION
    ig = IntegratedGradients(model)
    return ig.attribute(x, baselines=baseline, target=y, n_steps=steps, return_convergence_delta=True)
    # END SOLUTION


def layer_conductance(
    model: nn.Module, layer: nn.Module, x: torch.Tensor, y: torch.Tensor, baseline: torch.Tensor, steps: int
) -> torch.Tensor:
    """Conductance (Dhamdhere et al., 2018) of every unit of ``layer``'s output, from ``baseline`` to ``x``:
    ``LayerConductance(model, layer).attribute`` with ``baselines=baseline`` and ``n_steps=steps``.

    Shape: -> ``(N, K, h, w)``, the shape of the layer's output.
    """
    # BEGIN SOLUTION
    return LayerConductance(model, layer).attribute(x, baselines=baseline, target=y, n_steps=steps)
    # END SOLUTION
