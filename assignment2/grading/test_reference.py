"""Tests of the reference solution and the staff code (never shipped: grading/ is not in the handout).

Independent of the cases: every NumPy layer against PyTorch's own layer on the same weights
(values, and gradients through autograd, in float64), numerical gradients, closed forms.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cifar_cnn import data as cdata
from cifar_cnn.config import ConfigError, TrainConfig
from cifar_cnn.convnet import ConvNet, small_convnet
from cifar_cnn.imbalance import long_tailed_counts, long_tailed_indices
from cifar_cnn.layers import Conv2d, Linear, MaxPool2d, ReLU, SoftmaxCrossEntropy
from cifar_cnn.losses import FocalLoss, reweight
from cifar_cnn.models import MyModel, TwoLayerNet, VanillaCNN, count_parameters
from cifar_cnn.optim import SGD
from grader.gradcheck import assert_gradient_close, numerical_gradient

ROOT = Path(__file__).resolve().parent.parent


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _t(a: np.ndarray, grad: bool = True) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _close(ours: np.ndarray, theirs: torch.Tensor, what: str) -> None:
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what)


# --------------------------------------------------------------------------- layers against PyTorch

CONV_SHAPES = [
    # N, C, H, W, F, K, stride, padding
    (2, 3, 8, 8, 4, 3, 1, 1),
    (2, 2, 7, 9, 3, 3, 2, 0),
    (1, 1, 5, 6, 2, 3, 1, 2),
    (3, 2, 7, 7, 2, 3, 2, 1),
    (2, 3, 6, 5, 4, 1, 1, 0),
    (2, 2, 8, 7, 3, 2, 3, 2),
    (1, 2, 4, 4, 3, 4, 1, 0),
]


@pytest.mark.parametrize("N, C, H, W, F_, K, stride, padding", CONV_SHAPES)
def test_conv_matches_torch(N, C, H, W, F_, K, stride, padding):
    """Do Conv2d's output, dx, dw and db equal F.conv2d's and its autograd's?"""
    rng = _rng(1)
    conv = Conv2d(C, F_, K, stride=stride, padding=padding, rng=rng, dtype=np.float64)
    conv.b = rng.standard_normal(F_)
    x = rng.standard_normal((N, C, H, W))
    out = conv.forward(x)
    dout = rng.standard_normal(out.shape)
    conv.backward(dout)
    xt, wt, bt = _t(x), _t(conv.w), _t(conv.b)
    ref = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    ref.backward(torch.from_numpy(dout))
    _close(out, ref, "out")
    _close(conv.dx, xt.grad, "dx")
    _close(conv.dw, wt.grad, "dw")
    _close(conv.db, bt.grad, "db")


@pytest.mark.parametrize(
    "shape, K, stride",
    [((2, 3, 6, 8), 2, 2), ((2, 2, 7, 9), 2, 2), ((1, 1, 7, 7), 3, 2), ((2, 2, 8, 10), 3, 3), ((1, 2, 5, 6), 2, 1)],
)
def test_maxpool_matches_torch(shape, K, stride):
    """Do MaxPool2d's output and dx equal F.max_pool2d's, with windows that do and do not tile the input?"""
    rng = _rng(2)
    x = rng.standard_normal(shape)
    pool = MaxPool2d(K, stride)
    out = pool.forward(x)
    dout = rng.standard_normal(out.shape)
    pool.backward(dout)
    xt = _t(x)
    ref = F.max_pool2d(xt, K, stride)
    ref.backward(torch.from_numpy(dout))
    _close(out, ref, "out")
    _close(pool.dx, xt.grad, "dx")


def test_maxpool_ties_go_to_the_first_maximum_like_torch():
    """With equal maxima in a window, does the gradient go where PyTorch sends it (the first, row-major)?"""
    x = _rng(3).integers(-1, 2, size=(2, 2, 6, 6)).astype(np.float64)
    pool = MaxPool2d(2)
    dout = _rng(4).standard_normal(pool.forward(x).shape)
    pool.backward(dout)
    xt = _t(x)
    F.max_pool2d(xt, 2).backward(torch.from_numpy(dout))
    _close(pool.dx, xt.grad, "dx")


