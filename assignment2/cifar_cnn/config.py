"""The training configuration: a frozen dataclass, read from YAML files that list only what differs.

Example ``configs/vanilla_cnn.yaml``::

    model: vanilla_cnn
    epochs: 10
    learning_rate: 1e-2

Unknown keys are rejected and every value's type is checked (``trainkit.config``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from trainkit.config import Config, ConfigError

__all__ = ["Config", "ConfigError", "Loss", "Model", "Precision", "Schedule", "TrainConfig"]

Model = Literal["two_layer", "vanilla_cnn", "mymodel"]
Loss = Literal["ce", "focal"]
Schedule = Literal["step", "onecycle"]
Precision = Literal["fp32", "bf16", "auto"]


@dataclass(frozen=True)
class TrainConfig(Config):
    """Everything one training run depends on, apart from the data and the device."""

    model: Model = "vanilla_cnn"
    hidden_dim: int = 256  # two_layer only
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 5.0e-4  # L2 strength given to torch.optim.SGD
    # The learning rate of the batch norms' parameters is learning_rate times this, and their
    # weight decay weight_decay divided by it (so the decay a step applies stays the same).
    norm_lr_scale: float = 1.0
    # "step": the learning rate is multiplied by lr_gamma at the start of each epoch listed in
    # lr_milestones (counted from 0), as torch.optim.lr_scheduler.MultiStepLR does.
    # "onecycle": per batch, a linear rise from learning_rate / 25 to learning_rate over the
    # first warmup_fraction of the steps, then a linear fall to almost 0 (torch's OneCycleLR).
    lr_schedule: Schedule = "step"
    lr_milestones: tuple[int, ...] = ()
    lr_gamma: float = 0.1
    warmup_fraction: float = 0.2  # onecycle only
    label_smoothing: float = 0.0  # cross-entropy only (nn.CrossEntropyLoss's label_smoothing)
    # "bf16": forward and backward under torch.autocast with bfloat16; the weights and the
    # optimiser stay float32. Meant for recent GPUs and CPUs with AMX-BF16: on a CPU with AVX-512
    # BF16 and no AMX a MyModel step took 1.2 to 2.8 times as long as in float32 (make bench-train).
    # "auto": bf16 on CUDA and on CPUs with AMX-BF16, else fp32 (train.resolve_precision).
    precision: Precision = "fp32"
    augment: bool = True  # random crop and horizontal flip of the training images
    crop_padding: int = 4  # the random 32 x 32 crop is taken from the image padded by this many zeros
    # Held out from the training images, for the per-epoch validation curve; the test set is
    # used once, after training.
    val_size: int = 1000
    # Long-tailed training set (Cui et al.): the number of images of class c shrinks as
    # (1 / imbalance_factor) ** (c / 9); 1.0 keeps the data balanced.
    imbalance_factor: float = 1.0
    loss: Loss = "ce"  # ce (cross-entropy) or focal
    focal_gamma: float = 0.0  # focal loss only
    reweight_beta: float = 0.0  # class-balanced weights from the training counts; 0 gives equal weights
    # Deferred re-weighting (Cao et al., NeurIPS 2019): the class-balanced weights apply only
    # after this many epochs; before, the loss is unweighted. 0: weighted from the start.
    reweight_start_epoch: int = 0
    num_workers: int = 0  # DataLoader worker processes (0: augment in the main process)
    seed: int = 0  # seeds the validation split, the initial weights and the batch order

    def validate(self) -> None:
        self.require_positive("hidden_dim", "batch_size", "epochs", "learning_rate", "norm_lr_scale")
        for name in ("val_size", "num_workers", "crop_padding", "weight_decay", "focal_gamma"):
            self.require(getattr(self, name) >= 0, name, f"expected >= 0, got {getattr(self, name)}")
        self.require_in("warmup_fraction", 0, 1, closed="()")
        self.require_in("label_smoothing", 0, 1)
        self.require_in("momentum", 0, 1)
        self.require_in("lr_gamma", 0, 1, closed="(]")
        self.require_in("reweight_beta", 0, 1)
        self.require_in("reweight_start_epoch", 0, self.epochs)
        self.require(self.imbalance_factor >= 1, "imbalance_factor", f"expected >= 1, got {self.imbalance_factor}")
        milestones = list(self.lr_milestones)
        self.require(milestones == sorted(set(milestones)), "lr_milestones", f"expected increasing, got {milestones}")
        self.require(
            not (self.lr_schedule == "onecycle" and milestones),
            "lr_milestones",
            "only for lr_schedule step (onecycle has no milestones)",
        )
        self.require(self.label_smoothing == 0 or self.loss == "ce", "label_smoothing", "only for loss ce")
        self.require(not self.nesterov or self.momentum > 0, "nesterov", "needs momentum > 0")
        self.require(
            not self.reweight_start_epoch or self.reweight_beta > 0,
            "reweight_start_epoch",
            "needs class-balanced weights (reweight_beta > 0)",
        )
