"""Public cases of assignment 3: run by `make test` here and by the autograder, compared the same way.

Each case builds its inputs on the trusted side (from a generator seeded by the case's name),
calls your code through a small ``run_*`` function below, and compares what comes back with
the reference solution's outputs. The models are tiny float64 CNNs built here (``tiny_net``)
whose weights are inputs of the case (``w.<parameter name>``), so neither the trained
checkpoint nor any data set is needed, and your own random numbers never matter. Read a
``run_*`` function to see exactly how your code is called. The hidden cases call your code
the same way, with other shapes, layers, classes, step budgets and seeds.
"""

from __future__ import annotations

import numpy as np

from grader.cases import Case

# The helpers the hidden case file imports (``from public_cases import ...``), and the cases.
__all__ = [
    "CASES",
    "TOL",
    "check_score_gradient",
    "class_vis_inputs",
    "fooling_inputs",
    "guided_relu_inputs",
    "hooks_left",
    "net_inputs",
    "run_captum",
    "run_class_vis",
    "run_class_vis_step",
    "run_content_loss",
    "run_fooling",
    "run_fooling_step",
    "run_grad_cam",
    "run_gram",
    "run_guided_backprop",
    "run_guided_grad_cam",
    "run_guided_relu",
    "run_integrated_gradients",
    "run_jitter",
    "run_layer_conductance",
    "run_saliency",
    "run_score_gradient",
    "run_style_loss",
    "run_style_transfer",
    "run_tv_loss",
    "style_loss_inputs",
    "style_transfer_inputs",
    "tiny_net",
    "to_numpy",
    "to_tensor",
]

# --------------------------------------------------------------------------- helpers

TOL = {"atol": 1e-8, "rtol": 1e-6}  # float64 throughout: yours and the reference differ by rounding only


def _net_shapes(C: int, F1: int, F2: int, H: int, W: int, K: int) -> dict[str, tuple[int, ...]]:
    """conv1 (C -> F1, 3 x 3, padding 1), relu1, conv2 (F1 -> F2), relu2, 2 x 2 max pool, linear to K."""
    return {
        "conv1.weight": (F1, C, 3, 3),
        "conv1.bias": (F1,),
        "conv2.weight": (F2, F1, 3, 3),
        "conv2.bias": (F2,),
        "fc.weight": (K, F2 * (H // 2) * (W // 2)),
        "fc.bias": (K,),
    }


def _net_weights(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """``w.<name>``: weights N(0, 2 / fan_in) (He), biases N(0, 0.1^2)."""
    out = {}
    for name, shape in shapes.items():
        z = rng.standard_normal(shape)
        out[f"w.{name}"] = 0.1 * z if len(shape) == 1 else z * np.sqrt(2.0 / np.prod(shape[1:]))
    return out


def net_inputs(N: int, C: int, H: int, W: int, K: int, F1: int = 4, F2: int = 6, baseline: bool = False):
    """Images ``x (N, C, H, W)``, classes ``y (N,)`` and the weights of ``tiny_net``."""

    def inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
        arrays = {
            "x": rng.standard_normal((N, C, H, W)),
            "y": rng.integers(0, K, size=N),
            **_net_weights(rng, _net_shapes(C, F1, F2, H, W, K)),
        }
        if baseline:
            arrays["baseline"] = 0.5 * rng.standard_normal((N, C, H, W))
        return arrays

    return inputs


def tiny_net(w: dict[str, np.ndarray]):
    """The float64 CNN of ``_net_shapes`` with the given weights, in evaluation mode, without gradients
    on its parameters. Its ReLUs are ``nn.ReLU`` modules, so guided backprop can replace them."""
    from collections import OrderedDict

    import torch
    from torch import nn

    weights = {k[2:]: torch.from_numpy(np.ascontiguousarray(v)) for k, v in w.items() if k.startswith("w.")}
    F1, C = weights["conv1.weight"].shape[:2]
    F2 = weights["conv2.weight"].shape[0]
    K, D = weights["fc.weight"].shape
    net = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(C, F1, 3, padding=1),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(F1, F2, 3, padding=1),
            relu2=nn.ReLU(),
            pool=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc=nn.Linear(D, K),
        )
    ).double()
    net.load_state_dict(weights)
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


def to_tensor(x: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(x))


def to_numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy()


def hooks_left(net) -> int:
    """Forward and backward hooks still registered on any module of the net."""
    return sum(len(m._forward_hooks) + len(m._backward_hooks) for m in net.modules())


def check_score_gradient(inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray]) -> None:
    """verify hook (oracle only): the gradient equals centred differences of the class scores."""
    import torch

    from grader.gradcheck import assert_gradient_close, numerical_gradient

    net, x, y = tiny_net(inputs), inputs["x"].copy(), inputs["y"]

    def scores() -> np.ndarray:
        with torch.no_grad():
            return to_numpy(net(to_tensor(x)))[np.arange(len(y)), y]

    assert_gradient_close(outputs["grad"], numerical_gradient(scores, x), "d score / d x", 1e-5)


