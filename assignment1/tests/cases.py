"""Public cases of assignment 1: run by `make test` here and by the autograder, compared the same way.

Each case builds its inputs on the trusted side (from a generator seeded by the case's name),
calls your code through a small ``run_*`` (or ``_run_*``) function below, and compares what comes back with
the reference solution's outputs. Model parameters are injected (set in ``model.params``), so
your initialisation never matters here. Read a ``_run_*`` function to see exactly how your
code is called. The hidden cases call your code the same way, with other shapes, seeds and
edge cases.
"""

from __future__ import annotations

import types

import numpy as np

from grader.cases import Case

# The helpers the hidden cases (grading/cases.py) import too.
__all__ = [
    "CASES",
    "TOL",
    "build_softmax_regression",
    "build_two_layer",
    "check_model_grads",
    "labels",
    "params_inputs",
    "run_accuracy",
    "run_minibatches",
    "run_reg_loss",
    "run_sgd",
    "run_softmax_regression",
    "run_two_layer_forward",
    "softmax_regression",
    "split_arrays",
    "two_layer",
    "two_layer_inputs",
    "with_zeros",
]

# Everything here is float64 NumPy, where correct implementations agree to about 1e-15: these
# tolerances leave room for other valid orders of operations, and none for a fudge like adding
# 1e-6 to a probability (the default 1e-6 absolute would let that pass).
TOL = {"atol": 1e-9, "rtol": 1e-7}

# --------------------------------------------------------------------------- helpers


def labels(rng: np.random.Generator, N: int, K: int) -> np.ndarray:
    return rng.integers(0, K, size=N)


def two_layer_inputs(N: int, D: int, H: int, K: int, scale: float = 1.0, x_scale: float = 1.0):
    def inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {
            "X": x_scale * rng.standard_normal((N, D)),
            "y": labels(rng, N, K),
            "W1": scale * rng.standard_normal((D, H)) / np.sqrt(D),
            "b1": 0.1 * rng.standard_normal(H),
            "W2": scale * rng.standard_normal((H, K)) / np.sqrt(H),
            "b2": 0.1 * rng.standard_normal(K),
        }

    return inputs


def two_layer(activation: str, W1, b1, W2, b2):
    from mnist_mlp.models import TwoLayerNet

    D, H = W1.shape
    # float64 like the injected weights: a forward that writes into the arrays self.grads
    # already holds (made by __init__ in the model's dtype) must keep float64 precision.
    model = TwoLayerNet(D, H, W2.shape[1], activation=activation, rng=np.random.default_rng(0), dtype=np.float64)
    model.params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return model


