"""Public cases of assignment 2: run by `make test` here and by the autograder, compared the same way.

Each case builds its inputs on the trusted side (from a generator seeded by the case's name),
calls your code through a small ``run_*`` function below, and compares what comes back with
the reference solution's outputs. Weights are injected (set on the layer or copied into the
PyTorch module), so your initialisation never matters here. Read a ``run_*`` function to see
exactly how your code is called. The hidden cases call your code the same way, with other
shapes, strides, paddings, seeds and edge cases.
"""

from __future__ import annotations

import types

import numpy as np

from grader.cases import Case

# The helpers the hidden case file imports (``from public_cases import ...``), and the cases.
__all__ = [
    "CASES",
    "check_grads",
    "conv_case",
    "conv_inputs",
    "convnet_case",
    "convnet_inputs",
    "focal_inputs",
    "linear_inputs",
    "model_inputs",
    "out_size",
    "pool_case",
    "random_labels",
    "run_conv",
    "run_counts",
    "run_focal",
    "run_indices",
    "run_linear",
    "run_model",
    "run_mymodel",
    "run_pool",
    "run_reg_loss",
    "run_relu",
    "run_reweight",
    "run_sgd",
    "run_softmax_ce",
    "score_mymodel",
    "sgd_inputs",
    "sgd_layers",
    "two_layer_shapes",
    "vanilla_shapes",
    "with_zeros",
]

# --------------------------------------------------------------------------- helpers


def random_labels(rng: np.random.Generator, N: int, K: int) -> np.ndarray:
    return rng.integers(0, K, size=N)


