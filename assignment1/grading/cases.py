"""Hidden cases of assignment 1: other shapes, seeds and edge cases, and a short training run.

Never part of the handout. Same conventions as tests/cases.py, whose helpers this file
imports (the grader loads the public file first, as ``public_cases``): inputs built here from
the case's generator, parameters injected, student modules imported only inside ``_run_*``.
"""

from __future__ import annotations

import types

import numpy as np
from public_cases import (  # the public case file, loaded first under this name
    TOL,
    build_softmax_regression,
    build_two_layer,
    check_model_grads,
    labels,
    params_inputs,
    run_accuracy,
    run_minibatches,
    run_reg_loss,
    run_sgd,
    run_softmax_regression,
    run_two_layer_forward,
    softmax_regression,
    split_arrays,
    two_layer,
    two_layer_inputs,
    with_zeros,
)

from grader.cases import Case

# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- functional.py


def _run_elementwise_unchanged(x, fn):
    """Calls ``fn(x)`` and also returns ``x`` afterwards: it must not have been modified."""
    import mnist_mlp.functional as F

    before = x.copy()
    out = getattr(F, fn)(x)
    return {"out": out, "x_after_minus_before": x - before}


def _run_softmax_unchanged(logits):
    from mnist_mlp.functional import softmax

    before = logits.copy()
    probs = softmax(logits)
    return {"probs": probs, "logits_after_minus_before": logits - before}


def _run_cross_entropy(probs, y):
    from mnist_mlp.functional import cross_entropy

    before = probs.copy()
    loss = cross_entropy(probs, y)
    return {"loss": float(loss), "probs_after_minus_before": probs - before}


def _run_softmax_cross_entropy(logits, y):
    from mnist_mlp.functional import cross_entropy, softmax

    probs = softmax(logits)
    return {"probs": probs, "loss": float(cross_entropy(probs, y))}


def _huge_logits(rng: np.random.Generator, N: int, K: int) -> np.ndarray:
    """Logits of magnitude about 1e4: exp overflows unless each row's maximum is subtracted."""
    return 1e4 * rng.standard_normal((N, K)) + rng.standard_normal((N, 1)) * 1e4


# --------------------------------------------------------------------------- models.py


def _run_softmax_regression_eval(X, y, W, b, gW, gb):
    """train=False: loss and accuracy; the gradients must stay what they were (here gW, gb)."""
    model = softmax_regression(W, b)
    model.grads = {"W": gW.copy(), "b": gb.copy()}
    loss, acc = model.forward(X, y, train=False)
    return {"loss": float(loss), "accuracy": float(acc), "grads": dict(model.grads)}


def _run_predict_softmax_regression(X, W, b):
    model = softmax_regression(W, b)
    scores, _ = model.forward_scores(X)
    return {"scores": scores, "pred": model.predict(X)}


def _run_two_layer_eval(X, y, W1, b1, W2, b2, activation, **grads):
    """train=False: loss and accuracy; the gradients must stay what they were (the g_* inputs)."""
    model = two_layer(activation, W1, b1, W2, b2)
    model.grads = {k: grads[f"g_{k}"].copy() for k in ("W1", "b1", "W2", "b2")}
    loss, acc = model.forward(X, y, train=False)
    return {"loss": float(loss), "accuracy": float(acc), "grads": dict(model.grads)}


def _with_grads(make):
    def inputs(rng):
        arrays = make(rng)
        return arrays | {f"g_{k}": rng.standard_normal(arrays[k].shape) for k in ("W1", "b1", "W2", "b2")}

    return inputs


def _run_two_layer_unchanged(X, y, W1, b1, W2, b2, activation):
    """forward(train=True) must change neither X nor the parameters."""
    before = {k: v.copy() for k, v in {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}
    model = two_layer(activation, W1, b1, W2, b2)
    loss, _ = model.forward(X, y, train=True)
    after = {"X": X, **model.params}
    return {"loss": float(loss), "changed": {k: after[k] - before[k] for k in before}}


def _run_two_layer_predict(X, W1, b1, W2, b2, activation):
    model = two_layer(activation, W1, b1, W2, b2)
    scores, _ = model.forward_scores(X)
    return {"scores": scores, "pred": model.predict(X)}


# --------------------------------------------------------------------------- optim.py


def _run_sgd_in_place(learning_rate, **arrays):
    """step must update the very arrays in model.params (a model may hold references to them)."""
    from mnist_mlp.optim import SGD

    params = split_arrays(arrays, "p_")
    model = types.SimpleNamespace(params=dict(params), grads=split_arrays(arrays, "g0_"))
    SGD(learning_rate, momentum=0.5).step(model)
    return {"same_object": np.array([model.params[k] is params[k] for k in sorted(params)]), "params": params}


# --------------------------------------------------------------------------- training.py


def _run_train_epoch_softmax(X, y, W, b, batch_size, learning_rate, reg, momentum):
    from mnist_mlp.optim import SGD
    from mnist_mlp.training import train_epoch

    model = softmax_regression(W, b)
    opt = SGD(learning_rate, reg=reg, momentum=momentum)
    batches = [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(y), batch_size)]
    loss, acc = train_epoch(model, opt, iter(batches))
    return {"loss": float(loss), "accuracy": float(acc), "params": dict(model.params)}


