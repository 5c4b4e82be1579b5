"""What the explanation commands (run_*.py) share: their arguments, their start (``start``), the output
folder, the test images.

The device, progress bars and metrics.json come from trainkit (``resolve_device``, ``progress``,
``trainkit.files.write_json``); the training command is ``trainkit.run.main`` itself (train.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

import torch

from trainkit.config import Config, ConfigError
from trainkit.run import SAMPLE_SUFFIX, resolve_device

C = TypeVar("C", bound=Config)
T = TypeVar("T")


def parse_args(prog: str, description: str, argv: Sequence[str] | None, data: bool = True) -> argparse.Namespace:
    """``--config FILE.yaml --data-dir DIR --out DIR --device auto --seed N --no-progress``.

    Commands that read no data set (``data=False``) accept ``--data-dir`` too, and ignore it, so that
    every command takes the same arguments.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", required=True, help="YAML file of overrides of the command's config")
    where = "CIFAR-10 folder (else DATA_DIR, else data/sample)" if data else "unused by this command"
    parser.add_argument("--data-dir", default=None, help=where)
    parser.add_argument("--out", default=None, help="output folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    parser.add_argument("--seed", type=int, default=None, help="overrides the config's seed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


class Started(NamedTuple, Generic[C, T]):
    """What ``start`` gives a command: its arguments, device, config and what ``prepare`` returned."""

    args: argparse.Namespace
    device: torch.device
    config: C
    prepared: T


def start(
    prog: str,
    description: str,
    argv: Sequence[str] | None,
    config_type: type[C],
    prepare: Callable[[C, argparse.Namespace], T],
    data: bool = True,
) -> Started[C, T] | None:
    """What every explanation command does before its work: parse the arguments, resolve the device,
    load the config (``--seed`` replacing its seed), then ``prepare(config, args)`` (load the classifier
    and pick the test images, say).

    Returns None after printing ``error: ...`` when the device, the config, a checkpoint, an image
    or the data folder is wrong: the command then exits with status 2.
    """
    args = parse_args(prog, description, argv, data)
    try:
        device = resolve_device(args.device)
        config = config_type.load(args.config)
        if args.seed is not None:
            config = config.replace(seed=args.seed)
        return Started(args, device, config, prepare(config, args))
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def out_dir(args: argparse.Namespace, sample: bool = False) -> Path:
    """``--out``, else ``runs/<config name>``, with ``-sample`` appended when the images came from the
    bundled sample (as trainkit's runs do); made if missing."""
    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    if sample and not out.name.endswith(SAMPLE_SUFFIX):
        out = out.with_name(out.name + SAMPLE_SUFFIX)
    out.mkdir(parents=True, exist_ok=True)
    return out


class ChosenImages(NamedTuple):
    """Normalised images ``x (N, 3, H, W)``, their classes ``y (N,)``, a name for each, and whether they
    come from the bundled sample."""

    x: torch.Tensor
    y: torch.Tensor
    labels: list[str]
    sample: bool = False


def test_images(classifier, data_dir: str | None, count: int) -> ChosenImages:
    """Images the classifier gets right, normalised, with their classes and names.

    For the CIFAR-10 model: test images of ``data_dir`` (else ``DATA_DIR``, else the sample),
    taking the first correctly classified image of class 0, 1, ... in turn, round and round,
    until ``count`` are found. For an ImageNet model: the pictures of data/images at its input
    size, labelled with its own predictions.
    """
    from cnn_vis.images import IMAGES_DIR, load_image, normalize

    model = classifier.model
    if classifier.image_size != 32:
        names = sorted(p.name for p in IMAGES_DIR.glob("*.jpg"))[:count]
        side = classifier.image_size
        x = torch.cat(
            [normalize(load_image(n, side)[..., :side, :side], classifier.mean, classifier.std) for n in names]
        )
        with torch.no_grad():
            y = model(x).argmax(dim=1)
        return ChosenImages(x, y, [f"{n}: {classifier.classes[int(c)][:12]}" for n, c in zip(names, y, strict=True)])

    from cnn_vis.data import SAMPLE_DIR, find_data, load_split
    from trainkit.run import resolve_data

    source = resolve_data(data_dir, SAMPLE_DIR, find_data)
    data = load_split(source.path, "test")
    x_all = normalize(data.images, classifier.mean, classifier.std)
    with torch.no_grad():
        pred = torch.cat([model(x_all[i : i + 500]).argmax(dim=1) for i in range(0, len(x_all), 500)])
    queues = [
        [int(i) for i in torch.nonzero((data.labels == k) & (pred == k)).flatten()]
        for k in range(len(classifier.classes))
    ]
    chosen: list[int] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    index = torch.tensor(chosen, dtype=torch.int64)
    y = data.labels[index]
    names = [f"{classifier.classes[int(c)]} #{int(i)}" for c, i in zip(y, index, strict=True)]
    return ChosenImages(x_all[index], y, names, source.sample)


def classifier_and_images(config, args: argparse.Namespace):
    """``prepare`` for the commands that explain the classifier on test images: the classifier the
    config names and ``config.num_images`` test images it gets right."""
    from cnn_vis.model import load_classifier

    classifier = load_classifier(config.model, config.checkpoint)
    return classifier, test_images(classifier, args.data_dir, config.num_images)
