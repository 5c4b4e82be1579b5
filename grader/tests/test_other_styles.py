"""Correct solutions in other styles than the reference get full marks; realistic bugs in those styles do not.

Each style (``fixtures/styles/<assignment>/<variant>/``) rewrites several student functions
of the reference in another way (loops where the reference vectorises, other stable
numerics, other but equivalent PyTorch calls, in-place writes, another call order); the
rest of the submission is the reference's (``fixtures/styles/splice.py``). Each is graded in
the full sandbox on the cases that reach the rewritten functions, and must pass every one
within its time limit: a correct loop must never run out of time, other valid rounding never
out of tolerance, and no case may rely on how the reference happens to be written.

Each bug is one realistic slip in such a style (an off-by-one loop bound, a missing stride,
``=`` for ``+=``, a forgotten mask or ReLU); it must lose the points of the case that
checks that behaviour, and only there.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from grader import oracle
from grader.casefiles import load_cases
from grader.check import reference_files
from grader.grade import grade
from grader.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]
STYLES = Path(__file__).resolve().parent / "fixtures" / "styles"

_spec = importlib.util.spec_from_file_location("styles_splice", STYLES / "splice.py")
splice = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(splice)

# assignment -> variant -> name prefixes of the cases that reach the rewritten functions.
STYLE_CASES: dict[str, dict[str, tuple[str, ...]]] = {
    "assignment1": {
        # functional.py, models.py and optim.py rewritten: every case reaches one of them.
        "loops": (
            "sigmoid",
            "relu",
            "softmax",
            "cross_entropy",
            "accuracy",
            "two_layer",
            "sgd",
            "regularization",
            "train",
        ),
    },
    "assignment2": {
        "loops": ("conv", "maxpool", "relu", "softmax_ce", "convnet"),  # layers.py
    },
    "assignment3": {
        "autograd": ("score_gradient", "saliency_map", "guided", "grad_cam", "gram_matrix", "tv_loss", "style_"),
    },
    "assignment4": {
        "loops": (
            "masked_softmax",
            "cosine_attention",
            "dot_attention",
            "decoder_step",
            "seq2seq",
            "masks",
            "mhsa",
            "transformer_translator",
        ),
    },
}


def _cases(manifest, prefixes: tuple[str, ...]) -> list[str]:
    names = [c.name for c, _ in load_cases(manifest)]
    for prefix in prefixes:  # a renamed case must not drop out of the check unnoticed
        assert any(n.startswith(prefix) for n in names), f"no case of {manifest.name} starts with {prefix!r}"
    return [n for n in names if n.startswith(prefixes)]


def _grade(assignment: str, files: dict[str, bytes], only: list[str]):
    manifest = load_manifest(ROOT / assignment)
    graded = grade(manifest, None, student_files=files, oracle_dir=oracle.cached(manifest), only=only)
    assert graded.status == "graded", graded.results["output"]
    by_case = {t["tags"][1]: t for t in graded.results["tests"]}
    assert sorted(by_case) == sorted(only)
    return graded, by_case


STYLE_PARAMS = [(a, v) for a, variants in STYLE_CASES.items() for v in variants]


@pytest.mark.parametrize(("assignment", "variant"), STYLE_PARAMS, ids=[f"{a}-{v}" for a, v in STYLE_PARAMS])
def test_other_style_gets_full_marks(assignment, variant, strict):
    """Does a correct solution written in another style pass every case it reaches, each within its limit?"""
    manifest = load_manifest(ROOT / assignment)
    files = splice.submission(assignment, variant)
    rewritten = {
        p.relative_to(STYLES / assignment / variant).as_posix() for p in (STYLES / assignment / variant).rglob("*.py")
    }
    reference = reference_files(manifest)
    assert rewritten and all(files[rel] != reference[rel] for rel in rewritten)  # the style is what gets graded
    only = _cases(manifest, STYLE_CASES[assignment][variant])
    graded, by_case = _grade(assignment, files, only)
    lost = {n: t["output"][:400] for n, t in by_case.items() if t["status"] != "passed"}
    assert not lost, lost
    assert graded.score == graded.max_score > 0
    slow = {n: (s, graded.limits[n]) for n, s in graded.seconds.items() if s > 0.5 * graded.limits[n]}
    assert not slow, f"correct code within a factor 2 of the time limit: {slow}"


# The per-example loop of TwoLayerNet.forward in the A1 style (SoftmaxRegression's has no `d /= N`).
_TWO_LAYER_LOOP = (
    "for i in range(N):\n            d = probs[i].copy()\n            d[y[i]] -= 1.0\n            d /= N\n"
)

# (assignment, variant, file, old text, new text, cases that must lose points, cases that must not)
BUGS = [
    (
        "assignment1",
        "loops",
        "mnist_mlp/models.py",
        _TWO_LAYER_LOOP,
        _TWO_LAYER_LOOP.replace("range(N)", "range(N - 1)"),
        ["two_layer_forward_relu"],
        ["softmax_regression_forward"],
    ),
    (
        "assignment1",
        "loops",
        "mnist_mlp/functional.py",
        "np.where(x >= 0, 1 / (1 + e), e / (1 + e))",
        "np.where(x >= 0, 1 / (1 + e), 1 / (1 + e))",
        ["sigmoid_values"],
        ["relu_values"],
    ),
    (
        "assignment2",
        "loops",
        "cifar_cnn/layers.py",
        "dxp[n, :, i * s : i * s + K, j * s : j * s + K] += self.w[f] * dout[n, f, i, j]",
        "dxp[n, :, i : i + K, j : j + K] += self.w[f] * dout[n, f, i, j]",
        ["conv_stride2"],
        ["conv_basic"],
    ),
    (
        "assignment2",
        "loops",
        "cifar_cnn/layers.py",
        "dx[n, c, i * s + u, j * s + v] += dout[n, c, i, j]",
        "dx[n, c, i * s + u, j * s + v] = dout[n, c, i, j]",
        ["maxpool_overlapping"],
        ["maxpool_2x2"],
    ),
    (
        "assignment3",
        "autograd",
        "cnn_vis/saliency.py",
        "keep = (x > 0) & (grad_output > 0)",
        "keep = grad_output > 0",
        ["guided_relu_forward_backward"],
        ["saliency_map_values"],
    ),
    (
        "assignment3",
        "autograd",
        "cnn_vis/saliency.py",
        'cam = F.relu(torch.einsum("nk,nkij->nij", alpha, A)).unsqueeze(1)',
        'cam = torch.einsum("nk,nkij->nij", alpha, A).unsqueeze(1)',
        ["grad_cam_values"],
        ["score_gradient_values"],
    ),
    (
        "assignment4",
        "loops",
        "nmt/transformer.py",
        "return cols > rows",
        "return cols >= rows",
        ["masks"],
        ["dot_attention_masked"],
    ),
    (
        "assignment4",
        "loops",
        "nmt/seq2seq.py",
        "for s in range(encoder_outputs.shape[1]):",
        "for s in range(encoder_outputs.shape[1] - 1):",
        ["decoder_step_rnn_cosine"],
        ["decoder_step_rnn_no_attention"],
    ),
]


@pytest.mark.parametrize("bug", BUGS, ids=[f"{b[0]}-{b[5][0]}" for b in BUGS])
def test_bug_in_other_style_loses_the_right_points(bug, strict):
    """Does a realistic bug in another style lose the points of the case that checks it, and only there?"""
    assignment, variant, rel, old, new, failing, passing = bug
    files = splice.submission(assignment, variant)
    text = files[rel].decode()
    assert text.count(old) == 1, f"{rel}: the bug's text must occur exactly once"
    files[rel] = text.replace(old, new).encode()
    _, by_case = _grade(assignment, files, failing + passing)
    for name in failing:
        assert by_case[name]["score"] < by_case[name]["max_score"], f"{name} missed the bug"
    for name in passing:
        assert by_case[name]["status"] == "passed", by_case[name]["output"][:400]


def test_splice_replaces_functions_and_methods_and_keeps_the_rest():
    """Does the splice put the fixture's functions and methods in place of the reference's, add its
    imports and helpers, and leave every other line alone?"""
    reference = (
        "import numpy as np\n\n\ndef f(x):\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\n\n\n"
        "class A:\n    def m(self):\n        return 1\n\n    def keep(self):\n        return 2\n\n\n"
        "def g():\n    return 3\n"
    )
    fixture = (
        '"""doc"""\n\nimport math\n\nimport numpy as np\n\n\ndef f(x):\n    return sum([x, 1])\n\n\n'
        "class A:\n    def m(self):\n        return _one()\n\n\ndef _one():\n    return math.floor(1.5)\n"
    )
    out = splice.splice(reference, fixture)
    namespace: dict = {}
    exec(compile(out, "spliced", "exec"), namespace)
    assert namespace["f"](1) == 2 and namespace["A"]().m() == 1 and namespace["A"]().keep() == 2
    assert namespace["g"]() == 3
    assert "return x + 1" not in out and "return sum([x, 1])" in out
    assert out.count("import numpy as np") == 1 and "import math" in out
    with pytest.raises(ValueError, match="no method"):
        splice.splice(reference, "class A:\n    def nope(self):\n        pass\n")


def test_what_student_modules_import_is_no_case_time(strict):
    """A correct file whose import is slow (it imports torch or matplotlib; here, it sleeps 3 s) is
    imported before the first case's clock runs: the quick first case keeps its 2 s limit."""
    files = splice.submission("assignment1", "loops")
    text = files["mnist_mlp/functional.py"].decode()
    slow = "import time\n\nimport numpy as np\n\ntime.sleep(3)\n"
    files["mnist_mlp/functional.py"] = text.replace("import numpy as np\n", slow, 1).encode()
    graded, by_case = _grade("assignment1", files, ["sigmoid_values", "relu_values"])
    assert graded.limits["sigmoid_values"] < 3
    assert all(t["status"] == "passed" for t in by_case.values()), {n: t["output"] for n, t in by_case.items()}


def test_a_module_that_kills_the_child_at_import_costs_only_the_cases_that_import_it(strict):
    """A file that ends the process when imported (here optim.py) fails the cases that need it; the
    child that imported every module up front is run again, importing as each case needs."""
    files = splice.submission("assignment1", "loops")
    files["mnist_mlp/optim.py"] = b"import os\n\nos._exit(3)\n" + files["mnist_mlp/optim.py"]
    _, by_case = _grade("assignment1", files, ["sigmoid_values", "sgd_step_plain", "relu_values"])
    assert by_case["sigmoid_values"]["status"] == "passed" and by_case["relu_values"]["status"] == "passed"
    assert by_case["sgd_step_plain"]["score"] == 0
