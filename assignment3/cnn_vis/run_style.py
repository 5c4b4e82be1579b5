"""Style transfer from the committed images: ``python -m cnn_vis.run_style --config configs/style_starry_night.yaml``.

The features come from the assignment's CIFAR-10 classifier (offline: the outputs of its six
ReLUs, run fully convolutionally on the large image), or from torchvision's ImageNet VGG-16
or SqueezeNet when their weights are cached. Writes ``style_transfer.png`` (content, style,
result), ``result.png``, ``losses.png`` (the total loss per iteration) and ``metrics.json``
(time per iteration, the whole run, the losses).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from cnn_vis.cli import out_dir, start
from cnn_vis.config import ConfigError, StyleConfig
from cnn_vis.data import MEAN, STD
from cnn_vis.figures import image_grid, line_plot
from cnn_vis.images import denormalize, load_image, normalize
from cnn_vis.model import CHECKPOINT, IMAGENET_MEAN, IMAGENET_STD, cached_torchvision, load_cifar_net, without_inplace
from trainkit.files import write_json
from trainkit.run import METRICS


def feature_extractor(config: StyleConfig) -> tuple[Callable[[torch.Tensor], list[torch.Tensor]], tuple, tuple]:
    """``extract(img) -> list of feature maps`` and the normalisation (mean, std) the network expects.

    cifar and vgg16: the output of every ReLU of the convolutional part; squeezenet: of every module of
    ``features`` (as in the classic assignment). The network runs only as deep as the deepest layer used.
    """
    if config.model == "cifar":
        features, mean, std = load_cifar_net(config.checkpoint or CHECKPOINT).features, MEAN, STD
        keep = [isinstance(m, nn.ReLU) for m in features]
    else:
        net = without_inplace(cached_torchvision(config.model))
        features, mean, std = net.features, IMAGENET_MEAN, IMAGENET_STD
        keep = [isinstance(m, nn.ReLU) or config.model == "squeezenet" for m in features]
    features.requires_grad_(False)
    deepest = max(config.content_layer, *config.style_layers)
    if deepest >= sum(keep):
        raise ConfigError(
            f"layer {deepest}: the {config.model} extractor has {sum(keep)} feature maps (0 to {sum(keep) - 1})"
        )

    def extract(img: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for module, kept in zip(features, keep, strict=True):
            img = module(img)
            if kept:
                feats.append(img)
                if len(feats) > deepest:
                    break
        return feats

    return extract, mean, std


def main(argv: Sequence[str] | None = None) -> int:
    def prepare(config: StyleConfig, args):
        """The feature extractor, its mean and std, the content and the style image (uint8)."""
        return (
            *feature_extractor(config),
            load_image(config.content_image, config.image_size),
            load_image(config.style_image, config.style_size),
        )

    started = start("python -m cnn_vis.run_style", __doc__.split("\n")[0], argv, StyleConfig, prepare, data=False)
    if started is None:
        return 2
    args, device, config, (extract, mean, std, content_u8, style_u8) = started
    from cnn_vis.style_transfer import content_loss, style_loss, style_transfer, tv_loss

    out = out_dir(args)
    content, style = normalize(content_u8, mean, std).to(device), normalize(style_u8, mean, std).to(device)
    generator = torch.Generator().manual_seed(config.seed)
    init = torch.randn(content.shape, generator=generator).to(device) if config.init_random else content
    threads = torch.get_num_threads()
    print(
        f"content {tuple(content.shape[2:])}, style {tuple(style.shape[2:])}, {config.model} features, "
        f"{config.iterations} iterations on {device} ({threads} threads)"
    )
    began = time.perf_counter()
    img, losses = style_transfer(
        extract,
        content,
        style,
        init,
        config.content_layer,
        config.content_weight,
        list(config.style_layers),
        list(config.style_weights),
        config.tv_weight,
        config.iterations,
        config.learning_rate,
        config.decay_at,
        config.decayed_learning_rate,
    )
    seconds = time.perf_counter() - began
    with torch.no_grad():  # the three parts of the final image's loss
        feats, style_feats = extract(img), extract(style)
        from cnn_vis.style_transfer import gram_matrix

        targets = [gram_matrix(style_feats[i]) for i in config.style_layers]
        parts = {
            "content": float(
                content_loss(config.content_weight, feats[config.content_layer], extract(content)[config.content_layer])
            ),
            "style": float(style_loss(feats, list(config.style_layers), targets, list(config.style_weights))),
            "tv": float(tv_loss(img, config.tv_weight)),
        }
    losses = [float(v) for v in losses]
    print(
        f"{config.iterations} iterations in {seconds:.1f} s ({1000 * seconds / config.iterations:.0f} ms each); "
        f"loss {losses[0]:.4g} -> {losses[-1]:.4g} (final: content {parts['content']:.4g}, style "
        f"{parts['style']:.4g}, tv {parts['tv']:.4g})"
    )
    shown = [denormalize(t, mean, std)[0] for t in (content, style, img)]
    image_grid(
        [shown],
        out / "style_transfer.png",
        f"{config.content_image} in the style of {config.style_image} ({config.model} features)",
        labels=["content", "style", "result"],
    )
    image_grid([shown[2:]], out / "result.png", "result")
    line_plot(
        {"total loss": losses},
        out / "losses.png",
        "style transfer: total loss per iteration",
        "iteration",
        "loss",
        log=True,
    )
    write_json(
        out / METRICS,
        {
            "config": config.to_dict(),
            "device": str(device),
            "threads": threads,
            "content_size": list(content.shape[2:]),
            "seconds": seconds,
            "seconds_per_iteration": seconds / config.iterations,
            "final_loss_parts": parts,
            "losses": losses,
        },
    )
    print(f"wrote {out / 'style_transfer.png'}, {out / 'losses.png'} and {out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
