"""The course's staff library: what every assignment's training code shares.

Shipped like the grader: every handout and autograder zip carries a copy next to the
assignment's package. Modules: ``config`` (typed configs), ``download`` (with checksums), ``run`` (the entry point,
the run folder, seeds, progress), ``distributed`` (torchrun), ``files`` (atomic writes,
checkpoints), ``plots`` (curves.png), ``images`` (image-folder data sets in memory). Only
``distributed``, ``images`` and torch checkpoints import torch, so NumPy-only assignments use
the rest without it.
"""
