"""``make bench-train``'s shared machinery: the machine header and interleaved timing.

Each assignment's ``bench_train.py`` builds its variants (a training step in float32 and
bfloat16, on one thread and on all, the data loader alone, ...) as tasks and hands them to
:func:`interleaved`, which runs them round by round in one process, so that a burst of load on a
shared machine hits every variant alike, and reports the median of each. :func:`machine_lines`
says what decides the speed on this machine (CPU model and instruction sets, CPUs and cgroup
quota, threads, the load average), the same in every assignment, so that two machines' outputs
can be set side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Timing",
    "argument_parser",
    "cpu_features",
    "cpu_quota",
    "format_table",
    "interleaved",
    "load_average",
    "machine_lines",
    "on_one_thread",
    "torch_threads",
]

# The instruction sets that decide which kernels oneDNN (and OpenBLAS) can use.
FEATURES = ("avx2", "avx512_f", "avx512_bf16", "amx_tile", "amx_bf16")
CPUINFO = Path("/proc/cpuinfo")  # Linux only


@dataclass
class Timing:
    """Wall and CPU seconds of each round of one variant that processed ``units`` (images, tokens) a round."""

    units: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(self.cpu)

    @property
    def per_second(self) -> float:
        return self.units / self.seconds

    @property
    def cpu_share(self) -> float:
        """Median CPU seconds over median wall seconds: 2.0 when two cores were busy throughout."""
        return self.cpu_seconds / self.seconds


def argument_parser(
    prog: str, doc: str, default_config: Path, steps: int, threads: bool = True
) -> argparse.ArgumentParser:
    """The arguments every ``bench_train`` takes: ``--config`` (default ``default_config``), ``--steps`` (batches
    per variant and round, default ``steps``), ``--rounds``, ``--warmup``, and ``--threads`` for torch's benches;
    ``doc``'s first line is the description. Each bench adds its own (``--batch``, ``--data-dir``, ...)."""
    parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n")[0])
    parser.add_argument(
        "--config", default=str(default_config), help=f"training config (default {default_config.name})"
    )
    parser.add_argument("--steps", type=int, default=steps, help=f"batches per variant and round (default {steps})")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the median is shown (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    if threads:
        parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    return parser


def interleaved(tasks: Mapping[str, Callable[[], int]], rounds: int, warmup: int = 1) -> dict[str, Timing]:
    """Run every task once a round, in turn, after ``warmup`` untimed rounds; each returns the units it processed."""
    if rounds < 1:
        raise ValueError(f"rounds: expected >= 1, got {rounds}")
    if warmup < 0:
        raise ValueError(f"warmup: expected >= 0, got {warmup}")
    for _ in range(warmup):
        for task in tasks.values():
            task()
    timings: dict[str, Timing] = {}
    for _ in range(rounds):
        for name, task in tasks.items():
            wall0, cpu0 = time.perf_counter(), time.process_time()
            units = task()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            timing = timings.setdefault(name, Timing(units))
            timing.wall.append(wall)
            timing.cpu.append(cpu)
    return timings


def format_table(
    timings: Mapping[str, Timing],
    unit: str,
    baseline: Callable[[str], str | None] = lambda name: None,
    labels: Mapping[str, str] | None = None,
    width: int = 48,
    also: tuple[str, Mapping[str, int]] | None = None,
    ratio_header: str = "ratio",
) -> list[str]:
    """One row a variant: units a round, units/s, ms a round, CPU share, CPU ms a unit, and the
    ratio of its units/s to the row ``baseline(name)`` names (``-`` when none).

    ``also``, a second unit and how many of it each row processes a round (nmt: sentence pairs
    beside target tokens), adds two columns after ``unit/s``: that count and its rate (``-`` for
    a row it does not name)."""
    labels = labels or {}
    second = ""
    if also is not None:
        other = also[0]
        second = f" {other:>7s} {other + '/s':>9s}"
    head = (
        f"{'':{width}s} {unit:>7s} {unit + '/s':>9s}{second} {'ms/round':>9s} {'cpu':>5s} "
        f"{'cpu ms/' + unit:>12s} {ratio_header:>7s}"
    )
    lines = [head]
    for name, t in timings.items():
        base = baseline(name)
        ratio = f"{t.per_second / timings[base].per_second:6.2f}x" if base in timings else "      -"
        if also is not None:
            count = also[1].get(name)
            second = f" {'-':>7s} {'-':>9s}" if count is None else f" {count:7d} {count / t.seconds:9.1f}"
        lines.append(
            f"{labels.get(name, name):{width}s} {t.units:7d} {t.per_second:9.0f}{second} {1000 * t.seconds:9.0f} "
            f"{100 * t.cpu_share:4.0f}% {1000 * t.cpu_seconds / t.units:12.3f} {ratio:>7s}"
        )
    return lines


def load_average() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


def cpu_quota() -> float | None:
    """CPUs the cgroup lets this process use (v2 ``cpu.max`` or the v1 CFS quota), or None when unlimited."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        v1 = Path("/sys/fs/cgroup/cpu")
        quota_us = int((v1 / "cpu.cfs_quota_us").read_text())
        return None if quota_us < 0 else quota_us / int((v1 / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in CPUINFO.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or "unknown CPU"


def cpu_features() -> dict[str, bool]:
    """Which instruction sets of FEATURES this CPU has, by their names in torch.

    torch's own detection (``torch.cpu.get_capabilities``) when torch is installed: it is what
    picks torch's kernels, and it works where there is no /proc/cpuinfo (macOS). Else the flags
    of /proc/cpuinfo (which spells avx512_f as avx512f); all False where neither answers.
    """
    try:
        import torch

        capabilities = torch.cpu.get_capabilities()
    except (ImportError, AttributeError):  # no torch, or one older than get_capabilities (2.3)
        return _cpuinfo_features()
    return {name: bool(capabilities.get(name, False)) for name in FEATURES}


def _cpuinfo_features() -> dict[str, bool]:
    flags: set[str] = set()
    with contextlib.suppress(OSError):
        for line in CPUINFO.read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    return {name: name.replace("avx512_f", "avx512f") in flags for name in FEATURES}


def usable_cpus() -> float:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cpu_quota()
    return min(cores, quota) if quota is not None else cores


def machine_lines(torch_threads: int | None = None, extra: Sequence[str] = ()) -> list[str]:
    """What decides the speed of a training step here, in a few lines; ``torch_threads`` when torch is used."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = cpu_quota()
    features = ", ".join(f"{name} {'yes' if present else 'no'}" for name, present in cpu_features().items())
    env = ", ".join(
        f"{name}={os.environ.get(name, 'unset')}"
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    )
    lines = [
        f"machine: {cpu_model()}, {cores} CPUs for this process, cgroup CPU quota "
        f"{'none' if quota is None else f'{quota:g} CPUs'}, load average {load_average()}",
        f"  CPU features: {features}",
        f"  {env}",
        *extra,
    ]
    if torch_threads is not None and torch_threads > usable_cpus():
        lines.append(
            f"  warning: {torch_threads} threads for {usable_cpus():g} usable CPUs: threads wait for each other; "
            "try --threads (and OMP_NUM_THREADS for make train)"
        )
    return lines


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """``torch.set_num_threads(threads)`` for the ``with`` block when given (>= 1), torch's count put back
    after it, also when it raises: a bench called in-process (by a test) leaves the threads as it found them."""
    if threads is None:
        yield
        return
    if threads < 1:
        raise ValueError(f"--threads: expected >= 1, got {threads}")
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def on_one_thread(task: Callable[[], int]) -> Callable[[], int]:
    """``task`` run on one torch thread (the thread count put back after it): what the other threads bring."""

    def run() -> int:
        with torch_threads(1):
            return task()

    return run
