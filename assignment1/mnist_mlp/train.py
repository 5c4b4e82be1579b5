"""Train a classifier on MNIST: ``python -m mnist_mlp.train --config configs/two_layer.yaml``.

Options (``trainkit.run``): ``--data-dir`` (else ``DATA_DIR``, else the committed sample in
data/sample), ``--out`` (default ``runs/<config name>``, ``runs/<config name>-sample`` on the
sample), ``--device`` (``auto`` or ``cpu``: this assignment is NumPy), ``--seed`` and
``--epochs`` (override the config), ``--resume`` (go on from the last epoch's checkpoint).

Writes ``OUT/metrics.json`` (the config it ran, per-epoch metrics, seconds per epoch, and the
final ``test_accuracy`` as a fraction), ``OUT/curves.png`` (loss and accuracy per epoch) and
``OUT/checkpoint.npz`` (rewritten after every epoch).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mnist_mlp.config import TrainConfig
from mnist_mlp.data import SAMPLE_DIR, find_data
from mnist_mlp.training import fit
from trainkit import run


def main(argv: Sequence[str] | None = None) -> int:
    return run.main(
        argv,
        prog="python -m mnist_mlp.train",
        description=__doc__.split("\n")[0],
        config_type=TrainConfig,
        sample_dir=SAMPLE_DIR,
        find_data=find_data,
        fit=fit,
        uses_torch=False,
        checkpoint_name="checkpoint.npz",
        title=lambda config: f"{config.model} on MNIST",
    )


if __name__ == "__main__":
    sys.exit(main())
