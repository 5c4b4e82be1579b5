"""Tests of the reference solution and the staff code (never shipped: grading/ is not in the handout).

Independent of the cases: closed forms, hand-derived updates and numerical gradients.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from grader.gradcheck import assert_gradient_close, numerical_gradient
from mnist_mlp import data as mdata
from mnist_mlp.config import TrainConfig
from mnist_mlp.functional import (
    LOG_EPS,
    accuracy,
    cross_entropy,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
)
from mnist_mlp.models import SoftmaxRegression, TwoLayerNet
from mnist_mlp.optim import SGD
from mnist_mlp.training import Split, iterate_minibatches, train
from trainkit.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _float64(model):
    model.params = {k: v.astype(np.float64) for k, v in model.params.items()}
    for k in model.params:
        if k.startswith("b"):
            model.params[k] += 0.1 * _rng(1).standard_normal(model.params[k].shape)
    return model


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    "make",
    [
        lambda: SoftmaxRegression(7, 4, rng=_rng(), weight_scale=0.5),
        lambda: TwoLayerNet(7, 5, 4, activation="relu", rng=_rng()),
        lambda: TwoLayerNet(7, 5, 4, activation="sigmoid", rng=_rng()),
    ],
    ids=["softmax_regression", "two_layer_relu", "two_layer_sigmoid"],
)
def test_model_gradients_match_centred_differences(make):
    """Do the analytic gradients of each model match float64 centred differences?"""
    model = _float64(make())
    rng = _rng(2)
    X, y = rng.standard_normal((6, 7)), rng.integers(0, 4, 6)
    model.forward(X, y, train=True)
    for key, param in model.params.items():
        num = numerical_gradient(lambda: model.forward(X, y, train=False)[0], param)
        assert_gradient_close(model.grads[key], num, key, tol=1e-6)


@pytest.mark.parametrize("fn, grad", [(sigmoid, sigmoid_grad), (relu, relu_grad)], ids=["sigmoid", "relu"])
def test_activation_derivative_matches_centred_differences(fn, grad):
    """Is each activation's derivative the derivative of the activation (away from ReLU's kink)?"""
    x = _rng(3).standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.5
    dout = _rng(4).standard_normal((4, 5))
    num = numerical_gradient(lambda: fn(x), x, dout)
    assert_gradient_close(grad(x) * dout, num, fn.__name__)


def test_relu_grad_is_zero_at_zero_and_keeps_dtype():
    """Is relu'(0) taken as 0, and is the result float of the input's dtype?"""
    out = relu_grad(np.array([-1.0, 0.0, 2.0], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [0.0, 0.0, 1.0])


# --------------------------------------------------------------------------- softmax, loss


def test_uniform_logits_give_uniform_probabilities_and_log_k_loss():
    """Equal logits: probabilities 1/K and a cross-entropy of log K."""
    probs = softmax(np.full((3, 5), 2.5))
    np.testing.assert_allclose(probs, 0.2)
    assert cross_entropy(probs, np.array([0, 3, 4])) == pytest.approx(np.log(5))


def test_softmax_is_exact_and_finite_for_huge_logits():
    """Logits of 1e4 give exact probabilities, not NaN."""
    probs = softmax(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0]]))
    np.testing.assert_array_equal(probs, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])


def test_softmax_ignores_a_constant_added_to_a_row():
    """softmax(z + c) == softmax(z) row by row."""
    z = _rng(5).standard_normal((4, 3))
    np.testing.assert_allclose(softmax(z + np.array([[1.0], [100.0], [-50.0], [0.0]])), softmax(z))


def test_cross_entropy_of_a_zero_probability_is_clipped():
    """A true class with probability 0 costs -log(LOG_EPS), a finite number."""
    loss = cross_entropy(np.array([[1.0, 0.0]]), np.array([1]))
    assert loss == pytest.approx(-np.log(LOG_EPS))


def test_functions_do_not_modify_their_inputs():
    """No function of functional.py writes into its argument."""
    x = _rng(6).standard_normal((3, 4))
    y = np.array([0, 1, 3])
    before = x.copy()
    for fn in (sigmoid, sigmoid_grad, relu, relu_grad, softmax):
        fn(x)
    cross_entropy(softmax(x), y)
    accuracy(x, y)
    np.testing.assert_array_equal(x, before)


def test_accuracy_counts_argmax_hits():
    """accuracy is the fraction of rows whose argmax is the label."""
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 1, 1])) == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- models: validation


def test_forward_rejects_wrong_feature_count_with_a_clear_message():
    """X with the wrong D is a ValueError naming X and the expected D."""
    model = SoftmaxRegression(5, 3, rng=_rng())
    with pytest.raises(ValueError, match=r"X: expected .* D = 5"):
        model.forward(np.zeros((2, 4)), np.array([0, 1]))


def test_forward_rejects_out_of_range_labels():
    """A label >= K is a ValueError naming y."""
    model = TwoLayerNet(4, 3, 2, rng=_rng())
    with pytest.raises(ValueError, match=r"y: labels must lie in \[0, K\)"):
        model.forward(np.zeros((2, 4)), np.array([0, 2]))


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="activation"):
        TwoLayerNet(4, 3, 2, activation="tanh")


def test_eval_mode_leaves_gradients_alone():
    """forward(train=False) does not touch model.grads."""
    model = TwoLayerNet(4, 3, 2, rng=_rng())
    before = {k: v.copy() for k, v in model.grads.items()}
    model.forward(_rng(1).standard_normal((5, 4)), np.array([0, 1, 1, 0, 1]), train=False)
    for k, v in before.items():
        np.testing.assert_array_equal(model.grads[k], v)


# --------------------------------------------------------------------------- optimizer


class _Model:
    def __init__(self, **params):
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}


def test_sgd_step_matches_a_hand_derived_update():
    """One step, reg on W only: W - lr*(g + reg*W), b - lr*g."""
    model = _Model(W=[[1.0, -2.0]], b=[0.5])
    model.grads = {"W": np.array([[0.1, 0.2]]), "b": np.array([0.3])}
    SGD(0.5, reg=0.1).step(model)
    np.testing.assert_allclose(model.params["W"], [[1.0 - 0.5 * (0.1 + 0.1), -2.0 - 0.5 * (0.2 - 0.2)]])
    np.testing.assert_allclose(model.params["b"], [0.5 - 0.5 * 0.3])


def test_momentum_over_two_steps():
    """v1 = -lr*g1, p1 = p0 + v1; v2 = mu*v1 - lr*g2, p2 = p1 + v2."""
    model = _Model(W=[2.0])
    opt = SGD(0.1, momentum=0.9)
    model.grads = {"W": np.array([1.0])}
    opt.step(model)
    model.grads = {"W": np.array([-2.0])}
    opt.step(model)
    v1 = -0.1
    v2 = 0.9 * v1 + 0.2
    np.testing.assert_allclose(model.params["W"], [2.0 + v1 + v2])


def test_regularisation_leaves_biases_alone():
    """With zero gradients and reg > 0, weights shrink and biases stay."""
    model = _Model(W1=[1.0, 2.0], b1=[3.0])
    SGD(0.1, reg=1.0).step(model)
    np.testing.assert_allclose(model.params["W1"], [0.9, 1.8])
    np.testing.assert_allclose(model.params["b1"], [3.0])


def test_regularization_loss_is_half_reg_times_squared_weights():
    model = _Model(W1=[1.0, 2.0], b1=[10.0], W2=[[3.0]])
    assert SGD(0.1, reg=0.2).regularization_loss(model) == pytest.approx(0.5 * 0.2 * (1 + 4 + 9))


def test_sgd_rejects_bad_hyperparameters():
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=1.0)


# --------------------------------------------------------------------------- batching


def test_minibatches_cover_every_example_once_and_keep_the_last_partial_batch():
    """N=10, B=4: sizes 4, 4, 2; together a permutation of the data."""
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    batches = list(iterate_minibatches(X, y, 4, _rng(7)))
    assert [len(b) for _, b in batches] == [4, 4, 2]
    ys = np.concatenate([b for _, b in batches])
    assert sorted(ys.tolist()) == list(range(10))
    np.testing.assert_array_equal(np.concatenate([b for b, _ in batches]), X[ys])


def test_minibatches_follow_one_rng_permutation_per_epoch():
    """Each call draws rng.permutation(N) once, so epochs differ and match a twin generator."""
    X, y = np.zeros((9, 1)), np.arange(9)
    rng, twin = _rng(8), _rng(8)
    for _ in range(2):
        got = np.concatenate([b for _, b in iterate_minibatches(X, y, 2, rng)])
        np.testing.assert_array_equal(got, twin.permutation(9))


def test_minibatches_reject_a_zero_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        next(iterate_minibatches(np.zeros((3, 1)), np.zeros(3), 0, _rng()))


# --------------------------------------------------------------------------- config


def test_shipped_configs_load():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        assert isinstance(TrainConfig.load(path), TrainConfig), path


def test_config_rejects_unknown_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match="unknown key \\['learning_rat'\\]"):
        TrainConfig.load(path)


def test_config_reads_1e_minus_3_as_a_float(tmp_path):
    """PyYAML reads 1e-3 as a string; the config takes it as the number it means."""
    path = tmp_path / "c.yaml"
    path.write_text("reg: 1e-3\n")
    assert TrainConfig.load(path).reg == 1e-3


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"epochs": True}, "epochs: expected an integer"),
        ({"model": "mlp"}, "model: expected one of 'softmax_regression', 'two_layer'"),
        ({"lr_decay": 0.0}, r"lr_decay: expected in \(0, 1\]"),
        ({"momentum": 1.0}, r"momentum: expected in \[0, 1\)"),
        ({"reg": -1.0}, "reg: expected >= 0"),
        ({"val_size": 0}, "val_size: expected > 0"),
    ],
)
def test_config_rejects_bad_values(values, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict(values)


def test_config_converts_int_to_float():
    assert TrainConfig.from_dict({"learning_rate": 1}).learning_rate == 1.0


# --------------------------------------------------------------------------- data


def test_idx_loader_rejects_a_wrong_magic_number(tmp_path):
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(struct.pack(">IIII", 2049, 1, 28, 28) + bytes(784))
    with pytest.raises(mdata.IDXError, match=r"magic number 2049 .*expected 2051"):
        mdata.load_images(path)


def test_idx_loader_rejects_a_truncated_file(tmp_path):
    path = tmp_path / "short.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(struct.pack(">II", 2049, 5) + bytes(3))
    with pytest.raises(mdata.IDXError, match=r"header says shape \(5,\)"):
        mdata.load_labels(path)


def test_idx_round_trip(tmp_path):
    """write_idx then read_idx gives back the array."""
    a = _rng().integers(0, 256, (3, 28, 28)).astype(np.uint8)
    mdata.write_idx(tmp_path / "x.gz", a)
    np.testing.assert_array_equal(mdata.read_idx(tmp_path / "x.gz", mdata.IMAGES_MAGIC), a)


def test_sample_loads_with_the_right_shapes_and_range():
    d = mdata.load_mnist(mdata.SAMPLE_DIR)
    assert d.X_train.shape == (2000, 784) and d.y_train.shape == (2000,)
    assert d.X_test.shape == (500, 784) and d.y_test.shape == (500,)
    assert d.X_train.dtype == np.float32 and d.X_train.min() >= 0.0 and d.X_train.max() <= 1.0
    assert set(np.unique(d.y_train)) == set(range(10))


def test_train_val_split_partitions_the_data():
    X, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    Xt, yt, _, yv = mdata.train_val_split(X, y, 3, _rng())
    assert len(yv) == 3 and sorted(np.concatenate([yt, yv]).tolist()) == list(range(10))
    np.testing.assert_array_equal(Xt[:, 0], yt)


def _fake_mirror(folder: Path) -> dict[str, str]:
    """Small gzipped files named like MNIST's, and the md5 of each uncompressed file."""
    folder.mkdir()
    md5s = {}
    for i, name in enumerate(mdata.MNIST_FILES):
        raw = bytes([i]) * 10
        (folder / name).write_bytes(gzip.compress(raw))
        md5s[name] = hashlib.md5(raw).hexdigest()
    return md5s


