"""One training run: the entry point's arguments, the device, seeds, progress bars, and the run
folder with ``metrics.json``, ``curves.png`` and a checkpoint at the end of every epoch.

Every assignment's ``train.py`` is a thin call of :func:`main`::

    python -m PACKAGE.train --config configs/X.yaml [--data-dir DIR] [--out DIR] [--device auto|cpu|cuda]
                            [--seed N] [--epochs N] [--resume] [--no-progress]

``main`` reads the config (``--seed`` and ``--epochs`` override it), picks the device, finds
the data (``--data-dir``, else ``DATA_DIR``, else the sample bundled with the assignment),
opens the :class:`Run` folder and calls the assignment's ``fit(config, run)``, which trains
epoch by epoch::

    state = run.resumed_state()              # None, or what the last end_epoch saved
    for epoch in run.epochs():               # epochs not yet done
        ... train and validate ...
        run.end_epoch({"train_loss": ..., "val_acc": ...}, state={"model": ..., "optimizer": ...})
    return {"test_accuracy": ...}            # final results, added to metrics.json

The folder (``--out``, default ``runs/<config name>``) holds ``metrics.json`` (the config, the
data, the device, one entry per epoch, the final results; rewritten after every epoch),
``curves.png`` and ``checkpoint.pt`` (``.npz`` for NumPy runs). ``--resume`` continues from the
checkpoint: the config must be the one it was made with, except ``epochs``, which may grow
(unless a one-cycle schedule, planned for the whole run, says otherwise: :func:`restore_scheduler`).
A folder that holds a run is never overwritten without ``--resume``.

A run on the bundled sample says so and writes to ``<out>-sample``, never to the full run's
folder: its numbers say nothing of the model.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from trainkit.config import Config, ConfigError
from trainkit.distributed import Distributed
from trainkit.files import load_state, save_state, write_json
from trainkit.plots import save_curves

__all__ = [
    "DataSource",
    "Run",
    "RunError",
    "main",
    "parse_args",
    "progress",
    "resolve_data",
    "resolve_device",
    "restore_scheduler",
    "restore_torch_rng_state",
    "seed_streams",
    "torch_rng_state",
    "torch_seed",
]

T = TypeVar("T")
METRICS = "metrics.json"
CURVES = "curves.png"
SAMPLE_SUFFIX = "-sample"


class RunError(RuntimeError):
    """The run cannot start or go on (a folder that holds another run, a checkpoint of another config)."""


# ----------------------------------------------------------------------------- arguments


def parse_args(
    argv: Sequence[str] | None, prog: str, description: str, devices: Sequence[str] = ("auto", "cpu", "cuda")
) -> argparse.Namespace:
    """The entry point's arguments, the same in every assignment."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", required=True, help="YAML file of config overrides")
    parser.add_argument("--data-dir", default=None, help="the full data (else DATA_DIR, else the bundled sample)")
    parser.add_argument("--out", default=None, help="run folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", choices=list(devices), help="auto picks CUDA when present")
    parser.add_argument("--seed", type=int, default=None, help="overrides the config's seed")
    parser.add_argument("--epochs", type=int, default=None, help="overrides the config's epochs")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def resolve_device(name: str) -> Any:
    """``auto`` (CUDA when present, else the CPU), ``cpu`` or ``cuda`` as a ``torch.device``."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available here; use --device auto or cpu")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"--device: expected auto, cpu or cuda, got {name!r}")
    return torch.device(name)


@dataclass(frozen=True)
class DataSource:
    """Where a run's data comes from: the folder, and whether it is the bundled sample."""

    path: Path
    sample: bool

    def describe(self) -> str:
        return f"{self.path} ({'the bundled sample' if self.sample else 'full data'})"


def resolve_data(data_dir: str | Path | None, sample_dir: Path, find: Callable[[Path], Path]) -> DataSource:
    """``data_dir``, else ``DATA_DIR``, else ``sample_dir``, through the assignment's ``find``
    (which checks the layout, and may unpack an archive; it raises FileNotFoundError naming what is missing)."""
    chosen = data_dir if data_dir is not None else os.environ.get("DATA_DIR") or None
    sample = find(Path(sample_dir))
    if chosen is None:
        return DataSource(sample, True)
    path = find(Path(chosen).expanduser())
    return DataSource(path, path.resolve() == sample.resolve())


# ----------------------------------------------------------------------------- seeds


