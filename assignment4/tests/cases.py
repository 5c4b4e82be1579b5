"""Public cases of assignment 4: run by `make test` here and by the autograder, compared the same way.

Each case builds its inputs on the trusted side (from a generator seeded by the case's name):
token ids as int64 arrays, weights as float64 arrays named ``w.<parameter name>``. A ``run_*`` (or ``_run_*``)
function below builds your module with small sizes, converts it to float64, copies the weights
into the parameters of exactly these names (``inject``: a missing, extra or misshapen
parameter is an error that names it), switches to eval mode (dropout off), runs it without
gradients and returns NumPy arrays. So your initialisation and your random numbers never
matter. The dropout cases build the module with dropout 1 and run it in training mode too,
where each dropout zeroes what it gets: that shows where the dropouts sit. The hidden cases
call your code the same way, with other sizes, seeds and modes.
"""

from __future__ import annotations

import numpy as np

from grader.cases import Case

# The helpers the hidden cases (grading/cases.py) import too.
__all__ = [
    "CASES",
    "FULL",
    "PAD",
    "S2S",
    "SOS",
    "attention_inputs",
    "cell_inputs",
    "decoder_inputs",
    "encoder_shapes",
    "full_inputs",
    "full_translator",
    "greedy_inputs",
    "inject",
    "mhsa_inputs",
    "no_grad",
    "quiet_transformer_warnings",
    "random_tokens",
    "random_weights",
    "run_attention",
    "run_cell",
    "run_decoder_step",
    "run_encoder",
    "run_full_beam",
    "run_full_forward",
    "run_full_generate",
    "run_masks",
    "run_mhsa",
    "run_seq2seq_dropout",
    "run_seq2seq_forward",
    "run_seq2seq_greedy",
    "run_transformer_translator",
    "seq2seq_inputs",
    "to_numpy",
    "to_tensor",
    "train_and_eval",
    "translator_inputs",
]

PAD, SOS, EOS = 0, 2, 3

# --------------------------------------------------------------------------- helpers


