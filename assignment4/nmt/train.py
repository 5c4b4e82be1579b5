"""Train a translator on Multi30k: ``python -m nmt.train --config configs/transformer.yaml``.

Options: ``--data-dir`` (else ``DATA_DIR``, else the committed sample in data/sample),
``--out`` (default ``runs/<config name>``), ``--device`` (``auto`` picks CUDA when present,
else the CPU; or ``cpu``, ``cuda``), ``--seed`` (overrides the config's seed).

Writes ``OUT/metrics.json`` (the config it ran, per-epoch train and validation loss and
perplexity, seconds per epoch, and the final test loss, perplexity and BLEU),
``OUT/curves.png`` (loss and perplexity per epoch), ``OUT/samples.txt`` (a few test
sentences: source, reference, translation), ``OUT/translations.txt`` and ``OUT/model.pt``
(the state dict). With ``beam_size > 1`` also the beam-search BLEU and
``OUT/translations_beam.txt``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch

from nmt import text
from nmt.config import ConfigError, load_config
from nmt.training import (
    bleu,
    build_model,
    evaluate_loss,
    perplexity,
    prepare_data,
    train_epoch,
    translate,
    translate_beam,
)


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when available, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available here; use auto or cpu")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"--device: expected auto, cpu or cuda, got {name!r}")
    return torch.device(name)


def save_curves(history: dict[str, list[float]], path: Path, title: str) -> None:
    """Loss and perplexity per epoch, train and validation, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = list(range(1, len(history["train_loss"]) + 1))
    fig, (ax_loss, ax_ppl) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "val"):
        label = "train (during the epoch)" if split == "train" else "validation"
        ax_loss.plot(epochs, history[f"{split}_loss"], marker="o", label=label)
        ax_ppl.plot(epochs, history[f"{split}_ppl"], marker="o", label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy per token", title="loss")
    ax_ppl.set(xlabel="epoch", ylabel="perplexity", title="perplexity", yscale="log")
    for ax in (ax_loss, ax_ppl):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nmt.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig overrides")
    parser.add_argument("--data-dir", default=None, help="folder with the Multi30k .gz files (or its multi30k/)")
    parser.add_argument("--out", default=None, help="output folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--seed", type=int, default=None, help="overrides the config's seed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from tqdm import tqdm

    args = parse_args(argv)
    # nn.Transformer's encoder uses nested tensors for padded batches in eval mode: correct, but it warns.
    warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")
    try:
        device = pick_device(args.device)
        config = load_config(args.config)
        if args.seed is not None:
            config = config.replace(seed=args.seed)
        data_dir = text.resolve_data_dir(args.data_dir)
    except (ConfigError, OSError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    out.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(config.seed)  # initial weights and dropout
    batch_gen = torch.Generator().manual_seed(config.seed)  # batch order, its own stream
    data = prepare_data(data_dir, config)
    print(
        f"data {data_dir}: {len(data.train)} train pairs (at most {config.max_length} tokens), "
        f"{len(data.val)} validation, {len(data.test)} test; vocabularies de {len(data.src_vocab)}, "
        f"en {len(data.tgt_vocab)}; model {config.model}; device {device}"
    )
    model = build_model(config, len(data.src_vocab), len(data.tgt_vocab)).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    history: dict[str, list[float]] = {k: [] for k in ("train_loss", "train_ppl", "val_loss", "val_ppl", "seconds")}
    n_batches = -(-len(data.train) // config.batch_size)
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        tic = time.perf_counter()
        with tqdm(total=n_batches, desc=f"epoch {epoch}/{config.epochs}", disable=args.no_progress) as bar:

            def step(loss: float, bar=bar) -> None:
                bar.update()
                bar.set_postfix(loss=f"{loss:.3f}")

            train_loss = train_epoch(
                model,
                optimizer,
                text.batches(data.train, config.batch_size, batch_gen),
                device,
                config.grad_clip,
                config.label_smoothing,
                step,
            )
        val_loss = evaluate_loss(model, data.val, config.batch_size, device)
        seconds = time.perf_counter() - tic
        for key, value in zip(
            history,
            (train_loss, perplexity(train_loss), val_loss, perplexity(val_loss), seconds),
            strict=True,
        ):
            history[key].append(value)
        print(
            f"epoch {epoch}: train loss {train_loss:.3f} (ppl {perplexity(train_loss):.1f}), "
            f"val loss {val_loss:.3f} (ppl {perplexity(val_loss):.1f}), {seconds:.1f} s"
        )
    train_seconds = time.perf_counter() - start

    test_loss = evaluate_loss(model, data.test, config.batch_size, device)
    max_len = config.max_length - 1
    hypotheses = translate(model, data.test.src, data.tgt_vocab, max_len, config.batch_size, device)
    test_bleu = bleu(hypotheses, data.test_ref_lines)
    print(f"test loss {test_loss:.3f} (ppl {perplexity(test_loss):.1f}), BLEU {test_bleu:.2f} (greedy)")
    beam: dict[str, float] = {}
    if config.beam_size > 1:
        tic = time.perf_counter()
        beam_hypotheses = translate_beam(
            model, data.test.src, data.tgt_vocab, max_len, config.beam_size, config.length_penalty, device
        )
        beam = {"test_bleu_beam": bleu(beam_hypotheses, data.test_ref_lines), "beam_seconds": time.perf_counter() - tic}
        (out / "translations_beam.txt").write_text("".join(h + "\n" for h in beam_hypotheses), encoding="utf-8")
        print(
            f"BLEU {beam['test_bleu_beam']:.2f} with beam search (beam {config.beam_size}, length penalty "
            f"{config.length_penalty:g}, {beam['beam_seconds']:.0f} s)"
        )
    torch.save(model.state_dict(), out / "model.pt")

    with (out / "samples.txt").open("w", encoding="utf-8") as fh:
        for i in range(min(config.num_samples, len(hypotheses))):
            fh.write(f"de:  {data.test_src_lines[i]}\nref: {data.test_ref_lines[i]}\nout: {hypotheses[i]}\n\n")
    (out / "translations.txt").write_text("".join(h + "\n" for h in hypotheses), encoding="utf-8")
    metrics = {
        "config": dataclasses.asdict(config),
        "data_dir": str(data_dir),
        "device": str(device),
        "num_parameters": n_params,
        "num_train": len(data.train),
        "num_val": len(data.val),
        "num_test": len(data.test),
        "src_vocab_size": len(data.src_vocab),
        "tgt_vocab_size": len(data.tgt_vocab),
        "epochs": [{"epoch": i + 1, **{k: v[i] for k, v in history.items()}} for i in range(config.epochs)],
        "history": history,
        "seconds_per_epoch": sum(history["seconds"]) / config.epochs,
        "train_seconds": train_seconds,
        "test_loss": test_loss,
        "test_ppl": perplexity(test_loss),
        "test_bleu": test_bleu,
        "bleu_method": "sacrebleu.corpus_bleu, 13a tokenisation, detokenised lower-case output "
        "against lower-cased references, greedy decoding",
        **beam,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    save_curves(history, out / "curves.png", f"{config.model} on Multi30k de-en: test BLEU {test_bleu:.2f}")
    print(f"wrote {out / 'metrics.json'}, curves.png, samples.txt, translations.txt and model.pt in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
