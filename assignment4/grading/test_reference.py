"""Tests of the reference solution and the staff code (never shipped: grading/ is not in the handout).

Independent of the cases: the from-scratch modules against torch's own on copied weights,
properties of masks and decoding, the text pipeline, the config and a short training run.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from nmt import data as ndata
from nmt.config import TrainConfig
from nmt.rnn import GATES, LSTMCell, RNNCell
from nmt.seq2seq import Decoder, Encoder, Seq2Seq, cosine_attention, dot_product_attention, masked_softmax
from nmt.training import bleu
from nmt.transformer import MultiHeadSelfAttention, TransformerTranslator, causal_mask, padding_mask
from nmt.translator import FullTransformerTranslator
from trainkit.config import ConfigError
from trainkit.run import Run

ROOT = ndata.ASSIGNMENT_DIR


@pytest.fixture(autouse=True)
def _float64_and_seeded():
    """Every test in float64 from seed 0; the default dtype is put back afterwards."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def _tokens(lengths: list[int], vocab: int, seed: int = 0) -> torch.Tensor:
    """``<sos>``, random ids 4..vocab-1, ``<eos>``, padding: (N, max(lengths)) int64."""
    g = torch.Generator().manual_seed(seed)
    out = torch.zeros(len(lengths), max(lengths), dtype=torch.int64)
    for n, length in enumerate(lengths):
        out[n, 0], out[n, length - 1] = ndata.SOS_IDX, ndata.EOS_IDX
        out[n, 1 : length - 1] = torch.randint(4, vocab, (length - 2,), generator=g)
    return out


# --------------------------------------------------------------------------- rnn.py


def test_rnn_cell_matches_torch_rnn_cell():
    """Does RNNCell give nn.RNNCell's numbers with its weights copied in?"""
    ref = nn.RNNCell(4, 5)
    cell = RNNCell(4, 5)
    with torch.no_grad():
        cell.W_ih.copy_(ref.weight_ih.T)
        cell.W_hh.copy_(ref.weight_hh.T)
        cell.b_h.copy_(ref.bias_ih + ref.bias_hh)
    x, h = torch.randn(3, 4), torch.randn(3, 5)
    torch.testing.assert_close(cell(x, h), ref(x, h))


def test_lstm_cell_matches_torch_lstm_cell():
    """Does LSTMCell give nn.LSTMCell's (h, c) with its weights copied in, gates in the order i, f, g, o?"""
    D_in, H = 4, 5
    ref = nn.LSTMCell(D_in, H)
    cell = LSTMCell(D_in, H)
    with torch.no_grad():
        for k, gate in enumerate(GATES):
            rows = slice(k * H, (k + 1) * H)
            getattr(cell, f"W_i{gate}").copy_(ref.weight_ih[rows].T)
            getattr(cell, f"W_h{gate}").copy_(ref.weight_hh[rows].T)
            getattr(cell, f"b_{gate}").copy_(ref.bias_ih[rows] + ref.bias_hh[rows])
    x, h, c = torch.randn(3, D_in), torch.randn(3, H), torch.randn(3, H)
    h_ref, c_ref = ref(x, (h, c))
    h_new, c_new = cell(x, h, c)
    torch.testing.assert_close(h_new, h_ref)
    torch.testing.assert_close(c_new, c_ref)


def test_cells_initialise_like_torch_and_reject_bad_shapes():
    """Are the cells' parameters in (-1/sqrt(H), 1/sqrt(H)), and is a wrong input shape a ValueError?"""
    cell = LSTMCell(3, 16)
    assert len(list(cell.parameters())) == 12
    assert all(p.abs().max() <= 0.25 for p in cell.parameters())
    with pytest.raises(ValueError, match="x: expected shape"):
        RNNCell(3, 4)(torch.randn(2, 5), torch.randn(2, 4))


# --------------------------------------------------------------------------- seq2seq.py


def test_attention_weights_sum_to_one_and_skip_padding():
    """Do both attentions give rows that sum to 1 with exact zeros at masked positions?"""
    query, keys = torch.randn(3, 4), torch.randn(3, 6, 4)
    mask = torch.arange(6)[None, :] < torch.tensor([[6], [2], [4]])
    for fn in (cosine_attention, dot_product_attention):
        w = fn(query, keys, mask)
        torch.testing.assert_close(w.sum(dim=1), torch.ones(3))
        assert (w[~mask] == 0).all()


