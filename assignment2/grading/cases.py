"""Hidden cases of assignment 2: other shapes, strides, paddings, seeds and edge cases.

Never part of the handout. Same conventions as tests/cases.py, whose helpers this file
imports (the grader loads the public file first, as ``public_cases``): inputs built here from
the case's generator, weights injected, student modules imported only inside ``run_*``.
"""

from __future__ import annotations

import numpy as np
from public_cases import (  # the public case file, loaded first under this name
    check_grads,
    conv_case,
    conv_inputs,
    convnet_case,
    convnet_inputs,
    focal_inputs,
    linear_inputs,
    model_inputs,
    out_size,
    pool_case,
    random_labels,
    run_conv,
    run_counts,
    run_focal,
    run_indices,
    run_linear,
    run_model,
    run_mymodel,
    run_pool,
    run_reg_loss,
    run_relu,
    run_reweight,
    run_sgd,
    run_softmax_ce,
    score_mymodel,
    sgd_inputs,
    sgd_layers,
    two_layer_shapes,
    vanilla_shapes,
    with_zeros,
)

from grader.cases import Case

# --------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------- layers.py


# --------------------------------------------------------------------------- convnet.py


# --------------------------------------------------------------------------- optim.py


# --------------------------------------------------------------------------- hidden-only runs


def run_conv_unchanged(x, w, b, dout, stride, padding):
    """forward and backward must modify neither x, w, b nor dout."""
    before = {k: v.copy() for k, v in {"x": x, "w": w, "b": b, "dout": dout}.items()}
    out = run_conv(x, w, b, dout, stride, padding)
    after = {"x": x, "w": w, "b": b, "dout": dout}
    return out | {"changed": {k: after[k] - before[k] for k in before}}


def run_pool_unchanged(x, dout, kernel_size, stride):
    before = {"x": x.copy(), "dout": dout.copy()}
    out = run_pool(x, dout, kernel_size, stride)
    return out | {"changed": {"x": x - before["x"], "dout": dout - before["dout"]}}


