"""A vanilla RNN cell and an LSTM cell, written from scratch.

Both keep their weights as ``nn.Parameter`` under the names below (the tests copy weights in
by these names, so they must match exactly), and compute one time step for a batch.
Shapes: ``N`` batch, ``I`` input features, ``H`` hidden units.

``RNNCell`` parameters::

    W_ih (I, H)   W_hh (H, H)   b_h (H,)

``LSTMCell`` parameters, one set per gate ``g`` in ``i`` (input), ``f`` (forget),
``g`` (cell candidate), ``o`` (output)::

    W_ii W_if W_ig W_io (I, H)    W_hi W_hf W_hg W_ho (H, H)    b_i b_f b_g b_o (H,)

Initialisation is given (``reset_parameters``): every parameter uniform in
``(-1/sqrt(H), 1/sqrt(H))``, as in ``torch.nn.RNNCell`` and ``torch.nn.LSTMCell``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

GATES = ("i", "f", "g", "o")


def _check_input(x: torch.Tensor, input_size: int) -> None:
    if x.dim() != 2 or x.shape[1] != input_size:
        raise ValueError(f"x: expected shape (N, I) with I = {input_size}, got {tuple(x.shape)}")


def _check_state(h: torch.Tensor, N: int, hidden_size: int, name: str) -> None:
    if tuple(h.shape) != (N, hidden_size):
        raise ValueError(f"{name}: expected shape (N, H) = {(N, hidden_size)}, got {tuple(h.shape)}")


class RNNCell(nn.Module):
    """Elman RNN cell with tanh: ``h' = tanh(x @ W_ih + h @ W_hh + b_h)``.

    Args:
        input_size: I, features of the input.
        hidden_size: H, hidden units.

    Shape:
        x ``(N, I)``, h ``(N, H)`` -> h' ``(N, H)``.
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        # BEGIN SOLUTION
        self.W_ih = nn.Parameter(torch.empty(input_size, hidden_size))
        self.W_hh = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b_h = nn.Parameter(torch.empty(hidden_size))
        # END SOLUTION
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.input_size)
        _check_state(h, x.shape[0], self.hidden_size, "h")
        # BEGIN SOLUTION
        return torch.tanh(x @ self.W_ih + h @ self.W_hh + self.b_h)
        # END SOLUTION


class LSTMCell(nn.Module):
    """LSTM cell with its four gates written out::

        i = sigmoid(x @ W_ii + h @ W_hi + b_i)      input gate
        f = sigmoid(x @ W_if + h @ W_hf + b_f)      forget gate
        g = tanh(x @ W_ig + h @ W_hg + b_g)         cell candidate
        o = sigmoid(x @ W_io + h @ W_ho + b_o)      output gate
        c' = f * c + i * g
        h' = o * tanh(c')

    Args:
        input_size: I, features of the input.
        hidden_size: H, hidden units.

    Shape:
        x ``(N, I)``, h ``(N, H)``, c ``(N, H)`` -> (h' ``(N, H)``, c' ``(N, H)``).
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        # BEGIN SOLUTION
        self.W_ii = nn.Parameter(torch.empty(input_size, hidden_size))
        self.W_hi = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b_i = nn.Parameter(torch.empty(hidden_size))
        self.W_if = nn.Parameter(torch.empty(input_size, hidden_size))
        self.W_hf = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b_f = nn.Parameter(torch.empty(hidden_size))
        self.W_ig = nn.Parameter(torch.empty(input_size, hidden_size))
        self.W_hg = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b_g = nn.Parameter(torch.empty(hidden_size))
        self.W_io = nn.Parameter(torch.empty(input_size, hidden_size))
        self.W_ho = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b_o = nn.Parameter(torch.empty(hidden_size))
        # END SOLUTION
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_input(x, self.input_size)
        _check_state(h, x.shape[0], self.hidden_size, "h")
        _check_state(c, x.shape[0], self.hidden_size, "c")
        # BEGIN SOLUTION
        i = torch.sigmoid(x @ self.W_ii + h @ self.W_hi + self.b_i)
        f = torch.sigmoid(x @ self.W_if + h @ self.W_hf + self.b_f)
        g = torch.tanh(x @ self.W_ig + h @ self.W_hg + self.b_g)
        o = torch.sigmoid(x @ self.W_io + h @ self.W_ho + self.b_o)
        c_next = f * c + i * g
        h_next = o * torch.tanh(c_next)
        return h_next, c_next
        # END SOLUTION
