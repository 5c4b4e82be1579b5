"""Recurrent sequence-to-sequence translation: Encoder, attention, Decoder, Seq2Seq.

Shapes: ``N`` batch, ``S`` source length, ``T`` target length, ``E`` embedding size,
``H`` hidden size (the same for encoder and decoder), ``V`` vocabulary size. Token ids
are int64; batches are padded with ``pad_idx`` (0) at the end. The recurrent layers are
``torch.nn.RNN`` / ``torch.nn.LSTM`` with ``batch_first=True``, one layer, so a hidden
state is ``(1, N, H)`` (RNN) or a pair ``(h, c)`` of those (LSTM).

Submodules, by these exact names (the tests copy weights in by name):

``Encoder``: ``embedding`` ``nn.Embedding(V_src, E)``, ``rnn`` ``nn.RNN(E, H)`` or
``nn.LSTM(E, H)``, ``dropout`` ``nn.Dropout(p)``.

``Decoder``: ``embedding`` ``nn.Embedding(V_tgt, E)``, ``rnn`` ``nn.RNN(E_in, H)`` or
``nn.LSTM(E_in, H)`` with ``E_in = E + H`` with attention (embedding and context
concatenated, in that order) and ``E_in = E`` without, ``out`` ``nn.Linear(H, V_tgt)``,
``dropout`` ``nn.Dropout(p)``.
"""

from __future__ import annotations

import math
import typing
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from nmt.data import PAD_IDX, SOS_IDX

ModelType = Literal["RNN", "LSTM"]
Attention = Literal["cosine", "dot"]  # or None: no attention
# The choices for the argument checks below, from the Literals (which config.py uses too). With
# typing.get_args, not trainkit.config.choices: the grading child imports this file without trainkit.
MODEL_TYPES = typing.get_args(ModelType)
ATTENTIONS = (None, *typing.get_args(Attention))


def _check_attention_inputs(query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None) -> None:
    if keys.dim() != 3 or query.dim() != 2 or query.shape[0] != keys.shape[0] or query.shape[1] != keys.shape[2]:
        raise ValueError(
            f"query, keys: expected shapes (N, H) and (N, S, H), got {tuple(query.shape)} and {tuple(keys.shape)}"
        )
    if mask is not None and (mask.dtype != torch.bool or mask.shape != keys.shape[:2]):
        raise ValueError(f"mask: expected a bool tensor of shape (N, S) = {tuple(keys.shape[:2])}, got {mask}")


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the source positions, ignoring the masked-out ones.

    ``scores (N, S)`` float, ``mask (N, S)`` bool, True at real tokens and False at padding
    (or None: nothing masked) -> weights ``(N, S)``: rows sum to 1, 0 at padding. Set the
    masked scores to ``-inf`` before the softmax.
    """
    # BEGIN SOLUTION
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=1)
    # END SOLUTION


def cosine_attention(query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Attention weights from cosine similarity: ``softmax_s(cos(query_n, keys_{n,s}))``.

    The cosine is ``F.cosine_similarity`` with its default ``eps=1e-8``.

    Shape:
        query ``(N, H)``, keys ``(N, S, H)``, mask ``(N, S)`` bool or None -> ``(N, S)``.
    """
    _check_attention_inputs(query, keys, mask)
    # BEGIN SOLUTION
    scores = F.cosine_similarity(query.unsqueeze(1), keys, dim=2)  # (N, S)
    return masked_softmax(scores, mask)
    # END SOLUTION


