"""Hidden cases of assignment 3: other shapes, layers, classes, step budgets and seeds, and edge cases.

Never part of the handout. Same conventions as tests/cases.py, whose helpers this file
imports (the grader loads the public file first, as ``public_cases``): inputs built here from
the case's generator, weights injected, student modules imported only inside ``run_*``.
"""

from __future__ import annotations

import contextlib

import numpy as np
from public_cases import (  # the public case file, loaded first under this name
    TOL,
    check_score_gradient,
    class_vis_inputs,
    fooling_inputs,
    guided_relu_inputs,
    hooks_left,
    net_inputs,
    run_captum,
    run_class_vis,
    run_class_vis_step,
    run_content_loss,
    run_fooling,
    run_fooling_step,
    run_grad_cam,
    run_gram,
    run_guided_backprop,
    run_guided_grad_cam,
    run_guided_relu,
    run_integrated_gradients,
    run_jitter,
    run_layer_conductance,
    run_saliency,
    run_score_gradient,
    run_style_loss,
    run_style_transfer,
    run_tv_loss,
    style_loss_inputs,
    style_transfer_inputs,
    tiny_net,
    to_numpy,
    to_tensor,
)

from grader.cases import Case

# --------------------------------------------------------------------------- helpers


def _predicted_target(rng: np.random.Generator, arrays: dict[str, np.ndarray], K: int) -> int:
    """The class the net already predicts for x: fooling must take 0 steps."""
    return int(to_numpy(tiny_net(arrays)(to_tensor(arrays["x"]))).argmax())


def _unlikely_target(rng: np.random.Generator, arrays: dict[str, np.ndarray], K: int) -> int:
    """The class the net scores lowest for x: the hardest target, for a small step budget."""
    return int(to_numpy(tiny_net(arrays)(to_tensor(arrays["x"]))).argmin())


def run_score_gradient_side_effects(x, y, **w):
    """The parameters get no .grad and keep their values; the model stays in evaluation mode."""
    from cnn_vis.saliency import score_gradient

    net = tiny_net(w)
    for p in net.parameters():
        p.requires_grad_(True)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    grad = score_gradient(net, to_tensor(x), to_tensor(y))
    grads = [p.grad is not None for p in net.parameters()]
    changed = max(float((v - before[k]).abs().max()) for k, v in net.state_dict().items())
    flags = {"param_grads": sum(grads), "training": int(net.training)}
    return {"grad": to_numpy(grad), "changed": changed} | {k: np.array([v]) for k, v in flags.items()}


def run_grad_cam_after_error(x, y, layer, **w):
    """A first call with y of the wrong class count fails inside the model; no hook may be left behind."""
    import torch

    from cnn_vis.saliency import grad_cam

    net = tiny_net(w)
    K = net.fc.out_features
    with contextlib.suppress(Exception):
        grad_cam(net, net.get_submodule(layer), to_tensor(x), torch.full((x.shape[0],), K + 5, dtype=torch.int64))
    cam = grad_cam(net, net.get_submodule(layer), to_tensor(x), to_tensor(y))
    return {"cam": to_numpy(cam), "hooks_left": np.array([hooks_left(net)])}


_BIG = {"N": 3, "C": 2, "H": 6, "W": 10, "K": 7}  # non-square, two channels, seven classes
_ONE = {"N": 1, "C": 3, "H": 4, "W": 4, "K": 3}

