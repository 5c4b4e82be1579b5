"""The rubric as data: its totals, and that malformed rubrics are refused with a message naming the fault."""

from __future__ import annotations

import copy

import pytest
import yaml

from project.rubric import RUBRIC_PATH, RubricError, load_rubric, parse_rubric

RAW = yaml.safe_load(RUBRIC_PATH.read_text(encoding="utf-8"))


def test_the_items_add_up_to_60_points():
    """Do the rubric's items add up to the 60 points it declares?"""
    rubric = load_rubric()
    assert rubric.total == 60
    assert sum(item.points for item in rubric.items()) == 60


def test_the_points_per_part_are_the_course_rubric():
    """Are the parts worth 15 (introduction), 15 (approach), 10 (experiments), 20 (presentation, understanding)?"""
    rubric = load_rubric()
    assert {s.id: s.points for s in rubric.sections} == {
        "intro": 15,
        "approach": 15,
        "experiments": 10,
        "presentation": 20,
    }
    assert {i.id: i.points for i in rubric.items()} == {
        "intro_what": 5,
        "intro_today": 5,
        "intro_who": 5,
        "approach_what": 10,
        "approach_problems": 5,
        "experiments_results": 10,
        "figures": 5,
        "clarity": 5,
        "understanding": 10,
    }


def test_sheet_columns_carry_the_maximum():
    """Is an item's sheet column its id with its maximum, e.g. 'intro_what (5)'?"""
    assert [i.column for i in load_rubric().items()][:2] == ["intro_what (5)", "intro_today (5)"]


def test_a_total_that_disagrees_with_the_items_is_refused():
    """Does a rubric whose items do not add up to its total raise an error giving both numbers?"""
    raw = copy.deepcopy(RAW)
    raw["sections"][0]["items"][0]["points"] = 6
    with pytest.raises(RubricError, match="add up to 61 points, but total says 60"):
        parse_rubric(raw)


def test_an_unknown_key_is_refused_by_name():
    """Is a misspelt item key reported by its name and place?"""
    raw = copy.deepcopy(RAW)
    raw["sections"][1]["items"][0]["pionts"] = raw["sections"][1]["items"][0].pop("points")
    with pytest.raises(RubricError, match=r"sections\[1\]\.items\[0\].*unknown keys \['pionts'\]"):
        parse_rubric(raw)