def with_zeros(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal entries, a third of them set to exactly 0 (where ReLU's derivative is taken as 0)."""
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 1 / 3] = 0.0
    return x


def out_size(size: int, K: int, stride: int, padding: int = 0) -> int:
    return 1 + (size + 2 * padding - K) // stride


def check_grads(run, params: dict, wrt: dict[str, str], output: str = "out", tol: float = 1e-5):
    """verify hook (oracle only): each gradient output matches centred differences of ``sum(output * dout)``.

    ``wrt`` maps an input name to the output that holds its gradient; ``run`` reads the
    inputs in place, so perturbing them changes what it computes.
    """

    def verify(inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> None:
        from grader.gradcheck import assert_gradient_close, numerical_gradient

        arrays = {k: v.copy() for k, v in inputs.items()}
        dout = arrays.get("dout", 1.0)
        for name, grad_key in wrt.items():
            num = numerical_gradient(lambda: run(**arrays, **params)[output], arrays[name], dout)
            assert_gradient_close(outputs[grad_key], num, f"{grad_key} (d{output}/d{name})", tol)

    return verify


# --------------------------------------------------------------------------- layers.py


def run_conv(x, w, b, dout, stride, padding):
    from cifar_cnn.layers import Conv2d

    F, C, K, _ = w.shape
    conv = Conv2d(C, F, K, stride=stride, padding=padding, rng=np.random.default_rng(0), dtype=np.float64)
    conv.w, conv.b = w, b
    out = conv.forward(x)
    dx = conv.backward(dout)
    return {"out": out, "dx": dx, "dw": conv.dw, "db": conv.db}


def conv_inputs(N: int, C: int, H: int, W: int, F: int, K: int, stride: int, padding: int):
    def inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
        H_out, W_out = out_size(H, K, stride, padding), out_size(W, K, stride, padding)
        return {
            "x": rng.standard_normal((N, C, H, W)),
            "w": rng.standard_normal((F, C, K, K)) / np.sqrt(C * K * K),
            "b": rng.standard_normal(F),
            "dout": rng.standard_normal((N, F, H_out, W_out)),
        }

    return inputs


def conv_case(name, title, N, C, H, W, F, K, stride, padding, points=2.0) -> Case:
    params = {"stride": stride, "padding": padding}
    return Case(
        name,
        title,
        run_conv,
        inputs=conv_inputs(N, C, H, W, F, K, stride, padding),
        params=params,
        points=points,
        verify=check_grads(run_conv, params, {"x": "dx", "w": "dw", "b": "db"}),
    )


def run_pool(x, dout, kernel_size, stride):
    from cifar_cnn.layers import MaxPool2d

    pool = MaxPool2d(kernel_size, stride)
    out = pool.forward(x)
    return {"out": out, "dx": pool.backward(dout)}


def pool_case(name, title, N, C, H, W, K, stride, points=2.0) -> Case:
    params = {"kernel_size": K, "stride": stride}

    def inputs(rng):
        shape = (N, C, out_size(H, K, stride), out_size(W, K, stride))
        return {"x": rng.standard_normal((N, C, H, W)), "dout": rng.standard_normal(shape)}

    return Case(
        name,
        title,
        run_pool,
        inputs=inputs,
        params=params,
        points=points,
        verify=check_grads(run_pool, params, {"x": "dx"}),
    )


def run_relu(x, dout):
    from cifar_cnn.layers import ReLU

    relu = ReLU()
    out = relu.forward(x)
    return {"out": out, "dx": relu.backward(dout)}


def run_linear(x, w, b, dout):
    from cifar_cnn.layers import Linear

    D, M = w.shape
    fc = Linear(D, M, rng=np.random.default_rng(0), dtype=np.float64)
    fc.w, fc.b = w, b
    out = fc.forward(x)
    dx = fc.backward(dout)
    return {"out": out, "dx": dx, "dw": fc.dw, "db": fc.db}


def linear_inputs(x_shape: tuple[int, ...], M: int):
    def inputs(rng):
        D = int(np.prod(x_shape[1:]))
        return {
            "x": rng.standard_normal(x_shape),
            "w": rng.standard_normal((D, M)) / np.sqrt(D),
            "b": rng.standard_normal(M),
            "dout": rng.standard_normal((x_shape[0], M)),
        }

    return inputs


def run_softmax_ce(scores, y):
    from cifar_cnn.layers import SoftmaxCrossEntropy

    criterion = SoftmaxCrossEntropy()
    loss = criterion.forward(scores, y)
    return {"loss": float(loss), "dscores": criterion.backward()}


# --------------------------------------------------------------------------- convnet.py

_NET_KEYS = ("conv_w", "conv_b", "fc_w", "fc_b")


def run_convnet(x, y, conv_w, conv_b, fc_w, fc_b, stride, padding, pool):
    """conv -> ReLU -> max pool -> linear, built from the given layers; your ConvNet chains them."""
    from cifar_cnn.convnet import ConvNet
    from cifar_cnn.layers import Conv2d, Linear, MaxPool2d, ReLU

    F, C, K, _ = conv_w.shape
    conv = Conv2d(C, F, K, stride=stride, padding=padding, rng=np.random.default_rng(0), dtype=np.float64)
    fc = Linear(fc_w.shape[0], fc_w.shape[1], rng=np.random.default_rng(0), dtype=np.float64)
    conv.w, conv.b, fc.w, fc.b = conv_w, conv_b, fc_w, fc_b
    net = ConvNet([conv, ReLU(), MaxPool2d(pool), fc])
    loss = net.forward(x, y)
    scores = net.scores(x)
    dx = net.backward()
    grads = {"conv_w": conv.dw, "conv_b": conv.db, "fc_w": fc.dw, "fc_b": fc.db}
    return {"loss": float(loss), "scores": scores, "dx": dx, "grads": grads}


def convnet_inputs(N: int, C: int, H: int, F: int, K: int, stride: int, padding: int, pool: int, classes: int):
    def inputs(rng):
        side = out_size(out_size(H, K, stride, padding), pool, pool)
        D = F * side * side
        return {
            "x": rng.standard_normal((N, C, H, H)),
            "y": random_labels(rng, N, classes),
            "conv_w": rng.standard_normal((F, C, K, K)) / np.sqrt(C * K * K),
            "conv_b": 0.1 * rng.standard_normal(F),
            "fc_w": rng.standard_normal((D, classes)) / np.sqrt(D),
            "fc_b": 0.1 * rng.standard_normal(classes),
        }

    return inputs


def convnet_case(name, title, N, C, H, F, K, stride, padding, pool, classes, points=3.0) -> Case:
    params = {"stride": stride, "padding": padding, "pool": pool}
    wrt = {"x": "dx"} | {k: f"grads.{k}" for k in _NET_KEYS}
    return Case(
        name,
        title,
        run_convnet,
        inputs=convnet_inputs(N, C, H, F, K, stride, padding, pool, classes),
        params=params,
        points=points,
        verify=check_grads(run_convnet, params, wrt, output="loss"),
    )


# --------------------------------------------------------------------------- optim.py


def sgd_inputs(steps: int):
    shapes = {"w0": (2, 3, 2, 2), "b0": (2,), "w1": (5, 3), "b1": (3,)}

    def inputs(rng):
        out = {f"p_{k}": rng.standard_normal(s) for k, s in shapes.items()}
        for t in range(steps):
            out |= {f"g{t}_{k}": rng.standard_normal(s) for k, s in shapes.items()}
        return out

    return inputs


def sgd_layers(arrays: dict[str, np.ndarray], count: int = 2) -> list[types.SimpleNamespace]:
    return [types.SimpleNamespace(w=arrays[f"p_w{i}"], b=arrays[f"p_b{i}"]) for i in range(count)]


def run_sgd(steps, learning_rate, reg, momentum, **arrays):
    from cifar_cnn.optim import SGD

    layers = sgd_layers(arrays)
    opt = SGD(learning_rate, reg=reg, momentum=momentum)
    out = {}
    for t in range(steps):
        for i, layer in enumerate(layers):
            layer.dw, layer.db = arrays[f"g{t}_w{i}"], arrays[f"g{t}_b{i}"]
        opt.step(layers)
        out[f"after_step{t + 1}"] = {f"{n}{i}": getattr(lay, n).copy() for i, lay in enumerate(layers) for n in "wb"}
    return out


def run_reg_loss(reg, **arrays):
    from cifar_cnn.optim import SGD

    return {"reg_loss": float(SGD(0.1, reg=reg).regularization_loss(sgd_layers(arrays)))}


# --------------------------------------------------------------------------- models.py (PyTorch)


def _model(cls_name: str, kwargs: dict, state: dict[str, np.ndarray]):
    """Build ``cifar_cnn.models.<cls_name>(**kwargs)`` in float64 and copy ``state`` into its parameters."""
    import torch

    from cifar_cnn import models

    model = getattr(models, cls_name)(**kwargs).double()
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in state.items():
            if name not in params:
                raise AttributeError(f"{cls_name} has no parameter {name!r} (see the docstring for the names)")
            if tuple(params[name].shape) != value.shape:
                raise ValueError(f"{cls_name}.{name}: shape {tuple(params[name].shape)}, expected {value.shape}")
            params[name].copy_(torch.from_numpy(value))
    return model


def _num_params(model) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def run_model(x, cls_name, kwargs, **state):
    """Scores of ``x`` with injected weights, and the number of trainable parameters."""
    import torch

    model = _model(cls_name, kwargs, state)
    model.eval()
    with torch.no_grad():
        scores = model(torch.from_numpy(x))
    return {"scores": scores.detach().numpy(), "num_params": _num_params(model)}


def model_inputs(x_shape: tuple[int, ...], shapes: dict[str, tuple[int, ...]]):
    def inputs(rng):
        out = {"x": rng.standard_normal(x_shape)}
        for name, shape in shapes.items():
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            out[name] = rng.standard_normal(shape) / np.sqrt(fan_in)
        return out

    return inputs


def two_layer_shapes(D: int, H: int, K: int) -> dict[str, tuple[int, ...]]:
    return {"fc1.weight": (H, D), "fc1.bias": (H,), "fc2.weight": (K, H), "fc2.bias": (K,)}


def vanilla_shapes(K: int) -> dict[str, tuple[int, ...]]:
    return {"conv1.weight": (32, 3, 7, 7), "conv1.bias": (32,), "fc1.weight": (K, 32 * 13 * 13), "fc1.bias": (K,)}


def run_mymodel(x, num_classes):
    """Your MyModel on a batch (evaluation mode): the shape of the scores and the parameter count."""
    import torch

    from cifar_cnn.checkpoint import MAX_PARAMS
    from cifar_cnn.models import MyModel

    torch.manual_seed(0)  # your initialisation draws random numbers
    model = MyModel(num_classes=num_classes)
    model.eval()
    with torch.no_grad():
        scores = model(torch.from_numpy(x).float())
    return {
        "shape": np.array(scores.shape),
        "finite": bool(torch.isfinite(scores).all()),
        "num_params": _num_params(model),
        # The cap, defined once in cifar_cnn/checkpoint.py (staff code). The trusted side cannot
        # import the package; it reads the cap from the reference's run (expected), never from yours.
        "max_params": np.array(MAX_PARAMS),
    }


def score_mymodel(got, expected, secret):
    from grader.compare import shape_text  # trusted side only: the child has no grader.compare

    shape, finite, count = got.get("shape"), got.get("finite"), got.get("num_params")
    if shape is None or finite is None or count is None:
        return 0.0, "expected outputs shape, finite and num_params"
    if shape.shape != expected["shape"].shape or np.any(shape != expected["shape"]):
        return 0.0, f"scores: shape {shape_text(shape)}, expected {shape_text(expected['shape'])}"
    if not bool(finite):
        return 0.0, "scores: not all finite"
    cap = int(expected["max_params"])
    if int(count) > cap:
        return 0.0, f"MyModel has {int(count):,} parameters, more than the {cap:,} allowed"
    return 1.0, "ok"


# Your trained MyModel (cifar_cnn/my_model.pt) classifies 1,000 CIFAR-10 test images: locally
# (make test) the 1,000 of data/sample, on the autograder 1,000 others that the handout does not
# hold. The labels stay on the trusted side, and the accuracy earns points by tiers.
_ACCURACY_TIERS = ((0.85, 1.0), (0.80, 0.75), (0.70, 0.5), (0.60, 0.25))


def _sample_test_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    from cifar_cnn.data import SAMPLE_DIR, load_split  # staff module: fine on the trusted side

    test = load_split(SAMPLE_DIR, "test")
    return {"images": test.images.numpy(), "labels": test.labels.numpy()}


def _heldout_test_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The graded run: 1,000 other CIFAR-10 test images, 100 a class, that are not in the handout
    (the course's ``grading/data``; read on the trusted side only, never shipped)."""
    from pathlib import Path

    with np.load(Path(__file__).resolve().parents[1] / "grading" / "data" / "cifar10_heldout.npz") as held:
        order = rng.permutation(held["labels"].shape[0])  # in an order the student cannot know either
        return {"images": held["images"][order], "labels": held["labels"][order]}


def run_checkpoint(images):
    """Your MyModel with the weights of cifar_cnn/my_model.pt: predicted classes of the images."""
    from cifar_cnn.checkpoint import load_my_model, predict

    return {"pred": predict(load_my_model(), images)}


def _score_checkpoint(got, expected, secret):
    labels, pred = secret["labels"], got.get("pred")
    if pred is None or pred.shape != labels.shape:
        return 0.0, f"pred: expected shape {labels.shape}, got {None if pred is None else pred.shape}"
    acc = float(np.mean(pred == labels))
    tiers = ", ".join(f"{frac:g} of the points from {at:.0%}" for at, frac in _ACCURACY_TIERS)
    for at, frac in _ACCURACY_TIERS:
        if acc >= at:
            return frac, f"accuracy {acc:.3f} on {labels.size} test images ({tiers})"
    return 0.0, f"accuracy {acc:.3f} on {labels.size} test images: no points ({tiers})"


# --------------------------------------------------------------------------- losses.py, imbalance.py


def run_reweight(counts, beta):
    from cifar_cnn.losses import reweight

    weights = reweight([int(n) for n in counts], beta=beta)
    return {"weights": weights.detach().numpy()}


def run_focal(logits, target, gamma, weight=None):
    """FocalLoss(weight, gamma) on float64 logits: the loss, its gradient, and its difference from F.cross_entropy."""
    import torch
    import torch.nn.functional as F

    from cifar_cnn.losses import FocalLoss

    x = torch.from_numpy(logits).requires_grad_()
    y = torch.from_numpy(target)
    w = None if weight is None else torch.from_numpy(weight)
    loss = FocalLoss(w, gamma=gamma)(x, y)
    loss.backward()
    ce = F.cross_entropy(x.detach(), y)
    return {
        "loss": loss.detach().numpy(),
        "dlogits": x.grad.numpy(),
        "loss_minus_cross_entropy": (loss - ce).detach().numpy(),
    }


def focal_inputs(N: int, K: int, scale: float = 2.0, weighted: bool = True):
    def inputs(rng):
        out = {"logits": scale * rng.standard_normal((N, K)), "target": rng.integers(0, K, size=N)}
        if weighted:
            w = rng.uniform(0.2, 3.0, size=K)
            out["weight"] = w / w.sum() * K
        return out

    return inputs


def run_counts(n_max, num_classes, imbalance_factor):
    from cifar_cnn.imbalance import long_tailed_counts

    counts = long_tailed_counts(int(n_max), int(num_classes), int(imbalance_factor))
    return {"counts": np.array([int(n) for n in counts], dtype=np.int64)}


def run_indices(labels, counts):
    from cifar_cnn.imbalance import long_tailed_indices

    return {"indices": np.asarray(long_tailed_indices(labels, [int(n) for n in counts]), dtype=np.int64)}


CASES = [
    # layers.py
    conv_case(
        "conv_basic", "Conv2d: forward and backward, N=2 C=3 8x8, F=4, K=3, stride 1, padding 1", 2, 3, 8, 8, 4, 3, 1, 1
    ),
    conv_case("conv_stride2", "Conv2d: stride 2, padding 0, N=2 C=2 7x9, F=3, K=3", 2, 2, 7, 9, 3, 3, 2, 0),
    pool_case("maxpool_2x2", "MaxPool2d: 2x2 windows, stride 2, on N=2 C=3 6x8", 2, 3, 6, 8, 2, 2),
    Case(
        "relu_forward_backward",
        "ReLU: forward and backward on (2, 3, 4, 5) with exact zeros (derivative 0 at 0)",
        run_relu,
        inputs=lambda rng: {"x": with_zeros(rng, (2, 3, 4, 5)), "dout": rng.standard_normal((2, 3, 4, 5))},
    ),
    Case(
        "linear_flatten",
        "Linear: input (3, 2, 2, 2) flattened to (3, 8), M=4; dx shaped like x",
        run_linear,
        inputs=linear_inputs((3, 2, 2, 2), 4),
        verify=check_grads(run_linear, {}, {"x": "dx", "w": "dw", "b": "db"}),
    ),
    Case(
        "softmax_ce_values",
        "SoftmaxCrossEntropy: mean loss and gradient of (5, 4) scores",
        run_softmax_ce,
        inputs=lambda rng: {"scores": 2 * rng.standard_normal((5, 4)), "y": random_labels(rng, 5, 4)},
        verify=check_grads(run_softmax_ce, {}, {"scores": "dscores"}, output="loss"),
    ),
    # convnet.py
    convnet_case(
        "convnet_forward_backward",
        "ConvNet: conv(3x3, pad 1) -> ReLU -> pool 2 -> linear; loss, scores, dx and every gradient",
        2,
        2,
        6,
        3,
        3,
        1,
        1,
        2,
        4,
    ),
    # optim.py
    Case(
        "sgd_momentum_reg",
        "SGD.step: three steps with momentum=0.9 and reg=0.05 (weights only) over two layers",
        run_sgd,
        inputs=sgd_inputs(3),
        params={"steps": 3, "learning_rate": 0.1, "reg": 0.05, "momentum": 0.9},
        points=2,
    ),
    Case(
        "regularization_loss_values",
        "SGD.regularization_loss: 0.5 * reg * sum of squared weights (not biases)",
        run_reg_loss,
        inputs=lambda rng: {k: v for k, v in sgd_inputs(0)(rng).items()},
        params={"reg": 0.3},
    ),
    # models.py
    Case(
        "two_layer_net_forward",
        "TwoLayerNet(48, 5, 3): scores of a (4, 3, 4, 4) batch with injected weights, and the parameter count",
        run_model,
        inputs=model_inputs((4, 3, 4, 4), two_layer_shapes(48, 5, 3)),
        params={"cls_name": "TwoLayerNet", "kwargs": {"input_dim": 48, "hidden_dim": 5, "num_classes": 3}},
        points=2,
    ),
    Case(
        "vanilla_cnn_forward",
        "VanillaCNN(): scores of a (2, 3, 32, 32) batch with injected weights, and the parameter count",
        run_model,
        inputs=model_inputs((2, 3, 32, 32), vanilla_shapes(10)),
        params={"cls_name": "VanillaCNN", "kwargs": {}},
        points=2,
    ),
    Case(
        "mymodel_shape",
        "MyModel(): (2, 3, 32, 32) -> finite (2, 10) scores, at most 5 million parameters",
        run_mymodel,
        inputs=lambda rng: {"x": rng.standard_normal((2, 3, 32, 32))},
        params={"num_classes": 10},
        score=score_mymodel,
    ),
    Case(
        "mymodel_checkpoint_accuracy",
        "MyModel with your cifar_cnn/my_model.pt: accuracy on 1,000 held-out CIFAR-10 test images",
        run_checkpoint,
        inputs=_sample_test_inputs,
        graded_inputs=_heldout_test_inputs,
        secret=("labels",),
        score=_score_checkpoint,
        points=8,
        timeout_s=180,
    ),
    # losses.py
    Case(
        "reweight_values",
        "reweight: class-balanced weights, beta=0.9999 (the long-tailed counts of factor 100 here; others when graded)",
        run_reweight,
        inputs=lambda rng: {"counts": np.array([5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50])},
        graded_inputs=lambda rng: {"counts": np.sort(rng.integers(20, 5000, size=int(rng.integers(5, 12))))[::-1]},
        params={"beta": 0.9999},
    ),
    Case(
        "focal_gamma0_is_cross_entropy",
        "FocalLoss(gamma=0) without weights equals F.cross_entropy (loss and gradient), N=6 K=5",
        run_focal,
        inputs=focal_inputs(6, 5, weighted=False),
        params={"gamma": 0.0},
    ),
    Case(
        "focal_weighted_gamma2",
        "FocalLoss(weight, gamma=2): mean over the batch of w[y] (1 - p)^2 (-log p), and its gradient, N=7 K=4",
        run_focal,
        inputs=focal_inputs(7, 4),
        params={"gamma": 2.0},
        points=2,
    ),
    # imbalance.py
    Case(
        "long_tailed_counts_100",
        "long_tailed_counts: the exponential profile of Cui et al. (5000, 10, 100 here; other sizes when graded)",
        run_counts,
        inputs=lambda rng: {"n_max": np.array(5000), "num_classes": np.array(10), "imbalance_factor": np.array(100)},
        graded_inputs=lambda rng: {
            "n_max": rng.integers(1000, 6000),
            "num_classes": rng.integers(5, 13),
            "imbalance_factor": rng.choice([10, 20, 50, 100, 200]),
        },
    ),
    Case(
        "long_tailed_indices_small",
        "long_tailed_indices: the first counts[c] examples of each class, sorted, on 40 labels of 4 classes",
        run_indices,
        inputs=lambda rng: {
            "labels": np.repeat(np.arange(4), 10)[rng.permutation(40)],
            "counts": np.array([10, 5, 3, 1]),
        },
    ),
]
