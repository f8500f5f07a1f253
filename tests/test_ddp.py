"""Data parallel training (torch.distributed through torchrun, gloo on CPU): `mtclip train --processes 2` ends with the
same trainable weights as one process on the combined batch, and only the first process writes the run folder."""
import json
from pathlib import Path

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


NOTEBOOK = ("-p", "arch", "mtclip-test-vit", "-p", "quick", "true", "-p", "shots", "4", "-p", "epochs", "2",
            "-p", "optimizer", "sgd", "-p", "lr", "0.01", "-p", "heldout_domain", "", "-p", "budget", "0.02")


def test_an_experiment_notebook_trains_data_parallel_by_its_parameter(tmp_path, test_checkpoint):
    """`-p processes 2`: the notebook runs once per process under torchrun, its training in one gloo group; the results
    are those of one process on the combined batch, and only the first process's copy is in the run's folder."""
    given = (*NOTEBOOK, "-p", "pretrained", str(test_checkpoint))
    mtclip("run", "mt_clip_adapter", "--out", tmp_path / "one", *given)
    done = mtclip("run", "mt_clip_adapter", "--out", tmp_path / "two", *given, "-p", "processes", "2")
    one, two = (pd.DataFrame(json.loads((tmp_path / name / "results.json").read_text())) for name in ("one", "two"))
    trained = one.method == "mt-adapter"
    assert trained.sum() >= 4 and (one.method == two.method).all()
    assert one[trained].processes.eq(1).all() and two[trained].processes.eq(2).all()     # trained in one group of 2
    assert (one.accuracy - two.accuracy).abs().max() < 1e-6 and (one.MAE - two.MAE).abs().max() < 1e-5
    assert sorted(p.name for p in (tmp_path / "two").glob("*.ipynb")) == ["mt_clip_adapter.ipynb"]
    assert "Traceback" not in done.stderr


def test_a_notebook_in_one_kernel_refuses_processes_it_does_not_have(tmp_path, test_checkpoint):
    "A notebook told processes=2 inside one process (no torchrun) says how to run it, in one line."
    from mtclip.runs import RunFailed, run_notebook, experiment_notebook
    with pytest.raises(RunFailed, match="processes=2: this kernel is 1 process"):
        import os
        os.environ["LOCAL_RANK"] = "0"       # as if already under torchrun: the runner starts no processes
        try: run_notebook(experiment_notebook("mt_clip_adapter"), tmp_path / "x",
                          {"arch": "mtclip-test-vit", "pretrained": str(test_checkpoint), "quick": True, "processes": 2,
                           "budget": 0.02},
                          progress=False)
        finally: os.environ.pop("LOCAL_RANK")


def test_the_generative_model_trains_data_parallel(tmp_path):
    """train_generative in 2 processes: each trains on its share of every task's batch, weighted by its share of the
    target tokens, and the weights are those one process trains on the whole batches (dropout off in both)."""
    import subprocess, sys
    from safetensors import safe_open
    script = Path(__file__).with_name("ddp_generative.py")
    subprocess.run([sys.executable, script, tmp_path / "one.safetensors"], check=True)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", script,
                    tmp_path / "two.safetensors"], check=True, capture_output=True)
    one, two = (load_file(tmp_path / f"{n}.safetensors") for n in ("one", "two"))
    meta = [safe_open(tmp_path / f"{n}.safetensors", "pt").metadata() for n in ("one", "two")]
    assert meta[0]["processes"] == "1" and meta[1]["processes"] == "2"
    assert one.keys() == two.keys() and len(one) > 4
    assert max((one[k] - two[k]).abs().max().item() for k in one) < 1e-5
    assert abs(float(meta[0]["loss"]) - float(meta[1]["loss"])) < 1e-5
