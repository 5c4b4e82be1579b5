"""How a grading case is written, and the helpers both sides use to handle its data.

A case names what to call in the student's code and the inputs the trusted side builds.
The same objects serve the public tests (run in-process on a student's machine), the oracle
(run on the reference when the autograder is built) and the grader (run in a sandboxed
child). This module is imported by the child, so it needs nothing beyond the standard
library and NumPy.

The hidden file may import the public file's helpers as ``from public_cases import ...``:
the public file is always loaded first, under that name (``PUBLIC_MODULE``).

Example, in an assignment's ``tests/cases.py`` (public) or ``grading/cases.py`` (hidden)::

    def _run_sigmoid(x):
        from mnist_mlp.functional import sigmoid   # student code: imported in the child only
        return {"out": sigmoid(x)}

    CASES = [
        Case(
            name="sigmoid_values",
            title="sigmoid: values on a (4, 5) matrix",
            run=_run_sigmoid,
            inputs=lambda rng: {"x": rng.standard_normal((4, 5))},
        ),
    ]
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,79}")
KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,119}")

Arrays = dict[str, np.ndarray]
# The longest error message a case's status carries: the child clips to it, and so does the trusted side.
MAX_MESSAGE = 2000
ScoreFn = Callable[[Arrays, Arrays, Arrays], tuple[float, str]]


@dataclass(frozen=True)
class Case:
    """One graded check of student code.

    Args:
        name: identifier, unique in the assignment (``[a-z][a-z0-9_]*``); names files.
        title: one line shown to students, saying what is checked.
        run: child side. Called as ``run(**inputs, **params)``; imports the student's
            code inside its body and returns a dict of array-likes (one level of nested
            dicts is flattened to ``"outer.inner"`` keys).
        inputs: trusted side. ``inputs(rng) -> dict[str, np.ndarray]``, with ``rng`` a
            ``np.random.Generator`` seeded from the case name, so inputs never depend on
            the order in which anything else draws random numbers. The graded run mixes a
            secret salt into that seed (see ``rng``), so its inputs are ones the handout
            holds no answer for: draw every input from ``rng``.
        graded_inputs: trusted side, graded run only: ``graded_inputs(rng)`` (the salted
            generator) replaces ``inputs`` there. For held-out data the handout must not
            hold (images whose labels are ``secret``, kept in the assignment's ``grading/``
            folder), or for fresh draws where the public run shows a fixed example (the
            counts of a paper's table). The public run keeps ``inputs``.
        params: JSON-able constants passed to ``run`` as keywords (sizes, mode names).
        points: value of the case.
        atol, rtol: tolerances of the default comparison, ``|got - exp| <= atol + rtol*|exp|``.
        exact_dtype: the default comparison requires the reference's dtype itself (a case
            whose title promises "same dtype out"), not only its kind (float, integer).
        secret: keys of ``inputs`` that stay on the trusted side (labels of an accuracy
            check); they are not given to ``run`` but to ``score``.
        score: trusted side, replaces the default comparison:
            ``score(got, expected, secret) -> (fraction in [0, 1], message)``.
        verify: oracle only, child side: ``verify(inputs, outputs)`` raises if the
            reference's outputs are wrong (numerical gradient checks go here).
        timeout_s: wall-clock limit of this case; the manifest gives the default. A case
            with a longer limit than the default counts as slow: ``check`` runs it after
            the others, so most mutants fail a quick case before it.
    """

    name: str
    title: str
    run: Callable[..., Mapping[str, Any]]
    inputs: Callable[[np.random.Generator], Mapping[str, np.ndarray]] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    points: float = 1.0
    atol: float = 1e-6
    rtol: float = 1e-5
    exact_dtype: bool = False
    secret: tuple[str, ...] = ()
    score: ScoreFn | None = None
    verify: Callable[[Arrays, Arrays], None] | None = None
    timeout_s: float | None = None
    graded_inputs: Callable[[np.random.Generator], Mapping[str, np.ndarray]] | None = None

    def __post_init__(self) -> None:
        if not NAME_RE.fullmatch(self.name):
            raise ValueError(f"case name {self.name!r}: expected [a-z][a-z0-9_]*, at most 80 chars")
        if self.points < 0:
            raise ValueError(f"case {self.name}: points must be >= 0, got {self.points}")
        if not self.title or "\n" in self.title:
            raise ValueError(f"case {self.name}: title must be one non-empty line")

    def rng(self, salt: str = "") -> np.random.Generator:
        """The generator ``inputs`` receives: seeded from the case name alone for the public
        run (what the handout and ``make test`` use), and from the name and the course's
        secret ``salt`` for the graded run, whose inputs no student can recompute."""
        if not salt:
            return np.random.default_rng(zlib.crc32(self.name.encode()))
        digest = hashlib.sha256(f"{salt}\0{self.name}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:16], "little"))

    def build_inputs(self, salt: str = "") -> tuple[Arrays, Arrays]:
        """Trusted side: (inputs given to ``run``, secret inputs kept back).

        With a ``salt`` these are the graded run's inputs: ``graded_inputs`` data when the case
        has it, else ``inputs`` drawn from the salted generator.
        """
        make = self.graded_inputs if salt and self.graded_inputs is not None else self.inputs
        raw = dict(make(self.rng(salt))) if make is not None else {}
        missing = [k for k in self.secret if k not in raw]
        if missing:
            raise ValueError(f"case {self.name}: secret keys {missing} not among inputs {sorted(raw)}")
        arrays = {k: np.asarray(v) for k, v in raw.items()}
        for k, v in arrays.items():
            if not KEY_RE.fullmatch(k) or v.dtype.hasobject:
                raise ValueError(f"case {self.name}: input {k!r} must be a named plain array")
        public = {k: v for k, v in arrays.items() if k not in self.secret}
        secret = {k: v for k, v in arrays.items() if k in self.secret}
        return public, secret


def to_arrays(outputs: Any, where: str = "outputs") -> Arrays:
    """Turn what ``run`` returned into a flat dict of plain (non-subclass) arrays.

    Raises TypeError naming the offending key when a value is not numeric data, so a
    student who returns the wrong kind of thing reads what was expected.
    """
    if not isinstance(outputs, Mapping):
        raise TypeError(f"{where}: expected a dict of arrays, got {type(outputs).__name__}")
    flat: Arrays = {}
    for key, value in outputs.items():
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            raise TypeError(f"{where}: bad output key {key!r}")
        if isinstance(value, Mapping):
            for sub, arr in to_arrays(value, f"{where}[{key!r}]").items():
                flat[f"{key}.{sub}"] = arr
            continue
        try:
            # np.array(..., copy=True) then .view(np.ndarray): a subclass (with a lying
            # __eq__ or __array_function__) becomes plain data.
            arr = np.array(value, copy=True)
        except Exception as exc:
            raise TypeError(f"{where}[{key!r}]: cannot convert {type(value).__name__} to an array: {exc}") from None
        arr = np.asarray(arr).view(np.ndarray)
        if arr.dtype.hasobject or arr.dtype.kind not in "biufc":
            raise TypeError(f"{where}[{key!r}]: expected numbers, got {type(value).__name__} with dtype {arr.dtype}")
        flat[key] = arr
    return flat


def load_case_module(path: Path, module_name: str | None = None) -> list[Case]:
    """Import a case file by path (no package needed) and return its ``CASES`` list."""
    path = Path(path)
    name = module_name or f"_grader_cases_{zlib.crc32(str(path.resolve()).encode()):08x}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load case file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    cases = getattr(module, "CASES", None)
    if not isinstance(cases, list) or not all(isinstance(c, Case) for c in cases):
        raise TypeError(f"{path}: must define CASES, a list of grader.cases.Case")
    return cases


# The public case file is imported under this name, always before the hidden one, so that a
# hidden file can reuse the public file's helpers: ``from public_cases import _inject``.
PUBLIC_MODULE = "public_cases"


# sys.modules[PUBLIC_MODULE] is one slot for the whole process: two gradings in threads of one
# process (the hostile tests do this) must not load their case files interleaved, or a hidden
# file's ``from public_cases import ...`` finds the other grading's half-executed module.
_LOADING = threading.Lock()


def load_case_files(paths: list[Path]) -> list[list[Case]]:
    """Import case files in order, the first (the public one) as ``PUBLIC_MODULE``; one set at a time."""
    with _LOADING:
        return [load_case_module(path, PUBLIC_MODULE if i == 0 else None) for i, path in enumerate(paths)]


def gather_cases(files: list[tuple[Path, bool]]) -> list[tuple[Case, bool]]:
    """Load several case files (the public one first); returns (case, public) pairs and
    rejects duplicate names."""
    seen: dict[str, Path] = {}
    out: list[tuple[Case, bool]] = []
    for (path, public), cases in zip(files, load_case_files([p for p, _ in files]), strict=True):
        for case in cases:
            if case.name in seen:
                raise ValueError(f"case {case.name!r} defined in {seen[case.name]} and {path}")
            seen[case.name] = path
            out.append((case, public))
    return out


def load_npz(path: Path | str) -> Arrays:
    """Read an ``.npz`` into a dict of arrays, never unpickling anything."""
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def save_npz(path: Path | str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write arrays as an ``.npz`` with fixed timestamps, so equal arrays give equal bytes."""
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(arrays[key]).view(np.ndarray), allow_pickle=False)