def _ties(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Small integers as floats: many windows hold their maximum twice (the first one gets the gradient)."""
    return rng.integers(-2, 3, size=shape).astype(np.float64)


def _huge_scores(rng: np.random.Generator, N: int, K: int) -> np.ndarray:
    """Scores about 1e4 in size: exp overflows unless each row's maximum is subtracted."""
    return 1e4 * rng.standard_normal((N, K)) + 1e4 * rng.standard_normal((N, 1))


def run_convnet_predict(x, y, conv_w, conv_b, fc_w, fc_b, stride, padding, pool):
    from cifar_cnn.convnet import ConvNet
    from cifar_cnn.layers import Conv2d, Linear, MaxPool2d, ReLU

    F, C, K, _ = conv_w.shape
    conv = Conv2d(C, F, K, stride=stride, padding=padding, rng=np.random.default_rng(0), dtype=np.float64)
    fc = Linear(fc_w.shape[0], fc_w.shape[1], rng=np.random.default_rng(0), dtype=np.float64)
    conv.w, conv.b, fc.w, fc.b = conv_w, conv_b, fc_w, fc_b
    net = ConvNet([conv, ReLU(), MaxPool2d(pool), fc])
    return {"scores": net.scores(x), "pred": net.predict(x)}


def run_convnet_two_layers(x, y, w1, b1, w2, b2, fc_w, fc_b):
    """conv -> ReLU -> conv (stride 2) -> ReLU -> pool 2 (stride 1) -> linear: two convolutions in a chain."""
    from cifar_cnn.convnet import ConvNet
    from cifar_cnn.layers import Conv2d, Linear, MaxPool2d, ReLU

    rng = np.random.default_rng(0)
    conv1 = Conv2d(w1.shape[1], w1.shape[0], w1.shape[2], padding=1, rng=rng, dtype=np.float64)
    conv2 = Conv2d(w2.shape[1], w2.shape[0], w2.shape[2], stride=2, rng=rng, dtype=np.float64)
    fc = Linear(fc_w.shape[0], fc_w.shape[1], rng=rng, dtype=np.float64)
    conv1.w, conv1.b, conv2.w, conv2.b, fc.w, fc.b = w1, b1, w2, b2, fc_w, fc_b
    net = ConvNet([conv1, ReLU(), conv2, ReLU(), MaxPool2d(2, 1), fc])
    loss = net.forward(x, y)
    dx = net.backward()
    grads = {"w1": conv1.dw, "b1": conv1.db, "w2": conv2.dw, "b2": conv2.db, "fc_w": fc.dw, "fc_b": fc.db}
    return {"loss": float(loss), "dx": dx, "grads": grads}


def _two_conv_inputs(rng):
    N, C, H, F1, F2, classes = 2, 2, 7, 3, 4, 3
    side = out_size(out_size(out_size(H, 3, 1, 1), 3, 2), 2, 1)
    D = F2 * side * side
    return {
        "x": rng.standard_normal((N, C, H, H)),
        "y": random_labels(rng, N, classes),
        "w1": rng.standard_normal((F1, C, 3, 3)) / np.sqrt(C * 9),
        "b1": 0.1 * rng.standard_normal(F1),
        "w2": rng.standard_normal((F2, F1, 3, 3)) / np.sqrt(F1 * 9),
        "b2": 0.1 * rng.standard_normal(F2),
        "fc_w": rng.standard_normal((D, classes)) / np.sqrt(D),
        "fc_b": 0.1 * rng.standard_normal(classes),
    }


def run_sgd_in_place(learning_rate, **arrays):
    """step must update the very arrays the layers hold (w += v), not replace them."""
    from cifar_cnn.optim import SGD

    layers = sgd_layers(arrays)
    originals = [(layer.w, layer.b) for layer in layers]
    for i, layer in enumerate(layers):
        layer.dw, layer.db = arrays[f"g0_w{i}"], arrays[f"g0_b{i}"]
    SGD(learning_rate, momentum=0.5).step(layers)
    same = [layer.w is w and layer.b is b for layer, (w, b) in zip(layers, originals, strict=True)]
    return {
        "same_object": np.array(same),
        "params": {f"{n}{i}": getattr(la, n) for i, la in enumerate(layers) for n in "wb"},
    }


def run_sgd_reg_only(learning_rate, reg, steps, **arrays):
    """Zero data gradients: only the weights shrink (by reg), the biases stay."""
    from cifar_cnn.optim import SGD

    layers = sgd_layers(arrays)
    opt = SGD(learning_rate, reg=reg, momentum=0.0)
    for _ in range(steps):
        for layer in layers:
            layer.dw, layer.db = np.zeros_like(layer.w), np.zeros_like(layer.b)
        opt.step(layers)
    return {f"{n}{i}": getattr(layer, n) for i, layer in enumerate(layers) for n in "wb"}


# --------------------------------------------------------------------------- models.py (PyTorch)


# --------------------------------------------------------------------------- losses.py, imbalance.py


CASES = [
    # layers.py: convolution
    conv_case("conv_pad2_stride2", "Conv2d: padding 2, stride 2, N=2 C=2 8x8, F=3, K=3", 2, 2, 8, 8, 3, 3, 2, 2),
    conv_case(
        "conv_pad1_stride2_odd", "Conv2d: padding 1, stride 2, odd size 7x7, N=3 C=2 F=2", 3, 2, 7, 7, 2, 3, 2, 1
    ),
    conv_case(
        "conv_one_channel_batch_one", "Conv2d: a batch of one, one channel, 5x6, F=2, K=3", 1, 1, 5, 6, 2, 3, 1, 0
    ),
    conv_case("conv_kernel1", "Conv2d: a 1x1 kernel, N=2 C=3 4x5, F=5", 2, 3, 4, 5, 5, 1, 1, 0),
    conv_case("conv_even_kernel_pad1", "Conv2d: a 2x2 kernel with padding 1, N=2 C=2 5x4, F=3", 2, 2, 5, 4, 3, 2, 1, 1),
    conv_case("conv_stride3_pad2", "Conv2d: stride 3, padding 2, kernel 3 on 8x7, N=2 C=1 F=3", 2, 1, 8, 7, 3, 3, 3, 2),
    conv_case(
        "conv_kernel_equals_input", "Conv2d: kernel as large as the 4x4 input, N=3 C=2 F=2", 3, 2, 4, 4, 2, 4, 1, 0
    ),
    Case(
        "conv_inputs_unchanged",
        "Conv2d: forward and backward leave x, w, b and dout unchanged (padding 1, stride 2)",
        run_conv_unchanged,
        inputs=conv_inputs(2, 2, 6, 6, 3, 3, 2, 1),
        params={"stride": 2, "padding": 1},
    ),
    # layers.py: max pooling
    pool_case(
        "maxpool_not_tiling", "MaxPool2d: 2x2 windows on 7x9, the last row and column are dropped", 2, 2, 7, 9, 2, 2
    ),
    pool_case("maxpool_overlapping", "MaxPool2d: 3x3 windows, stride 2 (overlapping) on 7x7", 2, 2, 7, 7, 3, 2),
    pool_case("maxpool_stride1_one", "MaxPool2d: 2x2, stride 1, a batch of one, one channel, 5x6", 1, 1, 5, 6, 2, 1),
    pool_case("maxpool_3x3_not_tiling", "MaxPool2d: 3x3 windows, stride 3 on 8x10 (not tiling)", 2, 3, 8, 10, 3, 3),
    Case(
        "maxpool_ties",
        "MaxPool2d: windows with equal maxima send the gradient to the first one (row-major), 2x2 and 3x3 stride 2",
        run_pool_unchanged,
        inputs=lambda rng: {"x": _ties(rng, (2, 2, 7, 7)), "dout": rng.standard_normal((2, 2, 3, 3))},
        params={"kernel_size": 3, "stride": 2},
    ),
    Case(
        "maxpool_ties_2x2",
        "MaxPool2d: ties in 2x2 windows of 6x6; inputs unchanged",
        run_pool_unchanged,
        inputs=lambda rng: {"x": _ties(rng, (2, 3, 6, 6)), "dout": rng.standard_normal((2, 3, 3, 3))},
        params={"kernel_size": 2, "stride": 2},
    ),
    # layers.py: ReLU, Linear, loss
    Case(
        "relu_2d_zeros",
        "ReLU: a (6, 4) matrix with exact zeros and negative values",
        run_relu,
        inputs=lambda rng: {"x": with_zeros(rng, (6, 4)), "dout": rng.standard_normal((6, 4))},
    ),
    Case(
        "linear_batch_one",
        "Linear: a batch of one (1, 6) -> (1, 3)",
        run_linear,
        inputs=linear_inputs((1, 6), 3),
        verify=check_grads(run_linear, {}, {"x": "dx", "w": "dw", "b": "db"}),
    ),
    Case(
        "linear_3d_input",
        "Linear: input (4, 3, 5) flattened to (4, 15), M=2",
        run_linear,
        inputs=linear_inputs((4, 3, 5), 2),
        verify=check_grads(run_linear, {}, {"x": "dx", "w": "dw", "b": "db"}),
    ),
    Case(
        "softmax_ce_huge_scores",
        "SoftmaxCrossEntropy: scores about 1e4 give a finite loss and gradient",
        run_softmax_ce,
        inputs=lambda rng: {"scores": _huge_scores(rng, 6, 4), "y": random_labels(rng, 6, 4)},
        points=2,
    ),
    Case(
        "softmax_ce_batch_one",
        "SoftmaxCrossEntropy: a batch of one, 7 classes",
        run_softmax_ce,
        inputs=lambda rng: {"scores": 3 * rng.standard_normal((1, 7)), "y": random_labels(rng, 1, 7)},
        verify=check_grads(run_softmax_ce, {}, {"scores": "dscores"}, output="loss"),
    ),
    Case(
        "softmax_ce_tall",
        "SoftmaxCrossEntropy: (9, 3) scores with shifted rows",
        run_softmax_ce,
        inputs=lambda rng: {
            "scores": rng.standard_normal((9, 3)) + 5 * rng.standard_normal((9, 1)),
            "y": random_labels(rng, 9, 3),
        },
        verify=check_grads(run_softmax_ce, {}, {"scores": "dscores"}, output="loss"),
    ),
    # convnet.py
    convnet_case(
        "convnet_stride2_pad2",
        "ConvNet: conv(3x3, stride 2, pad 2) -> ReLU -> pool 2 -> linear, N=3 C=1",
        3,
        1,
        7,
        2,
        3,
        2,
        2,
        2,
        3,
    ),
    convnet_case(
        "convnet_batch_one_pool3",
        "ConvNet: a batch of one, 3x3 pooling, 5 classes",
        1,
        2,
        8,
        2,
        3,
        1,
        1,
        3,
        5,
    ),
    Case(
        "convnet_two_convolutions",
        "ConvNet: two convolutions, two ReLUs, pool 2 stride 1, linear; loss, dx and every gradient",
        run_convnet_two_layers,
        inputs=_two_conv_inputs,
        points=3,
        verify=check_grads(
            run_convnet_two_layers,
            {},
            {"x": "dx"} | {k: f"grads.{k}" for k in ("w1", "b1", "w2", "b2", "fc_w", "fc_b")},
            output="loss",
        ),
    ),
    Case(
        "convnet_predict",
        "ConvNet.scores and predict (given): scores of the chained layers",
        run_convnet_predict,
        inputs=convnet_inputs(4, 3, 6, 2, 3, 1, 0, 2, 3),
        params={"stride": 1, "padding": 0, "pool": 2},
    ),
    # optim.py
    Case(
        "sgd_step_plain",
        "SGD.step: one plain step (reg=0, momentum=0)",
        run_sgd,
        inputs=sgd_inputs(1),
        params={"steps": 1, "learning_rate": 0.1, "reg": 0.0, "momentum": 0.0},
    ),
    Case(
        "sgd_five_steps",
        "SGD.step: five steps with momentum=0.5 and reg=0.1",
        run_sgd,
        inputs=sgd_inputs(5),
        params={"steps": 5, "learning_rate": 0.05, "reg": 0.1, "momentum": 0.5},
        points=2,
    ),
    Case(
        "sgd_in_place",
        "SGD.step: updates the arrays the layers hold, in place",
        run_sgd_in_place,
        inputs=sgd_inputs(1),
        params={"learning_rate": 0.1},
    ),
    Case(
        "sgd_reg_only",
        "SGD.step: zero gradients and reg=0.5: weights shrink, biases stay",
        run_sgd_reg_only,
        inputs=sgd_inputs(0),
        params={"learning_rate": 0.2, "reg": 0.5, "steps": 2},
    ),
    Case(
        "regularization_loss_other",
        "SGD.regularization_loss with reg=1.5",
        run_reg_loss,
        inputs=lambda rng: {k: 2 * v for k, v in sgd_inputs(0)(rng).items()},
        params={"reg": 1.5},
    ),
    # models.py
    Case(
        "two_layer_net_batch_one",
        "TwoLayerNet(12, 7, 4): a batch of one (1, 12)",
        run_model,
        inputs=model_inputs((1, 12), two_layer_shapes(12, 7, 4)),
        params={"cls_name": "TwoLayerNet", "kwargs": {"input_dim": 12, "hidden_dim": 7, "num_classes": 4}},
    ),
    Case(
        "two_layer_net_cifar_size",
        "TwoLayerNet(3072, 64, 10) on (3, 3, 32, 32): scores and parameter count",
        run_model,
        inputs=model_inputs((3, 3, 32, 32), two_layer_shapes(3072, 64, 10)),
        params={"cls_name": "TwoLayerNet", "kwargs": {"input_dim": 3072, "hidden_dim": 64, "num_classes": 10}},
    ),
    Case(
        "vanilla_cnn_five_classes",
        "VanillaCNN(num_classes=5): a batch of one, scores and parameter count",
        run_model,
        inputs=model_inputs((1, 3, 32, 32), vanilla_shapes(5)),
        params={"cls_name": "VanillaCNN", "kwargs": {"num_classes": 5}},
        points=2,
    ),
    Case(
        "mymodel_batch_three",
        "MyModel(num_classes=7): (3, 3, 32, 32) -> finite (3, 7) scores, at most 5 million parameters",
        run_mymodel,
        inputs=lambda rng: {"x": rng.standard_normal((3, 3, 32, 32))},
        params={"num_classes": 7},
        score=score_mymodel,
    ),
    # losses.py
    Case(
        "reweight_beta_0999",
        "reweight: counts of the factor-10 profile, beta=0.999",
        run_reweight,
        inputs=lambda rng: {"counts": np.array([5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500])},
        params={"beta": 0.999},
    ),
    Case(
        "reweight_beta_zero",
        "reweight: beta=0 gives equal weights (all ones)",
        run_reweight,
        inputs=lambda rng: {"counts": np.array([30, 7, 1, 12])},
        params={"beta": 0.0},
    ),
    Case(
        "reweight_small_counts",
        "reweight: small counts, beta=0.9, three classes",
        run_reweight,
        inputs=lambda rng: {"counts": np.array([9, 4, 1])},
        params={"beta": 0.9},
    ),
    Case(
        "focal_gamma1_unweighted",
        "FocalLoss(gamma=1) without weights, N=5 K=3",
        run_focal,
        inputs=focal_inputs(5, 3, weighted=False),
        params={"gamma": 1.0},
    ),
    Case(
        "focal_weighted_gamma0",
        "FocalLoss(weight, gamma=0): weighted cross-entropy divided by N (not by the sum of weights)",
        run_focal,
        inputs=focal_inputs(8, 5),
        params={"gamma": 0.0},
        points=2,
    ),
    Case(
        "focal_large_logits",
        "FocalLoss(weight, gamma=0.5): logits of size 1e3 give a finite loss and gradient",
        run_focal,
        inputs=focal_inputs(6, 4, scale=1e3),
        params={"gamma": 0.5},
    ),
    Case(
        "focal_batch_one",
        "FocalLoss(weight, gamma=3): a batch of one",
        run_focal,
        inputs=focal_inputs(1, 6),
        params={"gamma": 3.0},
    ),
    # imbalance.py
    Case(
        "long_tailed_counts_50",
        "long_tailed_counts(5000, 10, 50)",
        run_counts,
        params={"n_max": 5000, "num_classes": 10, "imbalance_factor": 50},
    ),
    Case(
        "long_tailed_counts_small",
        "long_tailed_counts(100, 5, 10): five classes",
        run_counts,
        params={"n_max": 100, "num_classes": 5, "imbalance_factor": 10},
    ),
    Case(
        "long_tailed_counts_factor1",
        "long_tailed_counts(37, 3, 1): a factor of 1 keeps every class whole",
        run_counts,
        params={"n_max": 37, "num_classes": 3, "imbalance_factor": 1},
    ),
    Case(
        "long_tailed_indices_all",
        "long_tailed_indices: counts equal to what each class has, and a class kept empty",
        run_indices,
        inputs=lambda rng: {"labels": rng.integers(0, 3, size=30), "counts": np.array([0, 2, 1])},
    ),
    Case(
        "long_tailed_indices_profile",
        "long_tailed_indices: the factor-10 profile of 20 a class on 200 shuffled labels",
        run_indices,
        inputs=lambda rng: {
            "labels": np.repeat(np.arange(10), 20)[rng.permutation(200)],
            "counts": np.array([20, 15, 11, 9, 7, 5, 4, 3, 2, 2]),
        },
    ),
]
