"""Tests of the reference solution and the staff code (never shipped: grading/ is not in the handout).

Independent of the cases: the reference against Captum on the same model and inputs (a tiny
net and CifarNet with batch normalisation, in float32 and float64), closed forms of the Gram
matrix, total variation and content losses, the guided ReLU's gradient against its definition,
Integrated Gradients against a quadrature written out here, and the staff commands end to end
on the committed sample with small settings.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from cnn_vis import attribution, saliency
from cnn_vis.class_visualization import (
    class_visualization_step,
    create_class_visualization,
    draw_jitters,
    gaussian_blur,
    jitter,
)
from cnn_vis.config import (
    ClassVisConfig,
    ConfigError,
    FoolingConfig,
    MapsConfig,
    SanityConfig,
    StyleConfig,
    TrainConfig,
)
from cnn_vis.fooling import fooling_step, make_fooling_image
from cnn_vis.model import CHECKPOINT, CifarNet, load_cifar_net, load_classifier, replace_relus
from cnn_vis.sanity import cascading_randomization, layer_groups, rankdata, spearman
from cnn_vis.style_transfer import content_loss, gram_matrix, style_loss, style_transfer, tv_loss

ROOT = Path(__file__).resolve().parent.parent


def _tiny(dtype=torch.float64, seed=0, K=5) -> nn.Module:
    torch.manual_seed(seed)
    net = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 4, 3, padding=1),
            relu1=nn.ReLU(),
            conv2=nn.Conv2d(4, 6, 3, padding=1),
            relu2=nn.ReLU(),
            pool=nn.MaxPool2d(2),
            flatten=nn.Flatten(),
            fc=nn.Linear(6 * 4 * 4, K),
        )
    )
    return net.to(dtype).eval()


def _cifar(dtype=torch.float32, seed=0) -> CifarNet:
    """A CifarNet of width 8 with random weights and random batch-norm statistics, in evaluation mode."""
    torch.manual_seed(seed)
    net = CifarNet(width=8)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.1)
    return net.to(dtype).eval()


def _batch(N=3, H=8, W=8, K=5, dtype=torch.float64, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(N, 3, H, W, generator=g, dtype=dtype), torch.randint(0, K, (N,), generator=g)


# --------------------------------------------------------------------------- reference against Captum

PAIRS = [
    (
        "saliency",
        lambda m, layer, x, y: saliency.saliency_map(m, x, y),
        lambda m, layer, x, y: attribution.captum_saliency(m, x, y),
    ),
    (
        "guided_backprop",
        lambda m, layer, x, y: saliency.guided_backprop(m, x, y),
        lambda m, layer, x, y: attribution.captum_guided_backprop(m, x, y),
    ),
    ("grad_cam", saliency.grad_cam, attribution.captum_grad_cam),
    ("guided_grad_cam", saliency.guided_grad_cam, attribution.captum_guided_grad_cam),
]


@pytest.mark.parametrize("name, ours, theirs", PAIRS, ids=[p[0] for p in PAIRS])
@pytest.mark.parametrize("model", ["tiny64", "cifar32"])
def test_reference_equals_captum(name, ours, theirs, model):
    """Does each map of the reference equal Captum's on the same model and inputs, to float precision?"""
    if model == "tiny64":
        net, (x, y), layer_name, eps = _tiny(), _batch(), "relu2", 1e-12
    else:
        net, (x, y), layer_name, eps = _cifar(), _batch(4, 16, 16, 10, torch.float32), "features.relu6", 1e-6
    layer = net.get_submodule(layer_name)
    a, b = ours(net, layer, x, y).detach(), theirs(net, layer, x, y).detach()
    assert a.shape == b.shape
    scale = float(b.abs().max())
    assert scale > 0
    assert float((a - b).abs().max()) <= eps * scale, f"{name}: max |diff| {float((a - b).abs().max())}"


def test_score_gradient_matches_finite_differences():
    """Is score_gradient the gradient of the chosen class scores (centred differences, float64)?"""
    net, (x, y) = _tiny(), _batch(2)
    grad = saliency.score_gradient(net, x, y)
    h = 1e-6
    for idx in [(0, 0, 0, 0), (0, 2, 3, 4), (1, 1, 7, 7), (1, 0, 4, 2)]:
        xp, xm = x.clone(), x.clone()
        xp[idx] += h
        xm[idx] -= h
        with torch.no_grad():
            num = (net(xp)[idx[0], y[idx[0]]] - net(xm)[idx[0], y[idx[0]]]) / (2 * h)
        assert abs(float(num) - float(grad[idx])) < 1e-6