def test_relu_and_linear_match_torch():
    rng = _rng(5)
    x = rng.standard_normal((3, 2, 2, 2))
    relu = ReLU()
    out = relu.forward(x)
    dout = rng.standard_normal(out.shape)
    relu.backward(dout)
    xt = _t(x)
    torch.relu(xt).backward(torch.from_numpy(dout))
    _close(out, torch.relu(_t(x)), "relu out")
    _close(relu.dx, xt.grad, "relu dx")

    fc = Linear(8, 4, rng=rng, dtype=np.float64)
    fc.b = rng.standard_normal(4)
    out = fc.forward(x)
    dout = rng.standard_normal(out.shape)
    fc.backward(dout)
    xt, wt, bt = _t(x), _t(fc.w.T.copy()), _t(fc.b)  # nn.Linear's weight is (M, D)
    ref = F.linear(xt.flatten(1), wt, bt)
    ref.backward(torch.from_numpy(dout))
    _close(out, ref, "linear out")
    _close(fc.dx, xt.grad, "linear dx")
    _close(fc.dw, wt.grad.T, "linear dw")
    _close(fc.db, bt.grad, "linear db")


def test_softmax_cross_entropy_matches_torch():
    rng = _rng(6)
    scores, y = 3 * rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    crit = SoftmaxCrossEntropy()
    loss = crit.forward(scores, y)
    crit.backward()
    st = _t(scores)
    ref = F.cross_entropy(st, torch.from_numpy(y))
    ref.backward()
    assert isinstance(loss, float)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    _close(crit.dx, st.grad, "dscores")


def test_softmax_cross_entropy_is_finite_for_huge_scores():
    crit = SoftmaxCrossEntropy()
    loss = crit.forward(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0]]), np.array([2, 0]))
    assert np.isfinite(loss) and np.all(np.isfinite(crit.backward()))


