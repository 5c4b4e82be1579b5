"""``make bench``: forward + backward time of the NumPy convolution and max pooling against PyTorch's.

Both run on the CPU in this process, in float32, on the same data: a batch of 64 images of
32 channels, 32 x 32, through a 3 x 3 convolution to 64 channels with padding 1, then a
2 x 2 max pooling (stride 2) of its output. Prints the median time of each in milliseconds
and the ratio to PyTorch (torch.nn.functional.conv2d / max_pool2d with autograd).

Run it with the reference solution (the course repository); in a handout it times your code.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np


def _median_ms(fns: Sequence[Callable[[], object]], repeat: int, warmup: int = 2) -> list[float]:
    """Median milliseconds of each function, timed in turn within each repetition.

    Interleaving keeps the ratio fair on a shared machine: a burst of load hits both.
    """
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, record in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            record.append(time.perf_counter() - t0)
    return [1000 * statistics.median(record) for record in times]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cifar_cnn.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)

    import torch
    import torch.nn.functional as F

    from cifar_cnn.layers import Conv2d, MaxPool2d

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    N, C, Fo, H, K = args.batch, 32, 64, 32, 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    conv = Conv2d(C, Fo, K, padding=1, rng=rng)
    pool = MaxPool2d(2)
    y = rng.standard_normal((N, Fo, H, H), dtype=np.float32)
    dconv = rng.standard_normal((N, Fo, H, H), dtype=np.float32)
    dpool = rng.standard_normal((N, Fo, H // 2, H // 2), dtype=np.float32)

    def numpy_conv() -> None:
        conv.forward(x)
        conv.backward(dconv)

    def numpy_pool() -> None:
        pool.forward(y)
        pool.backward(dpool)

    xt = torch.from_numpy(x).requires_grad_()
    wt = torch.from_numpy(conv.w.copy()).requires_grad_()
    bt = torch.from_numpy(conv.b.copy()).requires_grad_()
    yt = torch.from_numpy(y).requires_grad_()
    dconv_t, dpool_t = torch.from_numpy(dconv), torch.from_numpy(dpool)

    def torch_conv() -> None:
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=1).backward(dconv_t)

    def torch_pool() -> None:
        yt.grad = None
        F.max_pool2d(yt, 2, 2).backward(dpool_t)

    # The same numbers first, so that the timing compares two correct implementations.
    numpy_conv()
    torch_conv()
    np.testing.assert_allclose(conv.dw, wt.grad.numpy(), rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(conv.dx, xt.grad.numpy(), rtol=1e-3, atol=1e-3)

    print(
        f"forward + backward, float32, CPU ({torch.get_num_threads()} torch threads), "
        f"median of {args.repeat}: x ({N}, {C}, {H}, {H})"
    )
    rows = [
        (f"conv {C}->{Fo} {K}x{K} pad 1", numpy_conv, torch_conv),
        (f"max pool 2x2 stride 2 of ({N}, {Fo}, {H}, {H})", numpy_pool, torch_pool),
    ]
    for label, ours, theirs in rows:
        t_ours, t_torch = _median_ms((ours, theirs), args.repeat)
        print(f"  {label:40s} numpy {t_ours:8.1f} ms   torch {t_torch:8.1f} ms   ratio {t_ours / t_torch:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
