"""Style transfer (Gatys et al., CVPR 2016): an image with the content of one picture and the style of another.

The features are the list of a network's feature maps (``(1, C_l, H_l, W_l)`` each) that a
function ``extract(img) -> list[Tensor]`` returns. The loss of an image is
``content_loss + style_loss + tv_loss``, minimised over the image's pixels with Adam.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch


def content_loss(content_weight: float, current: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """``content_weight * sum((current - original) ** 2)``, a scalar tensor.

    Shape: current and original ``(1, C, H, W)`` (the content layer's features) -> ``()``.
    """
    # BEGIN SOLUTION
    return content_weight * (current - original).square().sum()
    # END SOLUTION


def gram_matrix(features: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """``G[n, c, d] = sum_{i,j} features[n, c, i, j] * features[n, d, i, j]``, divided by ``C * H * W``
    when ``normalize``. Use one batched matrix product, no Python loop.

    Shape: ``(N, C, H, W)`` -> ``(N, C, C)``.
    """
    N, C, H, W = features.shape
    # BEGIN SOLUTION
    flat = features.reshape(N, C, H * W)  # (N, C, HW)
    gram = flat @ flat.transpose(1, 2)  # (N, C, C)
    if normalize:
        gram = gram / (C * H * W)
    return gram
    # END SOLUTION


def style_loss(
    feats: Sequence[torch.Tensor],
    style_layers: Sequence[int],
    style_targets: Sequence[torch.Tensor],
    style_weights: Sequence[float],
) -> torch.Tensor:
    """``sum_i style_weights[i] * sum((gram_matrix(feats[style_layers[i]]) - style_targets[i]) ** 2)``.

    ``style_targets[i]`` is the (normalised) Gram matrix of the style image at layer ``style_layers[i]``.
    Returns a scalar tensor.
    """
    # BEGIN SOLUTION
    terms = zip(style_layers, style_targets, style_weights, strict=True)
    return sum(weight * (gram_matrix(feats[layer]) - target).square().sum() for layer, target, weight in terms)
    # END SOLUTION


def tv_loss(img: torch.Tensor, tv_weight: float) -> torch.Tensor:
    """Total variation: ``tv_weight`` times the sum of the squared differences of vertically and of
    horizontally neighbouring pixels, over all channels. A scalar tensor.

    Shape: img ``(N, C, H, W)`` -> ``()``.
    """
    # BEGIN SOLUTION
    down = img.diff(dim=2)  # (N, C, H-1, W): img[:, :, i+1, j] - img[:, :, i, j]
    right = img.diff(dim=3)  # (N, C, H, W-1)
    return tv_weight * (down.square().sum() + right.square().sum())
    # END SOLUTION


def style_transfer(
    extract: Callable[[torch.Tensor], list[torch.Tensor]],
    content_img: torch.Tensor,
    style_img: torch.Tensor,
    init_img: torch.Tensor,
    content_layer: int,
    content_weight: float,
    style_layers: Sequence[int],
    style_weights: Sequence[float],
    tv_weight: float,
    iterations: int,
    learning_rate: float,
    decay_at: int,
    decayed_learning_rate: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimise the total loss over the pixels of an image that starts as ``init_img``.

    1. Without gradients: the content target ``extract(content_img)[content_layer]`` and the style
       targets ``gram_matrix(extract(style_img)[l])`` for ``l`` in ``style_layers``.
    2. ``torch.optim.Adam([img], lr=learning_rate)`` on a copy of ``init_img`` that requires grad.
    3. ``iterations`` times: at iteration ``t == decay_at`` (counted from 0) set the learning rate of
       the optimiser's parameter group to ``decayed_learning_rate`` first; then the total loss of
       ``img`` (content + style + total variation), its gradient and one ``optimizer.step()``.

    Returns the final image (detached) and the total loss of each iteration, before its step.

    Shape: images ``(1, 3, H, W)`` (the style image may have another size) -> ``(1, 3, H, W)``, ``(iterations,)``.
    """
    # BEGIN SOLUTION
    with torch.no_grad():
        content_target = extract(content_img)[content_layer]
        style_feats = extract(style_img)
        style_targets = [gram_matrix(style_feats[layer]) for layer in style_layers]
    img = init_img.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([img], lr=learning_rate)
    losses = []
    for t in range(iterations):
        if t == decay_at:
            optimizer.param_groups[0]["lr"] = decayed_learning_rate
        feats = extract(img)
        loss = content_loss(content_weight, feats[content_layer], content_target)
        loss = loss + style_loss(feats, style_layers, style_targets, style_weights) + tv_loss(img, tv_weight)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    return img.detach(), torch.stack(losses)
    # END SOLUTION
