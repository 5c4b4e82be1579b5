"""Train a translator on Multi30k: ``python -m nmt.train --config configs/transformer.yaml``.

Options (``trainkit.run``): ``--data-dir`` (else ``DATA_DIR``, else the committed sample in
data/sample), ``--out`` (default ``runs/<config name>``, ``runs/<config name>-sample`` on the
sample), ``--device`` (``auto`` picks CUDA when present, else the CPU; or ``cpu``, ``cuda``),
``--seed`` and ``--epochs`` (override the config), ``--resume`` (go on from the last epoch's
checkpoint). Data-parallel on several processes with
``torchrun --nproc-per-node N -m nmt.train ...`` (``batch_size`` stays the global batch).

Writes ``OUT/metrics.json`` (the config it ran, per-epoch train and validation loss and
perplexity, seconds per epoch, and the final test loss, perplexity and BLEU),
``OUT/curves.png`` (loss and perplexity per epoch), ``OUT/checkpoint.pt`` (after every epoch),
``OUT/samples.txt`` (a few test sentences: source, reference, translation),
``OUT/translations.txt`` and ``OUT/model.pt`` (the state dict). With ``beam_size > 1`` also
the beam-search BLEU and ``OUT/translations_beam.txt``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

from nmt.config import TrainConfig
from nmt.data import SAMPLE_DIR, find_data
from nmt.training import fit
from trainkit import run


def main(argv: Sequence[str] | None = None) -> int:
    # nn.Transformer's encoder uses nested tensors for padded batches in eval mode: correct, but it warns.
    warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")
    return run.main(
        argv,
        prog="python -m nmt.train",
        description=__doc__.split("\n")[0],
        config_type=TrainConfig,
        sample_dir=SAMPLE_DIR,
        find_data=find_data,
        fit=fit,
        title=lambda config: f"{config.model} on Multi30k de-en",
    )


if __name__ == "__main__":
    sys.exit(main())
