"""MNIST in its original IDX format: read, normalise, split, download, and make the sample.

The four files of MNIST (LeCun, Cortes and Burges), gzipped, sit in one folder::

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz

The same loader reads the full data (``make data`` downloads it to ``data/full``, or set
``DATA_DIR``) and the small sample committed in ``data/sample`` for tests and the demo;
``find_data`` tells ``trainkit.run`` which folder holds the files.

An IDX file is a big-endian header, then the raw bytes: two zero bytes, a type code (``0x08``
for unsigned bytes), the number of dimensions ``d``, then ``d`` sizes as 32-bit unsigned ints.
So images start with the magic number 2051 (``0x00000803``) and labels with 2049.

Command line (staff and ``make data``)::

    python -m mnist_mlp.data download --dest data/full
    python -m mnist_mlp.data make-sample --src DIR --dest data/sample
"""

from __future__ import annotations

import argparse
import gzip
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ASSIGNMENT_DIR / "data" / "sample"

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
ROWS = COLS = 28

# name -> md5 of the UNCOMPRESSED file. The gzip bytes differ between copies (compression
# level, timestamps), the IDX bytes do not, so it is the IDX bytes that are checked.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


class IDXError(ValueError):
    """A file is not the IDX file it should be; the message names the file and what is wrong."""


class MNIST(NamedTuple):
    """Images ``(N, 784)`` float32 in [0, 1] and labels ``(N,)`` int64, train and test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def read_idx(path: str | Path, magic: int) -> np.ndarray:
    """Read an unsigned-byte IDX file (gzipped when its name ends in ``.gz``) into a uint8 array.

    Raises IDXError when the magic number is not ``magic`` or the size of the data does not
    match the header.
    """
    path = Path(path)
    try:
        with _open(path) as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise IDXError(f"{path}: cannot read: {exc}") from None
    if len(raw) < 4:
        raise IDXError(f"{path}: {len(raw)} bytes, too short for an IDX header")
    (got,) = struct.unpack(">I", raw[:4])
    if got != magic:
        raise IDXError(f"{path}: magic number {got} (0x{got:08x}), expected {magic} (0x{magic:08x})")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{path}: {len(raw)} bytes, too short for a header of {ndim} sizes")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise IDXError(f"{path}: header says shape {shape} ({expected} bytes), file has {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load_images(path: str | Path) -> np.ndarray:
    """IDX images ``(N, 28, 28)`` uint8 -> ``(N, 784)`` float32 in [0, 1]."""
    images = read_idx(path, IMAGES_MAGIC)
    if images.shape[1:] != (ROWS, COLS):
        raise IDXError(f"{path}: images of {images.shape[1:]} pixels, expected {(ROWS, COLS)}")
    return images.reshape(images.shape[0], ROWS * COLS).astype(np.float32) / np.float32(255.0)  # (N, 784)


def load_labels(path: str | Path) -> np.ndarray:
    """IDX labels ``(N,)`` uint8 -> int64, checked to lie in 0..9."""
    labels = read_idx(path, LABELS_MAGIC)
    if labels.size and labels.max() > 9:
        raise IDXError(f"{path}: label {labels.max()} found, expected digits 0..9")
    return labels.astype(np.int64)


def find_data(data_dir: str | Path) -> Path:
    """The folder that holds the four files: ``data_dir`` itself or ``data_dir/mnist``."""
    data_dir = Path(data_dir)
    for candidate in (data_dir, data_dir / "mnist"):
        if (candidate / "train-images-idx3-ubyte.gz").is_file():
            return candidate
    raise FileNotFoundError(
        f"{data_dir}: no train-images-idx3-ubyte.gz here or in {data_dir / 'mnist'}; "
        "run `make data` (needs internet) or point --data-dir / DATA_DIR at a copy of MNIST"
    )


def load_mnist(data_dir: str | Path) -> MNIST:
    """Load train and test sets from ``find_data(data_dir)``."""
    folder = find_data(data_dir)
    data = MNIST(
        load_images(folder / "train-images-idx3-ubyte.gz"),
        load_labels(folder / "train-labels-idx1-ubyte.gz"),
        load_images(folder / "t10k-images-idx3-ubyte.gz"),
        load_labels(folder / "t10k-labels-idx1-ubyte.gz"),
    )
    for split, X, y in (("train", data.X_train, data.y_train), ("t10k", data.X_test, data.y_test)):
        if X.shape[0] != y.shape[0]:
            raise IDXError(f"{folder}: {X.shape[0]} {split} images but {y.shape[0]} labels")
    return data


def train_val_split(
    X: np.ndarray, y: np.ndarray, val_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random split into ``(X_train, y_train, X_val, y_val)`` with ``val_size`` examples held out."""
    N = X.shape[0]
    if y.shape[0] != N:
        raise ValueError(f"X and y: expected the same number of examples, got {N} and {y.shape[0]}")
    if not 0 < val_size < N:
        raise ValueError(f"val_size: expected between 1 and N - 1 = {N - 1}, got {val_size}")
    order = rng.permutation(N)
    val, train = order[:val_size], order[val_size:]
    return X[train], y[train], X[val], y[val]


# ---------------------------------------------------------------------------------------
# Download (needs internet) and the committed sample


def download(dest: str | Path, mirrors: Sequence[str] = MIRRORS, **options: Any) -> Path:
    """The four MNIST files into ``dest``, each checked by the md5 of its uncompressed bytes
    (``trainkit.download.download``, which takes ``options`` such as ``fetch``)."""
    from trainkit.download import download as fetch_checked  # staff-side: the grading child never downloads

    return fetch_checked(dest, MNIST_FILES, mirrors, gunzip=True, **options)


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write a uint8 array as a gzipped IDX file with a fixed timestamp (same array, same bytes)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(header + array.tobytes())


def make_sample(src: str | Path, dest: str | Path, n_train: int = 2000, n_test: int = 500, seed: int = 0) -> None:
    """Write a random subset of the MNIST in ``src`` (same file names and format) to ``dest``.

    The subset is ``rng.choice`` without replacement from ``np.random.default_rng(seed)``,
    sorted, first from the training files and then from the test files.
    """
    folder = find_data(src)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = read_idx(folder / f"{prefix}-images-idx3-ubyte.gz", IMAGES_MAGIC)
        labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", LABELS_MAGIC)
        pick = np.sort(rng.choice(images.shape[0], size=n, replace=False))
        write_idx(dest / f"{prefix}-images-idx3-ubyte.gz", images[pick])
        write_idx(dest / f"{prefix}-labels-idx1-ubyte.gz", labels[pick])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnist_mlp.data", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="download full MNIST with checksums")
    d.add_argument("--dest", default=str(ASSIGNMENT_DIR / "data" / "full"))
    s = sub.add_parser("make-sample", help="write the small sample from a full copy")
    s.add_argument("--src", required=True)
    s.add_argument("--dest", default=str(SAMPLE_DIR))
    s.add_argument("--n-train", type=int, default=2000)
    s.add_argument("--n-test", type=int, default=500)
    s.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "download":
        print(f"MNIST in {download(args.dest)}")
    else:
        make_sample(args.src, args.dest, args.n_train, args.n_test, args.seed)
        print(f"sample written to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
