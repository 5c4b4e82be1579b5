"""The conda environment and the pip requirements list the same pinned packages."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pins_from_requirements(path=ROOT / "requirements.txt"):
    out = {}
    for line in path.read_text().splitlines():
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


def test_assignment_requirements_are_pinned_subsets_of_the_course_requirements():
    """Does each assignment's own requirements.txt pin only course packages, at the course's versions?"""
    course = pins_from_requirements()
    for path in sorted(ROOT.glob("assignment*/requirements.txt")):
        own = pins_from_requirements(path)
        assert own, path
        for name, version in own.items():
            assert course.get(name) == version, f"{path}: {name}=={version}, the course pins {course.get(name)}"


def test_handout_environment_matches_its_requirements():
    """Is the environment.yml written into a handout the same pins as the requirements.txt beside it?"""
    from grader.handout import environment_yml

    req = ROOT / "assignment1" / "requirements.txt"
    env = yaml.safe_load(environment_yml(req, "x"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert dict(line.lower().split("==") for line in pip) == pins_from_requirements(req)
