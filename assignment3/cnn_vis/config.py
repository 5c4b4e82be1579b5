"""The configurations of the commands: frozen dataclasses, read from YAML files that list only what differs.

One dataclass per command (``TrainConfig`` for ``make model``, ``MapsConfig``, ``FoolingConfig``,
``ClassVisConfig``, ``SanityConfig``, ``StyleConfig``). Example ``configs/fooling.yaml``::

    num_images: 20
    max_steps: 100

Unknown keys are rejected and every value's type is checked. Write floats with a dot:
PyYAML reads ``1e-3`` as the *string* "1e-3" (YAML 1.1), so write ``1.0e-3``.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import yaml

MODELS = ("cifar", "squeezenet")  # the assignment's own CIFAR-10 classifier, or torchvision's (cached weights)
STYLE_MODELS = ("cifar", "vgg16", "squeezenet")
SANITY_METHODS = ("gradient", "guided_backprop", "grad_cam", "guided_grad_cam", "integrated_gradients")

C = TypeVar("C", bound="_Config")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class _Config:
    """Type checks shared by every configuration (ints become floats where a float is expected)."""

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            value, kind = getattr(self, f.name), hints[f.name]
            if typing.get_origin(kind) is tuple:
                if isinstance(value, list):
                    value = tuple(value)
                    object.__setattr__(self, f.name, value)
                item = typing.get_args(kind)[0]
                if not isinstance(value, tuple) or not all(type(v) is item for v in value):
                    raise ConfigError(f"{f.name}: expected a list of {item.__name__}, got {value!r}")
                continue
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
                continue
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                hint = " (PyYAML reads 1e-3 as a string: write 1.0e-3)" if isinstance(value, str) else ""
                raise ConfigError(f"{f.name}: expected {kind.__name__}, got {value!r}{hint}")
        self.validate()

    def validate(self) -> None:
        """Range checks of one command's values (raise ConfigError)."""

    def _positive(self, *names: str) -> None:
        for name in names:
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name}: expected > 0, got {getattr(self, name)}")

    @classmethod
    def from_dict(cls: type[C], values: dict[str, Any], where: str = "config") -> C:
        """Build from a mapping of overrides; unknown keys raise ConfigError naming them."""
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: expected a mapping of keys to values, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}; known keys are {sorted(known)}")
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    def replace(self: C, **changes: Any) -> C:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for metrics.json (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class TrainConfig(_Config):
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
        self._positive("width", "epochs", "batch_size", "learning_rate")
        if not 0 < self.warmup_fraction < 1:
            raise ConfigError(f"warmup_fraction: expected in (0, 1), got {self.warmup_fraction}")
        if self.val_size < 0 or self.max_train < 0:
            raise ConfigError("val_size and max_train: expected >= 0")


@dataclass(frozen=True)
class _ModelConfig(_Config):
    model: str = "cifar"  # one of MODELS; squeezenet needs torchvision's weights in the torch hub cache
    checkpoint: str = ""  # the cifar model's state dict; empty: the committed cnn_vis/cifar_net.pt
    seed: int = 0

    def validate(self) -> None:
        if self.model not in MODELS:
            raise ConfigError(f"model: expected one of {MODELS}, got {self.model!r}")


@dataclass(frozen=True)
class MapsConfig(_ModelConfig):
    """Saliency, guided backprop, Grad-CAM, guided Grad-CAM (yours and Captum's), Integrated Gradients,
    Layer Conductance: one contact sheet a method, and the agreement of yours with Captum."""

    num_images: int = 10  # test images, the first correctly classified one of each class in turn
    ig_steps: int = 50  # Integrated Gradients and Layer Conductance: steps of the path integral

    def validate(self) -> None:
        super().validate()
        self._positive("num_images", "ig_steps")


@dataclass(frozen=True)
class FoolingConfig(_ModelConfig):
    num_images: int = 20  # correctly classified test images, each given a random other class as target
    step_size: float = 1.0  # length (L2 norm) of each step, in normalised pixel units
    max_steps: int = 100

    def validate(self) -> None:
        super().validate()
        self._positive("num_images", "step_size", "max_steps")


@dataclass(frozen=True)
class ClassVisConfig(_ModelConfig):
    classes: tuple[int, ...] = ()  # which classes (empty: all)
    num_iterations: int = 200
    learning_rate: float = 1.0  # length of each normalised step
    l2_reg: float = 1.0e-3
    max_jitter: int = 2
    blur_every: int = 10  # 0: never
    blur_sigma: float = 0.5

    def validate(self) -> None:
        super().validate()
        self._positive("num_iterations", "learning_rate")
        if self.l2_reg < 0 or self.max_jitter < 0 or self.blur_every < 0 or self.blur_sigma < 0:
            raise ConfigError("l2_reg, max_jitter, blur_every, blur_sigma: expected >= 0")


@dataclass(frozen=True)
class SanityConfig(_ModelConfig):
    """Cascading randomisation (Adebayo et al., 2018): weights re-drawn layer by layer from the top."""

    num_images: int = 10
    methods: tuple[str, ...] = SANITY_METHODS
    ig_steps: int = 16

    def validate(self) -> None:
        super().validate()
        self._positive("num_images", "ig_steps")
        bad = [m for m in self.methods if m not in SANITY_METHODS]
        if bad or not self.methods:
            raise ConfigError(f"methods: expected some of {SANITY_METHODS}, got {list(self.methods)}")


@dataclass(frozen=True)
class StyleConfig(_Config):
    """Style transfer (Gatys et al.) from the committed images in data/images."""

    model: str = "cifar"  # one of STYLE_MODELS: the feature extractor; vgg16 and squeezenet need cached weights
    checkpoint: str = ""
    content_image: str = "tubingen.jpg"
    style_image: str = "starry_night.jpg"
    image_size: int = 192  # the content image's shorter side, in pixels
    style_size: int = 192
    content_layer: int = 3  # index into the extractor's feature list
    content_weight: float = 1.0e-2
    style_layers: tuple[int, ...] = (0, 1, 2, 3, 4)
    style_weights: tuple[float, ...] = (1.0e5, 5.0e4, 1.0e4, 5.0e3, 5.0e3)
    tv_weight: float = 1.0e-3
    iterations: int = 200
    learning_rate: float = 0.1  # Adam, on the normalised pixels
    decay_at: int = 180  # the learning rate becomes decayed_learning_rate from this iteration on
    decayed_learning_rate: float = 0.02
    init_random: bool = False  # start from noise instead of the content image
    seed: int = 0

    def validate(self) -> None:
        if self.model not in STYLE_MODELS:
            raise ConfigError(f"model: expected one of {STYLE_MODELS}, got {self.model!r}")
        self._positive("image_size", "style_size", "iterations", "learning_rate", "decayed_learning_rate")
        if len(self.style_layers) != len(self.style_weights) or not self.style_layers:
            raise ConfigError(
                f"style_layers and style_weights: expected lists of the same non-zero length, "
                f"got {len(self.style_layers)} and {len(self.style_weights)}"
            )


def load_config(path: str | Path, cls: type[C]) -> C:
    """Read a YAML file of overrides with ``yaml.safe_load``; an empty file means all defaults."""
    path = Path(path)
    with path.open() as fh:
        values = yaml.safe_load(fh)
    return cls.from_dict(values if values is not None else {}, where=str(path))
