"""The numerical gradient checker agrees with closed forms and leaves its input intact."""

import numpy as np
import pytest

from grader.gradcheck import assert_gradient_close, numerical_gradient


def test_gradient_of_weighted_tanh_matches_closed_form():
    """Is d/dx sum(tanh(x) * dout) = (1 - tanh^2) * dout reproduced?"""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    num = numerical_gradient(lambda: np.tanh(x), x, dout)
    assert_gradient_close((1 - np.tanh(x) ** 2) * dout, num, "tanh", tol=1e-7)


def test_input_is_restored_even_when_f_raises():
    """After an exception in f, is x exactly as it was?"""
    x = np.arange(4.0)
    before = x.copy()
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return x.sum()

    with pytest.raises(RuntimeError):
        numerical_gradient(f, x)
    assert np.array_equal(x, before)


def test_wrong_gradient_is_caught():
    """Does a gradient off by a factor of two fail the check?"""
    x = np.linspace(-1, 1, 5)
    num = numerical_gradient(lambda: np.sum(x**2), x)
    with pytest.raises(AssertionError, match="relative error"):
        assert_gradient_close(x, num, "square")


def test_float32_is_refused():
    """Is a float32 input refused (centred differences need float64)?"""
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(2, dtype=np.float32))
