"""The experiment's configuration: a frozen dataclass, read from YAML files that list only what differs.

Example ``configs/baseline.yaml``::

    name: baseline
    model: cnn
    learning_rate: 1e-3

Unknown keys are rejected, naming the key and the file; every value's type is checked. Floats
may be written as ``1e-3``: PyYAML reads that as the string "1e-3" (YAML 1.1 wants a dot,
``1.0e-3``), so a string that Python reads as a number is accepted for a float field.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

MODELS = ("cnn", "mlp")
OPTIMIZERS = ("adam", "sgd")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything one training run depends on, apart from the data folder and the device."""

    name: str = "baseline"  # groups runs in results tables; keep it the same across seeds
    # Synthetic data (used when no --data-dir is given): images of a bar in noise, 3 classes.
    num_train: int = 512
    num_val: int = 256
    image_size: int = 16  # H = W
    noise: float = 0.5  # standard deviation of the Gaussian pixel noise; the bar is 1.0
    data_seed: int = 0  # the synthetic data set; fixed, so that runs with other seeds see the same data
    # Model.
    model: str = "cnn"  # one of MODELS
    width: int = 16  # channels of the first convolution (cnn) or hidden units (mlp)
    dropout: float = 0.0
    # Optimisation.
    optimizer: str = "adam"  # one of OPTIMIZERS
    # High for Adam, right for this tiny problem; 1e-3 is the usual first try on real data.
    learning_rate: float = 1e-2
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 10
    seed: int = 0  # the initial weights, the batch order and dropout

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(ExperimentConfig)
        for f in fields(self):
            value = getattr(self, f.name)
            kind = hints[f.name]
            if kind is float:
                object.__setattr__(self, f.name, _as_float(f.name, value))
            elif not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigError(f"{f.name}: expected {kind.__name__}, got {value!r}")
        if self.model not in MODELS:
            raise ConfigError(f"model: expected one of {MODELS}, got {self.model!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer: expected one of {OPTIMIZERS}, got {self.optimizer!r}")
        for name in ("num_train", "num_val", "width", "batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.image_size < 8:
            raise ConfigError(f"image_size: expected >= 8 (two 2x2 poolings and a bar), got {self.image_size}")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate: expected > 0, got {self.learning_rate}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout: expected in [0, 1), got {self.dropout}")
        if not 0 <= self.momentum < 1:
            raise ConfigError(f"momentum: expected in [0, 1), got {self.momentum}")
        for name in ("weight_decay", "noise"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}: expected >= 0, got {getattr(self, name)}")

    @classmethod
    def from_dict(cls, values: Any, where: str = "config") -> ExperimentConfig:
        """Build from a mapping of overrides; unknown keys raise ConfigError naming them and ``where``."""
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

    def replace(self, **changes: Any) -> ExperimentConfig:
        """A copy with some fields changed (checked like the original)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _as_float(name: str, value: Any) -> float:
    """An int, a float or a string such as "1e-3" as a finite float; anything else is a ConfigError."""
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name}: expected a number, got {value!r}") from None
    else:
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    if not math.isfinite(number):
        raise ConfigError(f"{name}: expected a finite number, got {value!r}")
    return number


def load_config(path: str | Path) -> ExperimentConfig:
    """Read a YAML file of overrides with ``yaml.safe_load``; an empty file means all defaults."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            values = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    return ExperimentConfig.from_dict(values if values is not None else {}, where=str(path))
