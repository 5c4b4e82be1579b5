"""The training configuration: its fields and their checks (loading, type checks: ``trainkit.config``).

Example ``configs/seq2seq_attention.yaml``, which lists only what differs from the defaults::

    model: seq2seq
    model_type: LSTM
    attention: dot
    learning_rate: 5e-4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nmt.seq2seq import Attention, ModelType
from trainkit.config import Config

ModelName = Literal["seq2seq", "transformer"]
Schedule = Literal["constant", "onecycle"]


@dataclass(frozen=True)
class TrainConfig(Config):
    """Everything one training run depends on, apart from the data."""

    model: ModelName = "transformer"  # seq2seq (Encoder/Decoder/Seq2Seq) or transformer (FullTransformerTranslator)
    # seq2seq only
    model_type: ModelType = "LSTM"
    attention: Attention | None = "cosine"  # null for none
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
    batch_size: int = 128  # the global batch: split between the processes of a torchrun run
    epochs: int = 10
    learning_rate: float = 1e-3  # Adam
    # "constant": Adam's learning rate stays learning_rate. "onecycle": per batch, a linear rise
    # from learning_rate / 25 to learning_rate over the first warmup_fraction of the steps, then
    # a linear fall to almost 0 (torch's OneCycleLR, as in assignment 2).
    lr_schedule: Schedule = "constant"
    warmup_fraction: float = 0.1  # onecycle only
    grad_clip: float = 1.0  # max L2 norm of the gradient, 0 for none
    label_smoothing: float = 0.0
    num_samples: int = 10  # test sentences whose translations go to samples.txt
    # Above 1: the test BLEU of beam search (FullTransformerTranslator.beam_search, the
    # extension) is reported too, beside greedy decoding's. Transformer only.
    beam_size: int = 1
    length_penalty: float = 0.0  # beam search: a finished hypothesis scores sum(log p) / length ** this
    seed: int = 0  # seeds the initial weights, dropout and the batch order

    def validate(self) -> None:
        self.require_positive("emb_size", "hidden_size", "hidden_dim", "num_heads", "num_encoder_layers")
        self.require_positive("num_decoder_layers", "dim_feedforward", "min_freq", "batch_size", "epochs")
        self.require_positive("learning_rate", "beam_size")
        self.require(
            self.hidden_dim % self.num_heads == 0,
            "hidden_dim",
            f"expected a multiple of num_heads = {self.num_heads}, got {self.hidden_dim}",
        )
        self.require(self.max_length >= 3, "max_length", f"expected >= 3, got {self.max_length}")
        self.require_in("dropout", 0, 1)
        self.require_in("warmup_fraction", 0, 1, closed="()")
        self.require_in("label_smoothing", 0, 1)
        for name in ("grad_clip", "num_samples", "length_penalty"):
            self.require(getattr(self, name) >= 0, name, f"expected >= 0, got {getattr(self, name)}")
        self.require(
            self.beam_size == 1 or self.model == "transformer",
            "beam_size",
            "beam search is written for model transformer only; use 1 for seq2seq",
        )
