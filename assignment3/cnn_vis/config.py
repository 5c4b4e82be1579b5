"""The configurations of the commands: frozen dataclasses on ``trainkit.config.Config``, read from YAML
files that list only what differs.

One dataclass per command (``TrainConfig`` for ``make model``, ``MapsConfig``, ``FoolingConfig``,
``ClassVisConfig``, ``SanityConfig``, ``StyleConfig``). Example ``configs/fooling.yaml``::

    num_images: 20
    max_steps: 100

Unknown keys are rejected and every value's type is checked; ``1e-3`` is a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trainkit.config import Config, ConfigError, choices

__all__ = [
    "ClassVisConfig",
    "Config",
    "ConfigError",
    "FoolingConfig",
    "MapsConfig",
    "Model",
    "SanityConfig",
    "SanityMethod",
    "StyleConfig",
    "StyleModel",
    "TrainConfig",
]

Model = Literal["cifar", "squeezenet"]  # the assignment's own CIFAR-10 classifier, or torchvision's (cached weights)
StyleModel = Literal["cifar", "vgg16", "squeezenet"]
SanityMethod = Literal["gradient", "guided_backprop", "grad_cam", "guided_grad_cam", "integrated_gradients"]


@dataclass(frozen=True)
class TrainConfig(Config):
    """``make model``: trains the assignment's CIFAR-10 classifier (model.CifarNet)."""

    width: int = 32  # channels of the first stage; the next two stages have 2x and 4x
    epochs: int = 12
    batch_size: int = 128
    learning_rate: float = 0.1  # peak of the one-cycle schedule
    momentum: float = 0.9
    weight_decay: float = 5.0e-4
    warmup_fraction: float = 0.25
    val_size: int = 1000
    max_train: int = 0  # use only the first this many training images (0: all), for quick runs
    seed: int = 0

    def validate(self) -> None:
        self.require_positive("width", "epochs", "batch_size", "learning_rate")
        self.require_in("warmup_fraction", 0, 1, closed="()")
        for name in ("val_size", "max_train"):
            self.require(getattr(self, name) >= 0, name, f"expected >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class _ModelConfig(Config):
    model: Model = "cifar"  # squeezenet needs torchvision's weights in the torch hub cache
    checkpoint: str = ""  # the cifar model's state dict; empty: the committed cnn_vis/cifar_net.pt
    seed: int = 0


@dataclass(frozen=True)
class MapsConfig(_ModelConfig):
    """Saliency, guided backprop, Grad-CAM, guided Grad-CAM (yours and Captum's), Integrated Gradients,
    Layer Conductance: one contact sheet a method, and the agreement of yours with Captum."""

    num_images: int = 10  # test images, the first correctly classified one of each class in turn
    ig_steps: int = 50  # Integrated Gradients and Layer Conductance: steps of the path integral

    def validate(self) -> None:
        super().validate()
        self.require_positive("num_images", "ig_steps")


@dataclass(frozen=True)
class FoolingConfig(_ModelConfig):
    num_images: int = 20  # correctly classified test images, each given a random other class as target
    step_size: float = 1.0  # length (L2 norm) of each step, in normalised pixel units
    max_steps: int = 100

    def validate(self) -> None:
        super().validate()
        self.require_positive("num_images", "step_size", "max_steps")


@dataclass(frozen=True)
class ClassVisConfig(_ModelConfig):
    classes: tuple[int, ...] = ()  # which classes (empty: all)
    num_iterations: int = 200
    learning_rate: float = 1.0  # length of each normalised step
    l2_reg: float = 1e-3
    max_jitter: int = 2
    blur_every: int = 10  # 0: never
    blur_sigma: float = 0.5

    def validate(self) -> None:
        super().validate()
        self.require_positive("num_iterations", "learning_rate")
        for name in ("l2_reg", "max_jitter", "blur_every", "blur_sigma"):
            self.require(getattr(self, name) >= 0, name, f"expected >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class SanityConfig(_ModelConfig):
    """Cascading randomisation (Adebayo et al., 2018): weights re-drawn layer by layer from the top."""

    num_images: int = 10
    methods: tuple[SanityMethod, ...] = choices(SanityMethod)
    ig_steps: int = 16

    def validate(self) -> None:
        super().validate()
        self.require_positive("num_images", "ig_steps")
        self.require(bool(self.methods), "methods", f"expected some of {choices(SanityMethod)}, got none")


@dataclass(frozen=True)
class StyleConfig(Config):
    """Style transfer (Gatys et al.) from the committed images in data/images."""

    model: StyleModel = "cifar"  # the feature extractor; vgg16 and squeezenet need cached weights
    checkpoint: str = ""
    content_image: str = "tubingen.jpg"
    style_image: str = "starry_night.jpg"
    image_size: int = 192  # the content image's shorter side, in pixels
    style_size: int = 192
    content_layer: int = 3  # index into the extractor's feature list
    content_weight: float = 1e-2
    style_layers: tuple[int, ...] = (0, 1, 2, 3, 4)
    style_weights: tuple[float, ...] = (1.0e5, 5.0e4, 1.0e4, 5.0e3, 5.0e3)
    tv_weight: float = 1e-3
    iterations: int = 200
    learning_rate: float = 0.1  # Adam, on the normalised pixels
    decay_at: int = 180  # the learning rate becomes decayed_learning_rate from this iteration on
    decayed_learning_rate: float = 0.02
    init_random: bool = False  # start from noise instead of the content image
    seed: int = 0

    def validate(self) -> None:
        self.require_positive("image_size", "style_size", "iterations", "learning_rate", "decayed_learning_rate")
        self.require(
            len(self.style_layers) == len(self.style_weights) and bool(self.style_layers),
            "style_layers and style_weights",
            f"expected lists of the same non-zero length, got {len(self.style_layers)} and {len(self.style_weights)}",
        )
