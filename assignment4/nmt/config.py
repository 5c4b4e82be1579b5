"""The training configuration: a frozen dataclass, read from YAML files that list only what differs.

Example ``configs/seq2seq_attention.yaml``::

    model: seq2seq
    model_type: LSTM
    attention: cosine

Unknown keys are rejected and every value's type is checked. Write floats with a dot:
PyYAML reads ``1e-3`` as the *string* "1e-3" (YAML 1.1), so write ``1.0e-3``.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

MODELS = ("seq2seq", "transformer")
MODEL_TYPES = ("RNN", "LSTM")
ATTENTIONS = ("cosine", "dot")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on, apart from the data."""

    model: str = "transformer"  # seq2seq (Encoder/Decoder/Seq2Seq) or transformer (FullTransformerTranslator)
    # seq2seq only
    model_type: str = "LSTM"
    attention: str | None = "cosine"  # cosine, dot, or null for none
    emb_size: int = 256
    hidden_size: int = 256
    # transformer only
    hidden_dim: int = 256
    num_heads: int = 8
    num_encoder_layers: int = 3
    num_decoder_layers: int = 3
    dim_feedforward: int = 512
    # both
    dropout: float = 0.2
    # Sentences of more tokens than max_length - 2 (<sos> and <eos> take two places) are left out
    # of training; validation and test sources are cut to max_length, and translations have at
    # most max_length - 1 tokens. 20 keeps about 90% of Multi30k's training pairs.
    max_length: int = 20
    min_freq: int = 2  # tokens seen fewer times in training become <unk>
    batch_size: int = 128
    epochs: int = 10
    learning_rate: float = 1.0e-3  # Adam
    grad_clip: float = 1.0  # max L2 norm of the gradient, 0 for none
    label_smoothing: float = 0.0
    num_samples: int = 10  # test sentences whose translations go to samples.txt
    # Above 1: the test BLEU of beam search (FullTransformerTranslator.beam_search, the
    # extension) is reported too, beside greedy decoding's. Transformer only.
    beam_size: int = 1
    length_penalty: float = 0.0  # beam search: a finished hypothesis scores sum(log p) / length ** this
    seed: int = 0  # seeds the initial weights, dropout and the batch order

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(TrainConfig)
        for f in fields(self):
            value = getattr(self, f.name)
            kind = hints[f.name]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, f.name, float(value))
                continue
            ok = isinstance(value, typing.get_args(kind) or kind) and not isinstance(value, bool)
            if not ok:
                hint = " (PyYAML reads 1e-3 as a string: write 1.0e-3)" if isinstance(value, str) else ""
                raise ConfigError(f"{f.name}: expected {getattr(kind, '__name__', kind)}, got {value!r}{hint}")
        for name, choices in (("model", MODELS), ("model_type", MODEL_TYPES)):
            if getattr(self, name) not in choices:
                raise ConfigError(f"{name}: expected one of {choices}, got {getattr(self, name)!r}")
        if self.attention is not None and self.attention not in ATTENTIONS:
            raise ConfigError(f"attention: expected one of {ATTENTIONS} or null, got {self.attention!r}")
        positive = ("emb_size", "hidden_size", "hidden_dim", "num_heads", "num_encoder_layers")
        positive += ("num_decoder_layers", "dim_feedforward", "min_freq", "batch_size", "epochs")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}: expected >= 1, got {getattr(self, name)}")
        if self.hidden_dim % self.num_heads:
            raise ConfigError(f"hidden_dim: expected a multiple of num_heads = {self.num_heads}, got {self.hidden_dim}")
        if self.max_length < 3:
            raise ConfigError(f"max_length: expected >= 3, got {self.max_length}")
        if not 0 <= self.dropout < 1 or not 0 <= self.label_smoothing < 1:
            raise ConfigError(
                f"dropout, label_smoothing: expected in [0, 1), got {self.dropout}, {self.label_smoothing}"
            )
        if self.beam_size < 1 or self.length_penalty < 0:
            raise ConfigError(
                f"beam_size, length_penalty: expected >= 1 and >= 0, got {self.beam_size}, {self.length_penalty}"
            )
        if self.beam_size > 1 and self.model != "transformer":
            raise ConfigError("beam_size: beam search is written for model transformer only; use 1 for seq2seq")
        if not self.learning_rate > 0 or self.grad_clip < 0 or self.num_samples < 0:
            raise ConfigError("learning_rate: expected > 0; grad_clip, num_samples: expected >= 0")

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: str = "config") -> TrainConfig:
        """Build from a mapping of overrides; unknown keys raise ConfigError naming them."""
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: expected a mapping of keys to values, got {type(values).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}; known keys are {sorted(known)}")
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (checked like the original)."""
        return dataclasses.replace(self, **changes)


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML file of overrides with ``yaml.safe_load``; an empty file means all defaults."""
    path = Path(path)
    with path.open() as fh:
        values = yaml.safe_load(fh)
    return TrainConfig.from_dict(values if values is not None else {}, where=str(path))
