"""Memory and process-count limits through cgroups (v1 controllers or a v2 group), where writable.

Resident memory, not address space, is what a grading must bound: importing the CUDA build
of torch needs a few GB of address space, and tmpfs pages (the child's scratch folders and
outputs) count against the memory cgroup, so a scratch file cannot fill the disk either.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


class Cgroup:
    """Memory and pids limits for one slot: cgroup v1 controllers or a v2 group, if writable."""

    def __init__(self, name: str, memory_bytes: int, max_pids: int) -> None:
        self.paths: list[Path] = []
        self.memory: Path | None = None
        self.v2 = False
        self.limit = memory_bytes
        mem_v1, pids_v1 = CGROUP_ROOT / "memory", CGROUP_ROOT / "pids"
        try:
            if (mem_v1 / "memory.limit_in_bytes").exists():
                self.memory = self._make(mem_v1 / name)
                for f in ("memory.memsw.limit_in_bytes",):  # unset before lowering the limit
                    if (self.memory / f).exists():
                        (self.memory / f).write_text("-1")
                (self.memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
                if (self.memory / "memory.memsw.limit_in_bytes").exists():
                    (self.memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
                (self.memory / "memory.max_usage_in_bytes").write_text("0")
                self._oom0 = self._oom_kills()
                if (pids_v1 / "cgroup.procs").exists():
                    pids = self._make(pids_v1 / name)
                    (pids / "pids.max").write_text(str(max_pids))
            elif (CGROUP_ROOT / "cgroup.controllers").exists():
                group = self._make(CGROUP_ROOT / name)
                self.v2, self.memory = True, group
                (group / "memory.max").write_text(str(memory_bytes))
                (group / "memory.swap.max").write_text("0") if (group / "memory.swap.max").exists() else None
                (group / "pids.max").write_text(str(max_pids))
                self._oom0 = self._oom_kills()
        except OSError as exc:
            self.paths, self.memory = [], None
            self.error = str(exc)
        else:
            self.error = "" if self.memory else "no cgroup memory controller found"

    def _make(self, path: Path) -> Path:
        path.mkdir(exist_ok=True)
        self.paths.append(path)
        return path

    @property
    def ok(self) -> bool:
        """Whether memory is limited by the cgroup (else the sandbox watches resident memory itself)."""
        return self.memory is not None

    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files the child writes its pid to, to enter every controller."""
        return [str(p / "cgroup.procs") for p in self.paths]

    def _oom_kills(self) -> int:
        assert self.memory is not None
        name = "memory.events" if self.v2 else "memory.oom_control"
        try:
            for line in (self.memory / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            pass
        return 0

    def memory_exceeded(self) -> bool:
        """Whether the limit was hit since the previous call (each run asks once, at its end)."""
        if self.memory is None:
            return False
        kills = self._oom_kills()
        hit, self._oom0 = kills > self._oom0, kills  # so a later run is not blamed for this one
        if not self.v2:
            try:
                peak = int((self.memory / "memory.max_usage_in_bytes").read_text())
                failcnt = int((self.memory / "memory.failcnt").read_text())
                hit = hit or (failcnt > 0 and peak >= self.limit * 0.98)
                for name in ("memory.failcnt", "memory.max_usage_in_bytes"):
                    (self.memory / name).write_text("0")
            except (OSError, ValueError):
                pass
        return hit

    def pids(self) -> list[int]:
        """Every process in the cgroup now."""
        out: set[int] = set()
        for f in self.procs_files():
            with contextlib.suppress(OSError, ValueError):
                out.update(int(x) for x in Path(f).read_text().split())
        return sorted(out)