def test_attention_formulas():
    """Cosine attention is softmax of F.cosine_similarity; dot attention of q.k / sqrt(H)."""
    query, keys = torch.randn(2, 5), torch.randn(2, 3, 5)
    cos = torch.nn.functional.cosine_similarity(query[:, None, :], keys, dim=-1)
    torch.testing.assert_close(cosine_attention(query, keys), torch.softmax(cos, dim=-1))
    dot = torch.einsum("nh,nsh->ns", query, keys) / math.sqrt(5)
    torch.testing.assert_close(dot_product_attention(query, keys), torch.softmax(dot, dim=-1))
    torch.testing.assert_close(masked_softmax(dot, None), torch.softmax(dot, dim=-1))


@pytest.mark.parametrize("model_type", ["RNN", "LSTM"])
@pytest.mark.parametrize("attention", [None, "cosine", "dot"])
def test_seq2seq_greedy_decoding_is_its_own_teacher_forced_argmax(model_type, attention):
    """Fed its own greedy output, does teacher-forced forward pick the same tokens? And twice the same?"""
    enc = Encoder(11, 6, 7, model_type=model_type)
    dec = Decoder(13, 6, 7, model_type=model_type, attention=attention)
    model = Seq2Seq(enc, dec).eval()
    src = _tokens([6, 4, 3], 11)
    out = model.generate_translation(src, 5)
    assert out.shape == (3, 5) and out.dtype == torch.int64
    torch.testing.assert_close(model.generate_translation(src, 5), out)
    tgt_in = torch.cat([torch.full((3, 1), ndata.SOS_IDX), out[:, :-1]], dim=1)
    with torch.no_grad():
        assert torch.equal(model(src, tgt_in).argmax(dim=-1), out)


def test_decoder_attention_gives_padding_no_weight():
    """Does the decoder's attention put exactly zero weight on padded source positions, summing to 1?"""
    model = Seq2Seq(Encoder(11, 6, 7, model_type="LSTM"), Decoder(13, 6, 7, model_type="LSTM", attention="dot"))
    model.eval()
    src = _tokens([5, 3], 11)
    outputs, hidden = model.encoder(src)
    _, _, w = model.decoder(torch.tensor([2, 2]), hidden, outputs, src != 0)
    assert (w[1, 3:] == 0).all()
    torch.testing.assert_close(w.sum(dim=1), torch.ones(2))


# --------------------------------------------------------------------------- transformer.py


def test_masks():
    """causal_mask is True exactly above the diagonal; padding_mask exactly at pad ids."""
    assert torch.equal(causal_mask(4), torch.tensor([[j > i for j in range(4)] for i in range(4)]))
    tokens = _tokens([4, 2], 9)
    assert torch.equal(padding_mask(tokens), tokens == 0)
    assert causal_mask(3).dtype == torch.bool


def test_multi_head_self_attention_matches_torch():
    """With nn.MultiheadAttention's weights split per head, are outputs and per-head weights the same?"""
    N, T, H, heads = 3, 5, 8, 2
    d_k = H // heads
    ref = nn.MultiheadAttention(H, heads, batch_first=True)
    nn.init.normal_(ref.in_proj_bias)
    mine = MultiHeadSelfAttention(H, heads)
    with torch.no_grad():
        for block, name in enumerate(("q_proj", "k_proj", "v_proj")):
            for j in range(heads):
                rows = slice(block * H + j * d_k, block * H + (j + 1) * d_k)
                getattr(mine, name)[j].weight.copy_(ref.in_proj_weight[rows])
                getattr(mine, name)[j].bias.copy_(ref.in_proj_bias[rows])
        mine.out_proj.load_state_dict(ref.out_proj.state_dict())
    x = torch.randn(N, T, H)
    kpm = torch.arange(T)[None, :] >= torch.tensor([[5], [3], [4]])
    for attn_mask in (None, causal_mask(T)):
        out_ref, w_ref = ref(x, x, x, key_padding_mask=kpm, attn_mask=attn_mask, average_attn_weights=False)
        out, w = mine(x, kpm, attn_mask)
        torch.testing.assert_close(out, out_ref)
        torch.testing.assert_close(w, w_ref)
        assert (w.masked_select(kpm[:, None, None, :].expand_as(w)) == 0).all()
        if attn_mask is not None:
            assert (w[..., attn_mask] == 0).all()


