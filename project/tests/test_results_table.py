"""The results table: runs grouped by config minus seed, mean and sample std over seeds, three formats."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from pypdf import PdfReader

from project.starter.config import ExperimentConfig
from project.starter.results_table import Format, main, render, summarise
from project.typeset import compile_typst


def fake_run(root: Path, name: str, seed: int, val_acc: float, val_loss: float = 1.0, **config) -> Path:
    """A run folder with a metrics.json as train.py writes it (only what the table reads)."""
    run = root / f"{name}-{seed}-{len(list(root.iterdir())) if root.exists() else 0}"
    run.mkdir(parents=True)
    cfg = ExperimentConfig(name=name, seed=seed, **config).to_dict()
    final = {"val_acc": val_acc, "val_loss": val_loss}
    (run / "metrics.json").write_text(json.dumps({"config": cfg, "epochs": [], "final": final}))
    return run


def test_mean_and_std_over_seeds_match_the_closed_form(tmp_path):
    """For val_acc 0.80, 0.82, 0.84 over three seeds, are the mean 0.82 and the sample std 0.02?"""
    runs = [fake_run(tmp_path, "cnn", s, acc) for s, acc in enumerate((0.80, 0.82, 0.84))]
    (group,) = summarise(runs, ["val_acc"])
    stat = group.stats["val_acc"]
    # sum of squared deviations 0.02^2 + 0 + 0.02^2 = 0.0008, over n - 1 = 2: 0.0004, root 0.02
    assert stat.mean == pytest.approx(0.82, abs=1e-12)
    assert stat.std == pytest.approx(0.02, abs=1e-12)
    assert group.seeds == (0, 1, 2)


def test_runs_are_grouped_by_config_minus_seed(tmp_path, capsys):
    """Do 3 seeds of a CNN and 2 of an MLP give two Markdown rows with their own means and stds?"""
    runs = [fake_run(tmp_path, "cnn", s, acc) for s, acc in enumerate((0.80, 0.82, 0.84))]
    runs += [fake_run(tmp_path, "mlp", s, acc, model="mlp") for s, acc in enumerate((0.5, 0.7))]
    assert main([*map(str, runs), "--metric", "val_acc"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| run | seeds | val_acc |"
    assert lines[2] == "| cnn | 3 | 0.820 ± 0.020 |"
    # mean 0.6; std sqrt((0.1^2 + 0.1^2) / 1) = 0.1414
    assert lines[3] == f"| mlp | 2 | 0.600 ± {math.sqrt(0.02):.3f} |"


def test_groups_with_the_same_name_are_labelled_by_what_differs(tmp_path):
    """When two groups share a name, is each labelled by the config values that differ?"""
    runs = [fake_run(tmp_path, "exp", 0, 0.5, learning_rate=0.1), fake_run(tmp_path, "exp", 0, 0.6, learning_rate=0.01)]
    assert [g.label for g in summarise(runs)] == ["learning_rate=0.1", "learning_rate=0.01"]


def test_one_seed_shows_the_mean_alone(tmp_path):
    """With a single seed, is the cell the mean without a ±?"""
    table = render(summarise([fake_run(tmp_path, "cnn", 0, 0.9)], ["val_acc"]), ["val_acc"], Format.MARKDOWN)
    assert "| cnn | 1 | 0.900 |" in table


def test_the_latex_table_is_a_booktabs_tabular(tmp_path):
    """Is the LaTeX output a tabular with escaped headers and $mean \\pm std$ cells?"""
    runs = [fake_run(tmp_path, "cnn", s, acc) for s, acc in enumerate((0.80, 0.84))]
    table = render(summarise(runs, ["val_acc"]), ["val_acc"], Format.LATEX)
    assert "\\begin{tabular}{lrr}" in table and "\\toprule" in table and "\\bottomrule" in table
    assert "run & seeds & val\\_acc \\\\" in table
    assert f"cnn & 2 & $0.820 \\pm {math.sqrt(0.0008):.3f}$ \\\\" in table


def test_the_typst_table_compiles_and_shows_the_numbers(tmp_path):
    """Does the Typst output compile inside a document, and does the PDF show '0.820 ± 0.020'?"""
    runs = [fake_run(tmp_path / "runs", "cnn", s, acc) for s, acc in enumerate((0.80, 0.82, 0.84))]
    table = render(summarise(runs, ["val_acc"]), ["val_acc"], Format.TYPST)
    source = tmp_path / "table.typ"
    source.write_text(table)
    compile_typst(source, tmp_path / "table.pdf")
    text = PdfReader(tmp_path / "table.pdf").pages[0].extract_text()
    assert "0.820 ± 0.020" in text


def test_a_missing_metric_is_an_error_naming_the_run(tmp_path, capsys):
    """Does asking for a metric a run lacks give exit 2 and name the run and the metric?"""
    run = fake_run(tmp_path, "cnn", 0, 0.9)
    assert main([str(run), "--metric", "test_acc"]) == 2
    err = capsys.readouterr().err
    assert str(run) in err and "'test_acc'" in err


def test_two_runs_with_the_same_seed_are_an_error(tmp_path):
    """Are two runs of one config with the same seed refused (one would count twice)?"""
    runs = [fake_run(tmp_path, "cnn", 0, 0.9), fake_run(tmp_path, "cnn", 0, 0.8)]
    with pytest.raises(ValueError, match="several runs with seed 0"):
        summarise(runs)


def test_a_folder_without_metrics_is_an_error(tmp_path, capsys):
    """Does a run folder without metrics.json give exit 2 and name the file?"""
    assert main([str(tmp_path)]) == 2
    assert "no metrics.json" in capsys.readouterr().err