def test_saliency_leaves_inputs_and_model_alone():
    net, (x, y) = _tiny(), _batch()
    x0, state = x.clone(), {k: v.clone() for k, v in net.state_dict().items()}
    saliency.saliency_map(net, x, y)
    saliency.grad_cam(net, net.relu2, x, y)
    saliency.guided_backprop(net, x, y)
    assert torch.equal(x, x0) and not x.requires_grad
    assert all(torch.equal(v, state[k]) for k, v in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters())
    assert all(isinstance(m, nn.ReLU) for m in (net.relu1, net.relu2))
    assert all(not m._forward_hooks and not m._backward_hooks for m in net.modules())


def test_guided_relu_gradient_is_its_definition():
    """backward(g) == g * [x > 0] * [g > 0], with exact zeros in x and g."""
    g = torch.Generator().manual_seed(3)
    x = torch.randn(500, generator=g, dtype=torch.float64)
    dout = torch.randn(500, generator=g, dtype=torch.float64)
    x[::7] = 0.0
    dout[::5] = 0.0
    xr = x.clone().requires_grad_(True)
    out = saliency.GuidedReLU.apply(xr)
    (dx,) = torch.autograd.grad(out, xr, dout)
    xn, dn = x.numpy(), dout.numpy()
    np.testing.assert_array_equal(out.detach().numpy(), np.maximum(xn, 0))
    np.testing.assert_array_equal(dx.numpy(), dn * (xn > 0) * (dn > 0))


def test_grad_cam_by_hand():
    """Grad-CAM on relu2 written out with torch.autograd.grad, without hooks."""
    net, (x, y) = _tiny(), _batch()
    acts = net[:4](x)  # (N, 6, 8, 8): relu2's output
    scores = net[4:](acts).gather(1, y.view(-1, 1)).sum()
    (grads,) = torch.autograd.grad(scores, acts)
    cam = torch.relu((grads.mean(dim=(2, 3), keepdim=True) * acts).sum(dim=1))
    torch.testing.assert_close(saliency.grad_cam(net, net.relu2, x, y), cam.detach(), rtol=1e-12, atol=1e-14)


def test_integrated_gradients_against_quadrature():
    """Captum's IG equals (x - b) times the Gauss-Legendre average of the gradients on the path, and completes."""
    net, (x, y) = _tiny(), _batch(2)
    baseline = 0.3 * torch.ones_like(x)
    steps = 24
    attributions, delta = attribution.integrated_gradients(net, x, y, baseline, steps)
    nodes, weights = np.polynomial.legendre.leggauss(steps)
    alphas, w = (nodes + 1) / 2, weights / 2  # on [0, 1]
    total = torch.zeros_like(x)
    for a, wt in zip(alphas, w, strict=True):
        total += wt * saliency.score_gradient(net, baseline + float(a) * (x - baseline), y)
    # Captum keeps its nodes and weights in float32 (relative differences of about 3e-7 here).
    torch.testing.assert_close(attributions, (x - baseline) * total, rtol=1e-6, atol=1e-9)
    with torch.no_grad():
        gap = (net(x) - net(baseline)).gather(1, y.view(-1, 1))[:, 0]
    torch.testing.assert_close(attributions.sum(dim=(1, 2, 3)) - gap, delta, rtol=1e-9, atol=1e-9)