def test_convnet_gradients_match_torch_and_centred_differences():
    """Does ConvNet backpropagate through conv, ReLU, pool and linear like autograd does?"""
    rng = _rng(7)
    net = small_convnet(in_channels=2, image_size=6, num_classes=3, channels=3, rng=rng, dtype=np.float64)
    conv, _, _, fc = net.layers
    x, y = rng.standard_normal((2, 2, 6, 6)), rng.integers(0, 3, 2)
    loss = net.forward(x, y)
    dx = net.backward()
    xt, cw, cb, fw, fb = _t(x), _t(conv.w), _t(conv.b), _t(fc.w), _t(fc.b)
    h = F.max_pool2d(torch.relu(F.conv2d(xt, cw, cb, padding=1)), 2)
    ref = F.cross_entropy(h.flatten(1) @ fw + fb, torch.from_numpy(y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for ours, theirs, name in ((dx, xt, "dx"), (conv.dw, cw, "conv dw"), (fc.dw, fw, "fc dw"), (conv.db, cb, "db")):
        _close(ours, theirs.grad, name)
    num = numerical_gradient(lambda: net.forward(x, y), conv.w)
    net.forward(x, y)
    net.backward()
    assert_gradient_close(conv.dw, num, "conv dw", tol=1e-5)


def test_convnet_predict_is_the_argmax_of_the_scores():
    net = small_convnet(in_channels=1, image_size=4, num_classes=3, channels=2, rng=_rng(8), dtype=np.float64)
    x = _rng(9).standard_normal((5, 1, 4, 4))
    np.testing.assert_array_equal(net.predict(x), np.argmax(net.scores(x), axis=1))


def test_convnet_rejects_no_layers():
    with pytest.raises(ValueError, match="layers"):
        ConvNet([])


def test_layers_reject_bad_shapes_with_messages():
    conv = Conv2d(3, 2, 3, rng=_rng())
    with pytest.raises(ValueError, match=r"expected C = 3"):
        conv.forward(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        conv.forward(np.zeros((1, 3, 2, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        conv.backward(np.zeros((1, 2, 3, 3)))
    conv.forward(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="dout: expected shape"):
        conv.backward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match="stride"):
        Conv2d(3, 2, 3, stride=0)
    with pytest.raises(ValueError, match="D = 8"):
        Linear(8, 2).forward(np.zeros((2, 7)))
    with pytest.raises(ValueError, match=r"y: labels must lie"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 3]))


def test_layers_keep_float32():
    """A float32 network stays float32 end to end (what the benchmark and a NumPy training run use)."""
    net = small_convnet(rng=_rng(10), channels=4, image_size=8)
    x = _rng(11).standard_normal((2, 3, 8, 8), dtype=np.float32)
    net.forward(x, np.array([1, 2]))
    dx = net.backward()
    assert dx.dtype == np.float32 and net.layers[0].dw.dtype == np.float32


# --------------------------------------------------------------------------- SGD


class _Layer:
    def __init__(self, w, b):
        self.w, self.b = np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)
        self.dw, self.db = np.zeros_like(self.w), np.zeros_like(self.b)


def test_sgd_with_momentum_matches_torch_without_regularisation():
    """v = mu*v - lr*g, p += v is torch.optim.SGD's momentum (v' = mu*v' + g, p -= lr*v') for a fixed lr."""
    rng = _rng(12)
    layer = _Layer(rng.standard_normal((3, 2)), rng.standard_normal(2))
    wt, bt = _t(layer.w.copy()), _t(layer.b.copy())
    ours, theirs = SGD(0.1, momentum=0.9), torch.optim.SGD([wt, bt], lr=0.1, momentum=0.9)
    for _ in range(3):
        gw, gb = rng.standard_normal((3, 2)), rng.standard_normal(2)
        layer.dw, layer.db = gw, gb
        ours.step([layer])
        wt.grad, bt.grad = torch.from_numpy(gw), torch.from_numpy(gb)
        theirs.step()
    _close(layer.w, wt, "w")
    _close(layer.b, bt, "b")


def test_sgd_regularises_weights_only_and_updates_in_place():
    layer = _Layer([1.0, 2.0], [3.0])
    w = layer.w
    opt = SGD(0.1, reg=1.0)
    opt.step([layer])
    assert layer.w is w
    np.testing.assert_allclose(layer.w, [0.9, 1.8])
    np.testing.assert_allclose(layer.b, [3.0])
    assert opt.regularization_loss([layer]) == pytest.approx(0.5 * (0.81 + 3.24))


def test_sgd_rejects_a_missing_gradient():
    layer = _Layer([1.0], [0.0])
    layer.dw = None
    with pytest.raises(ValueError, match=r"layers\[0\]\.dw"):
        SGD(0.1).step([layer])


# --------------------------------------------------------------------------- PyTorch models


def test_model_shapes_and_parameter_counts():
    x = torch.zeros(2, 3, 32, 32)
    assert VanillaCNN()(x).shape == (2, 10)
    assert count_parameters(VanillaCNN()) == (3 * 49 * 32 + 32) + (32 * 13 * 13 * 10 + 10)
    assert TwoLayerNet(3072, 100, 10)(x).shape == (2, 10)
    assert count_parameters(TwoLayerNet(3072, 100, 10)) == 3072 * 100 + 100 + 100 * 10 + 10
    model = MyModel()
    assert model(x).shape == (2, 10)
    assert count_parameters(model) <= 5_000_000


def test_vanilla_cnn_is_conv_relu_pool_linear():
    torch.manual_seed(0)
    model = VanillaCNN().double()
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    h = F.max_pool2d(torch.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias)), 2, 2)
    torch.testing.assert_close(model(x), F.linear(h.flatten(1), model.fc1.weight, model.fc1.bias))


def test_mymodel_learns_only_the_shifts_of_its_norms_and_starts_its_convolutions_as_identities():
    torch.manual_seed(0)
    model = MyModel()
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(not m.weight.requires_grad and m.bias.requires_grad for m in norms)
    convs = [m for m in model.features.modules() if isinstance(m, torch.nn.Conv2d)]
    x = torch.randn(2, 192, 5, 5)
    for conv in convs:
        c_in = conv.in_channels
        y = conv(x[:, :c_in])
        torch.testing.assert_close(y[:, :c_in], x[:, :c_in])  # output channel i = input channel i
    assert MyModel().head[-1].bias is None  # the scores are a linear map of the features, divided by 9