def dot_product_attention(query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Attention weights from scaled dot products: ``softmax_s(query_n . keys_{n,s} / sqrt(H))``.

    Shape:
        query ``(N, H)``, keys ``(N, S, H)``, mask ``(N, S)`` bool or None -> ``(N, S)``.
    """
    _check_attention_inputs(query, keys, mask)
    H = query.shape[1]
    # BEGIN SOLUTION
    scores = (keys @ query.unsqueeze(2)).squeeze(2) / math.sqrt(H)  # (N, S, 1) -> (N, S)
    return masked_softmax(scores, mask)
    # END SOLUTION


def _check_choice(name: str, value: object, choices: tuple) -> None:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {value!r}")


class Encoder(nn.Module):
    """Embedding, dropout, then a one-layer RNN or LSTM over the whole source.

    Args:
        input_size: V_src, size of the source vocabulary.
        emb_size: E.
        hidden_size: H.
        dropout: probability of the dropout on the embeddings (default 0.2).
        model_type: "RNN" or "LSTM" (default "RNN").

    Shape:
        src ``(N, S)`` int64 -> outputs ``(N, S, H)`` (the top hidden state at every step) and
        the final hidden state: ``(1, N, H)``, or ``(h, c)`` for an LSTM.
    """

    def __init__(
        self, input_size: int, emb_size: int, hidden_size: int, dropout: float = 0.2, model_type: ModelType = "RNN"
    ) -> None:
        super().__init__()
        _check_choice("model_type", model_type, MODEL_TYPES)
        self.model_type = model_type
        # BEGIN SOLUTION
        self.embedding = nn.Embedding(input_size, emb_size)
        rnn = nn.LSTM if model_type == "LSTM" else nn.RNN
        self.rnn = rnn(emb_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        # END SOLUTION

    def forward(self, src: torch.Tensor):
        # BEGIN SOLUTION
        embedded = self.dropout(self.embedding(src))  # (N, S, E)
        return self.rnn(embedded)
        # END SOLUTION


class Decoder(nn.Module):
    """One decoding step: embed the previous token, attend to the source (optional), run one
    RNN/LSTM step, project to the target vocabulary.

    With attention, the query is the decoder's hidden state ``h`` before the step (for an
    LSTM, ``h`` of the pair ``(h, c)``), as ``(N, H)``; the keys and values are the encoder
    outputs; the context ``sum_s weights[n, s] * encoder_outputs[n, s]`` ``(N, H)`` is
    concatenated after the (dropped-out) embedding to make the RNN's input ``(N, 1, E + H)``.

    Args:
        output_size: V_tgt, size of the target vocabulary.
        emb_size: E.
        hidden_size: H.
        dropout: probability of the dropout on the embeddings (default 0.2).
        model_type: "RNN" or "LSTM" (default "RNN").
        attention: None, "cosine" (cosine_attention) or "dot" (dot_product_attention).

    Shape:
        input ``(N,)`` int64 (the previous target token), hidden as the encoder returns it,
        encoder_outputs ``(N, S, H)``, src_mask ``(N, S)`` bool (True at real tokens) or None
        -> logits ``(N, V_tgt)`` (no softmax), the new hidden state, and the attention weights
        ``(N, S)`` (None without attention).
    """

    def __init__(
        self,
        output_size: int,
        emb_size: int,
        hidden_size: int,
        dropout: float = 0.2,
        model_type: ModelType = "RNN",
        attention: Attention | None = None,
    ) -> None:
        super().__init__()
        _check_choice("model_type", model_type, MODEL_TYPES)
        _check_choice("attention", attention, ATTENTIONS)
        self.model_type = model_type
        self.attention = attention
        # BEGIN SOLUTION
        self.embedding = nn.Embedding(output_size, emb_size)
        rnn = nn.LSTM if model_type == "LSTM" else nn.RNN
        rnn_input = emb_size + hidden_size if attention is not None else emb_size
        self.rnn = rnn(rnn_input, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout)
        # END SOLUTION

    def forward(self, input: torch.Tensor, hidden, encoder_outputs: torch.Tensor, src_mask: torch.Tensor | None = None):
        # BEGIN SOLUTION
        embedded = self.dropout(self.embedding(input)).unsqueeze(1)  # (N, 1, E)
        weights = None
        if self.attention is not None:
            query = hidden[0] if self.model_type == "LSTM" else hidden  # (1, N, H)
            score = cosine_attention if self.attention == "cosine" else dot_product_attention
            weights = score(query[0], encoder_outputs, src_mask)  # (N, S)
            context = weights.unsqueeze(1) @ encoder_outputs  # (N, 1, S) @ (N, S, H) -> (N, 1, H)
            embedded = torch.cat([embedded, context], dim=2)  # (N, 1, E + H)
        output, hidden = self.rnn(embedded, hidden)  # output (N, 1, H)
        return self.out(output[:, 0]), hidden, weights
        # END SOLUTION


class Seq2Seq(nn.Module):
    """Encoder and decoder together.

    Args:
        encoder: an Encoder.
        decoder: a Decoder with the encoder's model_type and hidden size.
        pad_idx: the padding id of the source (default 0); padded source positions get no
            attention.

    ``forward(src, tgt_in)`` (teacher forcing): encode ``src``, start from the encoder's final
    hidden state, and feed the decoder the true previous token ``tgt_in[:, t]`` at every step
    ``t = 0 .. T-1``. In training ``tgt_in`` is the target without its last token
    (``tgt[:, :-1]``, starting with ``<sos>``) and the logits are scored against ``tgt[:, 1:]``.
    Source mask: ``src != pad_idx``.

    Shape:
        src ``(N, S)``, tgt_in ``(N, T)`` -> logits ``(N, T, V_tgt)``.
    """

    def __init__(self, encoder: Encoder, decoder: Decoder, pad_idx: int = PAD_IDX) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.pad_idx = pad_idx

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        encoder_outputs, hidden = self.encoder(src)
        src_mask = src != self.pad_idx  # (N, S)
        logits = []
        for t in range(tgt_in.shape[1]):
            step, hidden, _ = self.decoder(tgt_in[:, t], hidden, encoder_outputs, src_mask)
            logits.append(step)
        return torch.stack(logits, dim=1)  # (N, T, V)
        # END SOLUTION

    @torch.no_grad()
    def generate_translation(self, src: torch.Tensor, max_len: int, sos_idx: int = SOS_IDX) -> torch.Tensor:
        """Greedy decoding: start from ``<sos>``, feed back the most likely token (argmax of
        the logits) at each step, for exactly ``max_len`` steps (no early stop: the caller
        cuts at the first ``<eos>``).

        Shape:
            src ``(N, S)`` -> tokens ``(N, max_len)`` int64, without the leading ``<sos>``.
        """
        # BEGIN SOLUTION
        encoder_outputs, hidden = self.encoder(src)
        src_mask = src != self.pad_idx
        token = torch.full((src.shape[0],), sos_idx, dtype=torch.int64, device=src.device)
        out = []
        for _ in range(max_len):
            logits, hidden, _ = self.decoder(token, hidden, encoder_outputs, src_mask)
            token = logits.argmax(dim=1)
            out.append(token)
        return torch.stack(out, dim=1)
        # END SOLUTION
