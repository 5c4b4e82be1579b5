"""Solution markers: the grammar is strict and the stub keeps the module importable."""

import pytest

from grader.markers import MarkerError, find_regions, only_solutions, strip_solutions

SOURCE = '''import numpy as np


class Net:
    def forward(self, x):
        """Doc."""
        # BEGIN SOLUTION
        y = x * 2
        return y
        # END SOLUTION


def relu(x):
    # BEGIN SOLUTION
    return np.maximum(x, 0)
    # END SOLUTION
'''


def lines(text):
    return text.splitlines(keepends=True)


def test_stub_replaces_each_region_and_names_the_function():
    """Does each region become one raise naming Class.method, at the marker's indentation?"""
    out = "".join(strip_solutions(lines(SOURCE)))
    assert "x * 2" not in out and "np.maximum" not in out
    assert '        raise NotImplementedError("Net.forward: not implemented yet' in out
    assert '    raise NotImplementedError("relu: not implemented yet' in out
    namespace = {}
    exec(compile(out, "stub.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="relu"):
        namespace["relu"](1)


def test_only_solutions_drops_markers_and_keeps_code():
    """Is the reference, as a student would write it, the source without marker lines?"""
    out = "".join(only_solutions(lines(SOURCE)))
    assert "BEGIN SOLUTION" not in out and "return np.maximum(x, 0)" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    # END SOLUTION\n", "inside the region"),
        ("def f():\n    # END SOLUTION\n", "without a BEGIN"),
        ("def f():\n    # BEGIN SOLUTION\n    pass\n", "never closed"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function"),
        ("def f():\n    # BEGIN SOLUTION\n        pass\n        # END SOLUTION\n", "indented differently"),
        ("def f():\n    #BEGIN SOLUTION\n    pass\n", "malformed"),
        ("def f():\n    x = 1  # BEGIN SOLUTION\n", "malformed"),
    ],
)
def test_malformed_markers_are_refused_with_file_and_line(text, message):
    """Are nested, unmatched, module-level and inline markers errors naming file:line?"""
    with pytest.raises(MarkerError, match=message) as info:
        find_regions(lines(text), "f.py")
    assert "f.py:" in str(info.value)
