"""Train a classifier on CIFAR-10: ``python -m cifar_cnn.train --config configs/vanilla_cnn.yaml``.

Options (``trainkit.run``): ``--data-dir`` (else ``DATA_DIR``, else the committed sample in
data/sample), ``--out`` (default ``runs/<config name>``; a run on the sample goes to
``runs/<config name>-sample``), ``--device`` (``auto`` picks CUDA when present, ``cpu`` or
``cuda``), ``--seed`` and ``--epochs`` (override the config's), ``--resume``, ``--no-progress``.
Several processes: ``torchrun --nproc-per-node N -m cifar_cnn.train ...``.

Writes ``OUT/metrics.json`` (the config it ran, per-epoch metrics, the class counts of the
training set, per-class and overall ``test_accuracy`` as fractions), ``OUT/curves.png``,
``OUT/checkpoint.pt`` (after every epoch, for ``--resume``) and ``OUT/model.pt``, the model's
``state_dict`` (load it with ``torch.load(path, weights_only=True)``). The loop is in training.py.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cifar_cnn.config import TrainConfig
from cifar_cnn.data import SAMPLE_DIR, find_data
from cifar_cnn.training import fit
from trainkit import run


def main(argv: Sequence[str] | None = None) -> int:
    return run.main(
        argv,
        prog="python -m cifar_cnn.train",
        description=__doc__.split("\n")[0],
        config_type=TrainConfig,
        sample_dir=SAMPLE_DIR,
        find_data=find_data,
        fit=fit,
        title=lambda config: f"{config.model} on CIFAR-10",
    )


if __name__ == "__main__":
    sys.exit(main())