def random_weights(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """``w.<name>`` arrays: embeddings N(0, 1), matrices N(0, 1/fan_in), biases N(0, 0.3^2),
    layer-norm scales 1 + N(0, 0.1^2)."""
    out = {}
    for name, shape in shapes.items():
        z = rng.standard_normal(shape)
        if "norm" in name and name.endswith("weight"):
            value = 1.0 + 0.1 * z
        elif len(shape) == 1:
            value = 0.3 * z
        elif "embed" in name:
            value = z
        else:
            value = z / np.sqrt(shape[1])
        out[f"w.{name}"] = value
    return out


def random_tokens(rng: np.random.Generator, lengths: list[int], vocab: int) -> np.ndarray:
    """``(N, max(lengths))`` int64: ``<sos>``, random tokens 4..vocab-1, ``<eos>``, then padding."""
    out = np.full((len(lengths), max(lengths)), PAD, dtype=np.int64)
    for n, length in enumerate(lengths):
        out[n, 0] = SOS
        out[n, 1 : length - 1] = rng.integers(4, vocab, size=length - 2)
        out[n, length - 1] = EOS
    return out


def inject(module, arrays: dict[str, np.ndarray]):
    """Float64, exactly the parameters named in ``arrays`` (``w.<name>``), copied in; eval mode."""
    import torch

    weights = {k[2:]: v for k, v in arrays.items() if k.startswith("w.")}
    module = module.double()
    params = dict(module.named_parameters())
    missing, extra = sorted(set(weights) - set(params)), sorted(set(params) - set(weights))
    if missing or extra:
        raise ValueError(f"parameters: missing {missing}, unexpected {extra} (see the README for the names)")
    with no_grad():
        for name, value in weights.items():
            if tuple(params[name].shape) != value.shape:
                raise ValueError(f"parameter {name}: expected shape {value.shape}, got {tuple(params[name].shape)}")
            params[name].copy_(torch.from_numpy(value))
    return module.eval()


def no_grad():
    import torch

    return torch.no_grad()


def to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy()


def to_tensor(x: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(x))


def _rnn_shapes(prefix: str, E_in: int, H: int, lstm: bool) -> dict[str, tuple[int, ...]]:
    g = 4 if lstm else 1
    return {
        f"{prefix}weight_ih_l0": (g * H, E_in),
        f"{prefix}weight_hh_l0": (g * H, H),
        f"{prefix}bias_ih_l0": (g * H,),
        f"{prefix}bias_hh_l0": (g * H,),
    }


def encoder_shapes(V: int, E: int, H: int, lstm: bool, prefix: str = "") -> dict[str, tuple[int, ...]]:
    return {f"{prefix}embedding.weight": (V, E), **_rnn_shapes(f"{prefix}rnn.", E, H, lstm)}


def _decoder_shapes(V: int, E: int, H: int, lstm: bool, attention, prefix: str = "") -> dict[str, tuple[int, ...]]:
    E_in = E + H if attention else E
    return {
        f"{prefix}embedding.weight": (V, E),
        **_rnn_shapes(f"{prefix}rnn.", E_in, H, lstm),
        f"{prefix}out.weight": (V, H),
        f"{prefix}out.bias": (V,),
    }


def _mhsa_shapes(H: int, heads: int, prefix: str = "") -> dict[str, tuple[int, ...]]:
    d_k = H // heads
    shapes: dict[str, tuple[int, ...]] = {}
    for proj in ("q_proj", "k_proj", "v_proj"):
        for j in range(heads):
            shapes |= {f"{prefix}{proj}.{j}.weight": (d_k, H), f"{prefix}{proj}.{j}.bias": (d_k,)}
    return shapes | {f"{prefix}out_proj.weight": (H, H), f"{prefix}out_proj.bias": (H,)}


def _translator_shapes(V_in, V_out, H, heads, F, L) -> dict[str, tuple[int, ...]]:
    return {
        "token_embed.weight": (V_in, H),
        "pos_embed.weight": (L, H),
        **_mhsa_shapes(H, heads, "attention."),
        "norm_attn.weight": (H,),
        "norm_attn.bias": (H,),
        "ff.0.weight": (F, H),
        "ff.0.bias": (F,),
        "ff.2.weight": (H, F),
        "ff.2.bias": (H,),
        "norm_ff.weight": (H,),
        "norm_ff.bias": (H,),
        "out.weight": (V_out, H),
        "out.bias": (V_out,),
    }


def _full_shapes(V_in, V_out, H, heads, n_enc, n_dec, F, L) -> dict[str, tuple[int, ...]]:
    """The names and shapes of torch.nn.Transformer's parameters, read from torch itself."""
    import torch
    from torch import nn

    quiet_transformer_warnings()
    with torch.device("meta"):
        core = nn.Transformer(H, heads, n_enc, n_dec, F, batch_first=True)
    inner = {f"transformer.{k}": tuple(v.shape) for k, v in core.named_parameters()}
    return {
        "src_embed.weight": (V_in, H),
        "tgt_embed.weight": (V_out, H),
        "src_pos.weight": (L, H),
        "tgt_pos.weight": (L, H),
        **inner,
        "out.weight": (V_out, H),
        "out.bias": (V_out,),
    }


# --------------------------------------------------------------------------- rnn.py


def _run_rnn_cell(x, h, **w):
    from nmt.rnn import RNNCell

    cell = inject(RNNCell(x.shape[2], h.shape[1]), w)
    h = to_tensor(h)
    hs = []
    for t in range(x.shape[0]):
        h = cell(to_tensor(x[t]), h)
        hs.append(to_numpy(h))
    return {"h": np.stack(hs)}


def _run_lstm_cell(x, h, c, **w):
    from nmt.rnn import LSTMCell

    cell = inject(LSTMCell(x.shape[2], h.shape[1]), w)
    h, c = to_tensor(h), to_tensor(c)
    hs, cs = [], []
    for t in range(x.shape[0]):
        h, c = cell(to_tensor(x[t]), h, c)
        hs.append(to_numpy(h))
        cs.append(to_numpy(c))
    return {"h": np.stack(hs), "c": np.stack(cs)}


def cell_inputs(T: int, N: int, D_in: int, H: int, lstm: bool):
    def inputs(rng):
        arrays = {"x": rng.standard_normal((T, N, D_in)), "h": 0.5 * rng.standard_normal((N, H))}
        if lstm:
            arrays["c"] = rng.standard_normal((N, H))
            shapes = {}
            for g in ("i", "f", "g", "o"):
                shapes |= {f"W_i{g}": (D_in, H), f"W_h{g}": (H, H), f"b_{g}": (H,)}
        else:
            shapes = {"W_ih": (D_in, H), "W_hh": (H, H), "b_h": (H,)}
        return arrays | {k: 0.8 * rng.standard_normal(s) / np.sqrt(s[0]) for k, s in shapes.items()}

    return inputs


def _cell_weights(arrays):
    return {f"w.{k}": v for k, v in arrays.items() if k not in ("x", "h", "c")}


def run_cell(x, h, lstm, c=None, **w):
    weights = _cell_weights(w)
    if lstm:
        return _run_lstm_cell(x, h, c, **weights)
    return _run_rnn_cell(x, h, **weights)


# --------------------------------------------------------------------------- seq2seq.py


def run_attention(query, keys, kind, mask=None):
    from nmt import seq2seq

    fn = seq2seq.cosine_attention if kind == "cosine" else seq2seq.dot_product_attention
    with no_grad():
        weights = fn(to_tensor(query), to_tensor(keys), None if mask is None else to_tensor(mask))
    return {"weights": to_numpy(weights)}


def attention_inputs(N: int, S: int, H: int, lengths: list[int] | None):
    def inputs(rng):
        out = {"query": rng.standard_normal((N, H)), "keys": rng.standard_normal((N, S, H))}
        if lengths is not None:
            out["mask"] = np.arange(S)[None, :] < np.array(lengths)[:, None]
        return out

    return inputs


def run_encoder(src, V, E, H, model_type, **w):
    from nmt.seq2seq import Encoder

    enc = inject(Encoder(V, E, H, dropout=0.5, model_type=model_type), w)
    with no_grad():
        outputs, hidden = enc(to_tensor(src))
    out = {"outputs": to_numpy(outputs)}
    if model_type == "LSTM":
        return out | {"h": to_numpy(hidden[0]), "c": to_numpy(hidden[1])}
    return out | {"h": to_numpy(hidden)}


def run_decoder_step(input, h, encoder_outputs, src_mask, V, E, H, model_type, attention, c=None, **w):
    from nmt.seq2seq import Decoder

    dec = inject(Decoder(V, E, H, dropout=0.5, model_type=model_type, attention=attention), w)
    hidden = (to_tensor(h), to_tensor(c)) if model_type == "LSTM" else to_tensor(h)
    with no_grad():
        logits, hidden, weights = dec(to_tensor(input), hidden, to_tensor(encoder_outputs), to_tensor(src_mask))
    out = {"logits": to_numpy(logits)}
    if weights is not None:
        out["weights"] = to_numpy(weights)
    if model_type == "LSTM":
        return out | {"h": to_numpy(hidden[0]), "c": to_numpy(hidden[1])}
    return out | {"h": to_numpy(hidden)}


def decoder_inputs(N, S, V, E, H, lstm, attention):
    def inputs(rng):
        lengths = [S, *rng.integers(2, S, size=N - 1)]
        out = {
            "input": rng.integers(0, V, size=N),
            "h": 0.5 * rng.standard_normal((1, N, H)),
            "encoder_outputs": rng.standard_normal((N, S, H)),
            "src_mask": np.arange(S)[None, :] < np.array(lengths)[:, None],
        }
        if lstm:
            out["c"] = rng.standard_normal((1, N, H))
        return out | random_weights(rng, _decoder_shapes(V, E, H, lstm, attention))

    return inputs


def _seq2seq(V_src, V_tgt, E, H, model_type, attention, w, dropout=0.5):
    from nmt.seq2seq import Decoder, Encoder, Seq2Seq

    encoder = Encoder(V_src, E, H, dropout=dropout, model_type=model_type)
    decoder = Decoder(V_tgt, E, H, dropout=dropout, model_type=model_type, attention=attention)
    return inject(Seq2Seq(encoder, decoder, pad_idx=PAD), w)


def train_and_eval(model, run) -> dict[str, np.ndarray]:
    """``run(model)`` in training mode and in evaluation mode, for a model built with dropout
    probability 1: in training mode each dropout zeroes what it is given, so the output shows
    where the dropouts sit (exactly, no random numbers involved); in evaluation mode dropout
    must do nothing."""
    with no_grad():
        train = run(model.train())
        evaluate = run(model.eval())
    return {"train": to_numpy(train), "eval": to_numpy(evaluate)}


def run_seq2seq_dropout(src, tgt_in, V_src, V_tgt, E, H, model_type, attention, **w):
    model = _seq2seq(V_src, V_tgt, E, H, model_type, attention, w, dropout=1.0)
    return train_and_eval(model, lambda m: m(to_tensor(src), to_tensor(tgt_in)))


def run_seq2seq_forward(src, tgt_in, V_src, V_tgt, E, H, model_type, attention, **w):

    model = _seq2seq(V_src, V_tgt, E, H, model_type, attention, w)
    with no_grad():
        return {"logits": to_numpy(model(to_tensor(src), to_tensor(tgt_in)))}


def run_seq2seq_greedy(src, V_src, V_tgt, E, H, model_type, attention, max_len, **w):
    model = _seq2seq(V_src, V_tgt, E, H, model_type, attention, w)
    first = model.generate_translation(to_tensor(src), max_len, sos_idx=SOS)
    second = model.generate_translation(to_tensor(src), max_len, sos_idx=SOS)
    return {"tokens": to_numpy(first), "tokens_again": to_numpy(second)}


def seq2seq_inputs(src_lengths, tgt_lengths, V_src, V_tgt, E, H, lstm, attention, scale=1.0):
    def inputs(rng):
        tgt = random_tokens(rng, tgt_lengths, V_tgt)
        weights = random_weights(
            rng,
            encoder_shapes(V_src, E, H, lstm, "encoder.") | _decoder_shapes(V_tgt, E, H, lstm, attention, "decoder."),
        )
        return {
            "src": random_tokens(rng, src_lengths, V_src),
            "tgt_in": tgt[:, :-1],
            **{k: scale * v if "out." in k else v for k, v in weights.items()},
        }

    return inputs


def greedy_inputs(src_lengths, V_src, V_tgt, E, H, lstm, attention):
    def inputs(rng):
        arrays = seq2seq_inputs(src_lengths, [3], V_src, V_tgt, E, H, lstm, attention, scale=3.0)(rng)
        del arrays["tgt_in"]
        return arrays

    return inputs


# --------------------------------------------------------------------------- transformer.py


def _random_mask_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    T = int(rng.integers(3, 9))
    lengths = [T, *(int(n) for n in rng.integers(2, T + 1, size=int(rng.integers(1, 4))))]
    return {"tokens": random_tokens(rng, lengths, 9), "T": np.array(int(rng.integers(2, 9)))}


def run_masks(tokens, T):
    from nmt.transformer import causal_mask, padding_mask

    return {"causal": to_numpy(causal_mask(int(T))), "padding": to_numpy(padding_mask(to_tensor(tokens), PAD))}


def run_mhsa(x, heads, key_padding_mask=None, attn_mask=None, **w):
    from nmt.transformer import MultiHeadSelfAttention

    attn = inject(MultiHeadSelfAttention(x.shape[2], int(heads)), w)
    kpm = None if key_padding_mask is None else to_tensor(key_padding_mask)
    am = None if attn_mask is None else to_tensor(attn_mask)
    with no_grad():
        out, weights = attn(to_tensor(x), kpm, am)
    return {"out": to_numpy(out), "weights": to_numpy(weights), "weight_sums": to_numpy(weights.sum(dim=-1))}


def mhsa_inputs(N, T, H, heads, lengths=None, causal=False):
    def inputs(rng):
        out = {"x": rng.standard_normal((N, T, H))}
        if lengths is not None:
            out["key_padding_mask"] = np.arange(T)[None, :] >= np.array(lengths)[:, None]
        if causal:
            out["attn_mask"] = np.triu(np.ones((T, T), dtype=bool), k=1)
        return out | random_weights(rng, _mhsa_shapes(H, heads))

    return inputs


def _run_transformer_dropout(tokens, V_in, V_out, H, heads, F, L, causal, **w):
    from nmt.transformer import TransformerTranslator

    model = TransformerTranslator(V_in, V_out, H, heads, F, L, dropout=1.0, causal=bool(causal), pad_idx=PAD)
    return train_and_eval(inject(model, w), lambda m: m(to_tensor(tokens)))


def run_transformer_translator(tokens, V_in, V_out, H, heads, F, L, causal, **w):
    from nmt.transformer import TransformerTranslator

    model = TransformerTranslator(V_in, V_out, H, heads, F, L, dropout=0.5, causal=bool(causal), pad_idx=PAD)
    model = inject(model, w)
    with no_grad():
        return {"embedded": to_numpy(model.embed(to_tensor(tokens))), "logits": to_numpy(model(to_tensor(tokens)))}


def translator_inputs(lengths, V_in, V_out, H, heads, F, L):
    def inputs(rng):
        return {"tokens": random_tokens(rng, lengths, V_in)} | random_weights(
            rng, _translator_shapes(V_in, V_out, H, heads, F, L)
        )

    return inputs


# --------------------------------------------------------------------------- translator.py


def quiet_transformer_warnings() -> None:
    """nn.Transformer warns about its nested-tensor fast path (correct results): not the student's doing."""
    import warnings

    warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")
    warnings.filterwarnings("ignore", message="enable_nested_tensor is True")


def full_translator(V_in, V_out, H, heads, n_enc, n_dec, F, L, w):
    from nmt.translator import FullTransformerTranslator

    quiet_transformer_warnings()
    model = FullTransformerTranslator(V_in, V_out, H, heads, n_enc, n_dec, F, dropout=0.5, max_length=L, pad_idx=PAD)
    return inject(model, w)


def run_full_forward(src, tgt_in, V_in, V_out, H, heads, n_enc, n_dec, F, L, **w):
    """Logits at the real (non-padding) target positions only: (number of real positions, V_out)."""

    model = full_translator(V_in, V_out, H, heads, n_enc, n_dec, F, L, w)
    with no_grad():
        logits = model(to_tensor(src), to_tensor(tgt_in))
    return {"logits": to_numpy(logits)[tgt_in != PAD]}


def run_full_generate(src, V_in, V_out, H, heads, n_enc, n_dec, F, L, max_len, **w):
    model = full_translator(V_in, V_out, H, heads, n_enc, n_dec, F, L, w)
    first = model.generate_translation(to_tensor(src), int(max_len), sos_idx=SOS)
    second = model.generate_translation(to_tensor(src), int(max_len), sos_idx=SOS)
    return {"tokens": to_numpy(first), "tokens_again": to_numpy(second)}


def run_full_beam(src, V_in, V_out, H, heads, n_enc, n_dec, F, L, max_len, beam_size, length_penalty, **w):
    """beam_search on each source row alone: tokens padded with -1 to max_len, and their lengths."""
    model = full_translator(V_in, V_out, H, heads, n_enc, n_dec, F, L, w)
    tokens = np.full((src.shape[0], int(max_len)), -1, dtype=np.int64)
    lengths = np.zeros(src.shape[0], dtype=np.int64)
    for i in range(src.shape[0]):
        with no_grad():
            out = to_numpy(
                model.beam_search(
                    to_tensor(src[i : i + 1]),
                    int(max_len),
                    beam_size=int(beam_size),
                    length_penalty=float(length_penalty),
                )
            )
        lengths[i] = out.shape[0]
        tokens[i, : out.shape[0]] = out[: int(max_len)]
    return {"tokens": tokens, "lengths": lengths}


def full_inputs(src_lengths, tgt_lengths, V_in, V_out, H, heads, n_enc, n_dec, F, L, out_scale=1.0, eos_bias=0.0):
    """``eos_bias`` raises the output bias of ``<eos>``: translations of several lengths."""

    def inputs(rng):
        arrays = {"src": random_tokens(rng, src_lengths, V_in)}
        if tgt_lengths is not None:
            arrays["tgt_in"] = random_tokens(rng, tgt_lengths, V_out)[:, :-1]
        weights = random_weights(rng, _full_shapes(V_in, V_out, H, heads, n_enc, n_dec, F, L))
        weights["w.out.weight"] = out_scale * weights["w.out.weight"]
        weights["w.out.bias"][EOS] += eos_bias
        return arrays | weights

    return inputs


S2S = {"V_src": 11, "V_tgt": 13, "E": 6, "H": 7}
FULL = {"V_in": 11, "V_out": 13, "H": 8, "heads": 2, "n_enc": 1, "n_dec": 1, "F": 12, "L": 9}

CASES = [
    # rnn.py
    Case(
        "rnn_cell_steps",
        "RNNCell: three steps from a given h, N=3 I=4 H=5",
        run_cell,
        inputs=cell_inputs(3, 3, 4, 5, lstm=False),
        params={"lstm": False},
        points=2,
    ),
    Case(
        "lstm_cell_steps",
        "LSTMCell: three steps from given h and c, N=3 I=4 H=5",
        run_cell,
        inputs=cell_inputs(3, 3, 4, 5, lstm=True),
        params={"lstm": True},
        points=3,
    ),
    # seq2seq.py
    Case(
        "cosine_attention_masked",
        "cosine_attention: weights (N=3, S=5) with padding masked out, H=4",
        run_attention,
        inputs=attention_inputs(3, 5, 4, [5, 3, 2]),
        params={"kind": "cosine"},
        points=2,
    ),
    Case(
        "dot_attention_masked",
        "dot_product_attention: weights (N=3, S=5) with padding masked out, H=4",
        run_attention,
        inputs=attention_inputs(3, 5, 4, [4, 5, 1]),
        params={"kind": "dot"},
        points=2,
    ),
    Case(
        "encoder_lstm",
        "Encoder (LSTM): outputs and final (h, c), N=3 S=5 E=6 H=7",
        run_encoder,
        inputs=lambda rng: (
            {"src": random_tokens(rng, [5, 4, 3], 11)} | random_weights(rng, encoder_shapes(11, 6, 7, True))
        ),
        params={"V": 11, "E": 6, "H": 7, "model_type": "LSTM"},
        points=2,
    ),
    Case(
        "decoder_step_rnn_cosine",
        "Decoder (RNN, cosine attention): one step's logits, hidden and attention weights",
        run_decoder_step,
        inputs=decoder_inputs(3, 5, 13, 6, 7, False, "cosine"),
        params={"V": 13, "E": 6, "H": 7, "model_type": "RNN", "attention": "cosine"},
        points=3,
    ),
    Case(
        "seq2seq_forward_lstm_dot",
        "Seq2Seq.forward (LSTM, dot attention, teacher forcing): logits (N=3, T=5, V=13)",
        run_seq2seq_forward,
        inputs=seq2seq_inputs([6, 4, 3], [6, 5, 3], 11, 13, 6, 7, True, "dot"),
        params=S2S | {"model_type": "LSTM", "attention": "dot"},
        points=3,
    ),
    Case(
        "seq2seq_dropout_train_eval",
        "Seq2Seq with dropout=1 (LSTM, dot): logits in train mode (dropout on the embeddings) and in eval mode (none)",
        run_seq2seq_dropout,
        inputs=seq2seq_inputs([5, 4, 3], [5, 4, 2], 11, 13, 6, 7, True, "dot"),
        params=S2S | {"model_type": "LSTM", "attention": "dot"},
    ),
    Case(
        "seq2seq_greedy_rnn_cosine",
        "Seq2Seq.generate_translation (RNN, cosine attention): 6 greedy tokens, twice the same",
        run_seq2seq_greedy,
        inputs=greedy_inputs([6, 5, 3, 4], 11, 13, 6, 7, False, "cosine"),
        params=S2S | {"model_type": "RNN", "attention": "cosine", "max_len": 6},
        points=2,
    ),
    # transformer.py
    Case(
        "masks",
        "causal_mask(T) and padding_mask of a (N, T) batch (T=6, lengths 6, 4, 2 here; others when graded)",
        run_masks,
        inputs=lambda rng: {"tokens": random_tokens(rng, [6, 4, 2], 9), "T": np.array(6)},
        graded_inputs=_random_mask_inputs,
    ),
    Case(
        "mhsa_padding_and_causal",
        "MultiHeadSelfAttention: out and weights with padding and causal masks, N=3 T=5 H=8 h=2",
        run_mhsa,
        inputs=mhsa_inputs(3, 5, 8, 2, lengths=[5, 3, 4], causal=True),
        params={"heads": 2},
        points=3,
    ),
    Case(
        "transformer_translator_forward",
        "TransformerTranslator: embeddings and logits, N=3 T=6 H=8 h=2 F=12 V=11->13",
        run_transformer_translator,
        inputs=translator_inputs([6, 4, 5], 11, 13, 8, 2, 12, 7),
        params={"V_in": 11, "V_out": 13, "H": 8, "heads": 2, "F": 12, "L": 7, "causal": False},
        points=3,
    ),
    Case(
        "transformer_translator_dropout_train_eval",
        "TransformerTranslator with dropout=1: logits in train mode (dropout on both sublayer outputs) and eval mode",
        _run_transformer_dropout,
        inputs=translator_inputs([5, 3, 4], 11, 13, 8, 2, 12, 7),
        params={"V_in": 11, "V_out": 13, "H": 8, "heads": 2, "F": 12, "L": 7, "causal": True},
    ),
    # translator.py
    Case(
        "full_translator_forward",
        "FullTransformerTranslator.forward: logits at the real target positions, 1+1 layers, H=8",
        run_full_forward,
        inputs=full_inputs([6, 4, 5], [7, 5, 3], **FULL),
        params=FULL,
        points=3,
    ),
    Case(
        "full_translator_generate",
        "FullTransformerTranslator.generate_translation: 5 greedy tokens, twice the same",
        run_full_generate,
        inputs=full_inputs([6, 3, 5, 4], None, **FULL, out_scale=4.0),
        params=FULL | {"max_len": 5},
        points=2,
    ),
    Case(
        "full_translator_beam",
        "FullTransformerTranslator.beam_search (extension): beam of 3, 6 steps, 4 sentences one by one",
        run_full_beam,
        inputs=full_inputs([6, 3, 5, 4], None, **FULL),
        params=FULL | {"max_len": 6, "beam_size": 3, "length_penalty": 0.0},
        points=2,
    ),
    Case(
        "full_translator_beam_eos_likely",
        "beam_search (extension): <eos> likely, beam of 2, length_penalty 2; a finished hypothesis leaves the beam",
        run_full_beam,
        inputs=full_inputs([6, 3, 5, 4, 6, 2, 5, 3, 6, 4], None, **FULL, eos_bias=1.75),
        params=FULL | {"max_len": 7, "beam_size": 2, "length_penalty": 2.0},
    ),
]