def _run_train_history(X, y, X_val, y_val, W1, b1, W2, b2, seed, config):
    """The given loop (training.train) around your iterate_minibatches, train_epoch, SGD and model.

    ``config`` holds every field ``train`` reads, as a plain namespace: the child imports no
    config module (TrainConfig needs trainkit, which the child does not carry)."""
    from mnist_mlp.optim import SGD
    from mnist_mlp.training import Split, train

    cfg = types.SimpleNamespace(**config)
    model = two_layer(cfg.activation, W1, b1, W2, b2)
    opt = SGD(cfg.learning_rate, reg=cfg.reg, momentum=cfg.momentum)
    history = train(model, opt, Split(X, y, X_val, y_val), cfg, np.random.default_rng(int(seed)), progress=False)
    keep = ("train_loss", "train_acc", "val_loss", "val_acc", "reg_loss")
    return {"history": {k: np.array(history[k]) for k in keep}, "params": dict(model.params)}


# --- the training case: your TwoLayerNet, SGD, batches and train_epoch on real digits

_TRAIN_N, _EVAL_N, _HIDDEN = 1500, 500, 100


def _mnist_sample_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    from mnist_mlp.data import SAMPLE_DIR, load_mnist  # staff module: fine on the trusted side

    data = load_mnist(SAMPLE_DIR)
    D, H, K = data.X_train.shape[1], _HIDDEN, 10
    return {
        "X": data.X_train[:_TRAIN_N].astype(np.float64),
        "y": data.y_train[:_TRAIN_N],
        "X_eval": data.X_test[:_EVAL_N].astype(np.float64),
        "y_eval": data.y_test[:_EVAL_N],
        "W1": np.sqrt(2.0 / D) * rng.standard_normal((D, H)),
        "b1": np.zeros(H),
        "W2": np.sqrt(2.0 / H) * rng.standard_normal((H, K)),
        "b2": np.zeros(K),
    }


