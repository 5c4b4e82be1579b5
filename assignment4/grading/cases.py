"""Hidden cases of assignment 4: other sizes, seeds and modes. Never part of the handout.

Same conventions as tests/cases.py, whose helpers this file imports (the grader loads the
public file first, as ``public_cases``): inputs built here from the case's generator, weights
injected by parameter name, float64, eval mode; student modules imported only inside ``_run_*``.
"""

from __future__ import annotations

import numpy as np
from public_cases import (  # the public case file, loaded first under this name
    FULL,
    PAD,
    S2S,
    SOS,
    attention_inputs,
    cell_inputs,
    decoder_inputs,
    encoder_shapes,
    full_inputs,
    full_translator,
    greedy_inputs,
    inject,
    mhsa_inputs,
    no_grad,
    quiet_transformer_warnings,
    random_tokens,
    random_weights,
    run_attention,
    run_cell,
    run_decoder_step,
    run_encoder,
    run_full_beam,
    run_full_forward,
    run_full_generate,
    run_masks,
    run_mhsa,
    run_seq2seq_dropout,
    run_seq2seq_forward,
    run_seq2seq_greedy,
    run_transformer_translator,
    seq2seq_inputs,
    to_numpy,
    to_tensor,
    train_and_eval,
    translator_inputs,
)

from grader.cases import Case

# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- rnn.py


# --------------------------------------------------------------------------- seq2seq.py


# --------------------------------------------------------------------------- transformer.py


# --------------------------------------------------------------------------- translator.py


def _run_full_beam_two(src, max_len, **kw):
    """A beam of 40 (over 13 tokens: every candidate is kept until 40) and a beam of 1 (greedy)."""
    wide = run_full_beam(src, max_len=max_len, beam_size=40, length_penalty=0.0, **kw)
    one = run_full_beam(src, max_len=max_len, beam_size=1, length_penalty=0.0, **kw)
    return {"wide": wide, "one": one}


def _run_masked_softmax(scores, mask=None):
    from nmt.seq2seq import masked_softmax

    return {"weights": to_numpy(masked_softmax(to_tensor(scores), None if mask is None else to_tensor(mask)))}


def _run_causality(src, tgt_in, tgt_changed, V_in, V_out, H, heads, n_enc, n_dec, F, L, keep, **w):
    """Logits of the first ``keep`` target positions, computed with two targets that differ after them."""

    model = full_translator(V_in, V_out, H, heads, n_enc, n_dec, F, L, w)
    with no_grad():
        a = model(to_tensor(src), to_tensor(tgt_in))[:, :keep]
        b = model(to_tensor(src), to_tensor(tgt_changed))[:, :keep]
    return {"logits": to_numpy(a), "difference": to_numpy(a - b)}


def _causality_inputs(rng):
    arrays = full_inputs([6, 5], [7, 7], **FULL)(rng)
    changed = arrays["tgt_in"].copy()
    changed[:, 3:] = rng.integers(4, FULL["V_out"], size=changed[:, 3:].shape)
    return arrays | {"tgt_changed": changed}


def _run_padding_ignored(src, src_repadded, V_in, V_out, H, heads, n_enc, n_dec, F, L, **w):
    """Greedy tokens of a batch, and of the same batch with extra padding columns on the source."""
    model = full_translator(V_in, V_out, H, heads, n_enc, n_dec, F, L, w)
    return {
        "tokens": to_numpy(model.generate_translation(to_tensor(src), 4, sos_idx=SOS)),
        "tokens_repadded": to_numpy(model.generate_translation(to_tensor(src_repadded), 4, sos_idx=SOS)),
    }


def _repadded_inputs(rng):
    arrays = full_inputs([5, 3, 4], None, **FULL, out_scale=4.0)(rng)
    src = arrays["src"]
    return arrays | {"src_repadded": np.concatenate([src, np.zeros((src.shape[0], 3), dtype=np.int64)], axis=1)}