def test_download_from_a_file_url_checks_md5(tmp_path, monkeypatch):
    """download() fetches every file from a (file://) mirror and keeps those whose md5 matches."""
    md5s = _fake_mirror(tmp_path / "mirror")
    monkeypatch.setattr(mdata, "MNIST_FILES", md5s)
    dest = mdata.download(tmp_path / "dest", mirrors=[(tmp_path / "mirror").as_uri() + "/"])
    assert sorted(p.name for p in dest.iterdir()) == sorted(md5s)


def test_download_falls_back_to_the_next_mirror_on_a_bad_checksum(tmp_path, monkeypatch):
    md5s = _fake_mirror(tmp_path / "good")
    monkeypatch.setattr(mdata, "MNIST_FILES", md5s)
    fetched = []

    def fetch(url):
        fetched.append(url)
        if url.startswith("bad/"):
            return gzip.compress(b"corrupted")
        return (tmp_path / "good" / url.rsplit("/", 1)[1]).read_bytes()

    mdata.download(tmp_path / "dest", mirrors=["bad/", "good/"], fetch=fetch)
    assert len(fetched) == 8 and (tmp_path / "dest" / "train-images-idx3-ubyte.gz").is_file()


def test_download_fails_with_a_message_when_every_mirror_is_bad(tmp_path, monkeypatch):
    monkeypatch.setattr(mdata, "MNIST_FILES", _fake_mirror(tmp_path / "m"))
    with pytest.raises(RuntimeError, match=r"md5 .*, expected"):
        mdata.download(tmp_path / "dest", mirrors=["x/"], fetch=lambda url: gzip.compress(b"no"))