# --------------------------------------------------------------------------- saliency.py


def run_score_gradient(x, y, **w):
    from cnn_vis.saliency import score_gradient

    net, xt = tiny_net(w), to_tensor(x)
    grad = score_gradient(net, xt, to_tensor(y))
    return {"grad": to_numpy(grad), "x_changed": to_numpy(xt) - x}


def run_saliency(x, y, **w):
    from cnn_vis.saliency import saliency_map

    return {"saliency": to_numpy(saliency_map(tiny_net(w), to_tensor(x), to_tensor(y)))}


def run_guided_relu(x, dout):
    import torch

    from cnn_vis.saliency import GuidedReLU

    xt = to_tensor(x).clone().requires_grad_(True)
    out = GuidedReLU.apply(xt)
    (dx,) = torch.autograd.grad(out, xt, to_tensor(dout))
    return {"out": to_numpy(out), "dx": to_numpy(dx)}


def _with_zeros(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Normal entries, a quarter of them exactly 0 (where the derivatives are taken as 0)."""
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.25] = 0.0
    return x


def guided_relu_inputs(shape: tuple[int, ...]):
    return lambda rng: {"x": _with_zeros(rng, shape), "dout": _with_zeros(rng, shape)}


def run_guided_backprop(x, y, **w):
    from torch import nn

    from cnn_vis.saliency import guided_backprop

    net = tiny_net(w)
    grad = guided_backprop(net, to_tensor(x), to_tensor(y))
    relus = sum(isinstance(m, nn.ReLU) for m in net.modules())
    return {"grad": to_numpy(grad), "relu_modules_left": np.array([relus])}


def run_grad_cam(x, y, layer, **w):
    from cnn_vis.saliency import grad_cam

    net = tiny_net(w)
    cam = grad_cam(net, net.get_submodule(layer), to_tensor(x), to_tensor(y))
    return {"cam": to_numpy(cam), "hooks_left": np.array([hooks_left(net)])}


def run_guided_grad_cam(x, y, layer, **w):
    from cnn_vis.saliency import guided_grad_cam

    net = tiny_net(w)
    return {
        "map": to_numpy(guided_grad_cam(net, net.get_submodule(layer), to_tensor(x), to_tensor(y))),
        "hooks_left": np.array([hooks_left(net)]),
    }


# --------------------------------------------------------------------------- attribution.py (Captum)


def run_captum(x, y, method, layer="", **w):
    from cnn_vis import attribution

    net = tiny_net(w)
    fn = getattr(attribution, method)
    args = (net, net.get_submodule(layer)) if layer else (net,)
    return {"map": to_numpy(fn(*args, to_tensor(x), to_tensor(y)))}


def run_integrated_gradients(x, y, baseline, steps, **w):
    from cnn_vis.attribution import integrated_gradients

    attributions, delta = integrated_gradients(tiny_net(w), to_tensor(x), to_tensor(y), to_tensor(baseline), steps)
    return {"attributions": to_numpy(attributions), "delta": to_numpy(delta)}


def run_layer_conductance(x, y, baseline, layer, steps, **w):
    from cnn_vis.attribution import layer_conductance

    net = tiny_net(w)
    return {
        "conductance": to_numpy(
            layer_conductance(net, net.get_submodule(layer), to_tensor(x), to_tensor(y), to_tensor(baseline), steps)
        )
    }


# --------------------------------------------------------------------------- fooling.py


def run_fooling_step(x, target, step_size, **w):
    from cnn_vis.fooling import fooling_step

    return {"x": to_numpy(fooling_step(tiny_net(w), to_tensor(x), to_tensor(target), step_size))}


def run_fooling(x, target, step_size, max_steps, **w):
    from cnn_vis.fooling import make_fooling_image

    net = tiny_net(w)
    fooled, steps = make_fooling_image(net, to_tensor(x), int(target), step_size, max_steps)
    return {"x": to_numpy(fooled), "steps": np.array([steps]), "predicted": np.array([to_numpy(net(fooled)).argmax()])}


def _random_target(rng: np.random.Generator, arrays: dict[str, np.ndarray], K: int) -> int:
    return int(rng.integers(0, K))


def fooling_inputs(C: int, H: int, W: int, K: int, target_of=_random_target):
    """One image ``x (1, C, H, W)``, the weights, and ``target = target_of(rng, arrays, K)``."""

    def inputs(rng):
        arrays = net_inputs(1, C, H, W, K)(rng)
        del arrays["y"]
        arrays["target"] = np.int64(target_of(rng, arrays, K))
        return arrays

    return inputs


# --------------------------------------------------------------------------- class_visualization.py


def run_jitter(x, ox, oy):
    from cnn_vis.class_visualization import jitter

    return {"out": to_numpy(jitter(to_tensor(x), int(ox), int(oy)))}


def run_class_vis_step(x, target, l2_reg, learning_rate, **w):
    from cnn_vis.class_visualization import class_visualization_step

    return {"img": to_numpy(class_visualization_step(tiny_net(w), to_tensor(x), int(target), l2_reg, learning_rate))}


def run_class_vis(x, target, jitters, low, high, l2_reg, learning_rate, blur_every, blur_sigma, **w):
    from cnn_vis.class_visualization import create_class_visualization

    net = tiny_net(w)
    img = create_class_visualization(
        net,
        int(target),
        to_tensor(x),
        jitters,
        l2_reg,
        learning_rate,
        to_tensor(low),
        to_tensor(high),
        blur_every,
        blur_sigma,
    )
    return {"img": to_numpy(img)}


def class_vis_inputs(C: int, H: int, W: int, K: int, T: int, max_jitter: int, bound: float):
    def inputs(rng):
        arrays = net_inputs(1, C, H, W, K)(rng)
        del arrays["y"]
        arrays["x"] = 0.3 * arrays["x"]
        arrays["target"] = rng.integers(0, K)
        arrays["jitters"] = rng.integers(-max_jitter, max_jitter + 1, size=(T, 2))
        arrays["low"] = -bound * (1 + 0.2 * rng.random((1, C, 1, 1)))
        arrays["high"] = bound * (1 + 0.2 * rng.random((1, C, 1, 1)))
        return arrays

    return inputs


# --------------------------------------------------------------------------- style_transfer.py


def run_content_loss(current, original, weight):
    from cnn_vis.style_transfer import content_loss

    return {"loss": to_numpy(content_loss(weight, to_tensor(current), to_tensor(original)))}


def run_gram(features, normalize):
    from cnn_vis.style_transfer import gram_matrix

    return {"gram": to_numpy(gram_matrix(to_tensor(features), normalize=bool(normalize)))}


def run_style_loss(f0, f1, f2, layers, weights, **t):
    """Targets ``t0, t1, ...``: one Gram matrix per entry of ``layers``."""
    from cnn_vis.style_transfer import style_loss

    targets = [to_tensor(t[f"t{i}"]) for i in range(len(t))]
    return {
        "loss": to_numpy(
            style_loss([to_tensor(f0), to_tensor(f1), to_tensor(f2)], list(layers), targets, list(weights))
        )
    }


def style_loss_inputs():
    """Three feature maps of a "network", Gram-matrix targets for two of them (layers 0 and 2)."""

    def inputs(rng):
        f = [rng.standard_normal(s) for s in ((1, 3, 6, 5), (1, 4, 4, 4), (1, 5, 3, 3))]
        targets = [np.abs(rng.standard_normal((1, c, c))) for c in (3, 5)]
        return {"f0": f[0], "f1": f[1], "f2": f[2], "t0": targets[0], "t1": targets[1]}

    return inputs


def run_tv_loss(img, weight):
    from cnn_vis.style_transfer import tv_loss

    return {"loss": to_numpy(tv_loss(to_tensor(img), weight))}


def _extractor(w: dict[str, np.ndarray]):
    """A three-layer feature extractor: the outputs of relu1, relu2 and relu3 of a float64 conv stack."""
    import torch
    from torch import nn

    convs = []
    for i in (1, 2, 3):
        weight = to_tensor(w[f"w.conv{i}.weight"])
        conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1, stride=1 if i == 1 else 2).double()
        with torch.no_grad():
            conv.weight.copy_(weight)
            conv.bias.copy_(to_tensor(w[f"w.conv{i}.bias"]))
        conv.requires_grad_(False)
        convs.append(conv)

    def extract(img):
        feats = []
        for conv in convs:
            img = torch.relu(conv(img))
            feats.append(img)
        return feats

    return extract


def run_style_transfer(content, style, init, content_layer, content_weight, style_layers, style_weights, **kw):
    from cnn_vis.style_transfer import style_transfer

    w = {k: v for k, v in kw.items() if k.startswith("w.")}
    img, losses = style_transfer(
        _extractor(w),
        to_tensor(content),
        to_tensor(style),
        to_tensor(init),
        content_layer,
        content_weight,
        list(style_layers),
        list(style_weights),
        kw["tv_weight"],
        kw["iterations"],
        kw["learning_rate"],
        kw["decay_at"],
        kw["decayed_learning_rate"],
    )
    return {"img": to_numpy(img), "losses": to_numpy(losses)}


def style_transfer_inputs(H: int, W: int, Hs: int, Ws: int, random_init: bool):
    def inputs(rng):
        content = rng.standard_normal((1, 3, H, W))
        arrays = {
            "content": content,
            "style": rng.standard_normal((1, 3, Hs, Ws)),
            "init": rng.standard_normal((1, 3, H, W)) if random_init else content.copy(),
        }
        for i, (cin, cout) in enumerate(((3, 4), (4, 5), (5, 6)), start=1):
            arrays[f"w.conv{i}.weight"] = rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2.0 / (9 * cin))
            arrays[f"w.conv{i}.bias"] = 0.1 * rng.standard_normal(cout)
        return arrays

    return inputs


# --------------------------------------------------------------------------- the public cases

_NET = {"N": 2, "C": 3, "H": 8, "W": 8, "K": 5}

CASES = [
    Case(
        "score_gradient_values",
        "score_gradient: gradient of the class scores of 2 images (3 x 8 x 8), x left unchanged",
        run_score_gradient,
        inputs=net_inputs(**_NET),
        verify=check_score_gradient,
        **TOL,
    ),
    Case(
        "saliency_map_values",
        "saliency_map: max over channels of |gradient|, 2 images",
        run_saliency,
        inputs=net_inputs(**_NET),
        **TOL,
    ),
    Case(
        "guided_relu_forward_backward",
        "GuidedReLU: forward, and backward with zeros in the input and in the incoming gradient",
        run_guided_relu,
        inputs=guided_relu_inputs((3, 4, 5)),
        **TOL,
    ),
    Case(
        "guided_backprop_values",
        "guided_backprop: signed gradients of 2 images; the model keeps its nn.ReLU modules",
        run_guided_backprop,
        inputs=net_inputs(**_NET),
        **TOL,
    ),
    Case(
        "grad_cam_values",
        "grad_cam on relu2 (8 x 8, no pooling before it), 2 images; no hook left behind",
        run_grad_cam,
        inputs=net_inputs(**_NET),
        params={"layer": "relu2"},
        points=2,
        **TOL,
    ),
    Case(
        "guided_grad_cam_values",
        "guided_grad_cam on relu2, 2 images",
        run_guided_grad_cam,
        inputs=net_inputs(**_NET),
        params={"layer": "relu2"},
        **TOL,
    ),
    Case(
        "captum_saliency_values",
        "captum_saliency: Captum's Saliency, max over channels",
        run_captum,
        inputs=net_inputs(**_NET),
        params={"method": "captum_saliency"},
        **TOL,
    ),
    Case(
        "captum_guided_backprop_values",
        "captum_guided_backprop: Captum's GuidedBackprop",
        run_captum,
        inputs=net_inputs(**_NET),
        params={"method": "captum_guided_backprop"},
        **TOL,
    ),
    Case(
        "captum_grad_cam_values",
        "captum_grad_cam: Captum's LayerGradCam on relu2, upsampled bilinearly",
        run_captum,
        inputs=net_inputs(**_NET),
        params={"method": "captum_grad_cam", "layer": "relu2"},
        **TOL,
    ),
    Case(
        "captum_guided_grad_cam_values",
        "captum_guided_grad_cam: Captum's GuidedGradCam on relu2, bilinear",
        run_captum,
        inputs=net_inputs(**_NET),
        params={"method": "captum_guided_grad_cam", "layer": "relu2"},
        **TOL,
    ),
    Case(
        "integrated_gradients_values",
        "integrated_gradients: attributions and convergence deltas, 20 steps from a random baseline",
        run_integrated_gradients,
        inputs=net_inputs(**_NET, baseline=True),
        params={"steps": 20},
        **TOL,
    ),
    Case(
        "layer_conductance_values",
        "layer_conductance of relu1, 20 steps from a random baseline",
        run_layer_conductance,
        inputs=net_inputs(**_NET, baseline=True),
        params={"layer": "relu1", "steps": 20},
        **TOL,
    ),
    Case(
        "fooling_step_values",
        "fooling_step: one normalised step for 3 images with their own targets",
        run_fooling_step,
        inputs=lambda rng: {
            **net_inputs(3, 3, 8, 8, 5)(rng),
            "target": rng.integers(0, 5, size=3),
        },
        params={"step_size": 0.5},
        **TOL,
    ),
    Case(
        "make_fooling_image_values",
        "make_fooling_image: steps of 0.5 until the prediction is the target (at most 50 steps)",
        run_fooling,
        inputs=fooling_inputs(3, 8, 8, 5),
        params={"step_size": 0.5, "max_steps": 50},
        **TOL,
    ),
    Case(
        "jitter_values",
        "jitter: roll a 2 x 3 x 5 x 7 batch by (ox, oy) = (2, -1)",
        run_jitter,
        inputs=lambda rng: {"x": rng.standard_normal((2, 3, 5, 7)), "ox": np.int64(2), "oy": np.int64(-1)},
    ),
    Case(
        "class_visualization_step_values",
        "class_visualization_step: one normalised step with L2 regularisation 0.1",
        run_class_vis_step,
        inputs=class_vis_inputs(3, 8, 8, 5, T=1, max_jitter=0, bound=2.0),
        params={"l2_reg": 0.1, "learning_rate": 0.5},
        **TOL,
    ),
    Case(
        "create_class_visualization_values",
        "create_class_visualization: 7 iterations, jitter up to 2, blur every 3, clamped",
        run_class_vis,
        inputs=class_vis_inputs(3, 8, 8, 5, T=7, max_jitter=2, bound=0.4),
        params={"l2_reg": 0.01, "learning_rate": 3.0, "blur_every": 3, "blur_sigma": 0.6},
        points=2,
        **TOL,
    ),
    Case(
        "content_loss_values",
        "content_loss of (1, 4, 5, 6) features, weight 0.3",
        run_content_loss,
        inputs=lambda rng: {
            "current": rng.standard_normal((1, 4, 5, 6)),
            "original": rng.standard_normal((1, 4, 5, 6)),
        },
        params={"weight": 0.3},
        **TOL,
    ),
    Case(
        "gram_matrix_normalized",
        "gram_matrix of (2, 3, 4, 5) features, normalised by C * H * W",
        run_gram,
        inputs=lambda rng: {"features": rng.standard_normal((2, 3, 4, 5)), "normalize": np.bool_(True)},
        **TOL,
    ),
    Case(
        "style_loss_values",
        "style_loss over layers 0 and 2 of three, weights 2 and 0.5",
        run_style_loss,
        inputs=style_loss_inputs(),
        params={"layers": [0, 2], "weights": [2.0, 0.5]},
        **TOL,
    ),
    Case(
        "tv_loss_values",
        "tv_loss of a (1, 3, 5, 6) image, weight 0.7",
        run_tv_loss,
        inputs=lambda rng: {"img": rng.standard_normal((1, 3, 5, 6))},
        params={"weight": 0.7},
        **TOL,
    ),
    Case(
        "style_transfer_values",
        "style_transfer: 6 Adam iterations on a 10 x 12 image (decay at 4), losses and final image",
        run_style_transfer,
        inputs=style_transfer_inputs(10, 12, 8, 8, random_init=False),
        params={
            "content_layer": 1,
            "content_weight": 0.5,
            "style_layers": [0, 2],
            "style_weights": [3.0, 1.0],
            "tv_weight": 0.05,
            "iterations": 6,
            "learning_rate": 0.1,
            "decay_at": 4,
            "decayed_learning_rate": 0.02,
        },
        points=2,
        **TOL,
    ),
]
