"""The one config type checker: every field type the assignments use, and the messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from trainkit.config import Config, ConfigError, choices

Kind = Literal["RNN", "LSTM"]


@dataclass(frozen=True)
class Example(Config):
    model_type: Kind = "LSTM"
    attention: Literal["cosine", "dot"] | None = "cosine"
    learning_rate: float = 1.0e-3
    epochs: int = 3
    augment: bool = True
    milestones: tuple[int, ...] = ()
    name: str = "run"
    note: str | None = None

    def validate(self) -> None:
        self.require_positive("learning_rate", "epochs")
        self.require(list(self.milestones) == sorted(self.milestones), "milestones", "expected increasing")


def test_defaults_and_every_type():
    c = Example.from_dict(
        {"model_type": "RNN", "attention": None, "learning_rate": 2, "augment": False, "milestones": [1, 2]}
    )
    assert (c.model_type, c.attention, c.augment, c.milestones) == ("RNN", None, False, (1, 2))
    assert c.learning_rate == 2.0 and isinstance(c.learning_rate, float)


@pytest.mark.parametrize("text", ["1e-3", "1E-3", " 5e-4 ", "0.5"])
def test_yaml_exponent_strings_are_floats(text):
    assert Example.from_dict({"learning_rate": text}).learning_rate == float(text)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("augment", 1, "true or false"),  # an int is not a bool
        ("augment", "yes", "true or false"),
        ("epochs", True, "an integer"),  # a bool is not an int
        ("epochs", 2.5, "an integer"),
        ("learning_rate", "fast", "a number"),
        ("learning_rate", float("nan"), "a number"),
        ("learning_rate", "inf", "a number"),
        ("learning_rate", True, "a number"),
        ("model_type", "GRU", "one of 'RNN', 'LSTM'"),
        ("attention", "additive", "one of 'cosine', 'dot' or null"),
        ("milestones", [1, "2"], "a list of an integer"),
        ("milestones", 3, "a list of"),
        ("name", 3, "a string"),
    ],
)
def test_wrong_types_name_the_field(key, value, words):
    with pytest.raises(ConfigError, match=key) as info:
        Example.from_dict({key: value}, where="cfg.yaml")
    assert str(info.value).startswith("cfg.yaml: ")
    assert words in str(info.value)


def test_unknown_keys_name_the_key_and_the_file(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match=r"x\.yaml: unknown key \['learning_rat'\]; known keys are"):
        Example.load(path)


def test_load_yaml_file_and_errors(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("learning_rate: 1e-4\nmilestones: [2, 5]\naugment: false\n")
    c = Example.load(good)
    assert c.learning_rate == 1e-4 and c.milestones == (2, 5) and c.augment is False
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert Example.load(empty) == Example()
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML"):
        Example.load(bad)
    with pytest.raises(ConfigError, match="cannot be read"):
        Example.load(tmp_path / "missing.yaml")
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        Example.load(listy)


def test_validate_replace_and_round_trip():
    with pytest.raises(ConfigError, match="epochs: expected > 0, got 0"):
        Example(epochs=0)
    with pytest.raises(ConfigError, match="milestones: expected increasing"):
        Example(milestones=(3, 1))
    c = Example().replace(epochs=7, learning_rate="1e-2")
    assert c.epochs == 7 and c.learning_rate == 0.01
    with pytest.raises(ConfigError, match="unknown key"):
        Example().replace(epoch=7)
    assert Example.from_dict(c.to_dict()) == c
    assert c.to_dict()["milestones"] == []


def test_choices_of_a_literal():
    assert choices(Kind) == ("RNN", "LSTM")
    with pytest.raises(TypeError):
        choices(int)


def test_frozen():
    with pytest.raises(AttributeError):
        Example().epochs = 4
