"""Data parallel training (torch.distributed through torchrun, gloo on CPU): `mtclip train --processes 2` ends with the
same trainable weights as one process on the combined batch, and only the first process writes the run folder."""
import json

import pandas as pd
import pytest
from safetensors.torch import load_file

from conftest import mtclip

TRAIN = ("mt-adapter", "--quick", "--epochs", "2", "--batch-size", "8", "--lr", "0.01", "--optimizer", "sgd")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    mtclip("train", *TRAIN, "--out", root / "one")
    done = mtclip("train", *TRAIN, "--out", root / "two", "--processes", "2")
    return root, done


def test_two_processes_train_what_one_trains_on_the_combined_batch(runs):
    root, _ = runs
    one, two = (load_file(root / name / "trainable.safetensors") for name in ("one", "two"))
    assert one.keys() == two.keys() and len(one) > 2
    start = load_file(root / "one" / "trainable.safetensors")
    moved = 0
    for name, weight in one.items():
        diff = (weight - two[name]).abs().max().item()
        assert diff < 1e-6, (name, diff)
        moved += int(weight.abs().sum() > 0)
    assert moved, start.keys()                                  # the adapters trained (their up-projections left 0)
    results = [pd.read_csv(root / name / "results.csv") for name in ("one", "two")]
    assert (results[0].accuracy - results[1].accuracy).abs().max() < 1e-6
    assert results[0].processes.eq(1).all() and results[1].processes.eq(2).all()


def test_only_the_first_process_writes(runs):
    root, done = runs
    assert done.stdout.count("results, trained parameters and checkpoint in") == 1, done.stdout
    meta = json.loads((root / "two" / "trainable.json").read_text())
    assert meta["method"] == "mt-adapter"
    assert not list((root / "two").glob("*.tmp*"))


def test_processes_must_be_positive(tmp_path):
    done = mtclip("train", *TRAIN, "--out", tmp_path / "x", "--processes", "0", check=False)
    assert done.returncode == 2 and "--processes 0: give 1 or more" in done.stderr
