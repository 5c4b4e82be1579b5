"""Data preparation, one epoch of training, evaluation (loss, perplexity, BLEU), translation,
and ``fit``: the run of ``python -m nmt.train`` (one process, or data-parallel under torchrun).

Both models are called the same way: ``model(src, tgt_in) -> logits (N, T, V_tgt)`` with
``tgt_in = tgt[:, :-1]`` (teacher forcing), scored against ``tgt[:, 1:]`` by the mean
cross-entropy over the real (non-padding) target tokens; perplexity is ``exp`` of that mean.
``model.generate_translation(src, max_len)`` gives greedy token ids ``(N, max_len)``.

BLEU: each translation is cut at its first ``<eos>``, turned back into text with
``data.detokenize`` (tokens joined by spaces, no space before closing punctuation), and
scored with ``sacrebleu.corpus_bleu`` (its default 13a tokenisation, case-sensitive) against
the raw English references lower-cased; our output is lower-case too, so the score is in
effect case-insensitive.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from nmt.data import PAD_IDX, Corpus, Vocab, batches, detokenize, load_split, numericalize, tokenize

if TYPE_CHECKING:
    from nmt.config import TrainConfig
    from trainkit.run import Run


@dataclass(frozen=True)
class Data:
    """Vocabularies, numericalised splits, and the raw test sentences (for BLEU and samples)."""

    src_vocab: Vocab
    tgt_vocab: Vocab
    train: Corpus
    val: Corpus
    test: Corpus
    test_src_lines: list[str]
    test_ref_lines: list[str]


def prepare_data(data_dir: str | Path, config: TrainConfig) -> Data:
    """Read the three splits, build both vocabularies on the training split, numericalise."""
    train_de, train_en = load_split(data_dir, "train")
    val_de, val_en = load_split(data_dir, "val")
    test_de, test_en = load_split(data_dir, "test_2016_flickr")
    src_vocab = Vocab.build((tokenize(s) for s in train_de), config.min_freq)
    tgt_vocab = Vocab.build((tokenize(s) for s in train_en), config.min_freq)

    def corpus(de, en, drop_long):
        return numericalize(de, en, src_vocab, tgt_vocab, config.max_length, drop_long)

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
        return Seq2Seq(encoder, decoder, PAD_IDX)
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
        pad_idx=PAD_IDX,
    )


def sequence_loss(logits: torch.Tensor, tgt_out: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy over the non-padding tokens: logits ``(N, T, V)``, tgt_out ``(N, T)``."""
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),  # (N*T, V)
        tgt_out.reshape(-1),  # (N*T,)
        ignore_index=PAD_IDX,
        label_smoothing=label_smoothing,
    )


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    grad_clip: float = 0.0,
    label_smoothing: float = 0.0,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
) -> tuple[float, int]:
    """One pass of teacher-forced training; returns the loss summed over the target tokens and
    their number (the mean loss per token is their ratio; sums add up over processes).
    ``scheduler``, when given, is stepped after every batch."""
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
        if scheduler is not None:
            scheduler.step()
        n = int((tgt[:, 1:] != PAD_IDX).sum())
        total += loss.item() * n
        tokens += n
    return total, tokens


@torch.no_grad()
def evaluate_loss(model: nn.Module, corpus: Corpus, batch_size: int, device: torch.device) -> float:
    """Mean cross-entropy per target token (no label smoothing), teacher forcing, eval mode."""
    model.eval()
    total, tokens = 0.0, 0
    for src, tgt in batches(corpus, batch_size):
        src, tgt = src.to(device), tgt.to(device)
        loss = sequence_loss(model(src, tgt[:, :-1]), tgt[:, 1:])
        n = int((tgt[:, 1:] != PAD_IDX).sum())
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
    tgt_vocab: Vocab,
    max_len: int,
    batch_size: int,
    device: torch.device,
) -> list[str]:
    """Greedy translations of numericalised sources, as detokenised lower-case text."""
    model.eval()
    out: list[str] = []
    for start in range(0, len(sources), batch_size):
        src = torch.nn.utils.rnn.pad_sequence(
            sources[start : start + batch_size], batch_first=True, padding_value=PAD_IDX
        ).to(device)
        ids = model.generate_translation(src, max_len).cpu()
        out += [detokenize(tgt_vocab.decode(row.tolist())) for row in ids]
    return out


