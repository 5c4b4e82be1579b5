"""A transformer written from scratch: masks, multi-head self-attention, one encoder layer.

Shapes: ``N`` batch, ``T`` sequence length, ``H`` hidden size (``d_model``), ``h`` heads,
``d_k = H // h`` per head, ``F`` feed-forward size, ``V`` vocabulary size.

Masks are bool tensors that are **True where attention is not allowed**, as in
``torch.nn.MultiheadAttention``: ``causal_mask(T)[i, j]`` is True when ``j > i`` (the
future), ``padding_mask(tokens, pad_idx)[n, j]`` is True when key ``j`` of sequence ``n``
is padding.

Submodules, by these exact names (the tests copy weights in by name):

``MultiHeadSelfAttention(H, h)``: ``q_proj``, ``k_proj``, ``v_proj``, each an
``nn.ModuleList`` of ``h`` layers ``nn.Linear(H, d_k)`` (one per head, so head ``j`` has
``q_proj.j.weight (d_k, H)`` and ``q_proj.j.bias (d_k,)``), and ``out_proj`` ``nn.Linear(H, H)``.

``TransformerTranslator``: ``token_embed`` ``nn.Embedding(V_in, H)``, ``pos_embed``
``nn.Embedding(max_length, H)`` (learned positions), ``attention``
``MultiHeadSelfAttention(H, h)``, ``norm_attn`` ``nn.LayerNorm(H)``, ``ff``
``nn.Sequential(nn.Linear(H, F), nn.ReLU(), nn.Linear(F, H))`` (so ``ff.0`` and ``ff.2``),
``norm_ff`` ``nn.LayerNorm(H)``, ``out`` ``nn.Linear(H, V_out)``, ``dropout`` ``nn.Dropout(p)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nmt.data import PAD_IDX


def causal_mask(T: int, device: torch.device | str | None = None) -> torch.Tensor:
    """``(T, T)`` bool, True above the diagonal: position ``i`` may not attend to ``j > i``."""
    # BEGIN SOLUTION
    return torch.triu(torch.ones(T, T, dtype=torch.bool, device=device), diagonal=1)
    # END SOLUTION


def padding_mask(tokens: torch.Tensor, pad_idx: int = PAD_IDX) -> torch.Tensor:
    """``tokens (N, T)`` int64 -> ``(N, T)`` bool, True where the token is ``pad_idx``."""
    # BEGIN SOLUTION
    return tokens == pad_idx
    # END SOLUTION


class MultiHeadSelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with explicit per-head projections.

    For each head ``j``: ``q = q_proj[j](x)``, ``k = k_proj[j](x)``, ``v = v_proj[j](x)``
    ``(N, T, d_k)``; ``scores = q @ k^T / sqrt(d_k)`` ``(N, T, T)``; masked scores set to
    ``-inf``; ``A_j = softmax(scores)`` over the keys (the last axis); ``head_j = A_j @ v``.
    Then ``out = out_proj(concat(head_0, ..., head_{h-1}))`` (heads in order, on the last axis).

    Args:
        hidden_dim: H, divisible by num_heads.
        num_heads: h.

    Shape:
        x ``(N, T, H)``, key_padding_mask ``(N, T)`` bool or None, attn_mask ``(T, T)`` bool or
        None -> out ``(N, T, H)`` and the attention weights ``(N, h, T, T)``.
    """

    def __init__(self, hidden_dim: int, num_heads: int) -> None:
        super().__init__()
        if hidden_dim % num_heads:
            raise ValueError(f"hidden_dim: expected a multiple of num_heads = {num_heads}, got {hidden_dim}")
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.head_dim = hidden_dim // num_heads
        # BEGIN SOLUTION
        self.q_proj = nn.ModuleList(nn.Linear(hidden_dim, self.head_dim) for _ in range(num_heads))
        self.k_proj = nn.ModuleList(nn.Linear(hidden_dim, self.head_dim) for _ in range(num_heads))
        self.v_proj = nn.ModuleList(nn.Linear(hidden_dim, self.head_dim) for _ in range(num_heads))
        self.out_proj = nn.Linear(hidden_dim, hidden_dim)
        # END SOLUTION

    def forward(
        self,
        x: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        attn_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if x.dim() != 3 or x.shape[2] != self.hidden_dim:
            raise ValueError(f"x: expected shape (N, T, {self.hidden_dim}), got {tuple(x.shape)}")
        # BEGIN SOLUTION
        heads, weights = [], []
        for q_proj, k_proj, v_proj in zip(self.q_proj, self.k_proj, self.v_proj, strict=True):
            q, k, v = q_proj(x), k_proj(x), v_proj(x)  # (N, T, d_k) each
            scores = q @ k.transpose(1, 2) / math.sqrt(self.head_dim)  # (N, T, T): queries x keys
            if attn_mask is not None:
                scores = scores.masked_fill(attn_mask, float("-inf"))
            if key_padding_mask is not None:
                scores = scores.masked_fill(key_padding_mask.unsqueeze(1), float("-inf"))  # mask (N, 1, T)
            attn = torch.softmax(scores, dim=2)
            heads.append(attn @ v)  # (N, T, d_k)
            weights.append(attn)
        out = self.out_proj(torch.cat(heads, dim=2))  # (N, T, H)
        return out, torch.stack(weights, dim=1)  # (N, h, T, T)
        # END SOLUTION


class TransformerTranslator(nn.Module):
    """One transformer encoder layer over the source, predicting one target token per position.

    ``x = token_embed(tokens) + pos_embed(0 .. T-1)``; attention with the padding mask of
    ``tokens`` (and the causal mask when ``causal``); ``x = norm_attn(x + dropout(attended))``;
    ``x = norm_ff(x + dropout(ff(x)))``; ``logits = out(x)``.

    Args:
        input_size: V_in, source vocabulary.
        output_size: V_out, target vocabulary.
        hidden_dim: H (default 128).
        num_heads: h (default 2).
        dim_feedforward: F (default 2048).
        max_length: positions available to pos_embed (default 20).
        dropout: probability of both dropouts (default 0.1).
        causal: mask the future positions too (default False).
        pad_idx: padding id (default 0).

    Shape:
        tokens ``(N, T)`` int64, ``T <= max_length`` -> logits ``(N, T, V_out)``.
    """

    def __init__(
        self,
        input_size: int,
        output_size: int,
        hidden_dim: int = 128,
        num_heads: int = 2,
        dim_feedforward: int = 2048,
        max_length: int = 20,
        dropout: float = 0.1,
        causal: bool = False,
        pad_idx: int = PAD_IDX,
    ) -> None:
        super().__init__()
        self.max_length = max_length
        self.causal = causal
        self.pad_idx = pad_idx
        # BEGIN SOLUTION
        self.token_embed = nn.Embedding(input_size, hidden_dim)
        self.pos_embed = nn.Embedding(max_length, hidden_dim)
        self.attention = MultiHeadSelfAttention(hidden_dim, num_heads)
        self.norm_attn = nn.LayerNorm(hidden_dim)
        self.ff = nn.Sequential(
            nn.Linear(hidden_dim, dim_feedforward), nn.ReLU(), nn.Linear(dim_feedforward, hidden_dim)
        )
        self.norm_ff = nn.LayerNorm(hidden_dim)
        self.out = nn.Linear(hidden_dim, output_size)
        self.dropout = nn.Dropout(dropout)
        # END SOLUTION

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens ``(N, T)`` -> token plus position embeddings ``(N, T, H)``."""
        if tokens.shape[1] > self.max_length:
            raise ValueError(f"tokens: length {tokens.shape[1]} is over max_length = {self.max_length}")
        # BEGIN SOLUTION
        positions = torch.arange(tokens.shape[1], device=tokens.device)  # (T,)
        return self.token_embed(tokens) + self.pos_embed(positions)
        # END SOLUTION

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        # BEGIN SOLUTION
        x = self.embed(tokens)  # (N, T, H)
        mask = causal_mask(tokens.shape[1], tokens.device) if self.causal else None
        attended, _ = self.attention(x, padding_mask(tokens, self.pad_idx), mask)
        x = self.norm_attn(x + self.dropout(attended))
        x = self.norm_ff(x + self.dropout(self.ff(x)))
        return self.out(x)  # (N, T, V_out)
        # END SOLUTION