def seed_streams(seed: int, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """Independent generators from one seed, one per name (``np.random.default_rng(seed).spawn``, in
    the order given): the weights, the data order and the augmentation each draw from their own
    stream, so that changing one (another batch size, say) does not change the others."""
    return dict(zip(names, np.random.default_rng(seed).spawn(len(names)), strict=True))


def torch_seed(rng: np.random.Generator) -> int:
    """A seed for a torch generator, drawn from ``rng``."""
    return int(rng.integers(2**62))


def torch_rng_state(device: Any) -> dict[str, Any]:
    """torch's global generator states, for a checkpoint from which a run goes on exactly: the CPU's
    (augmentation, dropout on the CPU) and, on a CUDA device, every CUDA device's."""
    import torch

    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.device(device).type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_scheduler(scheduler: Any, saved: Mapping[str, Any]) -> None:
    """``scheduler.load_state_dict(saved)``, refusing a schedule planned for another number of steps.

    A one-cycle schedule is planned for the whole run: resumed with more ``--epochs``, the saved one
    would end at the old last step, and torch would stop the run there ("Tried to step ... times").
    """
    planned, now = saved.get("total_steps"), getattr(scheduler, "total_steps", None)
    if planned is not None and now is not None and planned != now:
        raise RunError(
            f"the checkpoint's one-cycle schedule is planned for {planned} steps, this run's for {now}: a one-cycle "
            "run cannot be extended with more --epochs; resume it with its own epochs, or start a new run"
        )
    scheduler.load_state_dict(saved)


def restore_torch_rng_state(state: Mapping[str, Any]) -> None:
    """Set torch's global generators to what :func:`torch_rng_state` saved (the CUDA ones when CUDA is here)."""
    import torch

    if "cpu" not in state:
        raise ValueError(
            f"generator states: expected the keys of trainkit.run.torch_rng_state (cpu, cuda), got {sorted(state)}"
        )
    # The generators take CPU byte tensors: a checkpoint loaded with map_location="cuda" holds CUDA ones.
    torch.set_rng_state(state["cpu"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])


# ----------------------------------------------------------------------------- progress


def progress(items: Iterable[T], *, enabled: bool, desc: str, total: int | None = None) -> Iterator[T]:
    """``items`` with a tqdm bar on stderr when ``enabled`` (the bar disappears when done)."""
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, leave=False, dynamic_ncols=True)


# ----------------------------------------------------------------------------- the run


def _comparable(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "epochs"}


