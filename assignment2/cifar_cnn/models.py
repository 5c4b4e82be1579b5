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
        # After Keller Jordan's airbench: a frozen 2 x 2 convolution that whitens the input's
        # patches (set from the first training batch), GELU, then three blocks of
        # conv -> 2x2 max pool -> BN -> GELU -> conv -> BN -> GELU (48, 192, 192 channels; the
        # resolution 31 -> 15 -> 7 -> 3), global max pooling and one linear layer whose scores are
        # divided by 9. The batch norms learn a shift only (their scale stays 1), and each
        # convolution starts as the identity on its first input channels (Dirac), the rest at
        # random: with configs/mymodel.yaml's fast learning rate for the shifts, 8 epochs reach
        # about 89%. About 1.1 M parameters. In evaluation mode it also classifies
        # mirrored and shifted copies of each image (test-time augmentation).
        def conv(c_in: int, c_out: int) -> nn.Conv2d:
            layer = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
            with torch.no_grad():
                nn.init.dirac_(layer.weight[:c_in])  # output channel i starts as input channel i
            return layer

        def norm(channels: int) -> nn.BatchNorm2d:
            layer = nn.BatchNorm2d(channels)
            layer.weight.requires_grad_(False)  # the scale stays 1: only the shift is learnt
            return layer

        self.whiten = nn.Conv2d(3, 24, kernel_size=2)  # (N, 24, 31, 31): 12 whitening filters and their negatives
        self.whiten.weight.requires_grad_(False)  # set once from data, then fixed; the bias is trained
        self.register_buffer("whitened", torch.tensor(False))  # saved with the weights
        layers: list[nn.Module] = [nn.GELU()]
        in_channels = 24
        for width in (48, 192, 192):
            layers += [conv(in_channels, width), nn.MaxPool2d(2), norm(width), nn.GELU()]
            layers += [conv(width, width), norm(width), nn.GELU()]
            in_channels = width
        self.features = nn.Sequential(*layers)  # (N, 192, 3, 3)
        self.head = nn.Sequential(
            nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(in_channels, num_classes, bias=False)
        )
        self.score_scale = 1 / 9  # small scores at the start: the softmax is not saturated early
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x ``(N, 3, 32, 32)`` -> scores ``(N, K)``."""
        # BEGIN SOLUTION
        if self.training and not bool(self.whitened):
            # First training batch: filters = the eigenvectors of the covariance of the 2 x 2
            # patches, each divided by the square root of its eigenvalue (PCA whitening).
            with torch.no_grad(), torch.autocast(x.device.type, enabled=False):
                patches = x.float().unfold(2, 2, 1).unfold(3, 2, 1)  # (N, 3, 31, 31, 2, 2)
                patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, 12)  # (P, 12), as (c, kh, kw)
                patches = patches - patches.mean(dim=0)
                eigvals, eigvecs = torch.linalg.eigh(patches.T @ patches / patches.shape[0])
                filters = (eigvecs.T / (eigvals + 5e-4).sqrt()[:, None]).reshape(12, 3, 2, 2)
                self.whiten.weight.copy_(torch.cat([filters, -filters]))
                self.whitened.fill_(True)

        def scores_of(images: torch.Tensor) -> torch.Tensor:
            return self.score_scale * self.head(self.features(self.whiten(images)))

        def mirrored(images: torch.Tensor) -> torch.Tensor:
            return 0.5 * (scores_of(images) + scores_of(images.flip(3)))

        if self.training:
            return scores_of(x)
        # Evaluation: the mean of the scores of the images and their mirror images, averaged
        # with those of the images moved by one pixel up-left and down-right (reflection padding).
        padded = nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")
        moved = 0.5 * (mirrored(padded[:, :, :-2, :-2]) + mirrored(padded[:, :, 2:, 2:]))
        return 0.5 * (mirrored(x) + moved)
        # END SOLUTION


MODELS = {"two_layer": TwoLayerNet, "vanilla_cnn": VanillaCNN, "mymodel": MyModel}


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (entries of every tensor that requires a gradient)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