@torch.no_grad()
def translate_beam(
    model: nn.Module,
    sources: list[torch.Tensor],
    tgt_vocab: Vocab,
    max_len: int,
    beam_size: int,
    length_penalty: float,
    device: torch.device,
) -> list[str]:
    """Beam-search translations (``model.beam_search``, one sentence at a time), detokenised lower-case text."""
    model.eval()
    return [
        detokenize(
            tgt_vocab.decode(model.beam_search(src[None].to(device), max_len, beam_size, length_penalty).tolist())
        )
        for src in sources
    ]


def bleu(hypotheses: list[str], references: list[str]) -> float:
    """Corpus BLEU (sacrebleu, 13a) of lower-case hypotheses against the lower-cased references."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, [[r.lower() for r in references]]).score)


# --------------------------------------------------------------------------- the run


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The per-batch learning-rate schedule of ``config.lr_schedule``: None for ``constant``."""
    if config.lr_schedule == "constant":
        return None
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.learning_rate,
        epochs=config.epochs,
        steps_per_epoch=steps_per_epoch,
        pct_start=config.warmup_fraction,
        anneal_strategy="linear",
        cycle_momentum=False,  # Adam's betas stay as they are
    )


def _state(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    batch_gen: torch.Generator,
    device: torch.device,
) -> dict[str, Any]:
    """What a checkpoint holds to go on exactly: weights, Adam's moments, the schedule, dropout's and the
    batch order's RNG."""
    from trainkit.run import torch_rng_state  # trainkit only where fit runs, as in fit

    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else {},
        "rng": torch_rng_state(device),
        "batch_rng": batch_gen.get_state(),
    }


def _restore(
    state: dict[str, Any],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    gen: torch.Generator,
) -> None:
    from trainkit.run import restore_scheduler, restore_torch_rng_state

    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        restore_scheduler(scheduler, state["scheduler"])
    restore_torch_rng_state(state["rng"])
    gen.set_state(state["batch_rng"])


