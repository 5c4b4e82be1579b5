"""What a CNN looks at, with autograd and hooks: saliency maps, guided backpropagation, Grad-CAM.

Every function takes a classifier ``model`` (in evaluation mode; do not change its weights
or its mode), a batch of normalised images ``x`` of shape ``(N, C, H, W)`` and the classes
``y`` of shape ``(N,)`` (int64) whose scores are explained. "Score" always means the
*unnormalised* class score (logit) the model returns, never a softmax probability. Leave
``x`` and ``model`` as they were: compute gradients of a detached copy of ``x``
(``torch.autograd.grad`` leaves the parameters' ``.grad`` alone; ``.backward()`` does not).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnn_vis.model import replace_relus


def _check(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.dim() != 4:
        raise ValueError(f"x: expected (N, C, H, W), got shape {tuple(x.shape)}")
    if y.shape != (x.shape[0],) or y.dtype != torch.int64:
        raise ValueError(f"y: expected int64 of shape ({x.shape[0]},), got {y.dtype} {tuple(y.shape)}")


def score_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Gradient of the scores of classes ``y`` with respect to the images.

    ``out[n] = d model(x)[n, y[n]] / d x[n]``: one backward pass of the sum of the N scores
    gives all N gradients at once, since image ``n`` affects only score ``n`` (in evaluation mode).

    Shape: x ``(N, C, H, W)``, y ``(N,)`` -> ``(N, C, H, W)``, detached.
    """
    _check(x, y)
    # BEGIN SOLUTION
    x = x.detach().clone().requires_grad_(True)
    scores = model(x)[torch.arange(len(y)), y]  # (N,): the score of class y[n] for image n
    (grad,) = torch.autograd.grad(scores.sum(), x)
    return grad
    # END SOLUTION


def saliency_map(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Saliency map of Simonyan et al. (2014): ``max_c |d score / d x[n, c, i, j]|``.

    Shape: x ``(N, C, H, W)``, y ``(N,)`` -> ``(N, H, W)``.
    """
    # BEGIN SOLUTION
    return score_gradient(model, x, y).abs().amax(dim=1)
    # END SOLUTION


class GuidedReLU(torch.autograd.Function):
    """ReLU forward; backward passes a gradient only where both the input and the incoming gradient are positive.

    ``forward(x) = max(x, 0)``; ``backward(g) = max(g, 0) * [x > 0]`` (Springenberg et al., 2015).
    The derivative at ``x == 0`` is 0, as for torch's ReLU. Use it as ``GuidedReLU.apply(x)``.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        ctx.save_for_backward(x)
        return x.clamp(min=0)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        (x,) = ctx.saved_tensors
        return grad_output.clamp(min=0) * (x > 0)
        # END SOLUTION


def guided_backprop(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Guided backpropagation: ``score_gradient`` of a copy of ``model`` whose ReLU modules call ``GuidedReLU``.

    ``model.replace_relus(model, fn)`` (given) returns that copy; ``model`` itself is unchanged.

    Shape: x ``(N, C, H, W)``, y ``(N,)`` -> ``(N, C, H, W)`` (signed, not reduced over channels).
    """
    # BEGIN SOLUTION
    return score_gradient(replace_relus(model, GuidedReLU.apply), x, y)
    # END SOLUTION


def grad_cam(model: nn.Module, layer: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Grad-CAM of Selvaraju et al. (2017) on the output ``A`` of the module ``layer`` of ``model``.

    With ``A`` of shape ``(N, K, h, w)`` and ``G = d score / d A`` (same shape):
    ``alpha[n, k] = mean_{i,j} G[n, k, i, j]``, ``cam[n] = relu(sum_k alpha[n, k] * A[n, k])``
    of shape ``(h, w)``, then upsampled to ``(H, W)`` with
    ``F.interpolate(..., mode="bilinear", align_corners=False)`` (the ReLU comes first).

    Catch ``A`` with a forward hook (``layer.register_forward_hook``) and ``G`` with a backward
    hook (``layer.register_full_backward_hook``: its ``grad_output[0]``); remove both hooks
    before returning, also when something fails (``try`` / ``finally``).

    Shape: x ``(N, C, H, W)``, y ``(N,)`` -> ``(N, H, W)``, detached.
    """
    _check(x, y)
    # BEGIN SOLUTION
    acts, grads = [], []
    handles = [
        layer.register_forward_hook(lambda module, inputs, output: acts.append(output)),
        layer.register_full_backward_hook(lambda module, grad_in, grad_out: grads.append(grad_out[0])),
    ]
    try:
        score_gradient(model, x, y)  # the backward pass runs the hooks
    finally:
        for handle in handles:
            handle.remove()
    alpha = grads[0].mean(dim=(2, 3), keepdim=True)  # (N, K, 1, 1)
    cam = torch.relu((alpha * acts[0]).sum(dim=1, keepdim=True))  # (N, 1, h, w)
    cam = F.interpolate(cam, size=tuple(x.shape[2:]), mode="bilinear", align_corners=False)
    return cam[:, 0].detach()  # (N, H, W)
    # END SOLUTION


def guided_grad_cam(model: nn.Module, layer: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Guided Grad-CAM: ``guided_backprop`` times the (upsampled) ``grad_cam`` map, for every channel.

    Shape: x ``(N, C, H, W)``, y ``(N,)`` -> ``(N, C, H, W)``.
    """
    # BEGIN SOLUTION
    return guided_backprop(model, x, y) * grad_cam(model, layer, x, y)[:, None]
    # END SOLUTION
