"""Train the assignment's CIFAR-10 classifier: ``python -m cnn_vis.train --config configs/model.yaml``.

``make model`` runs it on the full data and copies ``runs/model/model.pt`` to
``cnn_vis/cifar_net.pt``, the checkpoint every other command explains. The options and the run
folder (``metrics.json``, ``curves.png``, ``checkpoint.pt``, ``--resume``; a run on the sample
goes to ``runs/<config name>-sample``) are ``trainkit.run``'s; the loop is training.py.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cnn_vis.config import TrainConfig
from cnn_vis.data import SAMPLE_DIR, find_data
from cnn_vis.training import fit
from trainkit import run


def main(argv: Sequence[str] | None = None) -> int:
    return run.main(
        argv,
        prog="python -m cnn_vis.train",
        description=__doc__.split("\n")[0],
        config_type=TrainConfig,
        sample_dir=SAMPLE_DIR,
        find_data=find_data,
        fit=fit,
        title=lambda config: f"CifarNet (width {config.width}) on CIFAR-10",
    )


if __name__ == "__main__":
    sys.exit(main())
