"""Fooling images (Szegedy et al., 2014): the smallest-looking change that makes the model say another class."""

from __future__ import annotations

import torch
from torch import nn

from cnn_vis.saliency import score_gradient


def fooling_step(model: nn.Module, x: torch.Tensor, target: torch.Tensor, step_size: float) -> torch.Tensor:
    """One step of gradient ascent on the score of class ``target``, normalised per image:
    ``x + step_size * g / ||g||_2`` with ``g = d score_target / d x`` (``saliency.score_gradient``)
    and ``||g||_2`` the L2 norm of image ``n``'s whole gradient (all channels and pixels).

    Shape: x ``(N, C, H, W)``, target ``(N,)`` int64 -> ``(N, C, H, W)``, detached.
    """
    # BEGIN SOLUTION
    g = score_gradient(model, x, target)
    norms = g.flatten(start_dim=1).norm(dim=1)[:, None, None, None]  # (N, 1, 1, 1)
    return (x + step_size * g / norms).detach()
    # END SOLUTION


def make_fooling_image(
    model: nn.Module, x: torch.Tensor, target: int, step_size: float = 1.0, max_steps: int = 100
) -> tuple[torch.Tensor, int]:
    """Take ``fooling_step``s from the image ``x`` until the model predicts ``target`` or ``max_steps`` steps are taken.

    Check the prediction before each step: an image the model already assigns to ``target``
    comes back unchanged after 0 steps.

    Shape: x ``(1, C, H, W)`` -> (the last image ``(1, C, H, W)``, the number of steps taken).
    """
    if x.shape[0] != 1:
        raise ValueError(f"x: expected one image (1, C, H, W), got shape {tuple(x.shape)}")
    # BEGIN SOLUTION
    targets = torch.tensor([target])
    for steps in range(max_steps):
        with torch.no_grad():
            if int(model(x).argmax(dim=1)) == target:
                return x, steps
        x = fooling_step(model, x, targets, step_size)
    return x, max_steps
    # END SOLUTION