def _mnist_heldout_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The graded run: the same training digits, evaluated on 500 held-out test digits that are
    not in the handout (``grading/data``, made by ``grading/make_heldout.py``; trusted side only)."""
    from pathlib import Path

    inputs = _mnist_sample_inputs(rng)
    with np.load(Path(__file__).resolve().parent / "data" / "mnist_heldout.npz") as held:
        order = rng.permutation(held["labels"].shape[0])[:_EVAL_N]  # in an order the student cannot know either
        inputs["X_eval"] = (held["images"][order].astype(np.float32) / np.float32(255.0)).astype(np.float64)
        inputs["y_eval"] = held["labels"][order]
    return inputs


def _run_train_mnist(X, y, X_eval, W1, b1, W2, b2, epochs, batch_size, learning_rate, reg, momentum, seed):
    from mnist_mlp.optim import SGD
    from mnist_mlp.training import iterate_minibatches, train_epoch

    model = two_layer("relu", W1, b1, W2, b2)
    opt = SGD(learning_rate, reg=reg, momentum=momentum)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        train_epoch(model, opt, iterate_minibatches(X, y, batch_size, rng))
    return {"pred": np.asarray(model.predict(X_eval))}


_FULL_AT, _HALF_AT = 0.85, 0.70


def _score_mnist(got, expected, secret):
    y = secret["y_eval"]
    pred = got.get("pred")
    if pred is None or pred.shape != y.shape:
        return 0.0, f"pred: expected shape {y.shape}, got {None if pred is None else pred.shape}"
    acc = float(np.mean(pred == y))
    if acc >= _FULL_AT:
        return 1.0, f"held-out accuracy {acc:.3f} >= {_FULL_AT}: full credit"
    if acc >= _HALF_AT:
        return 0.5, f"held-out accuracy {acc:.3f}: half credit (full credit from {_FULL_AT})"
    return (
        0.0,
        f"held-out accuracy {acc:.3f} < {_HALF_AT}: no credit (half from {_HALF_AT}, full from {_FULL_AT})",
    )


CASES = [
    # functional.py
    Case(
        "sigmoid_float32_unchanged",
        "sigmoid: float32 (6, 3) input with large entries; input not modified",
        _run_elementwise_unchanged,
        inputs=lambda rng: {"x": (10 * rng.standard_normal((6, 3))).astype(np.float32)},
        params={"fn": "sigmoid"},
        atol=1e-6,
        rtol=1e-5,
    ),
    Case(
        "sigmoid_grad_wide_range",
        "sigmoid_grad: entries from -30 to 30 on a (2, 9) matrix; input not modified",
        _run_elementwise_unchanged,
        inputs=lambda rng: {"x": np.linspace(-30, 30, 18).reshape(2, 9) + 0.1 * rng.standard_normal((2, 9))},
        params={"fn": "sigmoid_grad"},
        **TOL,
    ),
    Case(
        "relu_unchanged",
        "relu: (5, 2, 3) input with zeros and small values; input not modified",
        _run_elementwise_unchanged,
        inputs=lambda rng: {"x": with_zeros(rng, (5, 2, 3), 0.5)},
        params={"fn": "relu"},
        **TOL,
    ),
    Case(
        "relu_grad_float32",
        "relu_grad: float32 input with exact zeros; same dtype out; input not modified",
        _run_elementwise_unchanged,
        inputs=lambda rng: {"x": with_zeros(rng, (4, 6), 0.5).astype(np.float32)},
        params={"fn": "relu_grad"},
        exact_dtype=True,
    ),
    Case(
        "softmax_huge_logits",
        "softmax: logits about 1e4 in size must give finite probabilities; input not modified",
        _run_softmax_unchanged,
        inputs=lambda rng: {"logits": _huge_logits(rng, 3, 5)},
        points=2,
        **TOL,
    ),
    Case(
        "softmax_single_row",
        "softmax: a batch of one row (1, 10)",
        _run_softmax_unchanged,
        inputs=lambda rng: {"logits": 3 * rng.standard_normal((1, 10))},
        **TOL,
    ),
    Case(
        "softmax_tall",
        "softmax: a (9, 2) matrix with shifted rows",
        _run_softmax_unchanged,
        inputs=lambda rng: {"logits": rng.standard_normal((9, 2)) + 5 * rng.standard_normal((9, 1))},
        **TOL,
    ),
    Case(
        "cross_entropy_zero_probability",
        "cross_entropy: a true class with probability exactly 0 gives log(1e-12), not inf",
        _run_softmax_cross_entropy,
        inputs=lambda rng: {"logits": _huge_logits(rng, 6, 4), "y": labels(rng, 6, 4)},
        points=2,
        **TOL,
    ),
    Case(
        "cross_entropy_batch_one",
        "cross_entropy: a batch of one (1, 7); input not modified",
        _run_cross_entropy,
        inputs=lambda rng: {"probs": rng.dirichlet(np.ones(7), size=1), "y": labels(rng, 1, 7)},
        **TOL,
    ),
    Case(
        "cross_entropy_wide",
        "cross_entropy: (3, 12) probabilities; input not modified",
        _run_cross_entropy,
        inputs=lambda rng: {"probs": rng.dirichlet(np.full(12, 0.3), size=3), "y": labels(rng, 3, 12)},
        **TOL,
    ),
    Case(
        "accuracy_logits",
        "accuracy: (13, 4) raw scores, some negative",
        run_accuracy,
        inputs=lambda rng: {"scores": rng.standard_normal((13, 4)) - 2, "y": labels(rng, 13, 4)},
        **TOL,
    ),
    # models.py
    Case(
        "softmax_regression_other_shapes",
        "SoftmaxRegression.forward(train=True): N=9 D=4 K=6",
        run_softmax_regression,
        inputs=lambda rng: {
            "X": rng.standard_normal((9, 4)),
            "y": labels(rng, 9, 6),
            "W": rng.standard_normal((4, 6)),
            "b": rng.standard_normal(6),
            "train": np.array(True),
        },
        points=2,
        verify=check_model_grads(build_softmax_regression),
        **TOL,
    ),
    Case(
        "softmax_regression_batch_one",
        "SoftmaxRegression.forward(train=True): a batch of one, N=1 D=5 K=3",
        run_softmax_regression,
        inputs=lambda rng: {
            "X": rng.standard_normal((1, 5)),
            "y": labels(rng, 1, 3),
            "W": rng.standard_normal((5, 3)),
            "b": rng.standard_normal(3),
            "train": np.array(True),
        },
        verify=check_model_grads(build_softmax_regression),
        **TOL,
    ),
    Case(
        "softmax_regression_eval_mode",
        "SoftmaxRegression.forward(train=False): loss and accuracy; self.grads left as it was",
        _run_softmax_regression_eval,
        inputs=lambda rng: {
            "X": rng.standard_normal((7, 5)),
            "y": labels(rng, 7, 4),
            "W": rng.standard_normal((5, 4)),
            "b": rng.standard_normal(4),
            "gW": rng.standard_normal((5, 4)),
            "gb": rng.standard_normal(4),
        },
        **TOL,
    ),
    Case(
        "softmax_regression_predict",
        "SoftmaxRegression.forward_scores and predict: N=8 D=6 K=5",
        _run_predict_softmax_regression,
        inputs=lambda rng: {
            "X": rng.standard_normal((8, 6)),
            "W": rng.standard_normal((6, 5)),
            "b": rng.standard_normal(5),
        },
        **TOL,
    ),
    Case(
        "two_layer_forward_sigmoid",
        "TwoLayerNet.forward(train=True) (sigmoid): loss, accuracy and grads, N=8 D=5 H=7 K=4",
        run_two_layer_forward,
        inputs=two_layer_inputs(8, 5, 7, 4, scale=2.0),
        params={"activation": "sigmoid"},
        points=3,
        verify=check_model_grads(build_two_layer("sigmoid")),
        **TOL,
    ),
    Case(
        "two_layer_batch_equals_hidden",
        "TwoLayerNet.forward(train=True) (relu) with batch size = hidden size: N=H=6 D=9 K=4",
        run_two_layer_forward,
        inputs=two_layer_inputs(6, 9, 6, 4),
        params={"activation": "relu"},
        points=2,
        verify=check_model_grads(build_two_layer("relu")),
        **TOL,
    ),
    Case(
        "two_layer_batch_one",
        "TwoLayerNet.forward(train=True) (relu): a batch of one, N=1 D=8 H=5 K=3",
        run_two_layer_forward,
        inputs=two_layer_inputs(1, 8, 5, 3),
        params={"activation": "relu"},
        points=2,
        verify=check_model_grads(build_two_layer("relu")),
        **TOL,
    ),
    Case(
        "two_layer_huge_scores",
        "TwoLayerNet.forward(train=True) (relu): scores in the thousands; loss and grads finite",
        run_two_layer_forward,
        inputs=two_layer_inputs(5, 4, 7, 3, scale=30.0, x_scale=10.0),
        params={"activation": "relu"},
        points=2,
        **TOL,
    ),
    Case(
        "two_layer_eval_mode",
        "TwoLayerNet.forward(train=False) (relu): loss and accuracy; self.grads left as it was",
        _run_two_layer_eval,
        inputs=_with_grads(two_layer_inputs(7, 3, 5, 4)),
        params={"activation": "relu"},
        **TOL,
    ),
    Case(
        "two_layer_inputs_unchanged",
        "TwoLayerNet.forward(train=True) (sigmoid): X and params not modified",
        _run_two_layer_unchanged,
        inputs=two_layer_inputs(4, 6, 3, 5),
        params={"activation": "sigmoid"},
        **TOL,
    ),
    Case(
        "two_layer_predict",
        "TwoLayerNet.forward_scores and predict (sigmoid): N=10 D=3 H=4 K=6",
        _run_two_layer_predict,
        inputs=lambda rng: {k: v for k, v in two_layer_inputs(10, 3, 4, 6, scale=3.0)(rng).items() if k != "y"},
        params={"activation": "sigmoid"},
        **TOL,
    ),
    # optim.py
    Case(
        "sgd_biases_not_regularised",
        "SGD.step with zero gradients and reg=0.5: weights shrink, biases stay",
        run_sgd,
        inputs=params_inputs({"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}, 1, zero_grads=True),
        params={"steps": 1, "learning_rate": 0.2, "reg": 0.5, "momentum": 0.0},
        **TOL,
    ),
    Case(
        "sgd_momentum_softmax_keys",
        "SGD.step: keys W and b, momentum=0.5, reg=0.1, four steps",
        run_sgd,
        inputs=params_inputs({"W": (5, 3), "b": (3,)}, 4),
        params={"steps": 4, "learning_rate": 0.05, "reg": 0.1, "momentum": 0.5},
        points=2,
        **TOL,
    ),
    Case(
        "sgd_momentum_no_reg",
        "SGD.step: momentum=0.9 without regularisation, two steps",
        run_sgd,
        inputs=params_inputs({"W1": (2, 3), "b1": (3,), "W2": (3, 4), "b2": (4,)}, 2),
        params={"steps": 2, "learning_rate": 0.3, "reg": 0.0, "momentum": 0.9},
        **TOL,
    ),
    Case(
        "sgd_updates_in_place",
        "SGD.step updates the arrays of model.params in place",
        _run_sgd_in_place,
        inputs=params_inputs({"W": (3, 2), "b": (2,)}, 1),
        params={"learning_rate": 0.1},
        **TOL,
    ),
    Case(
        "regularization_loss_softmax_keys",
        "SGD.regularization_loss: keys W and b, reg=0.02",
        run_reg_loss,
        inputs=params_inputs({"W": (6, 3), "b": (3,)}, 0),
        params={"reg": 0.02},
        **TOL,
    ),
    # training.py
    Case(
        "minibatches_exact_division",
        "iterate_minibatches: N=12, batch_size=4 -> three full batches",
        run_minibatches,
        inputs=lambda rng: {"X": rng.standard_normal((12, 5)), "y": labels(rng, 12, 10)},
        params={"batch_size": 4, "seed": 3},
        **TOL,
    ),
    Case(
        "minibatches_batch_of_one",
        "iterate_minibatches: batch_size=1 gives N batches of one",
        run_minibatches,
        inputs=lambda rng: {"X": rng.standard_normal((6, 2)), "y": np.arange(6)},
        params={"batch_size": 1, "seed": 11},
        **TOL,
    ),
    Case(
        "minibatches_batch_larger_than_n",
        "iterate_minibatches: batch_size=20 > N=7 gives one batch of 7",
        run_minibatches,
        inputs=lambda rng: {"X": rng.standard_normal((7, 3)), "y": np.arange(7)},
        params={"batch_size": 20, "seed": 5},
        **TOL,
    ),
    Case(
        "minibatches_three_epochs",
        "iterate_minibatches: a fresh rng.permutation on each call (three epochs, N=9, batch_size=2)",
        run_minibatches,
        inputs=lambda rng: {"X": rng.standard_normal((9, 4)), "y": np.arange(9)},
        params={"batch_size": 2, "seed": 2024, "epochs": 3},
        points=2,
        **TOL,
    ),
    Case(
        "minibatches_no_shuffle",
        "iterate_minibatches(shuffle=False): data order, N=11, batch_size=3",
        run_minibatches,
        inputs=lambda rng: {"X": rng.standard_normal((11, 2)), "y": labels(rng, 11, 10)},
        params={"batch_size": 3, "seed": 1, "shuffle": False},
        **TOL,
    ),
    Case(
        "train_epoch_softmax_partial_batch",
        "train_epoch: SoftmaxRegression, N=13 in batches of 5, 5, 3 (weighted averages)",
        _run_train_epoch_softmax,
        inputs=lambda rng: {
            "X": rng.standard_normal((13, 4)),
            "y": labels(rng, 13, 3),
            "W": 0.3 * rng.standard_normal((4, 3)),
            "b": 0.1 * rng.standard_normal(3),
        },
        params={"batch_size": 5, "learning_rate": 0.2, "reg": 0.0, "momentum": 0.0},
        points=2,
        **TOL,
    ),
    Case(
        "train_history",
        "train (given loop) around your code: history of 3 epochs with lr decay, sigmoid net",
        _run_train_history,
        inputs=lambda rng: {
            **two_layer_inputs(14, 5, 6, 3)(rng),
            "X_val": rng.standard_normal((4, 5)),
            "y_val": labels(rng, 4, 3),
            "seed": np.array(99),
        },
        params={
            "config": {
                "activation": "sigmoid",
                "learning_rate": 0.5,
                "reg": 0.01,
                "momentum": 0.8,
                "batch_size": 4,
                "epochs": 3,
                "lr_decay": 0.5,
                "lr_decay_every": 1,
            }
        },
        points=3,
        **TOL,
    ),
    Case(
        "train_mnist_sample",
        f"training: your TwoLayerNet on {_TRAIN_N} MNIST digits; accuracy on {_EVAL_N} held-out digits",
        _run_train_mnist,
        inputs=_mnist_sample_inputs,
        graded_inputs=_mnist_heldout_inputs,
        params={"epochs": 8, "batch_size": 50, "learning_rate": 0.1, "reg": 1e-4, "momentum": 0.9, "seed": 0},
        secret=("y_eval",),
        score=_score_mnist,
        points=8,
        timeout_s=30,
    ),
]
