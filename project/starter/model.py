"""Two small classifiers to start from; replace them with your project's model."""

from __future__ import annotations

import torch
from torch import nn

from .config import ExperimentConfig


class SmallCNN(nn.Module):
    """Two 3x3 convolutions with ReLU and 2x2 max pooling, global average pooling, dropout, a linear layer.

    Args:
        in_channels: C of the input images.
        width: channels of the first convolution (the second has twice as many).
        num_classes: K.
        dropout: probability of zeroing a pooled feature during training.

    Shape:
        x (N, C, H, W) -> logits (N, K); H and W at least 4.
    """

    def __init__(self, in_channels: int, width: int, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, kernel_size=3, padding=1),  # (N, w, H, W)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, w, H/2, W/2)
            nn.Conv2d(width, 2 * width, kernel_size=3, padding=1),  # (N, 2w, H/2, W/2)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 2w, H/4, W/4)
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * width, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x).mean(dim=(2, 3))  # (N, 2w): global average pooling
        return self.head(h)  # (N, K)


class MLP(nn.Module):
    """Flatten, one hidden layer with ReLU and dropout, a linear layer.

    Shape:
        x (N, C, H, W) -> logits (N, K)
    """

    def __init__(self, input_dim: int, width: int, num_classes: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),  # (N, C*H*W)
            nn.Linear(input_dim, width),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(width, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_model(config: ExperimentConfig, input_shape: tuple[int, int, int], num_classes: int) -> nn.Module:
    """The model the config names, for images of ``input_shape`` (C, H, W); initialised from torch's RNG."""
    C, H, W = input_shape
    if config.model == "cnn":
        return SmallCNN(C, config.width, num_classes, config.dropout)
    return MLP(C * H * W, config.width, num_classes, config.dropout)
