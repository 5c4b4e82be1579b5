"""Files a run writes: atomically (a temporary file beside the target, then a rename), so that a
run killed while saving leaves the previous file intact.

Checkpoints come in two formats, chosen by the file's suffix:

- ``.pt``: ``torch.save`` of tensors, numbers, strings, lists and dicts; loaded with
  ``weights_only=True``, so loading runs no pickled code.
- ``.npz``: for NumPy runs without torch. Arrays anywhere in the nested dict become members of
  the archive; everything else (numbers, strings, lists, a NumPy generator's ``state`` dict) is
  stored as one JSON member. Loaded with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["atomic_write", "load_state", "read_json", "save_state", "write_json"]

_META = "__meta__.json"


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], Any]) -> Path:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, value: Any) -> Path:
    """Indented JSON, atomically."""
    text = json.dumps(value, indent=2) + "\n"
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def read_json(path: str | Path) -> Any:
    """A JSON file's value; errors name the file."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FileNotFoundError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def _split(value: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """``value`` with each array replaced by ``{"__array__": key}`` and stored in ``arrays``."""
    if isinstance(value, np.ndarray):
        arrays[prefix] = value
        return {"__array__": prefix}
    if isinstance(value, Mapping):
        return {str(k): _split(v, f"{prefix}/{k}", arrays) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_split(v, f"{prefix}/{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _join(value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _join(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join(v, arrays) for v in value]
    return value


def save_state(path: str | Path, state: Mapping[str, Any]) -> Path:
    """Save a checkpoint (a nested dict) to ``path`` (``.pt`` or ``.npz``), atomically."""
    path = Path(path)
    if path.suffix == ".pt":
        import torch

        return atomic_write(path, lambda fh: torch.save(dict(state), fh))
    if path.suffix != ".npz":
        raise ValueError(f"{path}: a checkpoint is a .pt or a .npz file")
    arrays: dict[str, np.ndarray] = {}
    meta = json.dumps(_split(dict(state), "", arrays))
    members = {f"a{i}": a for i, a in enumerate(arrays.values())}
    names = dict(zip(arrays, members, strict=True))
    payload = {"names": names, "state": meta}
    members[_META] = np.frombuffer(json.dumps(payload).encode("utf-8"), dtype=np.uint8)
    return atomic_write(path, lambda fh: np.savez(fh, **members))


def load_state(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """Load what ``save_state`` wrote; no pickled code runs. Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint")
    if path.suffix == ".pt":
        import torch

        return torch.load(path, map_location=map_location, weights_only=True)
    try:
        with np.load(path, allow_pickle=False) as archive:
            payload = json.loads(archive[_META].tobytes().decode("utf-8"))
            arrays = {key: archive[member] for key, member in payload["names"].items()}
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path}: not a checkpoint written by trainkit ({exc})") from None
    return _join(json.loads(payload["state"]), arrays)
