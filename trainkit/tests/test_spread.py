"""The spread over seeds: mean, sample standard deviation, range; refusals name the run."""

from __future__ import annotations

import json
import statistics

import pytest

from trainkit.spread import main, spreads


def write_run(folder, seed, accuracy, **config):
    folder.mkdir(parents=True)
    doc = {"config": {"lr": 0.1, "seed": seed, **config}, "finished": True, "test_accuracy": accuracy}
    doc |= {"train_seconds": 12.0, "flag": True, "num_train": 500}
    (folder / "metrics.json").write_text(json.dumps(doc))
    return folder


def test_mean_sample_std_and_range(tmp_path, capsys):
    runs = [write_run(tmp_path / f"s{i}", i, a) for i, a in enumerate([0.90, 0.92, 0.97])]
    (spread,), seeds = spreads(runs)
    assert seeds == [0, 1, 2] and spread.name == "test_accuracy"  # seconds, bools and counts are not results
    assert spread.mean == pytest.approx(statistics.mean([0.90, 0.92, 0.97]))
    assert spread.std == pytest.approx(statistics.stdev([0.90, 0.92, 0.97]))
    assert (spread.low, spread.high, spread.n) == (0.90, 0.97, 3)
    assert main([str(r) for r in runs]) == 0
    assert "test_accuracy: 0.9300 ± 0.0361 (min 0.9000, max 0.9700, n=3)" in capsys.readouterr().out


def test_refusals_name_the_run(tmp_path):
    a = write_run(tmp_path / "a", 0, 0.9)
    with pytest.raises(ValueError, match=r"differs in \['lr'\]"):
        spreads([a, write_run(tmp_path / "b", 1, 0.9, lr=0.2)])
    with pytest.raises(ValueError, match="share a seed"):
        spreads([a, write_run(tmp_path / "c", 0, 0.9)])
    with pytest.raises(ValueError, match="no number 'bleu'"):
        spreads([a], ["bleu"])
    d = write_run(tmp_path / "d", 3, 0.9)
    doc = json.loads((d / "metrics.json").read_text()) | {"finished": False}
    (d / "metrics.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="did not finish"):
        spreads([a, d])
    assert main([str(tmp_path / "nowhere")]) == 2