def test_make_optimizer_gives_the_norms_a_group_of_their_own_and_onecycle_keeps_the_ratio():
    from cifar_cnn.training import make_optimizer, make_scheduler

    model = MyModel()
    config = TrainConfig(
        model="mymodel", learning_rate=0.5, weight_decay=1e-3, norm_lr_scale=64.0, lr_schedule="onecycle", epochs=2
    )
    optimizer = make_optimizer(model, config)
    others, norms = optimizer.param_groups
    norm_biases = {id(m.bias) for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)}
    assert {id(p) for p in norms["params"]} == norm_biases
    trained = {id(p) for p in model.parameters() if p.requires_grad}
    assert {id(p) for p in others["params"]} == trained - norm_biases  # frozen tensors are in no group
    assert id(model.whiten.weight) not in trained
    assert norms["weight_decay"] == pytest.approx(1e-3 / 64) and others["weight_decay"] == 1e-3
    scheduler, per_batch = make_scheduler(optimizer, config, steps_per_epoch=5)
    assert per_batch
    for _ in range(7):
        assert norms["lr"] == pytest.approx(64 * others["lr"])
        optimizer.step()
        scheduler.step()
    # Without norms (or with norm_lr_scale 1) there is one group, as before.
    assert len(make_optimizer(VanillaCNN(), config).param_groups) == 1


# --------------------------------------------------------------------------- losses


def test_focal_loss_with_gamma_zero_and_no_weights_is_cross_entropy():
    """gamma = 0 with unit weights: the focal loss is the mean cross-entropy, in value and gradient."""
    x = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 5, (7,))
    torch.testing.assert_close(FocalLoss(gamma=0.0)(x, y), F.cross_entropy(x, y))
    torch.testing.assert_close(FocalLoss(torch.ones(5), gamma=0.0)(x, y), F.cross_entropy(x, y))


def test_focal_loss_follows_its_formula_and_is_divided_by_n():
    """mean_i w[y_i] (1 - p_i)^gamma (-log p_i), divided by N rather than by the sum of the weights."""
    x = torch.randn(6, 4, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 3, 1, 1])
    w = torch.tensor([0.5, 2.0, 1.0, 0.5], dtype=torch.float64)
    p = torch.softmax(x, dim=1)[torch.arange(6), y]
    expected = (w[y] * (1 - p) ** 2 * -torch.log(p)).sum() / 6
    torch.testing.assert_close(FocalLoss(w, gamma=2.0)(x, y), expected)


def test_focal_loss_gradient_passes_gradcheck():
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 2, 1, 2])
    w = torch.tensor([0.3, 1.2, 1.5], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda t: FocalLoss(w, gamma=1.5)(t, y), (x,))


def test_reweight_sums_to_k_and_favours_rare_classes():
    counts = long_tailed_counts(5000, 10, 100)
    w = reweight(counts, beta=0.9999)
    assert w.dtype == torch.float32 and w.shape == (10,)
    assert float(w.sum()) == pytest.approx(10.0, rel=1e-6)
    assert torch.all(w[1:] > w[:-1])
    beta = 0.9999
    raw = np.array([(1 - beta) / (1 - beta**n) for n in counts])
    np.testing.assert_allclose(w.numpy(), raw / raw.sum() * 10, rtol=1e-6)
    torch.testing.assert_close(reweight([3, 40, 7], beta=0.0), torch.ones(3))


# --------------------------------------------------------------------------- long tail


def test_long_tailed_counts_of_the_paper():
    assert long_tailed_counts(5000, 10, 100) == [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]
    assert long_tailed_counts(5000, 10, 50)[-1] == 100
    assert long_tailed_counts(5000, 10, 10)[-1] == 500
    assert long_tailed_counts(5000, 10, 1) == [5000] * 10


def test_long_tailed_indices_keep_the_first_of_each_class():
    labels = np.array([0, 1, 0, 2, 1, 0, 2, 2])
    np.testing.assert_array_equal(long_tailed_indices(labels, [2, 1, 1]), [0, 1, 2, 3])
    with pytest.raises(ValueError, match="class 1 has 2 examples"):
        long_tailed_indices(labels, [1, 3, 1])


# --------------------------------------------------------------------------- data