_S2S_B = {"V_src": 9, "V_tgt": 10, "E": 5, "H": 4}


def _run_full_dropout(src, tgt_in, V_in, V_out, H, heads, n_enc, n_dec, F, L, **w):
    """FullTransformerTranslator with dropout=1, in train and in eval mode: logits at the real target positions."""
    from nmt.translator import FullTransformerTranslator

    quiet_transformer_warnings()
    model = FullTransformerTranslator(V_in, V_out, H, heads, n_enc, n_dec, F, dropout=1.0, max_length=L, pad_idx=PAD)
    keep = to_tensor(tgt_in != PAD)
    return train_and_eval(inject(model, w), lambda m: m(to_tensor(src), to_tensor(tgt_in))[keep])


_FULL_B = {"V_in": 10, "V_out": 9, "H": 12, "heads": 3, "n_enc": 2, "n_dec": 2, "F": 7, "L": 8}

CASES = [
    # rnn.py
    Case(
        "rnn_cell_batch_one_long",
        "RNNCell: a batch of one over six steps, I=3 H=6",
        run_cell,
        inputs=cell_inputs(6, 1, 3, 6, lstm=False),
        params={"lstm": False},
    ),
    Case(
        "rnn_cell_wide_input",
        "RNNCell: one step, N=5 I=9 H=2",
        run_cell,
        inputs=cell_inputs(1, 5, 9, 2, lstm=False),
        params={"lstm": False},
    ),
    Case(
        "lstm_cell_batch_one_long",
        "LSTMCell: a batch of one over six steps, I=3 H=6",
        run_cell,
        inputs=cell_inputs(6, 1, 3, 6, lstm=True),
        params={"lstm": True},
        points=2,
    ),
    Case(
        "lstm_cell_wide_input",
        "LSTMCell: one step, N=4 I=8 H=3",
        run_cell,
        inputs=cell_inputs(1, 4, 8, 3, lstm=True),
        params={"lstm": True},
    ),
    # seq2seq.py
    Case(
        "masked_softmax_no_mask",
        "masked_softmax: mask None, (4, 6) scores",
        _run_masked_softmax,
        inputs=lambda rng: {"scores": 3 * rng.standard_normal((4, 6))},
    ),
    Case(
        "masked_softmax_mask",
        "masked_softmax: (4, 6) scores, padding masked, rows sum to 1",
        _run_masked_softmax,
        inputs=lambda rng: {
            "scores": 3 * rng.standard_normal((4, 6)),
            "mask": np.arange(6)[None, :] < np.array([6, 1, 3, 5])[:, None],
        },
    ),
    Case(
        "cosine_attention_no_mask",
        "cosine_attention: no mask, N=2 S=7 H=3",
        run_attention,
        inputs=attention_inputs(2, 7, 3, None),
        params={"kind": "cosine"},
    ),
    Case(
        "dot_attention_no_mask",
        "dot_product_attention: no mask, N=4 S=3 H=6 (scaled by 1/sqrt(H))",
        run_attention,
        inputs=attention_inputs(4, 3, 6, None),
        params={"kind": "dot"},
    ),
    Case(
        "encoder_rnn",
        "Encoder (RNN): outputs and final h, N=2 S=6 E=5 H=4",
        run_encoder,
        inputs=lambda rng: {"src": random_tokens(rng, [6, 3], 9)} | random_weights(rng, encoder_shapes(9, 5, 4, False)),
        params={"V": 9, "E": 5, "H": 4, "model_type": "RNN"},
        points=2,
    ),
    Case(
        "decoder_step_lstm_dot",
        "Decoder (LSTM, dot attention): one step's logits, (h, c) and attention weights",
        run_decoder_step,
        inputs=decoder_inputs(4, 6, 10, 5, 3, True, "dot"),
        params={"V": 10, "E": 5, "H": 3, "model_type": "LSTM", "attention": "dot"},
        points=2,
    ),
    Case(
        "decoder_step_lstm_cosine",
        "Decoder (LSTM, cosine attention): one step's logits, (h, c) and attention weights",
        run_decoder_step,
        inputs=decoder_inputs(2, 4, 9, 3, 5, True, "cosine"),
        params={"V": 9, "E": 3, "H": 5, "model_type": "LSTM", "attention": "cosine"},
        points=2,
    ),
    Case(
        "decoder_step_rnn_no_attention",
        "Decoder (RNN, no attention): one step's logits and hidden",
        run_decoder_step,
        inputs=decoder_inputs(3, 5, 8, 4, 6, False, None),
        params={"V": 8, "E": 4, "H": 6, "model_type": "RNN", "attention": None},
    ),
    Case(
        "decoder_step_lstm_no_attention",
        "Decoder (LSTM, no attention): one step's logits and (h, c)",
        run_decoder_step,
        inputs=decoder_inputs(3, 5, 8, 4, 6, True, None),
        params={"V": 8, "E": 4, "H": 6, "model_type": "LSTM", "attention": None},
    ),
    Case(
        "seq2seq_forward_rnn_no_attention",
        "Seq2Seq.forward (RNN, no attention): logits (N=2, T=6, V=10)",
        run_seq2seq_forward,
        inputs=seq2seq_inputs([5, 3], [7, 4], 9, 10, 5, 4, False, None),
        params=_S2S_B | {"model_type": "RNN", "attention": None},
        points=2,
    ),
    Case(
        "seq2seq_forward_rnn_dot",
        "Seq2Seq.forward (RNN, dot attention): logits (N=4, T=3, V=13)",
        run_seq2seq_forward,
        inputs=seq2seq_inputs([7, 6, 3, 5], [4, 3, 4, 2], 11, 13, 6, 7, False, "dot"),
        params=S2S | {"model_type": "RNN", "attention": "dot"},
        points=2,
    ),
    Case(
        "seq2seq_forward_lstm_cosine",
        "Seq2Seq.forward (LSTM, cosine attention): logits (N=3, T=4, V=10)",
        run_seq2seq_forward,
        inputs=seq2seq_inputs([4, 6, 3], [5, 5, 3], 9, 10, 5, 4, True, "cosine"),
        params=_S2S_B | {"model_type": "LSTM", "attention": "cosine"},
        points=2,
    ),
    Case(
        "seq2seq_greedy_lstm_dot",
        "Seq2Seq.generate_translation (LSTM, dot attention): 7 greedy tokens, twice the same",
        run_seq2seq_greedy,
        inputs=greedy_inputs([5, 6, 3], 9, 10, 5, 4, True, "dot"),
        params=_S2S_B | {"model_type": "LSTM", "attention": "dot", "max_len": 7},
        points=2,
    ),
    Case(
        "seq2seq_greedy_lstm_no_attention",
        "Seq2Seq.generate_translation (LSTM, no attention): 4 greedy tokens",
        run_seq2seq_greedy,
        inputs=greedy_inputs([4, 6], 11, 13, 6, 7, True, None),
        params=S2S | {"model_type": "LSTM", "attention": None, "max_len": 4},
    ),
    # transformer.py
    Case(
        "masks_other_sizes",
        "causal_mask(3) and padding_mask of a (4, 7) batch",
        run_masks,
        inputs=lambda rng: {"tokens": random_tokens(rng, [7, 2, 5, 7], 6)},
        params={"T": 3},
    ),
    Case(
        "mhsa_no_masks",
        "MultiHeadSelfAttention: no masks, N=2 T=4 H=6 h=3",
        run_mhsa,
        inputs=mhsa_inputs(2, 4, 6, 3),
        params={"heads": 3},
        points=2,
    ),
    Case(
        "mhsa_one_head_padding",
        "MultiHeadSelfAttention: one head, padding mask only, N=3 T=6 H=5",
        run_mhsa,
        inputs=mhsa_inputs(3, 6, 5, 1, lengths=[6, 2, 4]),
        params={"heads": 1},
    ),
    Case(
        "mhsa_causal_four_heads",
        "MultiHeadSelfAttention: causal mask only, N=2 T=7 H=12 h=4",
        run_mhsa,
        inputs=mhsa_inputs(2, 7, 12, 4, causal=True),
        params={"heads": 4},
        points=2,
    ),
    Case(
        "transformer_translator_causal",
        "TransformerTranslator (causal): embeddings and logits, N=2 T=5 H=6 h=3 F=10",
        run_transformer_translator,
        inputs=translator_inputs([5, 3], 9, 7, 6, 3, 10, 8),
        params={"V_in": 9, "V_out": 7, "H": 6, "heads": 3, "F": 10, "L": 8, "causal": True},
        points=2,
    ),
    Case(
        "transformer_translator_full_length",
        "TransformerTranslator: sequences of max_length, one head, N=4 T=L=6 H=4",
        run_transformer_translator,
        inputs=translator_inputs([6, 6, 2, 5], 8, 10, 4, 1, 9, 6),
        params={"V_in": 8, "V_out": 10, "H": 4, "heads": 1, "F": 9, "L": 6, "causal": False},
    ),
    # translator.py
    Case(
        "full_translator_forward_two_layers",
        "FullTransformerTranslator.forward: 2+2 layers, 3 heads, H=12, logits at real positions",
        run_full_forward,
        inputs=full_inputs([8, 5, 2], [6, 8, 4], **_FULL_B),
        params=_FULL_B,
        points=2,
    ),
    Case(
        "full_translator_causal",
        "FullTransformerTranslator.forward: logits of the first 3 positions ignore later target tokens",
        _run_causality,
        inputs=_causality_inputs,
        params=FULL | {"keep": 3},
        points=2,
    ),
    Case(
        "full_translator_source_padding",
        "FullTransformerTranslator.generate_translation: extra source padding changes nothing",
        _run_padding_ignored,
        inputs=_repadded_inputs,
        params=FULL,
        points=2,
    ),
    Case(
        "full_translator_generate_two_layers",
        "FullTransformerTranslator.generate_translation: 2+2 layers, 6 greedy tokens",
        run_full_generate,
        inputs=full_inputs([8, 4, 6], None, **_FULL_B, out_scale=4.0),
        params=_FULL_B | {"max_len": 6},
        points=2,
    ),
    Case(
        "full_translator_beam_length_penalty",
        "FullTransformerTranslator.beam_search: beam of 4, length_penalty 2, <eos> likely, 2+2 layers, 10 sentences",
        run_full_beam,
        inputs=full_inputs([7, 2, 5, 8, 4, 6, 3, 7, 5, 8], None, **_FULL_B, eos_bias=1.75),
        params=_FULL_B | {"max_len": 7, "beam_size": 4, "length_penalty": 2.0},
        points=2,
    ),
    Case(
        "seq2seq_dropout_rnn_cosine",
        "Seq2Seq with dropout=1 (RNN, cosine attention): logits in train mode and in eval mode",
        run_seq2seq_dropout,
        inputs=seq2seq_inputs([4, 6, 3, 5], [6, 3, 5, 4], 11, 13, 6, 7, False, "cosine"),
        params=S2S | {"model_type": "RNN", "attention": "cosine"},
    ),
    Case(
        "full_translator_dropout_train_eval",
        "FullTransformerTranslator with dropout=1: logits in train mode (nn.Transformer's dropouts) and in eval mode",
        _run_full_dropout,
        inputs=full_inputs([6, 4, 5], [7, 5, 3], **FULL),
        params=FULL,
    ),
    Case(
        "full_translator_beam_wide_and_greedy",
        "FullTransformerTranslator.beam_search: a beam wider than the vocabulary, and a beam of 1",
        _run_full_beam_two,
        inputs=full_inputs([6, 3, 5], None, **FULL),
        params=FULL | {"max_len": 8},
        points=1,
    ),
]