# --------------------------------------------------------------------------- training


def test_short_training_on_the_sample_learns():
    """A small two-layer net reaches > 80% validation accuracy on the sample in a few epochs."""
    d = mdata.load_mnist(mdata.SAMPLE_DIR)
    split = Split(*mdata.train_val_split(d.X_train, d.y_train, 500, _rng(1)))
    config = TrainConfig(hidden_dim=64, epochs=4, batch_size=50, reg=1e-4)
    model = TwoLayerNet(784, 64, 10, rng=_rng(2))
    history = train(model, SGD(0.1, reg=1e-4, momentum=0.9), split, config, _rng(3), progress=False)
    assert history["val_acc"][-1] > 0.80
    assert len(history["train_loss"]) == 4


def test_train_entry_point_writes_metrics_and_curves(tmp_path, monkeypatch):
    """On the bundled sample the run goes to OUT-sample, with the README's test_accuracy at the top."""
    from mnist_mlp.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    out = tmp_path / "run"
    assert main(["--config", str(ROOT / "configs" / "demo.yaml"), "--out", str(out), "--no-progress"]) == 0
    out = tmp_path / "run-sample"
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.8 < metrics["test_accuracy"] <= 1.0 and metrics["finished"] is True
    assert len(metrics["epochs"]) == metrics["config"]["epochs"]
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "checkpoint.npz").is_file()