def test_sample_loads_as_uint8_with_ten_balanced_classes():
    train, test = cdata.load_split(cdata.SAMPLE_DIR, "train"), cdata.load_split(cdata.SAMPLE_DIR, "test")
    assert train.images.shape == (200, 3, 32, 32) and train.images.dtype == torch.uint8
    assert test.images.shape == (1000, 3, 32, 32)
    assert torch.bincount(train.labels).tolist() == [20] * 10
    assert torch.bincount(test.labels).tolist() == [100] * 10


def test_transforms_normalise_and_augment():
    train = cdata.load_split(cdata.SAMPLE_DIR, "train")
    plain = cdata.make_transform(augment=False)(train.images[:8])
    assert plain.dtype == torch.float32 and plain.shape == (8, 3, 32, 32)
    expected = (train.images[:8].float() / 255 - torch.tensor(cdata.MEAN)[:, None, None]) / torch.tensor(cdata.STD)[
        :, None, None
    ]
    torch.testing.assert_close(plain, expected)
    torch.manual_seed(0)
    augmented = cdata.make_transform(augment=True)(train.images[0])
    assert augmented.shape == (3, 32, 32)


def test_long_tailed_subset_of_the_sample():
    train = cdata.load_split(cdata.SAMPLE_DIR, "train")
    lt = cdata.long_tailed(train, 10.0)
    assert torch.bincount(lt.labels, minlength=10).tolist() == long_tailed_counts(20, 10, 10)


def test_resolve_data_dir_unpacks_an_archive_once(tmp_path):
    archive_dir = tmp_path / "shared" / "cifar10"
    archive_dir.mkdir(parents=True)
    with tarfile.open(archive_dir / cdata.ARCHIVE, "w:gz") as tar:
        tar.add(cdata.SAMPLE_DIR, arcname="cifar10")
    dest = tmp_path / "full"
    root = cdata.find_data(tmp_path / "shared", unpack_to=dest)
    assert root == dest / "cifar10"
    assert cdata.load_split(root, "test").images.shape == (1000, 3, 32, 32)
    (root / "test" / "cat" / "0000.jpg").unlink()  # a second call finds the marker and does not unpack again
    assert cdata.find_data(tmp_path / "shared", unpack_to=dest) == root
    assert not (root / "test" / "cat" / "0000.jpg").exists()


def test_unpack_refuses_paths_outside_the_destination(tmp_path):
    with tarfile.open(tmp_path / cdata.ARCHIVE, "w:gz") as tar:
        info = tarfile.TarInfo("../evil.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ValueError, match="refusing"):
        cdata.find_data(tmp_path, unpack_to=tmp_path / "dest")


def test_resolve_data_dir_explains_a_wrong_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="make data"):
        cdata.find_data(tmp_path)


def _fake_binary_archive(n_per_batch: int = 4) -> bytes:
    """A tar.gz shaped like cifar-10-binary.tar.gz: five training batches and a test batch of records."""
    rng = _rng(13)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            labels = rng.integers(0, 10, n_per_batch, dtype=np.uint8)
            pixels = rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8)
            raw = np.concatenate([labels[:, None], pixels], axis=1).tobytes()
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return buf.getvalue()


def test_download_checks_md5_and_writes_the_image_folder_layout(tmp_path, monkeypatch):
    blob = _fake_binary_archive()
    monkeypatch.setattr(cdata, "BINARY_MD5", hashlib.md5(blob).hexdigest())
    root = cdata.download(tmp_path, mirrors=["fake://"], fetch=lambda url: blob, log=lambda line: None)
    assert len(list((root / "train").rglob("*.png"))) == 20 and len(list((root / "test").rglob("*.png"))) == 4
    # Lossless: the decoded pixels are the record's bytes.
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        raw = np.frombuffer(tar.extractfile("cifar-10-batches-bin/test_batch.bin").read(), np.uint8).reshape(4, -1)
    first = raw[np.argmax(raw[:, 0] == raw[:, 0].min())]
    from PIL import Image

    image = np.asarray(Image.open(root / "test" / cdata.CLASSES[first[0]] / "0000.png"))  # (32, 32, 3)
    np.testing.assert_array_equal(image.transpose(2, 0, 1).ravel(), first[1:])


