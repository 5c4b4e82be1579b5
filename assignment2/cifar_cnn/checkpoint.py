"""Your trained MyModel, as you submit it: ``cifar_cnn/my_model.pt``, a plain state dict.

Save it from a training run (``make train CONFIG=configs/mymodel.yaml`` writes
``runs/mymodel/model.pt``; copy that file) or yourself with
``torch.save(model.state_dict(), "cifar_cnn/my_model.pt")``. The grader loads it with
``torch.load(path, weights_only=True)`` into ``MyModel()`` as your ``models.py`` builds it, so
the architecture in your submitted ``models.py`` must be the one you trained.

Check it before you submit, on the full test set or the committed sample::

    python -m cifar_cnn.checkpoint [--checkpoint cifar_cnn/my_model.pt] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

CHECKPOINT = Path(__file__).resolve().parent / "my_model.pt"
MAX_PARAMS = 5_000_000
HOW_TO_SAVE = "save it with torch.save(model.state_dict(), path)"


class CheckpointError(ValueError):
    """The checkpoint is missing, is not a plain state dict, or does not fit ``MyModel``."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _shown(path: Path) -> str:
    """The checkpoint's name as the student knows it: ``cifar_cnn/my_model.pt`` for the submitted
    one (wherever the grader unpacked it), else the path as given."""
    try:
        return path.resolve().relative_to(CHECKPOINT.parent.parent).as_posix()
    except ValueError:
        return str(path)


def _refusal(exc: Exception) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in one line: the cause only, without
    the terminal colour codes and without PyTorch's advice to load an untrusted file unsafely
    (``weights_only=False``, allow-listing globals)."""
    text = _ANSI.sub("", str(exc))
    found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if found:
        return f"it holds a pickled {found.group(1)}, which a plain state dict never does"
    found = re.search(r"WeightsUnpickler error: ([^\n]*)", text)
    if found:
        return "torch.load with weights_only=True refused it: " + found.group(1).split(". Please")[0][:200]
    lines = [line.strip() for line in text.splitlines() if line.strip() and "weights_only" not in line]
    return f"it is not a file torch.save wrote ({type(exc).__name__}{': ' + lines[0][:200] if lines else ''})"


def load_state_dict(path: str | Path = CHECKPOINT) -> dict[str, torch.Tensor]:
    """Read a state dict with ``weights_only=True`` (no arbitrary unpickling), on the CPU.

    Raises CheckpointError naming the file and what is wrong: missing, not loadable without
    unpickling code (a whole pickled model, say), or not a mapping of names to tensors.
    """
    path = Path(path)
    shown = _shown(path)
    if not path.is_file():
        raise CheckpointError(
            f"{shown}: no such file. Train MyModel (make train CONFIG=configs/mymodel.yaml) and copy "
            f"runs/mymodel/model.pt there, or {HOW_TO_SAVE}"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for a pickled module, RuntimeError for a damaged file
        raise CheckpointError(
            f"{shown}: not a plain state dict ({_refusal(exc)}); {HOW_TO_SAVE}, not torch.save(model, path)"
        ) from None
    if not isinstance(state, dict) or not state:
        raise CheckpointError(
            f"{shown}: expected a state dict (parameter names -> tensors), got {type(state).__name__}"
        )
    bad = [repr(k) for k, v in state.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(
            f"{shown}: expected a state dict (parameter names -> tensors); these entries are not tensors: "
            f"{', '.join(bad[:5])}. A dict holding the state dict and other things will not do: {HOW_TO_SAVE}"
        )
    return state


def load_my_model(path: str | Path = CHECKPOINT, num_classes: int = 10) -> nn.Module:
    """``MyModel(num_classes)`` with the checkpoint's weights, in evaluation mode.

    Raises CheckpointError when the model has more than MAX_PARAMS parameters or when the
    state dict's names or shapes do not match the model (the message lists them).
    """
    from cifar_cnn.models import MyModel, count_parameters

    model = MyModel(num_classes)
    count = count_parameters(model)
    if count > MAX_PARAMS:
        raise CheckpointError(f"MyModel has {count:,} parameters, more than the {MAX_PARAMS:,} allowed")
    state = load_state_dict(path)
    try:
        model.load_state_dict(state)  # strict: every name and shape must match; dtypes are converted
    except RuntimeError as exc:
        raise CheckpointError(
            f"{_shown(Path(path))} does not fit MyModel as models.py builds it "
            "(train and submit the same architecture): "
            f"{str(exc)[:1500]}"
        ) from None
    return model.eval()


@torch.no_grad()
def predict(model: nn.Module, images: np.ndarray | torch.Tensor, batch_size: int = 250) -> np.ndarray:
    """Predicted classes of uint8 images ``(N, 3, 32, 32)`` -> int64 ``(N,)``.

    The images are normalised as in training (``data.make_transform(augment=False)``) and the
    model runs in evaluation mode, in float32, ``batch_size`` images at a time.
    """
    from cifar_cnn.data import make_transform

    images = torch.as_tensor(np.asarray(images))
    if images.dtype != torch.uint8 or images.dim() != 4 or tuple(images.shape[1:]) != (3, 32, 32):
        raise ValueError(f"images: expected uint8 (N, 3, 32, 32), got {images.dtype} {tuple(images.shape)}")
    model.eval()
    transform = make_transform(augment=False)
    preds = [model(transform(images[i : i + batch_size])).argmax(dim=1) for i in range(0, len(images), batch_size)]
    return torch.cat(preds).numpy().astype(np.int64)


def main(argv: Sequence[str] | None = None) -> int:
    from cifar_cnn.data import CLASSES, load_split, resolve_data_dir

    parser = argparse.ArgumentParser(prog="python -m cifar_cnn.checkpoint", description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(CHECKPOINT), help="state dict file (default cifar_cnn/my_model.pt)")
    parser.add_argument("--data-dir", default=None, help="CIFAR-10 folder (else DATA_DIR, else the sample)")
    args = parser.parse_args(argv)
    try:
        model = load_my_model(args.checkpoint)
        root = resolve_data_dir(args.data_dir)
        test = load_split(root, "test")
    except (CheckpointError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pred = predict(model, test.images)
    labels = test.labels.numpy()
    print(f"{args.checkpoint}: accuracy {np.mean(pred == labels):.4f} on the {len(labels)} test images of {root}")
    for k, name in enumerate(CLASSES):
        print(f"  {name:<10} {np.mean(pred[labels == k] == k):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
