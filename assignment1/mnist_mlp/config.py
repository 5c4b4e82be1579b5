"""The training configuration: its fields and their checks (loading, type checks: ``trainkit.config``).

Example ``configs/two_layer.yaml``, which lists only what differs from the defaults::

    model: two_layer
    hidden_dim: 512
    learning_rate: 0.1
    reg: 1e-4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trainkit.config import Config

ModelName = Literal["softmax_regression", "two_layer"]
Activation = Literal["relu", "sigmoid"]


@dataclass(frozen=True)
class TrainConfig(Config):
    """Everything one training run depends on, apart from the data."""

    model: ModelName = "two_layer"
    hidden_dim: int = 512  # H, two_layer only
    activation: Activation = "relu"  # two_layer only
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

    def validate(self) -> None:
        self.require_positive("hidden_dim", "batch_size", "epochs", "val_size", "lr_decay_every", "learning_rate")
        self.require_in("lr_decay", 0, 1, closed="(]")
        self.require(self.reg >= 0, "reg", f"expected >= 0, got {self.reg}")
        self.require_in("momentum", 0, 1, closed="[)")
