"""Data preparation, one epoch of training, evaluation (loss, perplexity, BLEU), translation.

Both models are called the same way: ``model(src, tgt_in) -> logits (N, T, V_tgt)`` with
``tgt_in = tgt[:, :-1]`` (teacher forcing), scored against ``tgt[:, 1:]`` by the mean
cross-entropy over the real (non-padding) target tokens; perplexity is ``exp`` of that mean.
``model.generate_translation(src, max_len)`` gives greedy token ids ``(N, max_len)``.

BLEU: each translation is cut at its first ``<eos>``, turned back into text with
``text.detokenize`` (tokens joined by spaces, no space before closing punctuation), and
scored with ``sacrebleu.corpus_bleu`` (its default 13a tokenisation, case-sensitive) against
the raw English references lower-cased; our output is lower-case too, so the score is in
effect case-insensitive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nmt import text
from nmt.config import TrainConfig


@dataclass(frozen=True)
class Data:
    """Vocabularies, numericalised splits, and the raw test sentences (for BLEU and samples)."""

    src_vocab: text.Vocab
    tgt_vocab: text.Vocab
    train: text.Corpus
    val: text.Corpus
    test: text.Corpus
    test_src_lines: list[str]
    test_ref_lines: list[str]


def prepare_data(data_dir, config: TrainConfig) -> Data:
    """Read the three splits, build both vocabularies on the training split, numericalise."""
    train_de, train_en = text.load_split(data_dir, "train")
    val_de, val_en = text.load_split(data_dir, "val")
    test_de, test_en = text.load_split(data_dir, "test_2016_flickr")
    src_vocab = text.Vocab.build((text.tokenize(s) for s in train_de), config.min_freq)
    tgt_vocab = text.Vocab.build((text.tokenize(s) for s in train_en), config.min_freq)

    def corpus(de, en, drop_long):
        return text.numericalize(de, en, src_vocab, tgt_vocab, config.max_length, drop_long)

    return Data(
        src_vocab,
        tgt_vocab,
        corpus(train_de, train_en, True),
        corpus(val_de, val_en, False),
        corpus(test_de, test_en, False),
        test_de,
        test_en,
    )


def build_model(config: TrainConfig, src_vocab_size: int, tgt_vocab_size: int) -> nn.Module:
    """The model the config names (initialised from torch's current random state)."""
    if config.model == "seq2seq":
        from nmt.seq2seq import Decoder, Encoder, Seq2Seq

        encoder = Encoder(src_vocab_size, config.emb_size, config.hidden_size, config.dropout, config.model_type)
        decoder = Decoder(
            tgt_vocab_size, config.emb_size, config.hidden_size, config.dropout, config.model_type, config.attention
        )
        return Seq2Seq(encoder, decoder, text.PAD_IDX)
    from nmt.translator import FullTransformerTranslator

    return FullTransformerTranslator(
        src_vocab_size,
        tgt_vocab_size,
        hidden_dim=config.hidden_dim,
        num_heads=config.num_heads,
        num_encoder_layers=config.num_encoder_layers,
        num_decoder_layers=config.num_decoder_layers,
        dim_feedforward=config.dim_feedforward,
        dropout=config.dropout,
        max_length=config.max_length,
        pad_idx=text.PAD_IDX,
    )


def sequence_loss(logits: torch.Tensor, tgt_out: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy over the non-padding tokens: logits ``(N, T, V)``, tgt_out ``(N, T)``."""
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),  # (N*T, V)
        tgt_out.reshape(-1),  # (N*T,)
        ignore_index=text.PAD_IDX,
        label_smoothing=label_smoothing,
    )


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    grad_clip: float = 0.0,
    label_smoothing: float = 0.0,
    on_batch: Callable[[float], None] | None = None,
) -> float:
    """One pass of teacher-forced training; returns the mean loss per target token."""
    model.train()
    total, tokens = 0.0, 0
    for src, tgt in batches:
        src, tgt = src.to(device), tgt.to(device)
        logits = model(src, tgt[:, :-1])
        loss = sequence_loss(logits, tgt[:, 1:], label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip > 0:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        n = int((tgt[:, 1:] != text.PAD_IDX).sum())
        total += loss.item() * n
        tokens += n
        if on_batch is not None:
            on_batch(loss.item())
    return total / max(tokens, 1)


@torch.no_grad()
def evaluate_loss(model: nn.Module, corpus: text.Corpus, batch_size: int, device: torch.device) -> float:
    """Mean cross-entropy per target token (no label smoothing), teacher forcing, eval mode."""
    model.eval()
    total, tokens = 0.0, 0
    for src, tgt in text.batches(corpus, batch_size):
        src, tgt = src.to(device), tgt.to(device)
        loss = sequence_loss(model(src, tgt[:, :-1]), tgt[:, 1:])
        n = int((tgt[:, 1:] != text.PAD_IDX).sum())
        total += loss.item() * n
        tokens += n
    return total / max(tokens, 1)


def perplexity(loss: float) -> float:
    """``exp(loss)``, infinite for a loss over 700 rather than an overflow."""
    return math.exp(loss) if loss < 700 else math.inf


@torch.no_grad()
def translate(
    model: nn.Module,
    sources: list[torch.Tensor],
    tgt_vocab: text.Vocab,
    max_len: int,
    batch_size: int,
    device: torch.device,
) -> list[str]:
    """Greedy translations of numericalised sources, as detokenised lower-case text."""
    model.eval()
    out: list[str] = []
    for start in range(0, len(sources), batch_size):
        src = torch.nn.utils.rnn.pad_sequence(
            sources[start : start + batch_size], batch_first=True, padding_value=text.PAD_IDX
        ).to(device)
        ids = model.generate_translation(src, max_len).cpu()
        out += [text.detokenize(tgt_vocab.decode(row.tolist())) for row in ids]
    return out


@torch.no_grad()
def translate_beam(
    model: nn.Module,
    sources: list[torch.Tensor],
    tgt_vocab: text.Vocab,
    max_len: int,
    beam_size: int,
    length_penalty: float,
    device: torch.device,
) -> list[str]:
    """Beam-search translations (``model.beam_search``, one sentence at a time), detokenised lower-case text."""
    model.eval()
    return [
        text.detokenize(
            tgt_vocab.decode(model.beam_search(src[None].to(device), max_len, beam_size, length_penalty).tolist())
        )
        for src in sources
    ]


def bleu(hypotheses: list[str], references: list[str]) -> float:
    """Corpus BLEU (sacrebleu, 13a) of lower-case hypotheses against the lower-cased references."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, [[r.lower() for r in references]]).score)
