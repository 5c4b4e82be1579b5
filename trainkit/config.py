"""Typed training configurations: frozen dataclasses read from YAML files that list only what differs.

An assignment declares its fields on a subclass of :class:`Config` and its range checks in
``validate``; everything else is here, once::

    ModelType = Literal["RNN", "LSTM"]

    @dataclass(frozen=True)
    class TrainConfig(Config):
        model_type: ModelType = "LSTM"
        attention: Literal["cosine", "dot"] | None = "cosine"
        learning_rate: float = 1.0e-3
        lr_milestones: tuple[int, ...] = ()
        augment: bool = True

        def validate(self) -> None:
            self.require(self.learning_rate > 0, "learning_rate", "expected > 0")

    config = TrainConfig.load("configs/lstm.yaml")

The one type checker accepts ``bool``, ``int``, ``float``, ``str``, ``Literal[...]``, tuples
(``tuple[int, ...]``, read from YAML lists) and ``Optional`` (``X | None``). An ``int`` is
never a ``bool`` and a ``bool`` never an ``int``. A float field takes ints and the strings that
PyYAML reads from YAML 1.1 exponent numbers (``1e-3`` is the *string* "1e-3" to PyYAML) and
stores them as floats; NaN and infinities are refused. Unknown keys are refused, naming the
key and the file, with the known keys listed.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

__all__ = ["Config", "ConfigError", "choices"]

C = TypeVar("C", bound="Config")


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range; the message names it."""


def choices(kind: Any) -> tuple[Any, ...]:
    """The values of a ``Literal`` type (``choices(ModelType) == ("RNN", "LSTM")``), for help texts."""
    if typing.get_origin(kind) is not Literal:
        raise TypeError(f"{kind!r} is not a Literal type")
    return typing.get_args(kind)


def _describe(kind: Any) -> str:
    origin = typing.get_origin(kind)
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(kind))
    if origin in (typing.Union, types.UnionType):
        return " or ".join("null" if a is type(None) else _describe(a) for a in typing.get_args(kind))
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(kind)[0])}"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        kind, getattr(kind, "__name__", str(kind))
    )


_NO = object()  # "does not fit the type"


def _coerce(value: Any, kind: Any) -> Any:
    """``value`` as ``kind`` (ints and numeric strings to float, lists to tuples), or ``_NO``."""
    origin = typing.get_origin(kind)
    if origin is Literal:
        # 1 == True in Python: compare the type too, so that Literal[1] refuses true.
        return value if any(value == v and type(value) is type(v) for v in typing.get_args(kind)) else _NO
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(kind):
            if arg is type(None):
                if value is None:
                    return None
                continue
            got = _coerce(value, arg)
            if got is not _NO:
                return got
        return _NO
    if origin is tuple:
        args = typing.get_args(kind)
        if not isinstance(value, list | tuple):
            return _NO
        if len(args) == 2 and args[1] is Ellipsis:
            items = [_coerce(v, args[0]) for v in value]
        elif len(args) == len(value):
            items = [_coerce(v, a) for v, a in zip(value, args, strict=True)]
        else:
            return _NO
        return _NO if any(i is _NO for i in items) else tuple(items)
    if kind is bool:
        return value if isinstance(value, bool) else _NO
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _NO
    if kind is float:
        if isinstance(value, bool):
            return _NO
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return _NO
        else:
            return _NO
        return number if math.isfinite(number) else _NO
    if kind is str:
        return value if isinstance(value, str) else _NO
    raise TypeError(f"config fields of type {kind!r} are not supported")


@dataclasses.dataclass(frozen=True)
class Config:
    """Base of every configuration: type checks in ``__post_init__``, then ``validate``.

    Subclasses are ``@dataclass(frozen=True)`` with a default for every field.
    """

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            got = _coerce(value, hints[f.name])
            if got is _NO:
                raise ConfigError(f"{f.name}: expected {_describe(hints[f.name])}, got {value!r}")
            if got is not value:
                object.__setattr__(self, f.name, got)
        self.validate()

    def validate(self) -> None:
        """Range checks and checks between fields; raise ConfigError (``self.require``)."""

    @staticmethod
    def require(condition: bool, field: str, message: str) -> None:
        """Raise ``ConfigError("FIELD: MESSAGE")`` unless ``condition``."""
        if not condition:
            raise ConfigError(f"{field}: {message}")

    def require_positive(self, *names: str) -> None:
        """Each named field is > 0."""
        for name in names:
            self.require(getattr(self, name) > 0, name, f"expected > 0, got {getattr(self, name)}")

    def require_in(self, name: str, low: float, high: float, *, closed: str = "[)") -> None:
        """The field lies between ``low`` and ``high``; ``closed`` says which ends belong (``[]``, ``[)``, ...)."""
        value = getattr(self, name)
        above = value >= low if closed[0] == "[" else value > low
        below = value <= high if closed[1] == "]" else value < high
        ok = above and below
        self.require(ok, name, f"expected in {closed[0]}{low}, {high}{closed[1]}, got {value}")

    @classmethod
    def from_dict(cls: type[C], values: Any, where: str = "config") -> C:
        """Build from a mapping of overrides; ``where`` (a file name) starts every error message."""
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: expected a mapping of keys to values, got {type(values).__name__}")
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(str(k) for k in values if k not in known)
        if unknown:
            keys = "key" if len(unknown) == 1 else "keys"
            raise ConfigError(f"{where}: unknown {keys} {unknown}; known keys are {sorted(known)}")
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    @classmethod
    def load(cls: type[C], path: str | Path) -> C:
        """Read a YAML file of overrides with ``yaml.safe_load``; an empty file means all defaults."""
        path = Path(path)
        try:
            with path.open(encoding="utf-8") as fh:
                values = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        return cls.from_dict(values if values is not None else {}, where=str(path))

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed, checked like the original; unknown names are refused."""
        return type(self).from_dict({**self.to_dict(), **changes}, where="override")

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON and YAML (tuples as lists); ``from_dict(to_dict())`` gives an equal config."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}