def test_download_rejects_a_wrong_md5(tmp_path):
    with pytest.raises(RuntimeError, match="md5"):
        cdata.download(tmp_path, mirrors=["fake://"], fetch=lambda url: b"corrupted", log=lambda line: None)
    assert not list(tmp_path.rglob("*.png"))


# --------------------------------------------------------------------------- config and training


def test_shipped_configs_load():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        assert isinstance(TrainConfig.load(path), TrainConfig), path


def test_config_rejects_unknown_keys_and_strings_for_floats(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match=r"unknown key \['learning_rat'\]"):
        TrainConfig.load(path)
    path.write_text("weight_decay: 5e-4\n")
    assert TrainConfig.load(path).weight_decay == 5e-4  # PyYAML's string "5e-4" is read as the number
    path.write_text("weight_decay: small\n")
    with pytest.raises(ConfigError, match=r"weight_decay: expected a number"):
        TrainConfig.load(path)
    with pytest.raises(ConfigError, match="lr_milestones"):
        TrainConfig.from_dict({"lr_milestones": [8, 4]})
    bad_values = [
        ({"lr_schedule": "cosine"}, "lr_schedule"),
        ({"lr_schedule": "onecycle", "lr_milestones": [3]}, "lr_milestones"),
        ({"precision": "fp16"}, "precision"),
        ({"loss": "focal", "label_smoothing": 0.1}, "label_smoothing"),
        ({"warmup_fraction": 1.0}, "warmup_fraction"),
        ({"nesterov": True, "momentum": 0.0}, "nesterov"),
        ({"crop_padding": -1}, "crop_padding"),
        ({"reweight_start_epoch": 3, "loss": "focal"}, "reweight_start_epoch: needs"),
        ({"reweight_start_epoch": 10, "epochs": 10, "loss": "focal", "reweight_beta": 0.9}, "reweight_start_epoch"),
    ]
    for values, match in bad_values:
        with pytest.raises(ConfigError, match=match):
            TrainConfig.from_dict(values)


def test_train_entry_point_writes_metrics_curves_and_a_loadable_checkpoint(tmp_path, monkeypatch):
    from cifar_cnn.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    out = tmp_path / "run"
    argv = ["--config", str(ROOT / "configs" / "demo.yaml"), "--out", str(out), "--device", "cpu", "--no-progress"]
    assert main(argv) == 0
    out = tmp_path / "run-sample"  # a run on the sample says so in its folder's name
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert len(metrics["epochs"]) == metrics["config"]["epochs"] and metrics["data"]["sample"] is True
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = VanillaCNN()
    model.load_state_dict(torch.load(out / "model.pt", weights_only=True))


