"""Saliency, guided backprop, Grad-CAM and guided Grad-CAM (yours and Captum's), Integrated Gradients and
Layer Conductance on test images: ``python -m cnn_vis.run_maps --config configs/maps.yaml``.

Writes one contact sheet per method into the run folder (``saliency.png``, ``captum_saliency.png``,
``guided_backprop.png``, ... ``integrated_gradients.png``, ``layer_conductance.png``) and
``metrics.json`` with the agreement of each of your maps with Captum's on the same model and
images (largest absolute difference, and the same relative to the map's largest entry).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from cnn_vis.cli import classifier_and_images, out_dir, start
from cnn_vis.config import MapsConfig
from cnn_vis.figures import contact_sheet
from cnn_vis.images import denormalize
from trainkit.files import write_json
from trainkit.run import METRICS


def main(argv: Sequence[str] | None = None) -> int:
    started = start("python -m cnn_vis.run_maps", __doc__.split("\n")[0], argv, MapsConfig, classifier_and_images)
    if started is None:
        return 2
    args, device, config, (classifier, (x, y, labels, sample)) = started
    from cnn_vis import attribution, saliency

    out = out_dir(args, sample)
    model = classifier.model.to(device)
    layer = model.get_submodule(classifier.cam_layer)
    x, y = x.to(device), y.to(device)
    baseline = torch.zeros_like(x)  # the mean image: 0 after normalisation
    methods = {
        "saliency": lambda: saliency.saliency_map(model, x, y),
        "captum_saliency": lambda: attribution.captum_saliency(model, x, y),
        "guided_backprop": lambda: saliency.guided_backprop(model, x, y),
        "captum_guided_backprop": lambda: attribution.captum_guided_backprop(model, x, y),
        "grad_cam": lambda: saliency.grad_cam(model, layer, x, y),
        "captum_grad_cam": lambda: attribution.captum_grad_cam(model, layer, x, y),
        "guided_grad_cam": lambda: saliency.guided_grad_cam(model, layer, x, y),
        "captum_guided_grad_cam": lambda: attribution.captum_guided_grad_cam(model, layer, x, y),
        "integrated_gradients": lambda: attribution.integrated_gradients(model, x, y, baseline, config.ig_steps),
        "layer_conductance": lambda: attribution.layer_conductance(model, layer, x, y, baseline, config.ig_steps),
    }
    images = denormalize(x, classifier.mean, classifier.std)
    maps: dict[str, torch.Tensor] = {}
    seconds: dict[str, float] = {}
    extra: dict[str, object] = {}
    for name, compute in methods.items():
        t0 = time.perf_counter()
        result = compute()
        seconds[name] = time.perf_counter() - t0
        if name == "integrated_gradients":
            result, delta = result
            extra["ig_convergence_delta"] = [float(d) for d in delta]
            shown = result.sum(dim=1)  # (N, H, W), signed
        elif name == "layer_conductance":
            shown = F.interpolate(result.sum(dim=1, keepdim=True), size=tuple(x.shape[2:]), mode="bilinear")[:, 0]
        else:
            shown = result
        maps[name] = result.detach().cpu()
        overlay = name.endswith("grad_cam") and "guided" not in name
        cmap = "bwr" if name in ("integrated_gradients", "layer_conductance") else "jet" if overlay else "hot"
        shown_np = shown.detach().cpu().numpy()
        if cmap == "bwr":  # signed maps: centre 0 on white
            shown_np = [np.clip(0.5 + 0.5 * m / (np.abs(m).max() or 1.0), 0, 1) for m in shown_np]
        contact_sheet(images, list(shown_np), out / f"{name}.png", f"{name} ({config.model})", labels, overlay, cmap)

    agreement = {}
    for name in ("saliency", "guided_backprop", "grad_cam", "guided_grad_cam"):
        ours, theirs = maps[name], maps[f"captum_{name}"]
        diff = float((ours - theirs).abs().max())
        agreement[name] = {"max_abs_diff": diff, "relative": diff / max(float(theirs.abs().max()), 1e-30)}
        print(f"{name:16s} yours vs Captum: max |difference| {diff:.3g} (relative {agreement[name]['relative']:.3g})")
    delta = extra["ig_convergence_delta"]
    with torch.no_grad():
        gap = (model(x).gather(1, y.view(-1, 1)) - model(baseline).gather(1, y.view(-1, 1)))[:, 0].cpu()
    print(
        f"integrated gradients: |convergence delta| at most {max(abs(d) for d in delta):.3g} "
        f"(score gaps {float(gap.abs().min()):.3g} to {float(gap.abs().max()):.3g})"
    )
    write_json(
        out / METRICS,
        {
            "config": config.to_dict(),
            "device": str(device),
            "images": labels,
            "dtype": str(x.dtype),
            "agreement_with_captum": agreement,
            "ig_score_gap": [float(g) for g in gap],
            "seconds": seconds,
            **extra,
        },
    )
    print(f"wrote {len(methods)} contact sheets and metrics.json to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
