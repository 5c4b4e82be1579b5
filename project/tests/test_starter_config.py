"""The starter's typed config: YAML overrides, unknown keys and wrong types refused by name, 1e-3 as a float."""

from __future__ import annotations

from pathlib import Path

import pytest

from project.starter.config import ConfigError, ExperimentConfig

load_config = ExperimentConfig.load

CONFIGS = Path(__file__).resolve().parents[1] / "starter" / "configs"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


def test_1e_minus_3_is_read_as_a_float(tmp_path):
    """Is 'learning_rate: 1e-3' (a string to PyYAML) read as the float 0.001?"""
    config = load_config(write(tmp_path, "learning_rate: 1e-3\nweight_decay: 5e-4\n"))
    assert config.learning_rate == 0.001 and isinstance(config.learning_rate, float)
    assert config.weight_decay == 0.0005


def test_an_unknown_key_is_refused_naming_the_key_and_the_file(tmp_path):
    """Does a misspelt key raise ConfigError naming the key and the file?"""
    path = write(tmp_path, "learnig_rate: 0.1\n")
    with pytest.raises(ConfigError, match=r"exp\.yaml: unknown key \['learnig_rate'\]"):
        load_config(path)


def test_a_value_of_the_wrong_type_is_refused_naming_the_field(tmp_path):
    """Do 'epochs: ten' and 'batch_size: true' raise ConfigError naming the field?"""
    with pytest.raises(ConfigError, match=r"epochs: expected an integer, got 'ten'"):
        load_config(write(tmp_path, "epochs: ten\n"))
    with pytest.raises(ConfigError, match=r"batch_size: expected an integer, got True"):
        load_config(write(tmp_path, "batch_size: true\n"))


def test_a_string_that_is_no_number_is_refused_for_a_float(tmp_path):
    """Does 'learning_rate: fast' raise ConfigError naming the field and the value?"""
    with pytest.raises(ConfigError, match=r"learning_rate: expected a number, got 'fast'"):
        load_config(write(tmp_path, "learning_rate: fast\n"))


def test_an_empty_file_means_the_defaults(tmp_path):
    """Is an empty YAML file the default config?"""
    assert load_config(write(tmp_path, "")) == ExperimentConfig()


def test_the_config_is_frozen():
    """Can a config not be changed in place (replace gives a checked copy)?"""
    config = ExperimentConfig()
    with pytest.raises(AttributeError):
        config.epochs = 3  # type: ignore[misc]
    with pytest.raises(ConfigError, match="epochs: expected > 0, got 0"):
        config.replace(epochs=0)


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_configs_load(path: Path):
    """Does every config in starter/configs load?"""
    assert load_config(path).name == path.stem