def test_train_long_tailed_focal_on_the_sample(tmp_path, monkeypatch):
    from cifar_cnn.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    config = tmp_path / "lt.yaml"
    config.write_text(
        "model: two_layer\nhidden_dim: 16\nepochs: 1\nbatch_size: 32\nval_size: 0\n"
        "imbalance_factor: 10.0\nloss: focal\nfocal_gamma: 1.0\nreweight_beta: 0.99\n"
    )
    assert main(["--config", str(config), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    metrics = json.loads((tmp_path / "run-sample" / "metrics.json").read_text())
    assert metrics["train_class_counts"] == long_tailed_counts(20, 10, 10)
    assert metrics["num_test"] == 1000


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given without CUDA")
def test_train_refuses_cuda_when_there_is_none(tmp_path, capsys):
    from cifar_cnn.train import main

    assert main(["--config", str(ROOT / "configs" / "demo.yaml"), "--out", str(tmp_path), "--device", "cuda"]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_bench_runs_on_a_small_batch(capsys):
    from cifar_cnn.bench import main

    assert main(["--batch", "2", "--repeat", "1"]) == 0
    assert "ratio" in capsys.readouterr().out


def test_train_onecycle_bf16_label_smoothing_on_the_sample(tmp_path, monkeypatch):
    """The options configs/mymodel.yaml uses: the learning rate rises from lr / 25, then falls to ~0."""
    from cifar_cnn.train import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    config = tmp_path / "oc.yaml"
    config.write_text(
        "model: vanilla_cnn\nepochs: 4\nbatch_size: 50\nval_size: 0\nlearning_rate: 0.05\nnesterov: true\n"
        "lr_schedule: onecycle\nwarmup_fraction: 0.25\nlabel_smoothing: 0.2\nprecision: bf16\n"
    )
    assert main(["--config", str(config), "--out", str(tmp_path / "run"), "--device", "cpu", "--no-progress"]) == 0
    metrics = json.loads((tmp_path / "run-sample" / "metrics.json").read_text())
    lrs = [e["learning_rate"] for e in metrics["epochs"]]  # at the start of each epoch: 4 batches an epoch
    assert lrs[0] == pytest.approx(0.05 / 25)
    assert 0.04 < lrs[1] <= 0.05  # just past the peak, reached after 25% of the 16 steps
    assert lrs[1] > lrs[2] > lrs[3] > 0
    assert all(np.isfinite(e["train_loss"]) for e in metrics["epochs"])


# --------------------------------------------------------------------------- checkpoint.py


def _save(obj, path: Path) -> Path:
    torch.save(obj, path)
    return path


def test_checkpoint_round_trip_and_predictions_on_the_sample(tmp_path):
    from cifar_cnn.checkpoint import load_my_model, predict

    torch.manual_seed(0)
    model = MyModel().eval()
    path = _save(model.state_dict(), tmp_path / "m.pt")
    loaded = load_my_model(path)
    test = cdata.load_split(cdata.SAMPLE_DIR, "test")
    pred = predict(loaded, test.images[:30], batch_size=7)
    assert pred.shape == (30,) and pred.dtype == np.int64
    with torch.no_grad():
        expected = model(cdata.make_transform(False)(test.images[:30])).argmax(dim=1).numpy()
    np.testing.assert_array_equal(pred, expected)
    # A bfloat16 copy of the weights loads into the float32 model too (dtypes are converted).
    half = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in model.state_dict().items()}
    assert next(load_my_model(_save(half, tmp_path / "h.pt")).parameters()).dtype == torch.float32
    with pytest.raises(ValueError, match="uint8"):
        predict(loaded, test.images[:3].float())


def test_checkpoint_refusals_name_the_problem(tmp_path):
    from cifar_cnn.checkpoint import CheckpointError, load_my_model

    with pytest.raises(CheckpointError, match=r"no such file.*make train CONFIG=configs/mymodel\.yaml"):
        load_my_model(tmp_path / "absent.pt")
    with pytest.raises(CheckpointError, match=r"not a plain state dict.*model\.state_dict"):
        load_my_model(_save(MyModel(), tmp_path / "whole.pt"))  # a pickled module
    mixed = {"state_dict": MyModel().state_dict(), "epoch": 3}
    with pytest.raises(CheckpointError, match="not tensors: 'state_dict', 'epoch'"):
        load_my_model(_save(mixed, tmp_path / "mixed.pt"))
    with pytest.raises(CheckpointError, match="does not fit MyModel"):
        load_my_model(_save(VanillaCNN().state_dict(), tmp_path / "other.pt"))
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a plain state dict"):
        load_my_model(tmp_path / "junk.pt")


def test_checkpoint_refusal_gives_only_the_safe_advice(tmp_path):
    """Does refusing a pickled model say what it holds and how to save a state dict, without
    terminal colour codes or PyTorch's advice to load the file unsafely?"""
    from cifar_cnn.checkpoint import CheckpointError, load_state_dict

    with pytest.raises(CheckpointError) as info:
        load_state_dict(_save(MyModel(), tmp_path / "whole.pt"))
    message = str(info.value)
    assert "it holds a pickled cifar_cnn.models.MyModel" in message
    assert "torch.save(model.state_dict(), path)" in message
    for unsafe in ("\x1b[", "weights_only=False", "weights_only` set to `False", "add_safe_globals", "safe_globals"):
        assert unsafe not in message


def test_the_parameter_cap_of_the_scoring_is_the_checkpoint_loaders():
    """The scoring (tests/cases.py, trusted side) takes the cap from the reference's run, which reads
    cifar_cnn/checkpoint.py: one definition, and a submission's own output cannot raise it."""
    import importlib.util

    from cifar_cnn.checkpoint import MAX_PARAMS

    spec = importlib.util.spec_from_file_location("public_cases_cap", ROOT / "tests" / "cases.py")
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    assert not hasattr(cases, "MAX_PARAMS")
    expected = cases.run_mymodel(np.zeros((2, 3, 32, 32)), 10)
    assert int(expected["max_params"]) == MAX_PARAMS
    too_big = dict(expected, num_params=np.array(MAX_PARAMS + 1), max_params=np.array(10**9))
    score, message = cases.score_mymodel(too_big, expected, {})
    assert score == 0.0 and f"more than the {MAX_PARAMS:,} allowed" in message
    assert cases.score_mymodel(expected, expected, {})[0] == 1.0


def test_checkpoint_messages_name_the_submitted_file_not_the_grader_path():
    """Is the submitted checkpoint named as the student knows it, wherever it was unpacked?"""
    from cifar_cnn import checkpoint

    assert checkpoint._shown(checkpoint.CHECKPOINT) == "cifar_cnn/my_model.pt"


class _Exploit:
    """Unpickling this runs a command: what a hostile checkpoint would carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_hostile_pickle_is_refused_without_running(tmp_path):
    from cifar_cnn.checkpoint import CheckpointError, load_state_dict

    marker = tmp_path / "pwned"
    path = _save({"conv.weight": torch.zeros(1), "x": _Exploit(marker)}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="not a plain state dict"):
        load_state_dict(path)
    assert not marker.exists()


def test_checkpoint_cli_reports_accuracy_per_class(tmp_path, capsys, monkeypatch):
    from cifar_cnn.checkpoint import main

    monkeypatch.delenv("DATA_DIR", raising=False)
    path = _save(MyModel().state_dict(), tmp_path / "m.pt")
    assert main(["--checkpoint", str(path)]) == 0
    out = capsys.readouterr().out
    assert "on the 1000 test images" in out and "truck" in out
    assert main(["--checkpoint", str(tmp_path / "absent.pt")]) == 2


# --------------------------------------------------------------------------- report.py


def _fake_run(folder: Path, loss: str, accs: list[float]) -> Path:
    folder.mkdir()
    config = TrainConfig(loss=loss, focal_gamma=1.0 if loss == "focal" else 0.0).to_dict()
    metrics = {
        "config": config,
        "train_class_counts": long_tailed_counts(5000, 10, 100),
        "test_accuracy": float(np.mean(accs)),
        "test_accuracy_per_class": dict(zip(cdata.CLASSES, accs, strict=True)),
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def test_report_tables_and_plots_runs_side_by_side(tmp_path, capsys):
    from cifar_cnn.report import main

    ce = _fake_run(tmp_path / "ce", "ce", [0.9 - 0.08 * k for k in range(10)])
    focal = _fake_run(tmp_path / "focal", "focal", [0.8 - 0.02 * k for k in range(10)])
    out = tmp_path / "cmp.png"
    assert main([str(ce), str(focal), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "cross-entropy" in lines[0] and "focal (gamma 1)" in lines[0]
    truck = next(line for line in lines if line.startswith("truck")).split()
    assert truck[1:] == ["50", "0.180", "0.620"]
    assert next(line for line in lines if line.startswith("all")).split()[1:] == ["12406", "0.5400", "0.7100"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main([str(tmp_path / "nowhere")]) == 2


def test_deferred_reweighting_switches_the_weights_on_after_the_given_epoch(tmp_path, monkeypatch):
    import cifar_cnn.training as ctrain
    from cifar_cnn.train import main

    seen = []
    real = ctrain.train_epoch

    def spy(model, criterion, *args, **kwargs):
        seen.append(criterion.weight)
        return real(model, criterion, *args, **kwargs)

    monkeypatch.setattr(ctrain, "train_epoch", spy)
    monkeypatch.delenv("DATA_DIR", raising=False)
    config = tmp_path / "drw.yaml"
    config.write_text(
        "model: two_layer\nhidden_dim: 8\nepochs: 3\nbatch_size: 64\nval_size: 0\nimbalance_factor: 10.0\n"
        "loss: focal\nfocal_gamma: 1.0\nreweight_beta: 0.99\nreweight_start_epoch: 2\n"
    )
    assert main(["--config", str(config), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    assert seen[0] is None and seen[1] is None
    torch.testing.assert_close(seen[2], reweight(long_tailed_counts(20, 10, 10), 0.99))
