"""Class-balanced weights and the focal loss, for training on long-tailed data.

Class-balanced weights (Cui, Jia, Lin, Song and Belongie, "Class-Balanced Loss Based on
Effective Number of Samples", CVPR 2019): a class with ``n`` training examples gets the
weight ``(1 - beta) / (1 - beta ** n)``, the inverse of its "effective number" of examples;
the weights are then scaled so that they sum to the number of classes ``K``. ``beta = 0``
gives equal weights; ``beta -> 1`` approaches inverse class frequency.

Focal loss (Lin, Goyal, Girshick, He and Dollar, "Focal Loss for Dense Object Detection",
ICCV 2017), softmax form, with per-class weights ``w``: with ``p_i`` the softmax probability
of example ``i``'s true class ``y_i``,

    loss = (1 / N) * sum_i  w[y_i] * (1 - p_i) ** gamma * (-log p_i)

a plain mean over the ``N`` examples of the batch (not divided by the sum of the weights,
unlike ``nn.CrossEntropyLoss(weight=...)``). ``gamma = 0`` with unit weights is the mean
cross-entropy.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def reweight(cls_num_list: Sequence[int], beta: float = 0.9999) -> torch.Tensor:
    """Class-balanced weights ``(1 - beta) / (1 - beta ** n_c)``, scaled to sum to ``K``.

    Args:
        cls_num_list: ``n_c``, the number of training examples of each class (all >= 1).
        beta: in ``[0, 1)`` (default 0.9999, as in the paper for CIFAR).

    Returns:
        A float32 tensor of shape ``(K,)`` whose entries sum to ``K``.
    """
    counts = [int(n) for n in cls_num_list]
    if not counts or min(counts) < 1:
        raise ValueError(f"cls_num_list: expected positive counts, got {list(cls_num_list)}")
    if not 0 <= beta < 1:
        raise ValueError(f"beta: expected in [0, 1), got {beta}")
    # BEGIN SOLUTION
    n = torch.tensor(counts, dtype=torch.float64)
    # (1 - beta) / (1 - beta ** n): the constant factor (1 - beta) is removed by the scaling below.
    weights = torch.reciprocal(1 - beta**n)  # (K,)
    weights = weights / weights.sum() * len(counts)
    return weights.to(torch.float32)
    # END SOLUTION


class FocalLoss(nn.Module):
    """Softmax focal loss with per-class weights, averaged over the batch (formula in the module docstring).

    Args:
        weight: ``(K,)`` per-class weights ``w`` (e.g. from ``reweight``); ``None`` means all ones.
        gamma: focusing parameter ``gamma >= 0`` (default 0: weighted cross-entropy).

    Shape: input ``(N, K)`` logits, target ``(N,)`` int64 class indices -> a scalar tensor.
    Compute ``log p`` with ``F.log_softmax`` (stable for large logits) and ``p = exp(log p)``.
    """

    def __init__(self, weight: torch.Tensor | None = None, gamma: float = 0.0) -> None:
        super().__init__()
        if not gamma >= 0:
            raise ValueError(f"gamma: expected >= 0, got {gamma}")
        if weight is not None and (not isinstance(weight, torch.Tensor) or weight.ndim != 1):
            raise ValueError(f"weight: expected a 1-D tensor of per-class weights, got {weight!r}")
        self.weight = weight
        self.gamma = float(gamma)

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of ``w[y_i] * (1 - p_i) ** gamma * (-log p_i)``, a scalar tensor."""
        if input.ndim != 2 or target.shape != input.shape[:1]:
            raise ValueError(f"input (N, K) and target (N,): got {tuple(input.shape)} and {tuple(target.shape)}")
        if self.weight is not None and self.weight.shape[0] != input.shape[1]:
            raise ValueError(f"weight: expected K = {input.shape[1]} entries, got {self.weight.shape[0]}")
        # BEGIN SOLUTION
        log_p = F.log_softmax(input, dim=1).gather(1, target[:, None])[:, 0]  # (N,) log p_i
        loss = (1 - log_p.exp()) ** self.gamma * -log_p  # (N,)
        if self.weight is not None:
            loss = loss * self.weight.to(input)[target]  # same dtype and device as the logits
        return loss.mean()
        # END SOLUTION
