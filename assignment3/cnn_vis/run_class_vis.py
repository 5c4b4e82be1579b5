"""One class visualisation per class: ``python -m cnn_vis.run_class_vis --config configs/class_vis.yaml``.

Gradient ascent from small noise (drawn from the seed), with jitter, L2 regularisation and
periodic blur (``create_class_visualization``). Writes ``class_visualization.png`` and
``metrics.json`` with the model's probability of the target class on each final image.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import torch

from cnn_vis.cli import out_dir, start
from cnn_vis.config import ClassVisConfig
from cnn_vis.figures import image_grid
from cnn_vis.images import denormalize, pixel_bounds
from cnn_vis.model import load_classifier
from trainkit.files import write_json
from trainkit.run import METRICS, progress


def main(argv: Sequence[str] | None = None) -> int:
    started = start(
        "python -m cnn_vis.run_class_vis",
        __doc__.split("\n")[0],
        argv,
        ClassVisConfig,
        lambda config, args: load_classifier(config.model, config.checkpoint),
        data=False,
    )
    if started is None:
        return 2
    args, device, config, classifier = started
    from cnn_vis.class_visualization import create_class_visualization, draw_jitters

    out = out_dir(args)
    model = classifier.model.to(device)
    classes = list(config.classes) or list(range(len(classifier.classes)))
    low, high = (b.to(device) for b in pixel_bounds(classifier.mean, classifier.std))
    side = classifier.image_size
    rng = np.random.default_rng(config.seed)
    finals, probabilities = [], {}
    for target in progress(classes, enabled=not args.no_progress, desc="classes"):
        init = torch.from_numpy(0.1 * rng.standard_normal((1, 3, side, side))).float().to(device)
        jitters = draw_jitters(rng, config.num_iterations, config.max_jitter)
        img = create_class_visualization(
            model,
            target,
            init,
            jitters,
            config.l2_reg,
            config.learning_rate,
            low,
            high,
            config.blur_every,
            config.blur_sigma,
        )
        with torch.no_grad():
            probabilities[classifier.classes[target]] = float(torch.softmax(model(img), dim=1)[0, target])
        finals.append(img.cpu())
    names = [classifier.classes[c] for c in classes]
    for name in names:
        print(f"{name:12s} probability {probabilities[name]:.4f}")
    worst = min(probabilities.values())
    print(f"lowest probability of the target class: {worst:.4f}")
    image_grid(
        [denormalize(torch.cat(finals), classifier.mean, classifier.std)],
        out / "class_visualization.png",
        f"class visualisation, {config.num_iterations} iterations (lowest target probability {worst:.3f})",
        labels=[f"{n}\np={probabilities[n]:.3f}" for n in names],
    )
    write_json(
        out / METRICS,
        {"config": config.to_dict(), "device": str(device), "probability": probabilities, "min_probability": worst},
    )
    print(f"wrote {out / 'class_visualization.png'} and {out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