def test_train_entry_point_rejects_cuda(tmp_path, capsys):
    from mnist_mlp.train import main

    with pytest.raises(SystemExit):
        main(["--config", str(ROOT / "configs" / "demo.yaml"), "--out", str(tmp_path), "--device", "cuda"])
    assert "invalid choice: 'cuda'" in capsys.readouterr().err


def test_a_resumed_run_gives_the_metrics_of_an_uninterrupted_one(tmp_path, monkeypatch):
    """Stopped after epoch 1 and resumed with --resume: the same per-epoch metrics and test accuracy."""
    from mnist_mlp.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    config = tmp_path / "tiny.yaml"
    config.write_text("hidden_dim: 32\nepochs: 2\nbatch_size: 100\nval_size: 500\nlr_decay: 0.5\nreg: 1e-4\n")
    args = ["--config", str(config), "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    assert main([*args, "--out", str(tmp_path / "cut"), "--epochs", "1"]) == 0
    assert main([*args, "--out", str(tmp_path / "cut"), "--resume"]) == 0

    def numbers(name: str) -> tuple:
        m = json.loads((tmp_path / f"{name}-sample" / "metrics.json").read_text())
        epochs = [{k: v for k, v in e.items() if k != "seconds"} for e in m["epochs"]]
        return epochs, m["test_accuracy"], m["test_loss"]

    assert numbers("cut") == numbers("whole")
    assert len(numbers("whole")[0]) == 2


def _public_case(name: str):
    from grader.public import public_cases

    tests = Path(__file__).resolve().parents[1] / "tests"
    return tests, next(c for c in public_cases(tests) if c.name == name)


def test_public_softmax_case_fails_a_softmax_off_by_1e6(monkeypatch):
    """Does the public softmax case fail a softmax that adds 1e-6 to every probability?"""
    import mnist_mlp.functional as F
    from grader.public import check_case

    tests, case = _public_case("softmax_values")
    check_case(tests, case)  # the reference passes
    real = F.softmax
    monkeypatch.setattr(F, "softmax", lambda logits: real(logits) + 1e-6)
    with pytest.raises(pytest.fail.Exception, match="outside tolerance"):
        check_case(tests, case)


def test_public_momentum_case_fails_pytorch_style_momentum(monkeypatch):
    """Does a public case fail momentum written PyTorch's way (v = mu v + g; p -= lr v)?"""
    from grader.public import check_case

    def torch_step(self, model):
        for key, param in model.params.items():
            grad = model.grads[key] + (self.reg * param if key.startswith("W") else 0.0)
            v = self.velocity.setdefault(key, np.zeros_like(param))
            v *= self.momentum
            v += grad
            param -= self.learning_rate * v

    tests, case = _public_case("sgd_momentum_lr_decay")
    check_case(tests, case)
    monkeypatch.setattr(SGD, "step", torch_step)
    with pytest.raises(pytest.fail.Exception, match="outside tolerance"):
        check_case(tests, case)
