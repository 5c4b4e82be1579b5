"""Image folders: found, unpacked once and safely, decoded in label order, split, sampled."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from trainkit.images import (
    InMemoryDataset,
    find_image_folder,
    load_image_folder,
    make_transform,
    sample_image_folder,
    train_val_split,
    write_cifar_binary,
    write_image_folder,
)

CLASSES = ("cat", "dog")


def make_tree(root: Path, per_class: int = 3) -> Path:
    """``root/{train,test}/{cat,dog}/NNNN.png``: 2 x 4 x 4 colour images whose pixels encode their index."""
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        images = rng.integers(0, 256, size=(2 * per_class, 3, 4, 4), dtype=np.uint8)
        write_image_folder(images, np.arange(2 * per_class) % 2, root / split, CLASSES)
    return root


def test_decodes_every_image_in_label_order(tmp_path):
    root = make_tree(tmp_path / "set")
    data = load_image_folder(root / "train", CLASSES, (3, 4, 4))
    assert data.images.shape == (6, 3, 4, 4) and data.images.dtype == torch.uint8
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match=r"expected the class folders \('cat', 'cow'\)"):
        load_image_folder(root / "train", ("cat", "cow"), (3, 4, 4))
    with pytest.raises(ValueError, match=r"expected images of shape \(3, 32, 32\), got \(3, 4, 4\)"):
        load_image_folder(root / "train", CLASSES, (3, 32, 32))


def test_finds_the_splits_their_parent_or_an_archive_unpacked_once(tmp_path):
    root = make_tree(tmp_path / "shared" / "set")
    assert find_image_folder(root, "set", "set.tar.gz", tmp_path / "x") == root
    assert find_image_folder(root.parent, "set", "set.tar.gz", tmp_path / "x") == root
    archive_dir = tmp_path / "archive"
    archive_dir.mkdir()
    with tarfile.open(archive_dir / "set.tar.gz", "w:gz") as tar:
        tar.add(root, arcname="set")
    dest = tmp_path / "unpacked"
    found = find_image_folder(archive_dir, "set", "set.tar.gz", dest)
    assert found == dest / "set" and (dest / ".unpacked").is_file()
    (found / "train" / "cat" / "0000.png").unlink()  # a second call does not unpack again
    assert find_image_folder(archive_dir, "set", "set.tar.gz", dest) == found
    assert not (found / "train" / "cat" / "0000.png").exists()
    with pytest.raises(FileNotFoundError, match=r"expected train/ and test/ .*set\.tar\.gz \(run make data\)"):
        find_image_folder(tmp_path / "empty", "set", "set.tar.gz", dest, hint="run make data")


@pytest.mark.parametrize("name", ["../evil.txt", "/abs.txt"])
def test_an_archive_reaching_outside_is_refused(tmp_path, name):
    (tmp_path / "in").mkdir()
    with tarfile.open(tmp_path / "in" / "set.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(ValueError, match="refusing to unpack"):
        find_image_folder(tmp_path / "in", "set", "set.tar.gz", tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_split_is_seeded_and_disjoint(tmp_path):
    data = load_image_folder(make_tree(tmp_path, per_class=5) / "train", CLASSES, (3, 4, 4))
    train, val = train_val_split(data, 3, np.random.default_rng(1))
    again, _ = train_val_split(data, 3, np.random.default_rng(1))
    assert len(train.labels) == 7 and len(val.labels) == 3
    assert torch.equal(train.images, again.images)
    rows = {tuple(x.flatten().tolist()) for x in torch.cat([train.images, val.images])}
    assert len(rows) == 10
    with pytest.raises(ValueError, match="val_size 10: must be below the 10 training images"):
        train_val_split(data, 10, np.random.default_rng(0))


def test_dataset_applies_the_transform_per_example(tmp_path):
    data = load_image_folder(make_tree(tmp_path) / "train", CLASSES, (3, 4, 4))
    plain = InMemoryDataset(data, make_transform((0.5, 0.5, 0.5), (0.25, 0.25, 0.25), augment=False, size=4))
    x, y = plain[4]
    torch.testing.assert_close(x, (data.images[4].float() / 255 - 0.5) / 0.25)
    assert int(y) == 1
    augmented = make_transform((0.0,) * 3, (1.0,) * 3, augment=True, crop_padding=1, size=4)
    assert augmented(data.images[0]).shape == (3, 4, 4)


def test_cifar_binary_records_become_an_image_folder(tmp_path):
    rng = np.random.default_rng(0)
    blobs = {}
    for name, n in (("data_batch_1.bin", 4), ("test_batch.bin", 2)):
        table = rng.integers(0, 256, size=(n, 1 + 3 * 32 * 32), dtype=np.uint8)
        table[:, 0] = np.arange(n) % 2
        blobs[name] = table
    archive = tmp_path / "cifar.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, table in blobs.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = table.nbytes
            tar.addfile(info, io.BytesIO(table.tobytes()))
    root = write_cifar_binary(archive, tmp_path / "out", CLASSES)
    data = load_image_folder(root / "train", CLASSES, (3, 32, 32))
    first = blobs["data_batch_1.bin"][0]
    assert torch.equal(data.images[0], torch.from_numpy(first[1:].reshape(3, 32, 32)))
    assert load_image_folder(root / "test", CLASSES, (3, 32, 32)).labels.tolist() == [0, 1]


def test_sample_copies_files_byte_for_byte(tmp_path):
    root = make_tree(tmp_path / "full", per_class=4)
    dest = sample_image_folder(root, tmp_path / "sample", CLASSES, {"train": 2, "test": 1})
    files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.png"))
    assert files == ["test/cat/0000.png", "test/dog/0000.png"] + [
        f"train/{c}/000{i}.png" for c in CLASSES for i in range(2)
    ]
    copied = (dest / "test" / "cat" / "0000.png").read_bytes()
    assert copied in {p.read_bytes() for p in (root / "test" / "cat").iterdir()}
