"""Comparison: shape first, then dtype, non-finite values, then the worst entry."""

import numpy as np

from grader.compare import compare_outputs


def test_equal_outputs_have_no_problem():
    """Do values within tolerance pass?"""
    a = np.linspace(0, 1, 12).reshape(3, 4)
    assert compare_outputs({"y": a + 1e-9}, {"y": a}, 1e-6, 1e-5, reveal=False) == []


def test_shape_mismatch_is_reported_before_values():
    """Does a transposed output say 'shape', not a value error?"""
    a = np.zeros((3, 4))
    (msg,) = compare_outputs({"y": a.T}, {"y": a}, 1e-6, 1e-5, reveal=False)
    assert "shape (4, 3), expected (3, 4)" in msg


def test_worst_entry_is_located_and_hidden_values_stay_hidden():
    """Is the worst entry's index given, and the expected value shown only when revealed?"""
    exp = np.arange(6.0).reshape(2, 3)
    got = exp.copy()
    got[1, 2] += 0.5
    got[0, 1] += 0.001
    (hidden,) = compare_outputs({"y": got}, {"y": exp}, 1e-6, 1e-5, reveal=False)
    assert "(1, 2)" in hidden and "expected" not in hidden.split("outside")[1]
    (shown,) = compare_outputs({"y": got}, {"y": exp}, 1e-6, 1e-5, reveal=True)
    assert "expected 5" in shown


def test_nan_where_a_number_is_expected_fails():
    """Does a NaN fail even though NaN comparisons are always False?"""
    got = np.array([1.0, np.nan])
    (msg,) = compare_outputs({"y": got}, {"y": np.array([1.0, 2.0])}, 1e-6, 1e-5, reveal=False)
    assert "NaN" in msg


def test_dtype_kind_must_match():
    """Are integer labels refused when floats are expected (and vice versa)?"""
    (msg,) = compare_outputs({"y": np.array([1, 2])}, {"y": np.array([1.0, 2.0])}, 1e-6, 1e-5, reveal=False)
    assert "dtype" in msg


def test_missing_and_extra_keys_are_named():
    """Are missing and unexpected outputs both reported by name?"""
    probs = compare_outputs(
        {"a": np.zeros(1), "zz": np.zeros(1)}, {"a": np.zeros(1), "b": np.zeros(1)}, 1e-6, 1e-5, reveal=False
    )
    assert any("missing outputs: b" in p for p in probs) and any("unexpected outputs: zz" in p for p in probs)


def test_shapes_are_printed_as_plain_integers():
    """Does a shape made of NumPy integers print as (3, 10), not (np.int64(3), np.int64(10))?"""
    from grader.compare import shape_text

    assert shape_text(np.array([3, 10])) == "(3, 10)"
    assert shape_text((np.int64(3), np.int64(10))) == "(3, 10)"


def test_exact_dtype_rejects_a_wider_float():
    """With exact_dtype, is float64 out for a float32 promise an error, while without it the kind suffices?"""
    exp = np.zeros(3, dtype=np.float32)
    got = np.zeros(3, dtype=np.float64)
    assert compare_outputs({"y": got}, {"y": exp}, 1e-6, 1e-5, reveal=False) == []
    (msg,) = compare_outputs({"y": got}, {"y": exp}, 1e-6, 1e-5, reveal=False, exact_dtype=True)
    assert msg == "y: dtype float64, expected float32 (the dtype of the input)"


def test_a_scalar_integer_that_differs_fails():
    """Is a 0-d integer or bool output compared (np.argwhere of a 0-d array finds nothing)?"""
    for got, exp in ((np.array(2), np.array(0)), (np.array(True), np.array(False))):
        (msg,) = compare_outputs({"steps": got}, {"steps": exp}, 1e-6, 1e-5, reveal=True)
        assert "1 of 1 entries differ" in msg and f"expected {exp}" in msg
        (hidden,) = compare_outputs({"steps": got}, {"steps": exp}, 1e-6, 1e-5, reveal=False)
        assert "differ" in hidden and "expected" not in hidden
    assert compare_outputs({"steps": np.array(3)}, {"steps": np.array(3)}, 1e-6, 1e-5, reveal=False) == []
