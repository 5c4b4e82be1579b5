"""Fooling images of correctly classified test images: ``python -m cnn_vis.run_fooling --config configs/fooling.yaml``.

Each image gets a random target class other than its own (drawn from the seed) and
``make_fooling_image`` steps toward it. Writes ``fooling.png`` (originals, fooled images and
their differences, magnified) and ``metrics.json``: the success rate, the mean number of steps
and the mean L-infinity and L2 size of the change, in pixel units (images in [0, 1]).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import torch

from cnn_vis.cli import classifier_and_images, out_dir, start
from cnn_vis.config import FoolingConfig
from cnn_vis.figures import image_grid
from cnn_vis.images import denormalize
from trainkit.files import write_json
from trainkit.run import METRICS, progress


def main(argv: Sequence[str] | None = None) -> int:
    started = start("python -m cnn_vis.run_fooling", __doc__.split("\n")[0], argv, FoolingConfig, classifier_and_images)
    if started is None:
        return 2
    args, device, config, (classifier, (x, y, labels, sample)) = started
    from cnn_vis.fooling import make_fooling_image

    out = out_dir(args, sample)
    model = classifier.model.to(device)
    K = len(classifier.classes)
    rng = np.random.default_rng(config.seed)
    targets = [int((c + rng.integers(1, K)) % K) for c in y.tolist()]  # any class but the true one
    std = torch.tensor(classifier.std, device=device).view(1, -1, 1, 1)
    rows: list[dict[str, object]] = []
    fooled_images = []
    for i in progress(range(len(y)), enabled=not args.no_progress, desc="fooling"):
        fooled, steps = make_fooling_image(
            model, x[i : i + 1].to(device), targets[i], config.step_size, config.max_steps
        )
        with torch.no_grad():
            probs = torch.softmax(model(fooled), dim=1)[0]
        change = (fooled - x[i : i + 1].to(device)) * std  # in pixel units
        rows.append(
            {
                "image": labels[i],
                "target": classifier.classes[targets[i]],
                "fooled": int(probs.argmax()) == targets[i],
                "steps": int(steps),
                "target_probability": float(probs[targets[i]]),
                "linf": float(change.abs().max()),
                "l2": float(change.norm()),
            }
        )
        fooled_images.append(fooled.cpu())
    fooled_x = torch.cat(fooled_images)
    success = [r for r in rows if r["fooled"]]
    summary = {
        "num_images": len(rows),
        "success_rate": len(success) / len(rows),
        "mean_steps": float(np.mean([r["steps"] for r in rows])),
        "max_steps_taken": int(max(r["steps"] for r in rows)),
        "mean_linf": float(np.mean([r["linf"] for r in rows])),
        "mean_l2": float(np.mean([r["l2"] for r in rows])),
    }
    print(
        f"fooled {len(success)}/{len(rows)} images ({summary['success_rate']:.0%}) in {summary['mean_steps']:.1f} "
        f"steps on average (at most {summary['max_steps_taken']}); mean change: L-inf {summary['mean_linf']:.4f}, "
        f"L2 {summary['mean_l2']:.4f} (pixels in [0, 1])"
    )
    original = denormalize(x, classifier.mean, classifier.std)
    fooled_np = denormalize(fooled_x, classifier.mean, classifier.std)
    diff = fooled_np - original
    magnified = np.clip(0.5 + diff / (2 * max(np.abs(diff).max(), 1e-12)), 0, 1)
    shown = slice(0, min(10, len(rows)))
    image_grid(
        [original[shown], fooled_np[shown], magnified[shown]],
        out / "fooling.png",
        f"fooling images: original, fooled (target above), difference magnified; success {summary['success_rate']:.0%}",
        row_titles=["original", "fooled", "difference"],
        labels=[f"{r['image']}\n-> {r['target']}" for r in rows[shown]],
    )
    write_json(out / METRICS, {"config": config.to_dict(), "device": str(device), **summary, "images": rows})
    print(f"wrote {out / 'fooling.png'} and {out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
