"""The conda environment and the pip requirements list the same pinned packages."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pins_from_requirements():
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not pinned with =="
            out[name.lower()] = version
    return out


def test_environment_yml_mirrors_requirements():
    """Does environment.yml pin exactly the packages and versions of requirements.txt, on Python 3.11?"""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    pins = {}
    for line in pip:
        name, _, version = line.partition("==")
        pins[name.lower()] = version
    assert pins == pins_from_requirements()
