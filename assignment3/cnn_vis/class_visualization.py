"""Class visualisation (Simonyan et al., 2014; Yosinski et al., 2015): an image the model finds most "class-like".

Gradient ascent from noise on ``score_target(img) - l2_reg * ||img||^2``, with the image
jittered (rolled a few pixels) before each step and blurred now and then: both keep the
high-frequency patterns that fool a network out of the picture.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def gaussian_blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    """Given: each channel convolved with a Gaussian of standard deviation ``sigma`` pixels
    (radius ``ceil(2 * sigma)``, reflected at the borders). ``sigma == 0`` returns ``img``.

    Shape: ``(N, C, H, W)`` -> ``(N, C, H, W)``.
    """
    if sigma <= 0:
        return img
    C = img.shape[1]
    radius = max(1, math.ceil(2 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=img.dtype, device=img.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    padded = F.pad(img, (radius, radius, radius, radius), mode="reflect")
    rows = F.conv2d(padded, k.view(1, 1, -1, 1).repeat(C, 1, 1, 1), groups=C)  # along H
    return F.conv2d(rows, k.view(1, 1, 1, -1).repeat(C, 1, 1, 1), groups=C)  # along W


def draw_jitters(rng: np.random.Generator, num_iterations: int, max_jitter: int) -> np.ndarray:
    """Given: ``(num_iterations, 2)`` int64 offsets ``(ox, oy)``, uniform in ``[-max_jitter, max_jitter]``."""
    return rng.integers(-max_jitter, max_jitter + 1, size=(num_iterations, 2))


def jitter(img: torch.Tensor, ox: int, oy: int) -> torch.Tensor:
    """Roll the image ``ox`` pixels right and ``oy`` pixels down, circularly:
    ``out[..., i, j] = img[..., i - oy, j - ox]`` (indices modulo ``H`` and ``W``);
    ``jitter(jitter(img, ox, oy), -ox, -oy)`` is ``img``.

    Shape: ``(N, C, H, W)`` -> ``(N, C, H, W)``.
    """
    # BEGIN SOLUTION
    return torch.roll(img, shifts=(oy, ox), dims=(2, 3))
    # END SOLUTION


def class_visualization_step(
    model: nn.Module, img: torch.Tensor, target: int, l2_reg: float, learning_rate: float
) -> torch.Tensor:
    """One step of gradient ascent on ``model(img)[0, target] - l2_reg * sum(img ** 2)``, normalised:
    ``img + learning_rate * g / ||g||_2`` with ``g`` the objective's gradient with respect to ``img``.

    Shape: img ``(1, C, H, W)`` -> ``(1, C, H, W)``, detached.
    """
    # BEGIN SOLUTION
    img = img.detach().clone().requires_grad_(True)
    objective = model(img)[0, target] - l2_reg * img.square().sum()
    (g,) = torch.autograd.grad(objective, img)
    return (img + learning_rate * g / g.norm()).detach()
    # END SOLUTION


def create_class_visualization(
    model: nn.Module,
    target: int,
    init: torch.Tensor,
    jitters: np.ndarray,
    l2_reg: float,
    learning_rate: float,
    low: torch.Tensor,
    high: torch.Tensor,
    blur_every: int = 0,
    blur_sigma: float = 0.5,
) -> torch.Tensor:
    """Gradient ascent from ``init``, one iteration per row ``(ox, oy)`` of ``jitters``. Iteration ``t``
    (counted from 0):

    1. ``jitter`` the image by ``(ox, oy)``;
    2. one ``class_visualization_step``;
    3. undo the jitter (``-ox, -oy``);
    4. clamp every pixel of channel ``c`` into ``[low[0, c, 0, 0], high[0, c, 0, 0]]`` (the normalised
       values of black and white: ``torch.minimum`` and ``torch.maximum`` broadcast them);
    5. when ``blur_every > 0`` and ``t + 1`` is a multiple of it, ``gaussian_blur(img, blur_sigma)``.

    Shape: init ``(1, C, H, W)``, jitters ``(T, 2)`` int, low and high ``(1, C, 1, 1)`` -> ``(1, C, H, W)``.
    """
    # BEGIN SOLUTION
    img = init.detach().clone()
    for t, (ox, oy) in enumerate(np.asarray(jitters).tolist()):
        img = jitter(img, ox, oy)
        img = class_visualization_step(model, img, target, l2_reg, learning_rate)
        img = jitter(img, -ox, -oy)
        img = torch.maximum(torch.minimum(img, high), low)
        if blur_every and (t + 1) % blur_every == 0:
            img = gaussian_blur(img, blur_sigma)
    return img
    # END SOLUTION