def test_transformer_translator_is_causal_when_asked():
    """Causal: logits at positions < 3 ignore tokens from 3 on; not causal: they depend on them."""
    tokens = _tokens([6, 6], 9)
    changed = tokens.clone()
    changed[:, 3:5] = torch.tensor([[4, 5], [6, 7]])
    for causal in (True, False):
        model = TransformerTranslator(9, 7, hidden_dim=8, num_heads=2, dim_feedforward=16, max_length=6, causal=causal)
        model.eval()
        with torch.no_grad():
            same = torch.allclose(model(tokens)[:, :3], model(changed)[:, :3])
        assert same == causal


# --------------------------------------------------------------------------- translator.py


def _full(**kw):
    model = FullTransformerTranslator(11, 13, hidden_dim=16, num_heads=4, num_encoder_layers=2, num_decoder_layers=2,
                                      dim_feedforward=32, max_length=10, **kw)  # fmt: skip
    return model.eval()


def test_full_translator_is_causal_and_ignores_source_padding():
    """Earlier logits ignore later target tokens; extra padding columns on the source change nothing."""
    model = _full()
    src, tgt = _tokens([6, 4], 11), _tokens([8, 8], 13, seed=1)
    changed = tgt.clone()
    changed[:, 4:] = 5
    repadded = torch.cat([src, torch.zeros(2, 3, dtype=torch.int64)], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(model(src, tgt)[:, :4], model(src, changed)[:, :4])
        torch.testing.assert_close(model(src, tgt), model(repadded, tgt))


def test_full_translator_greedy_is_its_own_argmax_and_checks_lengths():
    """generate_translation equals the argmax of forward on its own prefix; too long a request is an error."""
    model = _full()
    src = _tokens([7, 5, 3], 11)
    out = model.generate_translation(src, 6)
    tgt_in = torch.cat([torch.full((3, 1), ndata.SOS_IDX), out[:, :-1]], dim=1)
    with torch.no_grad():
        assert torch.equal(model(src, tgt_in).argmax(dim=-1), out)
    assert torch.equal(model.generate_translation(src, 6), out)
    with pytest.raises(ValueError, match="max_len"):
        model.generate_translation(src, 11)


def _sequence_log_prob(model, src, tokens):
    """Sum of log-probabilities of ``tokens`` (no <sos>) after <sos>, by teacher forcing."""
    tgt_in = torch.cat([torch.tensor([ndata.SOS_IDX]), tokens[:-1]])[None]
    with torch.no_grad():
        log_probs = torch.log_softmax(model(src, tgt_in)[0], dim=-1)  # (L, V)
    return float(log_probs[torch.arange(len(tokens)), tokens].sum())


def test_beam_search_of_one_is_greedy_cut_at_eos():
    model = _full()
    for row in _tokens([7, 5, 3], 11):
        src = row[None]
        greedy = model.generate_translation(src, 9)[0]
        eos = (greedy == ndata.EOS_IDX).nonzero()
        expected = greedy[: int(eos[0]) + 1] if len(eos) else greedy
        assert torch.equal(model.beam_search(src, 9, beam_size=1), expected)


def test_wide_beam_search_is_exhaustive_search():
    """A beam wider than every candidate set finds the best of all sequences, enumerated here,
    with and without a length penalty (and the two bests differ for some sources)."""
    import itertools

    max_len, V = 4, 5
    words = [v for v in range(V) if v != ndata.EOS_IDX]
    # Every finished sequence: tokens without <eos> then <eos>, or max_len tokens without <eos>.
    candidates = [[*body, ndata.EOS_IDX] for n in range(max_len) for body in itertools.product(words, repeat=n)]
    candidates += [list(body) for body in itertools.product(words, repeat=max_len)]
    differ = 0
    for seed in range(8):
        torch.manual_seed(seed)
        model = FullTransformerTranslator(6, V, hidden_dim=8, num_heads=2, num_encoder_layers=1, num_decoder_layers=1,
                                          dim_feedforward=8, max_length=6, dropout=0.0).eval()  # fmt: skip
        with torch.no_grad():
            model.out.weight.normal_()  # livelier distributions than the default initialisation
        src = _tokens([4], 6, seed=seed)
        log_probs = [_sequence_log_prob(model, src, torch.tensor(c)) for c in candidates]
        bests = []
        for length_penalty in (0.0, 2.0):
            best = max(zip(log_probs, candidates, strict=True), key=lambda s: s[0] / len(s[1]) ** length_penalty)[1]
            got = model.beam_search(src, max_len, beam_size=V**max_len, length_penalty=length_penalty)
            assert got.tolist() == best, (seed, length_penalty)
            bests.append(best)
        differ += bests[0] != bests[1]
    assert differ > 0, "the length penalty never changed the best sequence: the test would not see it ignored"


def test_beam_search_checks_its_arguments():
    model = _full()
    src = _tokens([4, 3], 11)
    with pytest.raises(ValueError, match="one sentence"):
        model.beam_search(src, 5)
    with pytest.raises(ValueError, match="max_len"):
        model.beam_search(src[:1], 11)
    with pytest.raises(ValueError, match="beam_size"):
        model.beam_search(src[:1], 5, beam_size=0)


# --------------------------------------------------------------------------- ndata.py


def test_tokenize_and_detokenize():
    """Lower-case words, inner hyphens and apostrophes kept, punctuation split, and back."""
    assert ndata.tokenize("Zwei Männer, im T-Shirt.") == ["zwei", "männer", ",", "im", "t-shirt", "."]
    assert ndata.tokenize("A man's (red) hat!") == ["a", "man's", "(", "red", ")", "hat", "!"]
    assert ndata.detokenize(["a", "man's", "(", "red", ")", "hat", ",", "ok", "!"]) == "a man's (red) hat, ok!"


def test_vocab_specials_min_freq_and_order():
    """Specials first, tokens below min_freq dropped, ties alphabetical, unknowns to <unk>."""
    v = ndata.Vocab.build([["b", "a", "c"], ["a", "b", "d"], ["a"]], min_freq=2)
    assert v.itos == ("<pad>", "<unk>", "<sos>", "<eos>", "a", "b")
    assert v.encode(["a", "zzz", "b"]) == [2, 4, 1, 5, 3]
    assert v.encode(["a", "b", "a", "b"], max_length=4) == [2, 4, 5, 3]
    assert v.decode([2, 4, 5, 3, 4, 0]) == ["a", "b"]
    with pytest.raises(ValueError, match="min_freq"):
        ndata.Vocab.build([], min_freq=0)


def test_numericalize_collate_and_batches():
    """Long training pairs dropped, evaluation pairs cut; batches padded, every pair once, last partial kept."""
    v = ndata.Vocab.build([["a", "b", "c"]], min_freq=1)
    corpus = ndata.numericalize(["a b", "a b c a b", "c"], ["b", "a", "c a b c"], v, v, max_length=5, drop_long=True)
    assert len(corpus) == 1
    cut = ndata.numericalize(["a b c a b"], ["a"], v, v, max_length=5, drop_long=False)
    assert cut.src[0].tolist() == [2, 4, 5, 6, 3]
    full = ndata.numericalize(["a", "a b", "a b c"], ["c", "b c", "a"], v, v, max_length=8, drop_long=True)
    batches = list(ndata.batches(full, 2, torch.Generator().manual_seed(0)))
    assert [b[0].shape[0] for b in batches] == [2, 1]
    src, tgt = ndata.collate(full.src, full.tgt)
    assert src.shape == (3, 5) and src[0, 3:].tolist() == [0, 0] and tgt.dtype == torch.int64


def test_sample_data_loads_aligned():
    """Are the committed sample's six files there, line-aligned, with the README's sizes?"""
    sizes = {"train": 400, "val": 50, "test_2016_flickr": 50}
    for split, n in sizes.items():
        de, en = ndata.load_split(ndata.SAMPLE_DIR, split)
        assert len(de) == len(en) == n and all(de) and all(en)


def test_download_checks_md5_and_tries_mirrors(tmp_path):
    """A corrupt copy on the first mirror is skipped; the good one is written; all bad is an error."""
    payload = {name: f"line of {name}\n".encode() for name in ndata.MULTI30K_FILES}
    md5s = {name: __import__("hashlib").md5(data).hexdigest() for name, data in payload.items()}

    def fetch(url):
        name = url.rsplit("/", 1)[1]
        return gzip.compress(b"bad" if url.startswith("bad://") else payload[name])

    orig = dict(ndata.MULTI30K_FILES)
    try:
        ndata.MULTI30K_FILES.update(md5s)
        ndata.download(tmp_path, mirrors=("bad://x/", "good://y/"), fetch=fetch)
        assert ndata.read_lines(tmp_path / "val.en.gz") == ["line of val.en.gz"]
        with pytest.raises(RuntimeError, match="md5"):
            ndata.download(tmp_path / "other", mirrors=("bad://x/",), fetch=fetch)
    finally:
        ndata.MULTI30K_FILES.clear()
        ndata.MULTI30K_FILES.update(orig)


def test_detokenised_references_score_full_bleu():
    """Does our tokenise-then-detokenise round trip of the references score (almost) 100 BLEU?"""
    _, en = ndata.load_split(ndata.SAMPLE_DIR, "test_2016_flickr")
    hyps = [ndata.detokenize(ndata.tokenize(line)) for line in en]
    assert bleu(hyps, en) > 99.0


# --------------------------------------------------------------------------- config and training


def test_configs_load_and_bad_values_are_rejected():
    """Every shipped config loads; 1e-3 is a number; unknown keys, bad numbers and choices raise ConfigError."""
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        TrainConfig.load(path)
    assert TrainConfig.from_dict({"attention": None}).attention is None
    assert TrainConfig.from_dict({"learning_rate": "1e-3"}).learning_rate == 1e-3  # as PyYAML reads 1e-3
    bad_values = ({"learning_rate": "fast"}, {"nope": 1}, {"attention": "additive"}, {"epochs": True})
    bad_values += ({"beam_size": 0}, {"model": "seq2seq", "beam_size": 4}, {"length_penalty": -1.0})
    bad_values += ({"lr_schedule": "cosine"}, {"warmup_fraction": 0.0}, {"warmup_fraction": 1.0})
    for bad in bad_values:
        with pytest.raises(ConfigError):
            TrainConfig.from_dict(bad)


@pytest.mark.parametrize("model", ["seq2seq", "transformer"])
def test_training_runs_and_writes_its_outputs(model, tmp_path, monkeypatch):
    """A tiny run on the sample: metrics.json with BLEU and per-epoch perplexity, curves.png, samples.txt."""
    from nmt.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    torch.set_default_dtype(torch.float32)
    try:
        cfg = tmp_path / "tiny.yaml"
        cfg.write_text(
            f"model: {model}\nemb_size: 16\nhidden_size: 16\nhidden_dim: 16\nnum_heads: 2\n"
            "num_encoder_layers: 1\nnum_decoder_layers: 1\ndim_feedforward: 16\nepochs: 2\nbatch_size: 64\n"
            + ("beam_size: 3\nlength_penalty: 0.6\n" if model == "transformer" else "")
        )
        assert main(["--config", str(cfg), "--out", str(tmp_path / "run"), "--device", "cpu", "--no-progress"]) == 0
    finally:
        torch.set_default_dtype(torch.float64)
    out = tmp_path / "run-sample"  # a run on the bundled sample says so in its folder's name
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 2 and metrics["epochs"][0]["val_ppl"] > 1
    assert 0 <= metrics["test_bleu"] <= 100 and metrics["config"]["model"] == model
    assert (out / "curves.png").stat().st_size > 0 and (out / "samples.txt").read_text().count("ref:") == 10
    state = torch.load(out / "model.pt", weights_only=True)
    assert isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())
    if model == "transformer":  # the beam-search extension is evaluated too
        assert 0 <= metrics["test_bleu_beam"] <= 100
        assert len((out / "translations_beam.txt").read_text().splitlines()) == metrics["num_test"]
    else:
        assert "test_bleu_beam" not in metrics


