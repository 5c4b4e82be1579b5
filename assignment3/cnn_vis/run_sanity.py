"""Sanity checks of the maps (Adebayo et al., 2018): ``python -m cnn_vis.run_sanity --config configs/sanity.yaml``.

Randomises the model's layers one at a time from the top and reports, per method, the mean
Spearman rank correlation (over the images) between each map on the trained model and on the
randomised one. Writes ``sanity.png`` (correlation against layers randomised),
``sanity_maps.png`` (the first image's maps at each step) and ``metrics.json`` (the table).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from cnn_vis.cli import classifier_and_images, out_dir, start
from cnn_vis.config import SanityConfig
from cnn_vis.figures import image_grid, line_plot, map_to_image
from cnn_vis.sanity import cascading_randomization, layer_groups, method_maps, spearman
from trainkit.files import write_json
from trainkit.run import METRICS, progress


def main(argv: Sequence[str] | None = None) -> int:
    started = start("python -m cnn_vis.run_sanity", __doc__.split("\n")[0], argv, SanityConfig, classifier_and_images)
    if started is None:
        return 2
    args, device, config, (classifier, (x, y, labels, sample)) = started
    out = out_dir(args, sample)
    model = classifier.model.to(device)
    x, y = x.to(device), y.to(device)
    fns = {m: f for m, f in method_maps(classifier.cam_layer, config.ig_steps).items() if m in config.methods}
    steps = ["none"] + [name for name, _ in layer_groups(model)]
    original: dict[str, np.ndarray] = {}
    table: dict[str, list[float]] = {m: [] for m in fns}
    first_maps: dict[str, list[np.ndarray]] = {m: [] for m in fns}
    cascade = cascading_randomization(model, config.seed)
    for step, current in progress(cascade, enabled=not args.no_progress, desc="randomising", total=len(steps)):
        for method, fn in fns.items():
            maps = fn(current, x, y).detach().cpu().double().numpy()  # (N, H, W)
            if step == "none":
                original[method] = maps
            table[method].append(float(np.mean([spearman(a, b) for a, b in zip(original[method], maps, strict=True)])))
            first_maps[method].append(map_to_image(maps[0]))
    header = f"{'randomised up to':18s}" + "".join(f"{m:>22s}" for m in fns)
    print("mean Spearman rank correlation with the trained model's maps")
    print(header)
    for i, step in enumerate(steps):
        print(f"{step:18s}" + "".join(f"{table[m][i]:22.3f}" for m in fns))
    line_plot(
        table,
        out / "sanity.png",
        f"cascading randomisation ({config.model}): rank correlation with the trained model's maps",
        "layers randomised, from the top (cumulative)",
        "mean Spearman rank correlation",
        xticks=steps,
    )
    image_grid(
        [np.stack(v) for v in first_maps.values()],
        out / "sanity_maps.png",
        f"maps of {labels[0]} as the layers are randomised from the top",
        row_titles=list(fns),
        labels=steps,
    )
    write_json(
        out / METRICS,
        {
            "config": config.to_dict(),
            "device": str(device),
            "images": labels,
            "randomised_up_to": steps,
            "rank_correlation": table,
        },
    )
    print(f"wrote {out / 'sanity.png'}, {out / 'sanity_maps.png'} and {out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
