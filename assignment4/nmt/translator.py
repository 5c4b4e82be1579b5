"""A full encoder-decoder translator on ``torch.nn.Transformer``: greedy translation and,
as an extension, beam search.

Shapes: ``N`` batch, ``S`` source length, ``T`` target length, ``H`` hidden size,
``V_src``/``V_tgt`` vocabulary sizes. Token ids are int64, padded with ``pad_idx`` (0).

Submodules, by these exact names (the tests copy weights in by name):
``src_embed`` ``nn.Embedding(V_src, H)``, ``tgt_embed`` ``nn.Embedding(V_tgt, H)``,
``src_pos`` and ``tgt_pos`` ``nn.Embedding(max_length, H)`` (learned positions),
``transformer`` ``nn.Transformer(d_model=H, nhead=num_heads,
num_encoder_layers=..., num_decoder_layers=..., dim_feedforward=..., dropout=...,
batch_first=True)``, ``out`` ``nn.Linear(H, V_tgt)``.
"""

from __future__ import annotations

import torch
from torch import nn

from nmt.data import EOS_IDX, PAD_IDX, SOS_IDX


class FullTransformerTranslator(nn.Module):
    """Embed source and target (token plus learned position), run ``nn.Transformer``, project.

    Masks (bool, True where attention is not allowed): the source padding mask
    ``src == pad_idx`` goes to the encoder (``src_key_padding_mask``) and to the decoder's
    attention over the encoder's output (``memory_key_padding_mask``); the causal mask
    ``(T, T)``, True above the diagonal, goes to the decoder's self-attention (``tgt_mask``).
    A target padding mask is not needed: padding only follows ``<eos>``, so the causal mask
    already hides it from every real position (the outputs at padded positions are not graded).

    Args:
        input_size: V_src.
        output_size: V_tgt.
        hidden_dim: H (default 256).
        num_heads: default 8.
        num_encoder_layers, num_decoder_layers: default 3 each.
        dim_feedforward: default 512.
        dropout: default 0.1.
        max_length: positions available to src_pos and tgt_pos (default 20).
        pad_idx: padding id (default 0).

    Shape:
        src ``(N, S)``, tgt_in ``(N, T)`` (the target starting with ``<sos>``, without its last
        token) -> logits ``(N, T, V_tgt)``; position ``t`` predicts target token ``t + 1``.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_dim: int = 256,
        num_heads: int = 8,
        num_encoder_layers: int = 3,
        num_decoder_layers: int = 3,
        dim_feedforward: int = 512,
        dropout: float = 0.1,
        max_length: int = 20,
        pad_idx: int = PAD_IDX,
    ) -> None:
        super().__init__()
        self.max_length = max_length
        self.pad_idx = pad_idx
        # BEGIN SOLUTION
        self.src_embed = nn.Embedding(input_size, hidden_dim)
        self.tgt_embed = nn.Embedding(output_size, hidden_dim)
        self.src_pos = nn.Embedding(max_length, hidden_dim)
        self.tgt_pos = nn.Embedding(max_length, hidden_dim)
        self.transformer = nn.Transformer(
            d_model=hidden_dim,
            nhead=num_heads,
            num_encoder_layers=num_encoder_layers,
            num_decoder_layers=num_decoder_layers,
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            batch_first=True,
        )
        self.out = nn.Linear(hidden_dim, output_size)
        # END SOLUTION

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        S, T = src.shape[1], tgt_in.shape[1]
        if max(S, T) > self.max_length:
            raise ValueError(f"src, tgt_in: lengths {S} and {T}, at most max_length = {self.max_length}")
        # BEGIN SOLUTION
        src_x = self.src_embed(src) + self.src_pos(torch.arange(S, device=src.device))  # (N, S, H)
        tgt_x = self.tgt_embed(tgt_in) + self.tgt_pos(torch.arange(T, device=src.device))  # (N, T, H)
        src_pad = src == self.pad_idx  # (N, S)
        tgt_mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=src.device), diagonal=1)  # (T, T)
        hidden = self.transformer(
            src_x, tgt_x, tgt_mask=tgt_mask, src_key_padding_mask=src_pad, memory_key_padding_mask=src_pad
        )  # (N, T, H)
        return self.out(hidden)
        # END SOLUTION

    @torch.no_grad()
    def generate_translation(self, src: torch.Tensor, max_len: int, sos_idx: int = SOS_IDX) -> torch.Tensor:
        """Greedy decoding: start from ``<sos>``; at each step run ``forward(src, prefix)`` and
        append the argmax of the last position's logits; exactly ``max_len`` steps (no early
        stop: the caller cuts at the first ``<eos>``), ``max_len <= max_length``.

        Shape:
            src ``(N, S)`` -> tokens ``(N, max_len)`` int64, without the leading ``<sos>``.
        """
        if max_len > self.max_length:
            raise ValueError(f"max_len: expected at most max_length = {self.max_length}, got {max_len}")
        # BEGIN SOLUTION
        tgt = torch.full((src.shape[0], 1), sos_idx, dtype=torch.int64, device=src.device)  # (N, 1)
        for _ in range(max_len):
            logits = self.forward(src, tgt)  # (N, t, V)
            next_token = logits[:, -1].argmax(dim=1)  # (N,)
            tgt = torch.cat([tgt, next_token.unsqueeze(1)], dim=1)
        return tgt[:, 1:]
        # END SOLUTION

    @torch.no_grad()
    def beam_search(
        self,
        src: torch.Tensor,
        max_len: int,
        beam_size: int = 4,
        length_penalty: float = 0.0,
        sos_idx: int = SOS_IDX,
        eos_idx: int = EOS_IDX,
    ) -> torch.Tensor:
        """Beam search for one source sentence (the extension).

        A hypothesis is ``<sos>`` followed by generated tokens; its score is the sum of the
        log-probabilities (``log_softmax`` of the last position's logits) of its tokens.

        1. Start from the one hypothesis ``<sos>`` with score 0.
        2. At each step ``t = 1 .. max_len``, every live hypothesis extended by every token of
           the vocabulary is a candidate. Keep the ``beam_size`` best candidates over all
           hypotheses (fewer if there are fewer candidates), best first. A kept candidate that
           ends in ``<eos>`` is finished, with final score ``score / t ** length_penalty``;
           the others are the live hypotheses of the next step.
        3. Stop when no hypothesis is live, or after step ``max_len``; the hypotheses still
           live then are finished too, with final score ``score / max_len ** length_penalty``.
        4. Return the finished hypothesis of highest final score (the first one finished among
           equals), without its ``<sos>``.

        With ``beam_size = 1`` this is greedy decoding cut after the first ``<eos>``;
        ``length_penalty = 0`` compares plain sums, which favours short translations.

        Shape:
            src ``(1, S)`` -> tokens ``(L,)`` int64, ``1 <= L <= max_len``, ending with
            ``<eos>`` unless ``max_len`` steps ran out first.
        """
        if src.dim() != 2 or src.shape[0] != 1:
            raise ValueError(f"src: expected one sentence, shape (1, S), got {tuple(src.shape)}")
        if not 1 <= max_len <= self.max_length:
            raise ValueError(f"max_len: expected 1 to max_length = {self.max_length}, got {max_len}")
        if beam_size < 1:
            raise ValueError(f"beam_size: expected >= 1, got {beam_size}")
        # BEGIN SOLUTION
        prefixes = torch.full((1, 1), sos_idx, dtype=torch.int64, device=src.device)  # (B, t): live hypotheses
        scores = torch.zeros(1, device=src.device)  # (B,) summed log-probabilities
        finished: list[tuple[float, torch.Tensor]] = []
        for step in range(1, max_len + 1):
            logits = self.forward(src.expand(prefixes.shape[0], -1), prefixes)[:, -1]  # (B, V)
            total = scores[:, None] + torch.log_softmax(logits.float(), dim=-1)  # (B, V)
            best, flat = total.flatten().topk(min(beam_size, total.numel()))  # (k,), best first
            beam, token = flat // total.shape[1], flat % total.shape[1]
            prefixes = torch.cat([prefixes[beam], token[:, None]], dim=1)  # (k, t + 1)
            done = token == eos_idx
            for i in done.nonzero().flatten().tolist():
                finished.append((best[i].item() / step**length_penalty, prefixes[i, 1:]))
            prefixes, scores = prefixes[~done], best[~done]
            if prefixes.shape[0] == 0:
                break
        for i in range(prefixes.shape[0]):  # still live after max_len steps
            finished.append((scores[i].item() / max_len**length_penalty, prefixes[i, 1:]))
        return max(finished, key=lambda f: f[0])[1]
        # END SOLUTION