TINY = (
    "model: transformer\nhidden_dim: 16\nnum_heads: 2\nnum_encoder_layers: 1\nnum_decoder_layers: 1\n"
    "dim_feedforward: 16\nepochs: 2\nbatch_size: 64\nnum_samples: 2\nlearning_rate: 3e-3\n"
)


def _epochs_and_bleu(folder: Path) -> tuple:
    m = json.loads((folder / "metrics.json").read_text())
    return [{k: v for k, v in e.items() if k != "seconds"} for e in m["epochs"]], m["test_loss"], m["test_bleu"]


@pytest.mark.parametrize("schedule", ["", "lr_schedule: onecycle\nwarmup_fraction: 0.3\n"])
def test_a_resumed_run_gives_the_metrics_of_an_uninterrupted_one(tmp_path, monkeypatch, capsys, schedule):
    """Stopped after epoch 1 and resumed with --resume (weights, Adam, the schedule, dropout and batch
    order restored): exactly the metrics of the uninterrupted 2-epoch run."""
    from nmt.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY + schedule)
    args = ["--config", str(cfg), "--device", "cpu", "--no-progress"]
    real = Run.end_epoch

    def end_then_stop(self, metrics, state):  # a run killed after its first epoch's checkpoint
        real(self, metrics, state)
        raise KeyboardInterrupt

    torch.set_default_dtype(torch.float32)
    try:
        assert main([*args, "--out", str(tmp_path / "whole")]) == 0
        monkeypatch.setattr(Run, "end_epoch", end_then_stop)
        with pytest.raises(KeyboardInterrupt):
            main([*args, "--out", str(tmp_path / "cut")])
        monkeypatch.setattr(Run, "end_epoch", real)
        assert len(json.loads((tmp_path / "cut-sample" / "metrics.json").read_text())["epochs"]) == 1
        assert main([*args, "--out", str(tmp_path / "cut"), "--resume"]) == 0
    finally:
        torch.set_default_dtype(torch.float64)
    assert _epochs_and_bleu(tmp_path / "cut-sample") == _epochs_and_bleu(tmp_path / "whole-sample")
    if schedule:  # a one-cycle run cannot be extended: a clear refusal, not torch's error at the old last step
        assert main([*args, "--out", str(tmp_path / "cut"), "--resume", "--epochs", "3"]) == 2
        assert "cannot be extended" in capsys.readouterr().err
    epochs = _epochs_and_bleu(tmp_path / "whole-sample")[0]
    assert len(epochs) == 2
    rates = [e["learning_rate"] for e in epochs]  # each epoch's first step
    assert rates == ([3e-3, 3e-3] if not schedule else [pytest.approx(3e-3 / 25), rates[1]])
    if schedule:  # one-cycle: the second epoch starts on the falling side, above the first's start
        assert 3e-3 / 25 < rates[1] < 3e-3