class Run:
    """A run folder and the epochs written to it. See the module docstring."""

    def __init__(
        self,
        out: str | Path,
        config: Config,
        *,
        data: DataSource,
        device: Any = "cpu",
        resume: bool = False,
        show_progress: bool = True,
        checkpoint_name: str = "checkpoint.pt",
        dist: Distributed | None = None,
        title: str = "",
        log: Callable[[str], None] = print,
    ) -> None:
        self.out = Path(out)
        self.config = config
        self.data = data
        self.device = device
        self.dist = dist or Distributed()
        self.show_progress = show_progress and self.dist.is_main
        self.title = title
        self._log = log
        self.checkpoint = self.out / checkpoint_name
        self.history: list[dict[str, Any]] = []
        self._state: dict[str, Any] | None = None
        self._epoch_start = 0.0
        epochs = getattr(config, "epochs", None)
        if not isinstance(epochs, int):
            raise TypeError(f"{type(config).__name__}: a run's config needs an int field epochs")
        self.total_epochs = epochs
        if self.checkpoint.exists() and not resume:
            raise RunError(f"{self.out} holds a run already: pass --resume to continue it, or another --out")
        if resume and self.checkpoint.exists():
            saved = load_state(self.checkpoint)
            mine = config.to_dict()
            if _comparable(saved["config"]) != _comparable(mine):
                changed = sorted(k for k, v in _comparable(mine).items() if saved["config"].get(k) != v)
                raise RunError(
                    f"{self.checkpoint}: made with another config (differs in {changed}); only epochs may change"
                )
            self.history = list(saved["epochs"])
            self._state = saved["state"]
            if len(self.history) > epochs:
                raise RunError(f"{self.checkpoint}: has {len(self.history)} epochs already, more than epochs {epochs}")
            self.log(f"resumed {self.checkpoint} after epoch {len(self.history)}")
        elif resume:
            self.log(f"--resume: no {self.checkpoint} yet, starting from epoch 1")
        if self.dist.is_main:
            self.out.mkdir(parents=True, exist_ok=True)

    def log(self, line: str) -> None:
        """Print ``line`` (rank 0 only)."""
        if self.dist.is_main:
            self._log(line)

    def resumed_state(self) -> dict[str, Any] | None:
        """What the last ``end_epoch`` saved, when resuming; None for a fresh run."""
        return self._state

    @property
    def epochs_done(self) -> int:
        return len(self.history)

    def epochs(self) -> Iterator[int]:
        """The epochs still to run, from 1; each is timed until its ``end_epoch``."""
        for epoch in range(self.epochs_done + 1, self.total_epochs + 1):
            self._epoch_start = time.perf_counter()
            yield epoch
            if self.epochs_done != epoch:
                raise RunError(f"epoch {epoch} ended without run.end_epoch(...)")

    def bar(self, items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
        """``items`` with a progress bar, when bars are on (rank 0 only)."""
        return progress(items, enabled=self.show_progress, desc=desc, total=total)

    def end_epoch(self, metrics: Mapping[str, float], state: Mapping[str, Any]) -> None:
        """Record one epoch's metrics, print them, save the checkpoint (``state``) and metrics.json."""
        epoch = self.epochs_done + 1
        seconds = time.perf_counter() - self._epoch_start
        entry = {"epoch": epoch, **{k: float(v) for k, v in metrics.items()}, "seconds": seconds}
        self.history.append(entry)
        shown = ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        self.log(f"epoch {epoch}/{self.total_epochs}: {shown} ({seconds:.1f} s)")
        if self.dist.is_main:
            save_state(self.checkpoint, {"config": self.config.to_dict(), "epochs": self.history, "state": dict(state)})
            write_json(self.out / METRICS, self.metrics())

    def metrics(self, results: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What metrics.json holds: the run, each epoch, and ``results`` once the run is finished."""
        seconds = [e["seconds"] for e in self.history]
        doc: dict[str, Any] = {
            "config": self.config.to_dict(),
            "data": {"path": str(self.data.path), "sample": self.data.sample},
            "device": str(self.device),
            "processes": self.dist.world_size,
            "epochs": self.history,
            "seconds_per_epoch": float(np.mean(seconds)) if seconds else None,
            "train_seconds": float(sum(seconds)),
            "finished": results is not None,
        }
        if results is not None:
            doc.update(results)
        return doc

    def finish(self, results: Mapping[str, Any]) -> dict[str, Any]:
        """Write the final metrics.json and curves.png; returns what metrics.json holds."""
        doc = self.metrics(results)
        if self.dist.is_main:
            write_json(self.out / METRICS, doc)
            save_curves(self.history, self.out / CURVES, self.title or type(self.config).__name__)
            self.log(f"wrote {self.out / METRICS}, {self.out / CURVES} and {self.checkpoint}")
        return doc


def run_folder(out: str | None, config_path: str | Path, data: DataSource) -> Path:
    """``--out`` or ``runs/<config name>``, with ``-sample`` appended for a run on the bundled sample."""
    folder = Path(out) if out else Path("runs") / Path(config_path).stem
    if data.sample and not folder.name.endswith(SAMPLE_SUFFIX):
        folder = folder.with_name(folder.name + SAMPLE_SUFFIX)
    return folder


Fit = Callable[[Any, Run], Mapping[str, Any]]


def main(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str,
    config_type: type[Config],
    sample_dir: Path,
    find_data: Callable[[Path], Path],
    fit: Fit,
    uses_torch: bool = True,
    checkpoint_name: str = "checkpoint.pt",
    title: Callable[[Any], str] = lambda config: "",
    sample_note: str = "",
) -> int:
    """Parse the arguments, open the run and call ``fit(config, run)``; returns the exit status
    (2, with the reason on stderr, for a bad config, device, data folder or run folder)."""
    from trainkit import distributed

    devices = ("auto", "cpu", "cuda") if uses_torch else ("auto", "cpu")
    args = parse_args(argv, prog, description, devices)
    try:
        config = config_type.load(args.config)
        overrides = {k: v for k, v in (("seed", args.seed), ("epochs", args.epochs)) if v is not None}
        if overrides:
            config = config.replace(**overrides)
        device = resolve_device(args.device) if uses_torch else "cpu"
        data = resolve_data(args.data_dir, sample_dir, find_data)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    where = Distributed()
    if uses_torch:
        where, device = distributed.setup(device)
    out = run_folder(args.out, args.config, data)
    try:
        run = Run(
            out,
            config,
            data=data,
            device=device,
            resume=args.resume,
            show_progress=not args.no_progress,
            checkpoint_name=checkpoint_name,
            dist=where,
            title=title(config),
        )
        if data.sample:
            run.log(
                f"NOTE: training on the bundled sample in {data.path}, not the full data set; its numbers say "
                f"nothing of the model. Writing to {out}. {sample_note or 'Run make data, or set DATA_DIR.'}"
            )
        else:
            run.log(f"data: {data.path}")
        run.log(f"device: {device}" + (f", {where.world_size} processes ({where.backend})" if where.active else ""))
        run.finish(fit(config, run))
    except (RunError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        distributed.teardown(where)
    return 0
