"""Multi30k German-English text: read, tokenise, build vocabularies, numericalise, batch.

A small replacement for torchtext, with the same ideas. The raw Multi30k files (Elliott et
al., 2016; task 1) sit in one folder, one sentence a line, the German and English files
line-aligned::

    train.de.gz  train.en.gz  val.de.gz  val.en.gz  test_2016_flickr.de.gz  test_2016_flickr.en.gz

The same loader reads the full data (``make data`` downloads it to ``data/full``, or set
``DATA_DIR``) and the small real sample committed in ``data/sample`` for tests and the demo;
``find_data`` tells ``trainkit.run`` which folder holds the files.

Pipeline::

    tokenize("Zwei Männer, draußen.")  -> ["zwei", "männer", ",", "draußen", "."]
    vocab = Vocab.build(tokenised_sentences, min_freq=2)   # <pad>=0 <unk>=1 <sos>=2 <eos>=3
    vocab.encode(tokens, max_length)   -> [2, ids..., 3]    # at most max_length ids
    collate(pairs, pad_idx)            -> src (N, S), tgt (N, T) int64, padded with <pad>

Command line (staff and ``make data``)::

    python -m nmt.data download --dest data/full
    python -m nmt.data make-sample --src DIR --dest data/sample
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.nn.utils.rnn import pad_sequence

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ASSIGNMENT_DIR / "data" / "sample"

PAD, UNK, SOS, EOS = "<pad>", "<unk>", "<sos>", "<eos>"
SPECIALS = (PAD, UNK, SOS, EOS)
PAD_IDX, UNK_IDX, SOS_IDX, EOS_IDX = 0, 1, 2, 3

SPLITS = ("train", "val", "test_2016_flickr")

# name -> md5 of the UNCOMPRESSED file (the gzip bytes differ between copies, the text does not).
MULTI30K_FILES: dict[str, str] = {
    "train.de.gz": "d3b4bc1671cfb805267f97f16884beba",
    "train.en.gz": "053a34ece7c904dbc8c7361799afbe4c",
    "val.de.gz": "9f139b15d9d11936dea7af2904e57d8c",
    "val.en.gz": "2234730e7925354b766681b029b347ec",
    "test_2016_flickr.de.gz": "cde61d7401b116652ee84099c7858ca3",
    "test_2016_flickr.en.gz": "2022a6c31e2418047a0511333d55ed42",
}
MIRRORS: tuple[str, ...] = ("https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/",)

# A word is a run of letters, digits or underscores (Unicode-aware: ä, ö, ü, ß are letters),
# possibly joined by single hyphens or apostrophes ("t-shirt", "man's" stay whole, as BLEU's
# own tokeniser keeps them); every other non-space character is a token of its own.
_TOKEN_RE = re.compile(r"\w+(?:['-]\w+)*|[^\w\s]")
# Detokenising: no space before these, none after the opening ones.
_NO_SPACE_BEFORE = re.compile(r" ([.,!?;:%)\]}])")
_NO_SPACE_AFTER = re.compile(r"([(\[{]) ")


def tokenize(text: str) -> list[str]:
    """Lower-case ``text`` and split it into words and single punctuation marks.

    The same rule serves German and English (spaCy's models cannot be installed offline)::

        tokenize("Two young, White males.") == ["two", "young", ",", "white", "males", "."]
        tokenize("A man's T-shirt") == ["a", "man's", "t-shirt"]
    """
    return _TOKEN_RE.findall(text.lower())


def detokenize(tokens: Sequence[str]) -> str:
    """Join tokens with spaces, then remove the space before closing punctuation and after opening.

    ``detokenize(["a", "dog", ",", "running", "."]) == "a dog, running."``. This is how
    translations are turned back into text before BLEU (sacrebleu tokenises them again).
    """
    text = " ".join(tokens)
    text = _NO_SPACE_BEFORE.sub(r"\1", text)
    return _NO_SPACE_AFTER.sub(r"\1", text)


@dataclass(frozen=True)
class Vocab:
    """Token <-> id maps. Ids 0..3 are ``<pad> <unk> <sos> <eos>``; the other tokens follow,
    most frequent first, ties in alphabetical order (so the same data gives the same ids)."""

    itos: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.itos[: len(SPECIALS)] != SPECIALS:
            raise ValueError(f"itos: expected to start with {SPECIALS}, got {self.itos[: len(SPECIALS)]}")
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("itos: tokens must be distinct")
        object.__setattr__(self, "_stoi", {t: i for i, t in enumerate(self.itos)})

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_freq: int = 2) -> Vocab:
        """Every token seen at least ``min_freq`` times in the tokenised ``sentences``."""
        if min_freq < 1:
            raise ValueError(f"min_freq: expected >= 1, got {min_freq}")
        counts = Counter(tok for sentence in sentences for tok in sentence)
        for special in SPECIALS:
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        return cls(SPECIALS + tuple(kept))

    def __len__(self) -> int:
        return len(self.itos)

    def index(self, token: str) -> int:
        """The id of ``token``, ``UNK_IDX`` for a token not in the vocabulary."""
        return self._stoi.get(token, UNK_IDX)  # type: ignore[attr-defined]

    def encode(self, tokens: Sequence[str], max_length: int | None = None) -> list[int]:
        """``[<sos>, ids of tokens..., <eos>]``; with ``max_length``, tokens are cut so that the
        result has at most ``max_length`` ids (``<eos>`` is always kept)."""
        if max_length is not None:
            if max_length < 3:
                raise ValueError(f"max_length: expected >= 3 (<sos>, one token, <eos>), got {max_length}")
            tokens = tokens[: max_length - 2]
        return [SOS_IDX, *(self.index(t) for t in tokens), EOS_IDX]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids`` up to the first ``<eos>``, without ``<sos>``, ``<eos>`` and ``<pad>``."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS_IDX:
                break
            if i not in (SOS_IDX, PAD_IDX):
                out.append(self.itos[i])
        return out


# ---------------------------------------------------------------------------------------
# Files


def find_data(data_dir: str | Path) -> Path:
    """The folder that holds the files: ``data_dir`` itself or ``data_dir/multi30k``."""
    data_dir = Path(data_dir)
    for candidate in (data_dir, data_dir / "multi30k"):
        if (candidate / "train.de.gz").is_file():
            return candidate
    raise FileNotFoundError(
        f"{data_dir}: no train.de.gz here or in {data_dir / 'multi30k'}; "
        "run `make data` (needs internet) or point --data-dir / DATA_DIR at a copy of Multi30k"
    )


def read_lines(path: str | Path) -> list[str]:
    """The lines of a (gzipped when its name ends in ``.gz``) UTF-8 text file, without newlines."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in fh]


def load_split(data_dir: str | Path, split: str) -> tuple[list[str], list[str]]:
    """The raw German and English sentences of ``split`` (one of SPLITS), line-aligned."""
    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    folder = find_data(data_dir)
    de, en = read_lines(folder / f"{split}.de.gz"), read_lines(folder / f"{split}.en.gz")
    if len(de) != len(en):
        raise ValueError(f"{folder}: {split}.de.gz has {len(de)} lines but {split}.en.gz has {len(en)}")
    return de, en


# ---------------------------------------------------------------------------------------
# Tensors and batches


@dataclass(frozen=True)
class Corpus:
    """Numericalised sentence pairs: lists of 1-D int64 tensors, each ``[<sos>, ..., <eos>]``."""

    src: list[torch.Tensor]
    tgt: list[torch.Tensor]

    def __len__(self) -> int:
        return len(self.src)


def numericalize(
    src_lines: Sequence[str],
    tgt_lines: Sequence[str],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    max_length: int,
    drop_long: bool,
) -> Corpus:
    """Tokenise and encode sentence pairs.

    With ``drop_long`` (training) pairs where either side has more than ``max_length - 2``
    tokens are left out; otherwise (evaluation) every pair is kept and cut to ``max_length``.
    """
    src, tgt = [], []
    for s_line, t_line in zip(src_lines, tgt_lines, strict=True):
        s_tok, t_tok = tokenize(s_line), tokenize(t_line)
        if drop_long and max(len(s_tok), len(t_tok)) > max_length - 2:
            continue
        src.append(torch.tensor(src_vocab.encode(s_tok, max_length), dtype=torch.int64))
        tgt.append(torch.tensor(tgt_vocab.encode(t_tok, max_length), dtype=torch.int64))
    return Corpus(src, tgt)


def collate(
    src: Sequence[torch.Tensor], tgt: Sequence[torch.Tensor], pad_idx: int = PAD_IDX
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad a batch of sequences: ``src (N, S)`` and ``tgt (N, T)``, S and T the longest lengths."""
    return (
        pad_sequence(list(src), batch_first=True, padding_value=pad_idx),
        pad_sequence(list(tgt), batch_first=True, padding_value=pad_idx),
    )


def batches(
    corpus: Corpus, batch_size: int, generator: torch.Generator | None = None
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of padded ``(src, tgt)`` batches; shuffled with ``generator`` when given, the
    last partial batch kept."""
    n = len(corpus)
    order = torch.randperm(n, generator=generator).tolist() if generator is not None else list(range(n))
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        yield collate([corpus.src[i] for i in idx], [corpus.tgt[i] for i in idx])


# ---------------------------------------------------------------------------------------
# Download (needs internet) and the committed sample


def download(dest: str | Path, mirrors: Sequence[str] = MIRRORS, **options: Any) -> Path:
    """The six Multi30k files into ``dest``, each checked by the md5 of its uncompressed text
    (``trainkit.download.download``, which takes ``options`` such as ``fetch``)."""
    from trainkit.download import download as fetch_checked  # staff-side: the grading child never downloads

    return fetch_checked(dest, MULTI30K_FILES, mirrors, gunzip=True, **options)


def _write_lines(path: Path, lines: Sequence[str]) -> None:
    """Gzipped UTF-8 lines with a fixed timestamp (same lines, same bytes)."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write("".join(line + "\n" for line in lines).encode("utf-8"))


def make_sample(src: str | Path, dest: str | Path, sizes: dict[str, int] | None = None, seed: int = 0) -> None:
    """Write a random subset of each split of the Multi30k in ``src`` (same names and format) to ``dest``.

    For each split in SPLITS order, ``sizes[split]`` line numbers are drawn without
    replacement with ``random.Random(seed)`` (one generator for all splits) and kept in file order.
    """
    import random

    sizes = sizes or {"train": 400, "val": 50, "test_2016_flickr": 50}
    folder = find_data(src)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for split in SPLITS:
        de, en = load_split(folder, split)
        pick = sorted(rng.sample(range(len(de)), sizes[split]))
        _write_lines(dest / f"{split}.de.gz", [de[i] for i in pick])
        _write_lines(dest / f"{split}.en.gz", [en[i] for i in pick])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nmt.data", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="download Multi30k (task 1, raw) with checksums")
    d.add_argument("--dest", default=str(ASSIGNMENT_DIR / "data" / "full"))
    s = sub.add_parser("make-sample", help="write the small sample from a full copy")
    s.add_argument("--src", required=True)
    s.add_argument("--dest", default=str(SAMPLE_DIR))
    s.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "download":
        print(f"Multi30k in {download(args.dest)}")
    else:
        make_sample(args.src, args.dest, seed=args.seed)
        print(f"sample written to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
