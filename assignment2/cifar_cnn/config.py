"""The training configuration: a frozen dataclass, read from YAML files that list only what differs.

Example ``configs/vanilla_cnn.yaml``::

    model: vanilla_cnn
    epochs: 10
    learning_rate: 0.01

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

MODELS = ("two_layer", "vanilla_cnn", "mymodel")
LOSSES = ("ce", "focal")
SCHEDULES = ("step", "onecycle")
PRECISIONS = ("fp32", "bf16", "auto")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on, apart from the data and the device."""

    model: str = "vanilla_cnn"  # one of MODELS
    hidden_dim: int = 256  # two_layer only
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 5.0e-4  # L2 strength given to torch.optim.SGD
    # "step": the learning rate is multiplied by lr_gamma at the start of each epoch listed in
    # lr_milestones (counted from 0), as torch.optim.lr_scheduler.MultiStepLR does.
    # "onecycle": per batch, a linear rise from learning_rate / 25 to learning_rate over the
    # first warmup_fraction of the steps, then a linear fall to almost 0 (torch's OneCycleLR).
    lr_schedule: str = "step"
    lr_milestones: tuple[int, ...] = ()
    lr_gamma: float = 0.1
    warmup_fraction: float = 0.2  # onecycle only
    label_smoothing: float = 0.0  # cross-entropy only (nn.CrossEntropyLoss's label_smoothing)
    # "bf16": forward and backward under torch.autocast with bfloat16; the weights and the
    # optimiser stay float32. Meant for recent GPUs and CPUs with AMX-BF16: on a CPU with AVX-512
    # BF16 and no AMX a MyModel step took 1.2 to 2.8 times as long as in float32 (make bench-train).
    # "auto": bf16 on CUDA and on CPUs with AMX-BF16, else fp32 (train.resolve_precision).
    precision: str = "fp32"
    augment: bool = True  # random crop and horizontal flip of the training images
    crop_padding: int = 4  # the random 32 x 32 crop is taken from the image padded by this many zeros
    # Held out from the training images, for the per-epoch validation curve; the test set is
    # used once, after training.
    val_size: int = 1000
    # Long-tailed training set (Cui et al.): the number of images of class c shrinks as
    # (1 / imbalance_factor) ** (c / 9); 1.0 keeps the data balanced.
    imbalance_factor: float = 1.0
    loss: str = "ce"  # ce (cross-entropy) or focal
    focal_gamma: float = 0.0  # focal loss only
    reweight_beta: float = 0.0  # class-balanced weights from the training counts; 0 gives equal weights
    # Deferred re-weighting (Cao et al., NeurIPS 2019): the class-balanced weights apply only
    # after this many epochs; before, the loss is unweighted. 0: weighted from the start.
    reweight_start_epoch: int = 0
    num_workers: int = 0  # DataLoader worker processes (0: augment in the main process)
    seed: int = 0  # seeds the validation split, the initial weights and the batch order

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(TrainConfig)
        for f in fields(self):
            value = getattr(self, f.name)
            kind = hints[f.name]
            if kind == tuple[int, ...]:
                if isinstance(value, list):
                    value = tuple(value)
                    object.__setattr__(self, f.name, value)
                if not isinstance(value, tuple) or not all(type(v) is int for v in value):
                    raise ConfigError(f"{f.name}: expected a list of ints, got {value!r}")
                continue
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
                continue
            if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
                hint = ""
                if kind in (int, float) and isinstance(value, str):
                    hint = " (PyYAML reads 1e-3 as a string: write 1.0e-3)"
                raise ConfigError(f"{f.name}: expected {kind.__name__}, got {value!r}{hint}")
        if self.model not in MODELS:
            raise ConfigError(f"model: expected one of {MODELS}, got {self.model!r}")
        if self.loss not in LOSSES:
            raise ConfigError(f"loss: expected one of {LOSSES}, got {self.loss!r}")
        if self.lr_schedule not in SCHEDULES:
            raise ConfigError(f"lr_schedule: expected one of {SCHEDULES}, got {self.lr_schedule!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision: expected one of {PRECISIONS}, got {self.precision!r}")
        if self.lr_schedule == "onecycle" and self.lr_milestones:
            raise ConfigError("lr_milestones: only for lr_schedule step (onecycle has no milestones)")
        if not 0 < self.warmup_fraction < 1:
            raise ConfigError(f"warmup_fraction: expected in (0, 1), got {self.warmup_fraction}")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"label_smoothing: expected in [0, 1), got {self.label_smoothing}")
        if self.label_smoothing > 0 and self.loss != "ce":
            raise ConfigError("label_smoothing: only for loss ce")
        if self.nesterov and self.momentum == 0:
            raise ConfigError("nesterov: needs momentum > 0")
        for name in ("hidden_dim", "batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected >= 1, got {getattr(self, name)}")
        for name in ("val_size", "num_workers", "crop_padding"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}: expected >= 0, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate: expected > 0, got {self.learning_rate}")
        if not 0 <= self.momentum < 1:
            raise ConfigError(f"momentum: expected in [0, 1), got {self.momentum}")
        if not self.weight_decay >= 0:
            raise ConfigError(f"weight_decay: expected >= 0, got {self.weight_decay}")
        if not 0 < self.lr_gamma <= 1:
            raise ConfigError(f"lr_gamma: expected in (0, 1], got {self.lr_gamma}")
        if list(self.lr_milestones) != sorted(set(self.lr_milestones)):
            raise ConfigError(f"lr_milestones: expected increasing epochs, got {list(self.lr_milestones)}")
        if not self.imbalance_factor >= 1:
            raise ConfigError(f"imbalance_factor: expected >= 1, got {self.imbalance_factor}")
        if not self.focal_gamma >= 0:
            raise ConfigError(f"focal_gamma: expected >= 0, got {self.focal_gamma}")
        if not 0 <= self.reweight_beta < 1:
            raise ConfigError(f"reweight_beta: expected in [0, 1), got {self.reweight_beta}")
        if not 0 <= self.reweight_start_epoch < self.epochs:
            raise ConfigError(f"reweight_start_epoch: expected in [0, epochs), got {self.reweight_start_epoch}")
        if self.reweight_start_epoch and not self.reweight_beta > 0:
            raise ConfigError("reweight_start_epoch: needs class-balanced weights (reweight_beta > 0)")

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

    def to_dict(self) -> dict[str, Any]:
        """Plain values for metrics.json (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML file of overrides with ``yaml.safe_load``; an empty file means all defaults."""
    path = Path(path)
    with path.open() as fh:
        values = yaml.safe_load(fh)
    return TrainConfig.from_dict(values if values is not None else {}, where=str(path))
