"""The classifiers whose decisions the assignment explains, and small helpers over their modules.

``CifarNet`` is the assignment's own CIFAR-10 classifier: trained here by ``make model`` and
committed as ``cnn_vis/cifar_net.pt``, so that everything runs offline. The classic
assignment's ImageNet SqueezeNet (and VGG-16 for style transfer) stay available through
torchvision on machines whose torch hub cache already holds their weights: nothing here ever
downloads them.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import torch
from torch import nn

from cnn_vis.data import CLASSES, MEAN, STD

CHECKPOINT = Path(__file__).resolve().parent / "cifar_net.pt"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class CifarNet(nn.Module):
    """Six 3 x 3 convolutions with batch normalisation and ReLU in three stages, global average pooling, linear.

    ``features`` is an ``nn.Sequential`` with named children ``conv1, bn1, relu1, conv2, bn2, relu2,
    pool1, conv3, ..., relu4, pool2, conv5, ..., relu6``: channels ``w, w, 2w, 2w, 4w, 4w`` with
    ``w = width``; each pooling halves the resolution. Every ReLU is its own (not in-place)
    module, so guided backpropagation can replace them and hooks can watch them. Grad-CAM
    uses ``features.relu6``, the last rectified feature maps (8 x 8 on a 32 x 32 image).

    Shape: x ``(N, 3, H, W)`` normalised with data.MEAN and data.STD -> scores ``(N, K)``;
    any ``H, W`` of at least 4 works (the pooling at the end is global).
    """

    def __init__(self, num_classes: int = len(CLASSES), width: int = 32) -> None:
        super().__init__()
        chans = [3, width, width, 2 * width, 2 * width, 4 * width, 4 * width]
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for i in range(1, 7):
            layers[f"conv{i}"] = nn.Conv2d(chans[i - 1], chans[i], kernel_size=3, padding=1, bias=False)
            layers[f"bn{i}"] = nn.BatchNorm2d(chans[i])
            layers[f"relu{i}"] = nn.ReLU()
            if i in (2, 4):
                layers[f"pool{i // 2}"] = nn.MaxPool2d(2)
        self.features = nn.Sequential(layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 4w, H/4, W/4)
        return self.fc(torch.flatten(self.pool(x), start_dim=1))  # (N, 4w) -> (N, K)


class Classifier(NamedTuple):
    """A model in evaluation mode with what the commands need to know about it."""

    model: nn.Module
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    classes: tuple[str, ...]
    cam_layer: str  # the module Grad-CAM watches, by name (model.get_submodule)
    image_size: int  # the side of the images it is shown


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A plain state dict, read with ``weights_only=True`` on the CPU."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint (make model trains one)")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path}: expected a state dict (parameter names -> tensors)")
    return state


def load_cifar_net(path: str | Path = CHECKPOINT) -> CifarNet:
    """``CifarNet`` with the checkpoint's weights (its width read from them), in evaluation mode."""
    state = load_state_dict(path)
    model = CifarNet(width=int(state["features.conv1.weight"].shape[0]))
    model.load_state_dict(state)
    return model.eval()


def cached_torchvision(name: str) -> nn.Module:
    """torchvision's ImageNet ``squeezenet1_1`` or ``vgg16`` with its pretrained weights, only if the
    torch hub cache already holds them; raises FileNotFoundError otherwise (never downloads)."""
    from torchvision import models

    weights = {
        "squeezenet": models.SqueezeNet1_1_Weights.IMAGENET1K_V1,
        "vgg16": models.VGG16_Weights.IMAGENET1K_V1,
    }[name]
    file = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    if not file.is_file():
        raise FileNotFoundError(
            f"{name}: no cached ImageNet weights at {file} (this code never downloads them; "
            "copy the file there from a machine with internet, or use model: cifar)"
        )
    model = getattr(models, "squeezenet1_1" if name == "squeezenet" else "vgg16")()
    model.load_state_dict(torch.load(file, map_location="cpu", weights_only=True))
    return model.eval()


def load_classifier(name: str = "cifar", checkpoint: str | Path = "") -> Classifier:
    """The classifier a config names: ``cifar`` (offline) or ``squeezenet`` (cached ImageNet weights)."""
    if name == "cifar":
        model = load_cifar_net(checkpoint or CHECKPOINT)
        return Classifier(model, MEAN, STD, CLASSES, "features.relu6", 32)
    if name == "squeezenet":
        from torchvision.models import SqueezeNet1_1_Weights

        classes = tuple(SqueezeNet1_1_Weights.IMAGENET1K_V1.meta["categories"])
        # features.12 is the last Fire module; its expand branches end in in-place ReLUs, which
        # hooks cannot see through, so they are made out-of-place.
        model = without_inplace(cached_torchvision("squeezenet"))
        return Classifier(model, IMAGENET_MEAN, IMAGENET_STD, classes, "features.12", 224)
    raise ValueError(f"model {name!r}: expected cifar or squeezenet")


def without_inplace(model: nn.Module) -> nn.Module:
    """The model with every in-place ReLU made out-of-place (backward hooks and Captum need that)."""
    for module in model.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False
    return model


class FunctionReLU(nn.Module):
    """A stand-in for ``nn.ReLU`` that calls ``fn`` (an autograd function's ``apply``)."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def replace_relus(model: nn.Module, fn: Callable[[torch.Tensor], torch.Tensor]) -> nn.Module:
    """A deep copy of ``model`` in which every ``nn.ReLU`` module calls ``fn`` instead; ``model`` is unchanged.

    Only ReLU *modules* are replaced: a model that calls ``torch.relu`` in its ``forward`` keeps those.
    """
    clone = copy.deepcopy(model)
    for parent in list(clone.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.ReLU):
                setattr(parent, name, FunctionReLU(fn))
    return clone


def feature_layers(model: CifarNet) -> list[str]:
    """Names of the rectified feature maps of CifarNet, in order (the style-transfer features)."""
    return [name for name, m in model.features.named_children() if isinstance(m, nn.ReLU)]
