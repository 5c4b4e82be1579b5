"""The experiment's configuration: a frozen dataclass on ``trainkit.config.Config``, read from YAML files
that list only what differs.

Example ``configs/baseline.yaml``::

    name: baseline
    model: cnn
    learning_rate: 1e-3

Unknown keys are rejected, naming the key and the file; every value's type is checked, and
``1e-3`` is a number (trainkit reads PyYAML's string "1e-3" as the float).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trainkit.config import Config, ConfigError

__all__ = ["ConfigError", "ExperimentConfig", "ModelKind", "OptimizerKind"]

ModelKind = Literal["cnn", "mlp"]
OptimizerKind = Literal["adam", "sgd"]


@dataclass(frozen=True)
class ExperimentConfig(Config):
    """Everything one training run depends on, apart from the data folder and the device."""

    name: str = "baseline"  # groups runs in results tables; keep it the same across seeds
    # Synthetic data (used when no --data-dir is given): images of a bar in noise, 3 classes.
    num_train: int = 512
    num_val: int = 256
    image_size: int = 16  # H = W
    noise: float = 0.5  # standard deviation of the Gaussian pixel noise; the bar is 1.0
    data_seed: int = 0  # the synthetic data set; fixed, so that runs with other seeds see the same data
    # Model.
    model: ModelKind = "cnn"
    width: int = 16  # channels of the first convolution (cnn) or hidden units (mlp)
    dropout: float = 0.0
    # Optimisation.
    optimizer: OptimizerKind = "adam"
    # High for Adam, right for this tiny problem; 1e-3 is the usual first try on real data.
    learning_rate: float = 1e-2
    momentum: float = 0.9  # sgd only
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 10
    seed: int = 0  # the initial weights, the batch order and dropout

    def validate(self) -> None:
        self.require_positive("num_train", "num_val", "width", "batch_size", "epochs", "learning_rate")
        self.require(
            self.image_size >= 8, "image_size", f"expected >= 8 (two 2x2 poolings and a bar), got {self.image_size}"
        )
        self.require_in("dropout", 0, 1)
        self.require_in("momentum", 0, 1)
        for name in ("weight_decay", "noise"):
            self.require(getattr(self, name) >= 0, name, f"expected >= 0, got {getattr(self, name)}")