def test_onecycle_schedule_rises_over_the_warmup_then_falls_to_almost_zero():
    """make_scheduler for onecycle: learning_rate / 25 at the start, learning_rate after warmup_fraction
    of the steps, then a linear fall; constant gives no scheduler."""
    from nmt.training import make_scheduler

    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    assert make_scheduler(optimizer, TrainConfig(learning_rate=1e-3), 10) is None
    config = TrainConfig(learning_rate=1e-3, lr_schedule="onecycle", warmup_fraction=0.2, epochs=5)
    scheduler = make_scheduler(optimizer, config, steps_per_epoch=10)
    rates = []
    for _ in range(50):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[0] == pytest.approx(1e-3 / 25)
    peak = int(np.argmax(rates))
    assert rates[peak] == pytest.approx(1e-3) and 8 <= peak <= 10
    steps = np.diff(rates)
    assert (steps[:peak] > 0).all() and (steps[peak:] < 0).all() and rates[-1] < 1e-4


@pytest.mark.slow
def test_torchrun_trains_on_two_processes(tmp_path):
    """torchrun --nproc-per-node 2: DDP over the global batch, one metrics.json (rank 0) saying 2 processes."""
    import os
    import subprocess
    import sys

    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    paths = [str(ROOT.parent), str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "OMP_NUM_THREADS": "1"}
    env.pop("DATA_DIR", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "nmt.train"]
    cmd += ["--config", str(cfg), "--device", "cpu", "--no-progress", "--out", str(tmp_path / "ddp")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((tmp_path / "ddp-sample" / "metrics.json").read_text())
    assert metrics["processes"] == 2 and len(metrics["epochs"]) == 2 and 0 <= metrics["test_bleu"] <= 100


@pytest.mark.parametrize("name", ["seq2seq_dropout_train_eval", "transformer_translator_dropout_train_eval"])
def test_public_dropout_cases_fail_a_model_without_dropout(name, monkeypatch):
    """Does each public dropout case fail when the dropouts do nothing in training mode?"""
    from grader.public import check_case, public_cases

    tests = Path(__file__).resolve().parents[1] / "tests"
    case = next(c for c in public_cases(tests) if c.name == name)
    check_case(tests, case)  # the reference passes
    monkeypatch.setattr(torch.nn.Dropout, "forward", lambda self, x: x)
    with pytest.raises(pytest.fail.Exception, match=r"train: .* outside tolerance"):
        check_case(tests, case)


def test_public_dropout_case_fails_dropout_in_eval_mode(monkeypatch):
    """Does the public dropout case fail a dropout that ignores eval mode (F.dropout(x, p))?"""
    import torch.nn.functional as F

    from grader.public import check_case, public_cases

    tests = Path(__file__).resolve().parents[1] / "tests"
    case = next(c for c in public_cases(tests) if c.name == "transformer_translator_dropout_train_eval")
    monkeypatch.setattr(torch.nn.Dropout, "forward", lambda self, x: F.dropout(x, self.p))
    with pytest.raises(pytest.fail.Exception, match=r"eval: .* outside tolerance"):
        check_case(tests, case)