def test_layer_conductance_sums_to_the_score_gap_on_a_smooth_net():
    """Conductance of all units of a layer adds up to score(x) - score(baseline) (here with softplus units)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Softplus(), nn.Flatten(), nn.Linear(4 * 8 * 8, 5)).double()
    x, y = _batch(2)
    baseline = torch.zeros_like(x)
    cond = attribution.layer_conductance(net, net[1], x, y, baseline, 200)
    with torch.no_grad():
        gap = (net(x) - net(baseline)).gather(1, y.view(-1, 1))[:, 0]
    torch.testing.assert_close(cond.sum(dim=(1, 2, 3)), gap, rtol=1e-3, atol=1e-4)


# --------------------------------------------------------------------------- fooling and class visualisation


def test_fooling_step_has_the_step_size_per_image():
    net, (x, y) = _tiny(), _batch(3)
    new = fooling_step(net, x, y, 0.7)
    torch.testing.assert_close((new - x).flatten(1).norm(dim=1), torch.full((3,), 0.7, dtype=torch.float64))


def test_make_fooling_image_reaches_the_target():
    net, (x, _) = _tiny(K=5), _batch(1)
    with torch.no_grad():
        target = int(net(x).argmin())
    fooled, steps = make_fooling_image(net, x, target, step_size=0.5, max_steps=200)
    with torch.no_grad():
        assert int(net(fooled).argmax()) == target
    assert 0 < steps < 200


def test_jitter_round_trip_and_direction():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float64).view(2, 3, 4, 5)
    out = jitter(x, 2, -1)
    assert out[0, 0, 0, 2] == x[0, 0, 1, 0]  # out[i, j] = x[i - oy, j - ox]
    torch.testing.assert_close(jitter(out, -2, 1), x)


def test_gaussian_blur_keeps_constants_and_the_mean():
    img = torch.full((1, 3, 9, 9), 0.7, dtype=torch.float64)
    torch.testing.assert_close(gaussian_blur(img, 0.8), img)
    noise = torch.randn(1, 3, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert float(gaussian_blur(noise, 1.0).std()) < float(noise.std())


def test_class_visualization_step_size_and_objective():
    net, (x, _) = _tiny(), _batch(1)
    new = class_visualization_step(net, x, 2, 0.1, 0.3)
    assert abs(float((new - x).norm()) - 0.3) < 1e-12
    with torch.no_grad():
        assert float(net(new)[0, 2] - 0.1 * new.pow(2).sum()) > float(net(x)[0, 2] - 0.1 * x.pow(2).sum())


def test_create_class_visualization_raises_the_class_probability():
    net, (x, _) = _tiny(), _batch(1)
    jitters = draw_jitters(np.random.default_rng(0), 40, 1)
    low, high = -2 * torch.ones(1, 3, 1, 1, dtype=torch.float64), 2 * torch.ones(1, 3, 1, 1, dtype=torch.float64)
    img = create_class_visualization(net, 4, 0.1 * x, jitters, 1e-3, 0.5, low, high, 10, 0.5)
    with torch.no_grad():
        assert float(torch.softmax(net(img), 1)[0, 4]) > float(torch.softmax(net(0.1 * x), 1)[0, 4])
    assert float(img.min()) >= -2 and float(img.max()) <= 2


# --------------------------------------------------------------------------- style transfer against closed forms


def test_gram_matrix_closed_form():
    f = torch.randn(2, 3, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    fn = f.numpy()
    expected = np.zeros((2, 3, 3))
    for n in range(2):
        for c in range(3):
            for d in range(3):
                expected[n, c, d] = np.sum(fn[n, c] * fn[n, d])
    np.testing.assert_allclose(gram_matrix(f, normalize=False).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(gram_matrix(f).numpy(), expected / (3 * 4 * 5), rtol=1e-12)


def test_tv_and_content_loss_closed_form():
    img = torch.randn(1, 2, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    a = img.numpy()
    expected = sum(
        (a[0, c, i + 1, j] - a[0, c, i, j]) ** 2 for c in range(2) for i in range(3) for j in range(5)
    ) + sum((a[0, c, i, j + 1] - a[0, c, i, j]) ** 2 for c in range(2) for i in range(4) for j in range(4))
    assert abs(float(tv_loss(img, 0.3)) - 0.3 * expected) < 1e-10
    other = img + 0.5
    assert abs(float(content_loss(2.0, img, other)) - 2.0 * 0.25 * img.numel()) < 1e-10


def test_style_loss_closed_form():
    g = torch.Generator().manual_seed(2)
    feats = [torch.randn(1, c, 4, 4, dtype=torch.float64, generator=g) for c in (3, 5)]
    targets = [torch.randn(1, c, c, dtype=torch.float64, generator=g) for c in (3, 5)]
    expected = (
        2.0 * ((gram_matrix(feats[0]) - targets[0]) ** 2).sum()
        + 0.5 * ((gram_matrix(feats[1]) - targets[1]) ** 2).sum()
    )
    torch.testing.assert_close(style_loss(feats, [0, 1], targets, [2.0, 0.5]), expected)


def test_style_transfer_lowers_the_loss():
    torch.manual_seed(0)
    convs = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.ReLU()).double()
    convs.requires_grad_(False)

    def extract(img):
        a = convs[:2](img)
        return [a, convs[2:](a)]

    g = torch.Generator().manual_seed(0)
    content, style = (torch.randn(1, 3, 8, 8, dtype=torch.float64, generator=g) for _ in range(2))
    img, losses = style_transfer(
        extract, content, style, content, 1, 1.0, [0, 1], [10.0, 10.0], 0.01, 30, 0.05, 20, 0.01
    )
    assert losses.shape == (30,) and float(losses[-1]) < 0.5 * float(losses[0])
    assert img.shape == content.shape and not img.requires_grad


# --------------------------------------------------------------------------- staff code


def test_replace_relus_copies():
    net = _tiny()
    guided = replace_relus(net, saliency.GuidedReLU.apply)
    assert isinstance(net.relu1, nn.ReLU) and not isinstance(guided.relu1, nn.ReLU)


def test_rankdata_and_spearman():
    np.testing.assert_array_equal(rankdata(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1.0, 3.5, 2.0])
    a = np.random.default_rng(0).standard_normal(50)
    assert spearman(a, np.exp(a)) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert spearman(a, np.zeros(50)) == 0.0


def test_cascading_randomization_goes_from_the_top_and_leaves_the_model():
    net = _cifar()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    names = [name for name, _ in cascading_randomization(net)]
    assert names == ["none", "fc"] + [f"features.conv{i}" for i in range(6, 0, -1)]
    assert [n for n, _ in layer_groups(net)] == names[1:]
    assert all(torch.equal(v, state[k]) for k, v in net.state_dict().items())


def test_configs_load_and_reject_bad_values(tmp_path):
    """Does every committed config load into its command's dataclass, are typos refused and is 1e-3 a number?"""
    kinds = {"model": TrainConfig, "maps": MapsConfig, "fooling": FoolingConfig, "class": ClassVisConfig}
    kinds |= {"sanity": SanityConfig, "style": StyleConfig}
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        kinds[path.stem.split("_")[0]].load(path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("step_size: 1e-3\n")
    assert FoolingConfig.load(bad).step_size == 1e-3
    bad.write_text("stepsize: 1.0\n")
    with pytest.raises(ConfigError, match="unknown key"):
        FoolingConfig.load(bad)
    bad.write_text("methods: [gradient, saliency]\n")
    with pytest.raises(ConfigError, match="methods: expected a list of one of 'gradient'"):
        SanityConfig.load(bad)


def test_squeezenet_is_never_downloaded(tmp_path, monkeypatch):
    """Without cached weights, the ImageNet path says so instead of downloading."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_classifier("squeezenet")


@pytest.mark.skipif(not CHECKPOINT.is_file(), reason="cnn_vis/cifar_net.pt not trained yet")
def test_committed_checkpoint_loads_with_weights_only():
    net = load_cifar_net()
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert CHECKPOINT.stat().st_size < 5 * 2**20


ON_TEST_IMAGES = ("run_maps", "run_fooling", "run_sanity")  # the commands that read the CIFAR-10 sample


def _run(module, tmp_path, config_text, extra=()):
    """Run a command on the bundled sample; its folder (``out-sample`` for those that read test images)."""
    import importlib

    from cnn_vis.data import SAMPLE_DIR

    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "c.yaml"
    config.write_text(config_text)
    out = tmp_path / "out"
    main = importlib.import_module(f"cnn_vis.{module}").main
    args = ["--config", str(config), "--out", str(out), "--device", "cpu", "--no-progress", *extra]
    assert main([*args, "--data-dir", str(SAMPLE_DIR)]) == 0
    if module in ON_TEST_IMAGES:
        assert not out.exists()  # a run on the sample never takes the full run's folder
        out = tmp_path / "out-sample"
    return out, json.loads((out / "metrics.json").read_text())


@pytest.mark.parametrize("module", [*ON_TEST_IMAGES, "run_class_vis", "run_style"])
def test_every_command_refuses_a_bad_config_with_status_2_before_any_work(tmp_path, module, capsys):
    import importlib

    main = importlib.import_module(f"cnn_vis.{module}").main
    config = tmp_path / "c.yaml"
    config.write_text("checkpoint: /nonexistent/net.pt\n" if module != "run_style" else "style_image: nope.jpg\n")
    assert main(["--config", str(config), "--device", "cpu", "--seed", "7"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    config.write_text("no_such_key: 1\n")
    assert main(["--config", str(config), "--device", "cpu"]) == 2
    assert "no_such_key" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not Path("runs/c").exists()


@pytest.fixture(scope="module")
def demo_checkpoint(tmp_path_factory):
    """A width-8 CifarNet with random weights: the commands must run whatever the model knows."""
    path = tmp_path_factory.mktemp("ckpt") / "net.pt"
    torch.save(_cifar(seed=3).state_dict(), path)
    return path


def test_run_maps_writes_every_contact_sheet(tmp_path, demo_checkpoint):
    text = f"num_images: 2\nig_steps: 4\ncheckpoint: {demo_checkpoint}\n"
    out, metrics = _run("run_maps", tmp_path, text, ["--seed", "5"])
    assert metrics["config"]["seed"] == 5  # every command applies --seed (this one draws nothing at random)
    assert len(list(out.glob("*.png"))) == 10
    assert all(v["max_abs_diff"] <= 1e-6 for v in metrics["agreement_with_captum"].values())


def test_run_fooling_and_sanity(tmp_path, demo_checkpoint):
    _, metrics = _run("run_fooling", tmp_path / "f", f"num_images: 2\nmax_steps: 5\ncheckpoint: {demo_checkpoint}\n")
    assert metrics["num_images"] == 2
    text = f"num_images: 1\nmethods: [gradient, grad_cam]\ncheckpoint: {demo_checkpoint}\n"
    out, metrics = _run("run_sanity", tmp_path / "s", text)
    assert metrics["rank_correlation"]["gradient"][0] == pytest.approx(1.0)
    assert (out / "sanity.png").is_file()


def test_run_class_vis_and_style(tmp_path, demo_checkpoint):
    _, metrics = _run(
        "run_class_vis", tmp_path / "c", f"classes: [1]\nnum_iterations: 3\ncheckpoint: {demo_checkpoint}\n"
    )
    assert set(metrics["probability"]) == {"automobile"}
    text = f"checkpoint: {demo_checkpoint}\nimage_size: 16\nstyle_size: 16\niterations: 3\ndecay_at: 2\n"
    _, metrics = _run("run_style", tmp_path / "s", text)
    assert len(metrics["losses"]) == 3


def test_train_writes_a_sample_run_whose_model_loads(tmp_path, monkeypatch):
    """Does training on the sample write <out>-sample with metrics and a state dict that CifarNet loads?"""
    from cnn_vis.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    config = tmp_path / "c.yaml"
    config.write_text("width: 4\nepochs: 2\nbatch_size: 20\nval_size: 20\n")
    out = tmp_path / "model"
    assert main(["--config", str(config), "--out", str(out), "--device", "cpu", "--no-progress"]) == 0
    metrics = json.loads((tmp_path / "model-sample" / "metrics.json").read_text())
    assert metrics["data"]["sample"] and metrics["finished"] and metrics["num_test"] == 100
    assert set(metrics["epochs"][0]) >= {"train_loss", "train_acc", "val_loss", "val_acc"}
    net = CifarNet(width=4)
    net.load_state_dict(torch.load(tmp_path / "model-sample" / "model.pt", weights_only=True))
    assert not out.exists()


def test_a_resumed_train_gives_the_weights_of_an_uninterrupted_one(tmp_path, monkeypatch):
    """Stopped after epoch 1 and resumed: are the metrics and final weights those of a straight run?
    (The schedule, the batch order and torch's generators, which the augmentation draws from, must continue.)"""
    from cnn_vis.train import main
    from trainkit.run import Run

    class Interrupt(Exception):
        """Stands for a run killed between epochs."""

    monkeypatch.delenv("DATA_DIR", raising=False)
    config = tmp_path / "c.yaml"
    config.write_text("width: 4\nepochs: 2\nbatch_size: 20\nval_size: 20\n")
    args = ["--config", str(config), "--device", "cpu", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    real = Run.end_epoch

    def end_then_stop(self, metrics, state):
        real(self, metrics, state)
        raise Interrupt

    monkeypatch.setattr(Run, "end_epoch", end_then_stop)
    with pytest.raises(Interrupt):
        main([*args, "--out", str(tmp_path / "cut")])
    monkeypatch.setattr(Run, "end_epoch", real)
    assert main([*args, "--out", str(tmp_path / "cut"), "--resume"]) == 0

    def epochs(folder: Path) -> list[dict]:
        doc = json.loads((folder / "metrics.json").read_text())
        return [{k: v for k, v in e.items() if k != "seconds"} for e in doc["epochs"]]

    whole, cut = tmp_path / "whole-sample", tmp_path / "cut-sample"
    assert epochs(cut) == epochs(whole) and len(epochs(cut)) == 2
    a, b = (torch.load(d / "model.pt", weights_only=True) for d in (whole, cut))
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=0, msg=name)