def shard(
    pairs: Iterable[tuple[torch.Tensor, torch.Tensor]], rank: int, processes: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """This process's share of each global batch ``(src (N, S), tgt (N, T))``: ``N // processes``
    consecutive rows, one more for the first ``N % processes`` ranks. A batch of fewer rows than
    processes is left out, by every process alike, so that they all take the same steps."""
    for src, tgt in pairs:
        N = src.shape[0]
        if processes == 1:
            yield src, tgt
        elif processes <= N:
            size, extra = divmod(N, processes)
            start = rank * size + min(rank, extra)
            stop = start + size + (rank < extra)
            yield src[start:stop], tgt[start:stop]  # (n, S), (n, T): padding columns the loss ignores


def fit(config: TrainConfig, run: Run) -> dict[str, Any]:
    """Train on ``run.data.path`` for the epochs ``run`` has left (a checkpoint after each), then
    the test loss and greedy (with ``beam_size > 1`` also beam-search) BLEU.

    Under torchrun each process trains on its share of every global batch of
    ``config.batch_size`` (DDP averages the gradients); the training loss is summed over the
    processes; only rank 0 tests and writes files, and only rank 0's results are returned.
    """
    from trainkit import distributed

    where, device = run.dist, run.device
    distributed.local_batch_size(config.batch_size, where)  # a ValueError when the global batch does not split
    torch.manual_seed(config.seed)  # initial weights and dropout
    batch_gen = torch.Generator().manual_seed(config.seed)  # batch order: its own stream, the same in every process
    data = prepare_data(run.data.path, config)
    run.log(
        f"{len(data.train)} train pairs (at most {config.max_length} tokens), {len(data.val)} validation, "
        f"{len(data.test)} test; vocabularies de {len(data.src_vocab)}, en {len(data.tgt_vocab)}; model {config.model}"
    )
    model = build_model(config, len(data.src_vocab), len(data.tgt_vocab)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    n_batches = -(-len(data.train) // config.batch_size)  # the steps of an epoch, in every process
    scheduler = make_scheduler(optimizer, config, n_batches)
    state = run.resumed_state()
    if state is not None:
        _restore(state, model, optimizer, scheduler, batch_gen)
    if where.rank:
        # Other dropout masks than rank 0's. The checkpoint keeps rank 0's stream only, so a
        # resumed torchrun run is exact on rank 0 and reseeded (deterministically) on the others.
        torch.manual_seed(config.seed + where.rank + 7919 * run.epochs_done)
    trained = distributed.wrap(model, where, device)  # DDP starts every process from rank 0's weights
    for epoch in run.epochs():
        pairs = shard(batches(data.train, config.batch_size, batch_gen), where.rank, where.world_size)
        bar = run.bar(pairs, desc=f"epoch {epoch}/{config.epochs}", total=n_batches)
        lr = optimizer.param_groups[0]["lr"]
        total, tokens = train_epoch(
            trained, optimizer, bar, device, config.grad_clip, config.label_smoothing, scheduler
        )
        total, tokens = distributed.all_reduce_sums([total, tokens], where)
        train_loss = total / max(tokens, 1)
        val_loss = evaluate_loss(model, data.val, config.batch_size, device)  # the same in every process
        metrics = {"learning_rate": lr, "train_loss": train_loss, "train_ppl": perplexity(train_loss)}
        metrics |= {"val_loss": val_loss, "val_ppl": perplexity(val_loss)}
        run.end_epoch(metrics, _state(model, optimizer, scheduler, batch_gen, device))
    return _test(model, data, config, run) if where.is_main else {}


def _test(model: nn.Module, data: Data, config: TrainConfig, run: Run) -> dict[str, Any]:
    """Test loss and BLEU; writes model.pt, samples.txt, translations.txt (and translations_beam.txt)."""
    device, out = run.device, run.out
    test_loss = evaluate_loss(model, data.test, config.batch_size, device)
    max_len = config.max_length - 1
    hypotheses = translate(model, data.test.src, data.tgt_vocab, max_len, config.batch_size, device)
    results: dict[str, Any] = {
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "num_train": len(data.train),
        "num_val": len(data.val),
        "num_test": len(data.test),
        "src_vocab_size": len(data.src_vocab),
        "tgt_vocab_size": len(data.tgt_vocab),
        "test_loss": test_loss,
        "test_ppl": perplexity(test_loss),
        "test_bleu": bleu(hypotheses, data.test_ref_lines),
        "bleu_method": "sacrebleu.corpus_bleu, 13a tokenisation, detokenised lower-case output "
        "against lower-cased references, greedy decoding",
    }
    run.log(f"test loss {test_loss:.3f} (ppl {perplexity(test_loss):.1f}), BLEU {results['test_bleu']:.2f} (greedy)")
    if config.beam_size > 1:
        tic = time.perf_counter()
        beam = translate_beam(
            model, data.test.src, data.tgt_vocab, max_len, config.beam_size, config.length_penalty, device
        )
        results |= {"test_bleu_beam": bleu(beam, data.test_ref_lines), "beam_seconds": time.perf_counter() - tic}
        (out / "translations_beam.txt").write_text("".join(h + "\n" for h in beam), encoding="utf-8")
        run.log(
            f"BLEU {results['test_bleu_beam']:.2f} with beam search (beam {config.beam_size}, length penalty "
            f"{config.length_penalty:g}, {results['beam_seconds']:.0f} s)"
        )
    torch.save(model.state_dict(), out / "model.pt")
    with (out / "samples.txt").open("w", encoding="utf-8") as fh:
        for i in range(min(config.num_samples, len(hypotheses))):
            fh.write(f"de:  {data.test_src_lines[i]}\nref: {data.test_ref_lines[i]}\nout: {hypotheses[i]}\n\n")
    (out / "translations.txt").write_text("".join(h + "\n" for h in hypotheses), encoding="utf-8")
    return results
