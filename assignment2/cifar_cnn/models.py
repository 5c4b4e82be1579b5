"""Three classifiers of 32 x 32 colour images in PyTorch: a two-layer net, VanillaCNN and MyModel.

Each takes a batch ``x`` of shape ``(N, 3, 32, 32)`` (float, normalised) and returns class
scores (logits) of shape ``(N, K)``, ``K = num_classes``; the loss (cross-entropy or the
focal loss of losses.py) is applied outside the model. Name the submodules exactly as the
docstrings say: the tests copy weights into them by name (``model.conv1.weight`` ...).
"""

from __future__ import annotations

import torch
from torch import nn


class TwoLayerNet(nn.Module):
    """``fc2(relu(fc1(flatten(x))))``: a fully connected network with one hidden layer.

    Args:
        input_dim: ``D``, the number of entries of one example (3 * 32 * 32 for CIFAR-10).
        hidden_dim: ``H``. num_classes: ``K``.

    Submodules: ``fc1 = nn.Linear(D, H)``, ``fc2 = nn.Linear(H, K)``.

    Shape: x ``(N, ...)`` with ``D`` entries per example -> scores ``(N, K)``.
    """

    def __init__(self, input_dim: int, hidden_dim: int, num_classes: int) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, num_classes)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``(N, ...)`` -> scores ``(N, K)``: flatten everything but the batch dimension first."""
        # BEGIN SOLUTION
        x = torch.flatten(x, start_dim=1)  # (N, D)
        return self.fc2(torch.relu(self.fc1(x)))
        # END SOLUTION


class VanillaCNN(nn.Module):
    """conv 3 -> 32 (7 x 7, stride 1, no padding), ReLU, 2 x 2 max pool (stride 2), linear to ``K``.

    Args:
        num_classes: ``K`` (default 10).

    Submodules: ``conv1 = nn.Conv2d(3, 32, kernel_size=7, stride=1, padding=0)``,
    ``fc1 = nn.Linear(32 * 13 * 13, K)``. On a 32 x 32 image the convolution gives
    ``(N, 32, 26, 26)`` and the pooling ``(N, 32, 13, 13)``, flattened to ``(N, 5408)``.

    Shape: x ``(N, 3, 32, 32)`` -> scores ``(N, K)``.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.conv1 = nn.Conv2d(3, 32, kernel_size=7, stride=1, padding=0)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.fc1 = nn.Linear(32 * 13 * 13, num_classes)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``(N, 3, 32, 32)`` -> scores ``(N, K)``."""
        # BEGIN SOLUTION
        x = self.pool(torch.relu(self.conv1(x)))  # (N, 32, 13, 13)
        return self.fc1(torch.flatten(x, start_dim=1))  # (N, 5408) -> (N, K)
        # END SOLUTION


class MyModel(nn.Module):
    """Your own design: any architecture of at most 5 million parameters that maps
    ``(N, 3, 32, 32)`` to ``(N, num_classes)``.

    Ideas that work on CIFAR-10: stacks of 3 x 3 convolutions with batch normalisation and a
    non-linearity, pooling to halve the resolution as the channels grow, global average
    pooling before one linear layer. Train it with ``make train CONFIG=configs/mymodel.yaml``.

    Args:
        num_classes: ``K`` (default 10).

    Shape: x ``(N, 3, 32, 32)`` -> scores ``(N, K)``.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        # BEGIN SOLUTION
        # conv-BN-GELU blocks, 32 -> 64 -> 128 channels; each max pool halves the resolution.
        # About 0.28 M parameters: small enough to train for 20 epochs on two CPU cores.
        layers: list[nn.Module] = []
        in_channels = 3
        for width, repeats in ((32, 1), (64, 2), (128, 2)):
            for _ in range(repeats):
                layers += [nn.Conv2d(in_channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.GELU()]
                in_channels = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)  # (N, 128, 4, 4)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, num_classes))
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``(N, 3, 32, 32)`` -> scores ``(N, K)``."""
        # BEGIN SOLUTION
        return self.head(self.features(x))
        # END SOLUTION


MODELS = {"two_layer": TwoLayerNet, "vanilla_cnn": VanillaCNN, "mymodel": MyModel}


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (entries of every tensor that requires a gradient)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