def check_model_grads(build, tol: float = 1e-5):
    """verify hook: the reference's analytic gradients match centred differences (float64)."""

    def verify(inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> None:
        from grader.gradcheck import assert_gradient_close, numerical_gradient

        model = build(inputs)
        X, y = inputs["X"], inputs["y"]
        for key, param in model.params.items():
            num = numerical_gradient(lambda: model.forward(X, y, train=False)[0], param)
            assert_gradient_close(outputs[f"grads.{key}"], num, key, tol)

    return verify


# --------------------------------------------------------------------------- functional.py


def _run_elementwise(x, fn):
    import mnist_mlp.functional as F

    return {"out": getattr(F, fn)(x)}


def _run_softmax(logits):
    from mnist_mlp.functional import softmax

    return {"probs": softmax(logits)}


def _run_cross_entropy(probs, y):
    from mnist_mlp.functional import cross_entropy

    return {"loss": float(cross_entropy(probs, y))}


def run_accuracy(scores, y):
    from mnist_mlp.functional import accuracy

    return {"accuracy": float(accuracy(scores, y))}


def with_zeros(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """Normal entries times ``scale``, a third of them set to exactly 0 (where ReLU's derivative is taken as 0)."""
    x = scale * rng.standard_normal(shape)
    x[rng.random(shape) < 1 / 3] = 0.0
    return x


# --------------------------------------------------------------------------- models.py


def softmax_regression(W, b):
    """A SoftmaxRegression with ``W`` and ``b`` injected, in float64 like them (see ``two_layer``)."""
    from mnist_mlp.models import SoftmaxRegression

    model = SoftmaxRegression(W.shape[0], W.shape[1], rng=np.random.default_rng(0), dtype=np.float64)
    model.params = {"W": W, "b": b}
    return model


def run_softmax_regression(X, y, W, b, train):
    model = softmax_regression(W, b)
    loss, acc = model.forward(X, y, train=bool(train))
    return {"loss": float(loss), "accuracy": float(acc), "grads": dict(model.grads)}


def build_softmax_regression(inputs):
    return softmax_regression(inputs["W"].copy(), inputs["b"].copy())


def _run_two_layer_scores(X, W1, b1, W2, b2, activation):
    scores, _ = two_layer(activation, W1, b1, W2, b2).forward_scores(X)
    return {"scores": scores}


def run_two_layer_forward(X, y, W1, b1, W2, b2, activation):
    model = two_layer(activation, W1, b1, W2, b2)
    loss, acc = model.forward(X, y, train=True)
    return {"loss": float(loss), "accuracy": float(acc), "grads": dict(model.grads)}


def build_two_layer(activation):
    return lambda inputs: two_layer(activation, *(inputs[k].copy() for k in ("W1", "b1", "W2", "b2")))


# --------------------------------------------------------------------------- optim.py


def params_inputs(shapes: dict[str, tuple[int, ...]], steps: int, zero_grads: bool = False):
    """Parameters ``p_<key>`` and, for each step t, gradients ``g<t>_<key>`` of the given shapes."""

    def inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
        out = {f"p_{k}": rng.standard_normal(s) for k, s in shapes.items()}
        for t in range(steps):
            out |= {f"g{t}_{k}": np.zeros(s) if zero_grads else rng.standard_normal(s) for k, s in shapes.items()}
        return out

    return inputs


def _sgd_inputs(steps: int):
    return params_inputs({"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}, steps)


def split_arrays(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays whose names start with ``prefix``, under the rest of their names."""
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def run_sgd(steps, learning_rate, reg, momentum, lr_decay=1.0, **arrays):
    """``steps`` steps; after each, ``opt.learning_rate *= lr_decay`` (as the given train loop decays it)."""
    from mnist_mlp.optim import SGD

    model = types.SimpleNamespace(params=split_arrays(arrays, "p_"), grads={})
    opt = SGD(learning_rate, reg=reg, momentum=momentum)
    out = {}
    for t in range(steps):
        model.grads = split_arrays(arrays, f"g{t}_")
        opt.step(model)
        out[f"after_step{t + 1}"] = {k: v.copy() for k, v in model.params.items()}
        opt.learning_rate *= lr_decay
    return out


def run_reg_loss(reg, **arrays):
    from mnist_mlp.optim import SGD

    model = types.SimpleNamespace(params=split_arrays(arrays, "p_"), grads={})
    return {"reg_loss": float(SGD(0.1, reg=reg).regularization_loss(model))}


# --------------------------------------------------------------------------- training.py


def run_minibatches(X, y, batch_size, seed, epochs=1, shuffle=True):
    from mnist_mlp.training import iterate_minibatches

    rng = np.random.default_rng(seed)
    out = {}
    for epoch in range(epochs):
        batches = list(iterate_minibatches(X, y, batch_size, rng, shuffle=shuffle))
        out[f"epoch{epoch + 1}"] = {
            "X": np.concatenate([b[0] for b in batches]),
            "y": np.concatenate([b[1] for b in batches]),
            "batch_sizes": np.array([len(b[1]) for b in batches]),
        }
    return out


def _run_train_epoch(X, y, W1, b1, W2, b2, batch_size, epochs, learning_rate, reg, momentum):
    """Batches are cut here, in a fixed order, so only train_epoch (and what it calls) is tested."""
    from mnist_mlp.optim import SGD
    from mnist_mlp.training import train_epoch

    model = two_layer("relu", W1, b1, W2, b2)
    opt = SGD(learning_rate, reg=reg, momentum=momentum)
    batches = [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(y), batch_size)]
    losses, accs = [], []
    for _ in range(epochs):
        loss, acc = train_epoch(model, opt, iter(batches))
        losses.append(float(loss))
        accs.append(float(acc))
    return {"loss": np.array(losses), "accuracy": np.array(accs), "params": dict(model.params)}


CASES = [
    # functional.py
    Case(
        "sigmoid_values",
        "sigmoid: values on a (4, 5) matrix",
        _run_elementwise,
        inputs=lambda rng: {"x": 3 * rng.standard_normal((4, 5))},
        params={"fn": "sigmoid"},
        **TOL,
    ),
    Case(
        "sigmoid_grad_values",
        "sigmoid_grad: derivative at each entry of a (4, 5) matrix",
        _run_elementwise,
        inputs=lambda rng: {"x": 3 * rng.standard_normal((4, 5))},
        params={"fn": "sigmoid_grad"},
        **TOL,
    ),
    Case(
        "relu_values",
        "relu: values on a (3, 7) matrix with some exact zeros",
        _run_elementwise,
        inputs=lambda rng: {"x": with_zeros(rng, (3, 7))},
        params={"fn": "relu"},
        **TOL,
    ),
    Case(
        "relu_grad_values",
        "relu_grad: 1 where x > 0, else 0 (also 0 at x == 0), as floats",
        _run_elementwise,
        inputs=lambda rng: {"x": with_zeros(rng, (3, 7))},
        params={"fn": "relu_grad"},
        **TOL,
    ),
    Case(
        "softmax_values",
        "softmax: probabilities of a (4, 6) matrix of logits, rows sum to 1",
        _run_softmax,
        inputs=lambda rng: {"logits": 2 * rng.standard_normal((4, 6))},
        **TOL,
    ),
    Case(
        "cross_entropy_values",
        "cross_entropy: mean loss of (5, 4) probabilities",
        _run_cross_entropy,
        inputs=lambda rng: {"probs": rng.dirichlet(np.ones(4), size=5), "y": labels(rng, 5, 4)},
        **TOL,
    ),
    Case(
        "accuracy_values",
        "accuracy: fraction of (8, 3) score rows whose argmax is the label",
        run_accuracy,
        inputs=lambda rng: {"scores": rng.standard_normal((8, 3)), "y": labels(rng, 8, 3)},
        **TOL,
    ),
    # models.py
    Case(
        "softmax_regression_forward",
        "SoftmaxRegression.forward(train=True): loss, accuracy and grads, N=5 D=7 K=3",
        run_softmax_regression,
        inputs=lambda rng: {
            "X": rng.standard_normal((5, 7)),
            "y": labels(rng, 5, 3),
            "W": 0.5 * rng.standard_normal((7, 3)),
            "b": 0.1 * rng.standard_normal(3),
            "train": np.array(True),
        },
        points=3,
        verify=check_model_grads(build_softmax_regression),
        **TOL,
    ),
    Case(
        "two_layer_scores_relu",
        "TwoLayerNet.forward_scores (relu): scores, N=6 D=7 H=5 K=3",
        _run_two_layer_scores,
        inputs=lambda rng: {k: v for k, v in two_layer_inputs(6, 7, 5, 3)(rng).items() if k != "y"},
        params={"activation": "relu"},
        points=2,
        **TOL,
    ),
    Case(
        "two_layer_forward_relu",
        "TwoLayerNet.forward(train=True) (relu): loss, accuracy and grads, N=6 D=7 H=5 K=3",
        run_two_layer_forward,
        inputs=two_layer_inputs(6, 7, 5, 3),
        params={"activation": "relu"},
        points=3,
        verify=check_model_grads(build_two_layer("relu")),
        **TOL,
    ),
    # optim.py
    Case(
        "sgd_step_plain",
        "SGD.step: one plain step (reg=0, momentum=0) updates every parameter",
        run_sgd,
        inputs=_sgd_inputs(1),
        params={"steps": 1, "learning_rate": 0.1, "reg": 0.0, "momentum": 0.0},
        **TOL,
    ),
    Case(
        "sgd_momentum_reg",
        "SGD.step: three steps with momentum=0.9 and reg=0.05 (weights only)",
        run_sgd,
        inputs=_sgd_inputs(3),
        params={"steps": 3, "learning_rate": 0.1, "reg": 0.05, "momentum": 0.9},
        points=2,
        **TOL,
    ),
    Case(
        "sgd_momentum_lr_decay",
        "SGD.step: momentum=0.9, learning rate halved after each step; v holds -learning_rate * g' (not PyTorch's v)",
        run_sgd,
        inputs=_sgd_inputs(3),
        params={"steps": 3, "learning_rate": 0.2, "reg": 0.0, "momentum": 0.9, "lr_decay": 0.5},
        **TOL,
    ),
    Case(
        "regularization_loss_values",
        "SGD.regularization_loss: 0.5 * reg * sum of squared weights (W1, W2; not biases)",
        run_reg_loss,
        inputs=_sgd_inputs(0),
        params={"reg": 0.3},
        **TOL,
    ),
    # training.py
    Case(
        "minibatches_partial_last",
        "iterate_minibatches: N=10, batch_size=4 -> batches of 4, 4, 2 in rng.permutation order",
        run_minibatches,
        inputs=lambda rng: {"X": rng.standard_normal((10, 3)), "y": np.arange(10)},
        params={"batch_size": 4, "seed": 7},
        points=2,
        **TOL,
    ),
    Case(
        "train_epoch_two_epochs",
        "train_epoch: two epochs of a small TwoLayerNet; example-weighted loss and accuracy, final params",
        _run_train_epoch,
        inputs=two_layer_inputs(11, 6, 5, 3),
        params={"batch_size": 4, "epochs": 2, "learning_rate": 0.1, "reg": 0.01, "momentum": 0.9},
        points=3,
        **TOL,
    ),
]
