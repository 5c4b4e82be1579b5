"""Gradescope's results format: build it, check it, write it atomically.

Top level ``score``, ``execution_time``, ``output``, ``output_format``, ``visibility``,
``stdout_visibility``, ``tests``; each test ``name``, ``number``, ``score``, ``max_score``,
``status``, ``output``, ``tags``, ``visibility``. The schema lives beside this file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
MAX_TEST_OUTPUT = 4000
MAX_OUTPUT = 20000
FAILURE_PREFIX = "The autograder could not grade this submission: "


@dataclass
class TestResult:
    """One line of the Gradescope table."""

    name: str
    number: str
    score: float
    max_score: float
    output: str
    visibility: str = "visible"
    tags: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "passed" if self.score >= self.max_score else "failed"

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status
        d["output"] = _clip(self.output, MAX_TEST_OUTPUT)
        d["name"] = _clip(self.name, 500)
        d["tags"] = [_clip(t, 200) for t in self.tags]
        return d


def clean(text: str) -> str:
    """Text that every strict JSON parser reads back: lone surrogates (from a student's
    message) replaced, like the other bytes that are not UTF-8."""
    return str(text).encode("utf-8", "replace").decode("utf-8")


def _clip(text: str, limit: int) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 40] + f"\n... ({len(text) - limit + 40} characters cut)"


def _points(x: float) -> float:
    x = float(x)
    if not math.isfinite(x) or x < 0:
        return 0.0
    return round(x, 4)


def results(tests: list[TestResult], output: str, execution_time: float) -> dict[str, Any]:
    """The results.json document; the score is the sum of the tests' scores."""
    body = [t.to_json() for t in tests]
    for t in body:
        t["score"] = min(_points(t["score"]), _points(t["max_score"]))
        t["max_score"] = _points(t["max_score"])
    return {
        "score": round(sum(t["score"] for t in body), 4),
        "execution_time": round(max(execution_time, 0.0), 3),
        "output": _clip(output, MAX_OUTPUT),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": body,
    }


def failure(message: str, execution_time: float = 0.0) -> dict[str, Any]:
    """Results when grading could not run at all: score 0 and a visible notice."""
    return {
        "score": 0.0,
        "execution_time": round(max(execution_time, 0.0), 3),
        "output": _clip(f"{FAILURE_PREFIX}{message}", MAX_OUTPUT),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def write(path: Path, data: dict[str, Any]) -> None:
    """Write results atomically: a reader never sees half a file.

    The temporary file gets a fresh name (O_EXCL): where student code could write into the
    folder (--results in /tmp), a planted symlink or FIFO at a fixed name would make root
    write elsewhere or block forever.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # Every string cleaned, written as UTF-8: no lone-surrogate escape, no NaN, so that
        # strict parsers (Gradescope's, jq, JavaScript's) read it.
        payload = json.dumps(_cleaned(data), indent=2, allow_nan=False, ensure_ascii=False).encode("utf-8")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_cleaned(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return 0.0
    return value


def validate(data: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when ``data`` is not valid Gradescope results."""
    import jsonschema

    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