CASES = [
    # ----------------------------------------------------------------------- saliency.py
    Case(
        "score_gradient_nonsquare",
        "score_gradient: 3 images of 2 x 6 x 10, 7 classes",
        run_score_gradient,
        inputs=net_inputs(**_BIG),
        verify=check_score_gradient,
        points=3,
        **TOL,
    ),
    Case(
        "score_gradient_side_effects",
        "score_gradient: no .grad on the parameters, weights and evaluation mode unchanged",
        run_score_gradient_side_effects,
        inputs=net_inputs(**_ONE),
        points=2,
        **TOL,
    ),
    Case(
        "saliency_map_nonsquare",
        "saliency_map: 3 images of 2 x 6 x 10",
        run_saliency,
        inputs=net_inputs(**_BIG),
        points=3,
        **TOL,
    ),
    Case(
        "saliency_map_one_image",
        "saliency_map: one 3 x 4 x 4 image, 3 classes",
        run_saliency,
        inputs=net_inputs(**_ONE),
        points=2,
        **TOL,
    ),
    Case(
        "guided_relu_negative_gradient",
        "GuidedReLU: a (2, 7) input and an incoming gradient, both with many zeros",
        run_guided_relu,
        inputs=guided_relu_inputs((2, 7)),
        points=3,
        **TOL,
    ),
    Case(
        "guided_backprop_nonsquare",
        "guided_backprop: 3 images of 2 x 6 x 10",
        run_guided_backprop,
        inputs=net_inputs(**_BIG),
        points=3,
        **TOL,
    ),
    Case(
        "grad_cam_nonsquare_relu1",
        "grad_cam on relu1 (full resolution) of 3 non-square images",
        run_grad_cam,
        inputs=net_inputs(**_BIG),
        params={"layer": "relu1"},
        points=3,
        **TOL,
    ),
    Case(
        "grad_cam_upsampled_pool",
        "grad_cam on the pooled layer (3 x 5, upsampled to 6 x 10)",
        run_grad_cam,
        inputs=net_inputs(**_BIG),
        params={"layer": "pool"},
        points=4,
        **TOL,
    ),
    Case(
        "grad_cam_hooks_removed_after_error",
        "grad_cam: hooks removed also when the model raises",
        run_grad_cam_after_error,
        inputs=net_inputs(N=2, C=3, H=6, W=6, K=4),
        params={"layer": "conv2"},
        points=2,
        **TOL,
    ),
    Case(
        "guided_grad_cam_pool",
        "guided_grad_cam on the pooled layer of 3 non-square images",
        run_guided_grad_cam,
        inputs=net_inputs(**_BIG),
        params={"layer": "pool"},
        points=3,
        **TOL,
    ),
    # ----------------------------------------------------------------------- attribution.py
    Case(
        "captum_saliency_nonsquare",
        "captum_saliency: 3 non-square images",
        run_captum,
        inputs=net_inputs(**_BIG),
        params={"method": "captum_saliency"},
        points=1,
        **TOL,
    ),
    Case(
        "captum_guided_backprop_nonsquare",
        "captum_guided_backprop: 3 non-square images",
        run_captum,
        inputs=net_inputs(**_BIG),
        params={"method": "captum_guided_backprop"},
        points=1,
        **TOL,
    ),
    Case(
        "captum_grad_cam_pool",
        "captum_grad_cam on the pooled layer, upsampled bilinearly",
        run_captum,
        inputs=net_inputs(**_BIG),
        params={"method": "captum_grad_cam", "layer": "pool"},
        points=2,
        **TOL,
    ),
    Case(
        "captum_guided_grad_cam_pool",
        "captum_guided_grad_cam on the pooled layer, bilinear",
        run_captum,
        inputs=net_inputs(**_BIG),
        params={"method": "captum_guided_grad_cam", "layer": "pool"},
        points=2,
        **TOL,
    ),
    Case(
        "integrated_gradients_steps",
        "integrated_gradients: 7 steps, 3 non-square images",
        run_integrated_gradients,
        inputs=net_inputs(**_BIG, baseline=True),
        params={"steps": 7},
        points=2,
        **TOL,
    ),
    Case(
        "layer_conductance_relu2",
        "layer_conductance of relu2, 9 steps",
        run_layer_conductance,
        inputs=net_inputs(**_BIG, baseline=True),
        params={"layer": "relu2", "steps": 9},
        points=2,
        **TOL,
    ),
    # ----------------------------------------------------------------------- fooling.py
    Case(
        "fooling_step_nonsquare",
        "fooling_step: 3 non-square images, step 2, each normalised by its own gradient's norm",
        run_fooling_step,
        inputs=lambda rng: {**net_inputs(**_BIG)(rng), "target": rng.integers(0, 7, size=3)},
        params={"step_size": 2.0},
        points=3,
        **TOL,
    ),
    Case(
        "make_fooling_image_budget",
        "make_fooling_image: the least likely class in at most 2 small steps (the budget runs out)",
        run_fooling,
        inputs=fooling_inputs(3, 8, 8, 6, target_of=_unlikely_target),
        params={"step_size": 0.05, "max_steps": 2},
        points=3,
        **TOL,
    ),
    Case(
        "make_fooling_image_already",
        "make_fooling_image: an image already classified as the target, 0 steps, unchanged",
        run_fooling,
        inputs=fooling_inputs(3, 8, 8, 6, target_of=_predicted_target),
        params={"step_size": 1.0, "max_steps": 10},
        points=2,
        **TOL,
    ),
    Case(
        "make_fooling_image_least_likely",
        "make_fooling_image: the least likely class of 6, steps of 0.3, at most 100",
        run_fooling,
        inputs=fooling_inputs(2, 6, 10, 6, target_of=_unlikely_target),
        params={"step_size": 0.3, "max_steps": 100},
        points=3,
        **TOL,
    ),
    # ----------------------------------------------------------------------- class_visualization.py
    Case(
        "jitter_negative_nonsquare",
        "jitter: roll a 1 x 2 x 6 x 4 image by (-3, 2)",
        run_jitter,
        inputs=lambda rng: {"x": rng.standard_normal((1, 2, 6, 4)), "ox": np.int64(-3), "oy": np.int64(2)},
        points=2,
    ),
    Case(
        "class_visualization_step_no_l2",
        "class_visualization_step: no regularisation, step 2, a non-square image",
        run_class_vis_step,
        inputs=class_vis_inputs(2, 6, 10, 7, T=1, max_jitter=0, bound=2.0),
        params={"l2_reg": 0.0, "learning_rate": 2.0},
        points=2,
        **TOL,
    ),
    Case(
        "class_visualization_step_strong_l2",
        "class_visualization_step: L2 regularisation 5, step 0.2",
        run_class_vis_step,
        inputs=class_vis_inputs(3, 8, 8, 5, T=1, max_jitter=0, bound=2.0),
        params={"l2_reg": 5.0, "learning_rate": 0.2},
        points=2,
        **TOL,
    ),
    Case(
        "create_class_visualization_no_blur",
        "create_class_visualization: 6 iterations, no blur, jitter up to 3, clamped, non-square",
        run_class_vis,
        inputs=class_vis_inputs(2, 6, 10, 7, T=6, max_jitter=3, bound=0.3),
        params={"l2_reg": 0.05, "learning_rate": 2.0, "blur_every": 0, "blur_sigma": 1.0},
        points=3,
        **TOL,
    ),
    Case(
        "create_class_visualization_blur_every_4",
        "create_class_visualization: 9 iterations, blur every 4, loose bounds",
        run_class_vis,
        inputs=class_vis_inputs(3, 8, 8, 5, T=9, max_jitter=1, bound=5.0),
        params={"l2_reg": 0.01, "learning_rate": 0.7, "blur_every": 4, "blur_sigma": 0.8},
        points=3,
        **TOL,
    ),
    # ----------------------------------------------------------------------- style_transfer.py
    Case(
        "content_loss_batch",
        "content_loss of (2, 3, 4, 7) features, weight 2.5",
        run_content_loss,
        inputs=lambda rng: {
            "current": rng.standard_normal((2, 3, 4, 7)),
            "original": rng.standard_normal((2, 3, 4, 7)),
        },
        params={"weight": 2.5},
        points=1,
        **TOL,
    ),
    Case(
        "gram_matrix_unnormalized",
        "gram_matrix of (2, 4, 3, 6) features, not normalised",
        run_gram,
        inputs=lambda rng: {"features": rng.standard_normal((2, 4, 3, 6)), "normalize": np.bool_(False)},
        points=2,
        **TOL,
    ),
    Case(
        "gram_matrix_nonsquare",
        "gram_matrix of (1, 5, 2, 7) features, normalised",
        run_gram,
        inputs=lambda rng: {"features": rng.standard_normal((1, 5, 2, 7)), "normalize": np.bool_(True)},
        points=2,
        **TOL,
    ),
    Case(
        "style_loss_one_layer",
        "style_loss over layer 0 alone, weight 4",
        run_style_loss,
        inputs=lambda rng: {k: v for k, v in style_loss_inputs()(rng).items() if k != "t1"},
        params={"layers": [0], "weights": [4.0]},
        points=2,
        **TOL,
    ),
    Case(
        "tv_loss_nonsquare",
        "tv_loss of a (2, 2, 3, 8) image, weight 1.5",
        run_tv_loss,
        inputs=lambda rng: {"img": rng.standard_normal((2, 2, 3, 8))},
        params={"weight": 1.5},
        points=2,
        **TOL,
    ),
    Case(
        "style_transfer_random_init",
        "style_transfer: 5 iterations from noise, no decay within them, content layer 2",
        run_style_transfer,
        inputs=style_transfer_inputs(8, 9, 10, 6, random_init=True),
        params={
            "content_layer": 2,
            "content_weight": 2.0,
            "style_layers": [0, 1, 2],
            "style_weights": [1.0, 2.0, 0.5],
            "tv_weight": 0.2,
            "iterations": 5,
            "learning_rate": 0.05,
            "decay_at": 10,
            "decayed_learning_rate": 0.01,
        },
        points=3,
        **TOL,
    ),
    Case(
        "style_transfer_decay_first",
        "style_transfer: 4 iterations, decayed from the first",
        run_style_transfer,
        inputs=style_transfer_inputs(6, 6, 6, 6, random_init=False),
        params={
            "content_layer": 0,
            "content_weight": 1.0,
            "style_layers": [1],
            "style_weights": [5.0],
            "tv_weight": 0.0,
            "iterations": 4,
            "learning_rate": 1.0,
            "decay_at": 0,
            "decayed_learning_rate": 0.03,
        },
        points=2,
        **TOL,
    ),
]
