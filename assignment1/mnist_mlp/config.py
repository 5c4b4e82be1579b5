"""The training configuration: a frozen dataclass, read from YAML files that list only what differs.

Example ``configs/two_layer.yaml``::

    model: two_layer
    hidden_dim: 512
    learning_rate: 0.1

Unknown keys are rejected and every value's type is checked. Write floats with a dot:
PyYAML reads ``1e-3`` as the *string* "1e-3" (YAML 1.1), so write ``1.0e-3``.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

MODELS = ("softmax_regression", "two_layer")
ACTIVATIONS = ("relu", "sigmoid")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on, apart from the data."""

    model: str = "two_layer"  # one of MODELS
    hidden_dim: int = 512  # H, two_layer only
    activation: str = "relu"  # two_layer only: relu or sigmoid
    learning_rate: float = 0.1
    lr_decay: float = 1.0  # the learning rate is multiplied by this every lr_decay_every epochs
    lr_decay_every: int = 1
    reg: float = 0.0  # L2 strength, the loss gets 0.5 * reg * sum(W ** 2)
    momentum: float = 0.9
    batch_size: int = 128
    epochs: int = 10
    # Held out from the 60,000 training digits for validation; the 10,000 test digits are
    # only used once, after training.
    val_size: int = 5000
    seed: int = 0  # seeds the validation split, the initial weights and the batch order

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(TrainConfig)
        for f in fields(self):
            value = getattr(self, f.name)
            kind = hints[f.name]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
                continue
            if not isinstance(value, kind) or isinstance(value, bool):
                hint = ""
                if kind in (int, float) and isinstance(value, str):
                    hint = " (PyYAML reads 1e-3 as a string: write 1.0e-3)"
                raise ConfigError(f"{f.name}: expected {kind.__name__}, got {value!r}{hint}")
        if self.model not in MODELS:
            raise ConfigError(f"model: expected one of {MODELS}, got {self.model!r}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"activation: expected one of {ACTIVATIONS}, got {self.activation!r}")
        for name in ("hidden_dim", "batch_size", "epochs", "val_size", "lr_decay_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate: expected > 0, got {self.learning_rate}")
        if not 0 < self.lr_decay <= 1:
            raise ConfigError(f"lr_decay: expected in (0, 1], got {self.lr_decay}")
        if not self.reg >= 0:
            raise ConfigError(f"reg: expected >= 0, got {self.reg}")
        if not 0 <= self.momentum < 1:
            raise ConfigError(f"momentum: expected in [0, 1), got {self.momentum}")

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> TrainConfig:
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

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (checked like the original)."""
        return dataclasses.replace(self, **changes)


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML file of overrides with ``yaml.safe_load``; an empty file means all defaults."""
    path = Path(path)
    with path.open() as fh:
        values = yaml.safe_load(fh)
    return TrainConfig.from_dict(values if values is not None else {}, where=str(path))
