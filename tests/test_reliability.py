"""Reliability: a run killed (SIGKILL) at a random step and resumed ends bitwise where an uninterrupted run ends;
SIGTERM checkpoints and exits; a kill during a save keeps the previous checkpoint; bad input is one clear line."""
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from conftest import REPO, mtclip
from test_cli import one_error_line
from mtclip.data import fakes


@pytest.fixture(scope="module")
def folder_data(tmp_path_factory):
    return fakes.fake_image_folder(tmp_path_factory.mktemp("data") / "images", per_class=6)


def train_args(out, data, checkpoint, epochs=150, *extra):
    """A `mtclip train` of VPT (prompts inside the encoder: every step re-encodes) with 6 steps an epoch; 150 epochs
    last several seconds after the first checkpoint even on a fast machine, longer than the 0-2 s kill delay."""
    return ["train", "vpt", "--out", out, "--dataset", "folder", "--root", data, "--arch", "mtclip-test-vit",
            "--pretrained", checkpoint, "--shots", "4", "--epochs", str(epochs), "--batch-size", "4", "--lr", "0.01",
            "--templates", "photo", "--checkpoint-every", "3", *extra]


class Done:
    "`mtclip.cli.main` run in this process (no interpreter start-up), shaped like a CompletedProcess."
    def __init__(self, args, capsys):
        from mtclip.cli import main
        capsys.readouterr()
        self.returncode = main([str(a) for a in args])
        self.stdout, self.stderr = capsys.readouterr()


def start(args):
    exe = Path(sys.executable).parent / "mtclip"
    return subprocess.Popen([str(exe), *map(str, args)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, proc, timeout=120):
    t0 = time.time()
    while not path.exists():
        assert proc.poll() is None, f"the run ended before its first checkpoint: {proc.communicate()[1][-2000:]}"
        assert time.time() - t0 < timeout, "no checkpoint appeared"
        time.sleep(0.05)


def same_weights(a: Path, b: Path):
    wa, wb = load_file(a), load_file(b)
    assert wa.keys() == wb.keys()
    for k in wa: assert torch.equal(wa[k], wb[k]), k


def test_sigkill_at_a_random_step_then_resume_is_bitwise_exact(tmp_path, folder_data, test_checkpoint):
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    mtclip(*train_args(whole, folder_data, test_checkpoint))
    delay = random.Random(os.urandom(8)).uniform(0.0, 2.0)
    proc = start(train_args(cut, folder_data, test_checkpoint))
    wait_for(cut / "checkpoint.safetensors", proc)
    time.sleep(delay)
    proc.kill(); proc.wait()
    assert not (cut / "results.csv").exists(), f"the run finished within {delay:.2f} s of its first checkpoint; lengthen it"
    from mtclip.train.checkpoint import read_checkpoint
    step = read_checkpoint(cut / "checkpoint.safetensors")[1]["loop"]["step"]
    print(f"killed {delay:.2f} s after the first checkpoint; resuming from step {step}")
    mtclip(*train_args(cut, folder_data, test_checkpoint), "--resume")
    same_weights(whole / "trainable.safetensors", cut / "trainable.safetensors")
    pd.testing.assert_frame_equal(pd.read_csv(whole / "results.csv"), pd.read_csv(cut / "results.csv"))


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tmp_path, folder_data, test_checkpoint):
    out = tmp_path / "term"
    proc = start(train_args(out, folder_data, test_checkpoint, 10))
    wait_for(out / "checkpoint.safetensors", proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM" in err and "checkpoint saved" in err and "--resume" in err
    done = mtclip(*train_args(out, folder_data, test_checkpoint, 10), "--resume")
    assert (out / "results.csv").is_file(), done.stderr


def test_kill_during_a_save_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.safetensors"
    script = textwrap.dedent(f"""
        import builtins, os, signal, torch
        import mtclip.core as core
        import mtclip.train.checkpoint as ck
        ck.save_checkpoint({str(path)!r}, {{"w": torch.ones(3)}}, {{"step": 1}})
        def dying_open(file, mode="r", *args, **kwargs):   # the tensors' bytes half written, then SIGKILL
            f = builtins.open(file, mode, *args, **kwargs)
            if "w" in mode:
                f.write(b"half of a checkpoint"); f.flush(); os.kill(os.getpid(), signal.SIGKILL)
            return f
        core.open = dying_open                     # what save_tensors writes with
        ck.save_checkpoint({str(path)!r}, {{"w": torch.zeros(3)}}, {{"step": 2}})
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    from mtclip.train.checkpoint import read_checkpoint
    tensors, meta = read_checkpoint(path)
    assert meta == {"step": 1} and torch.equal(tensors["w"], torch.ones(3))
    assert len(list(tmp_path.glob(".checkpoint.safetensors.*.tmp"))) == 1   # the cut-short save, cleaned on resume


def test_resume_with_other_settings_is_refused(tmp_path, folder_data, test_checkpoint, capsys):
    out = tmp_path / "run"
    assert Done(train_args(out, folder_data, test_checkpoint, 1), capsys).returncode == 0
    one_error_line(Done(train_args(out, folder_data, test_checkpoint, 1), capsys), "exists", "--resume")
    args = train_args(out, folder_data, test_checkpoint, 1)
    args[args.index("--lr") + 1] = "0.02"
    one_error_line(Done(args + ["--resume"], capsys), "cannot resume", "config.lr: checkpoint 0.01, now 0.02")
    args = train_args(out, folder_data, test_checkpoint, 1)
    args[1] = "coop"
    one_error_line(Done(args + ["--resume"], capsys), "cannot resume", "method: checkpoint \"vpt\", now \"coop\"")


def test_a_pickle_that_runs_code_is_refused(tmp_path, folder_data, test_checkpoint, capsys):
    import pickle
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self): return (os.system, (f"touch {marker}",))

    out = tmp_path / "run"
    assert Done(train_args(out, folder_data, test_checkpoint, 1), capsys).returncode == 0
    with open(out / "trainable.safetensors", "wb") as f: pickle.dump({"w": Evil()}, f)
    from mtclip.backbones.clip import load_clip
    from mtclip.experiment import load_dataset, domain_split
    from mtclip.tasks.core import Task
    from mtclip.train import load_trained
    from mtclip.core import MtclipError
    records = load_dataset("folder", str(folder_data))
    tasks = [Task(d, "classification", tr, te, classnames=records.prompt_names)
             for d, (tr, te) in domain_split(records, shots=4).items()]
    with pytest.raises(MtclipError, match="not a safetensors file"):
        load_trained(out / "trainable.safetensors", load_clip("mtclip-test-vit", pretrained=test_checkpoint, device="cpu"), tasks)
    (out / "checkpoint.safetensors").write_bytes(open(out / "trainable.safetensors", "rb").read())
    one_error_line(Done(train_args(out, folder_data, test_checkpoint, 1) + ["--resume"], capsys), "not a readable safetensors")
    assert not marker.exists()


def break_data(kind: str, root: Path) -> tuple[list, list]:
    "Make one bad-input case in the real on-disk format; return (mtclip args, expected words in the error)."
    if kind == "missing root":
        return ["--dataset", "folder", "--root", root / "nowhere"], ["image folder not found", "nowhere"]
    if kind == "empty class folder":
        r = fakes.fake_image_folder(root / "d", per_class=6); (r / "photo" / "zebra").mkdir()
        return ["--dataset", "folder", "--root", r], ["zebra", "no images", "--skip-bad"]
    if kind == "truncated image":
        r = fakes.fake_image_folder(root / "d", per_class=6)
        bad = r / "photo" / "fish" / "fish_0002.jpg"; bad.write_bytes(bad.read_bytes()[:150])
        return ["--dataset", "folder", "--root", r], ["fish_0002.jpg", "cannot decode", "--skip-bad"]
    if kind == "not an image":
        r = fakes.fake_image_folder(root / "d", per_class=6)
        (r / "sketch" / "boat" / "boat_0001.jpg").write_text("<html>404 not found</html>")
        return ["--dataset", "folder", "--root", r], ["boat_0001.jpg", "cannot decode"]
    r = fakes.fake_minidomainnet(root / "m", classes=["fish", "boat", "star"], train_per_class=5, test_per_class=5)
    split = r / "splits_mini" / "clipart_test.txt"
    lines = split.read_text().splitlines()
    if kind == "split line names a missing image":
        lines[1] = lines[1].replace("_000007.jpg", "_000099.jpg")
        split.write_text("\n".join(lines) + "\n")
        return ["--dataset", "minidomainnet", "--root", r], ["clipart_test.txt:2", "_000099.jpg", "missing"]
    if kind == "split line names an unknown class":
        path, label = lines[1].split()
        lines[1] = path.replace("fish", "zebra") + " " + label
        (r / path.replace("fish", "zebra")).parent.mkdir(parents=True)
        (r / path).rename(r / path.replace("fish", "zebra"))
        split.write_text("\n".join(lines) + "\n")
        return ["--dataset", "minidomainnet", "--root", r], ["clipart_test.txt:2", "'zebra'", "contradicts"]
    raise ValueError(kind)


BAD_DATA = ["missing root", "empty class folder", "truncated image", "not an image",
            "split line names a missing image", "split line names an unknown class"]


@pytest.mark.parametrize("kind", BAD_DATA)
def test_bad_data_fails_before_training_with_one_line(tmp_path, test_checkpoint, kind, capsys):
    args, words = break_data(kind, tmp_path)
    base = ["train", "mt-adapter", "--out", tmp_path / "run", "--arch", "mtclip-test-vit", "--pretrained", test_checkpoint,
            "--shots", "2", "--epochs", "1"]
    one_error_line(Done(base + args, capsys), *words)
    assert not (tmp_path / "run" / "checkpoint.safetensors").exists()
    if kind != "missing root":
        done = Done(base + args + ["--skip-bad"], capsys)
        assert done.returncode == 0, done.stderr
        skipped = pd.read_csv(tmp_path / "run" / "skipped.csv")
        assert len(skipped) == 1 and "skipped 1 bad sample" in done.stdout and (tmp_path / "run" / "results.csv").is_file()


def test_non_numeric_age_is_named_with_its_line(tmp_path, capsys):
    r = fakes.fake_face_age_csv(tmp_path / "ages", n=4)
    lines = (r / "ages.csv").read_text().splitlines()
    lines[3] = lines[3].split(",")[0] + ",forty"
    (r / "ages.csv").write_text("\n".join(lines) + "\n")
    one_error_line(Done(["data", "face-age", r / "ages.csv"], capsys), "ages.csv:4", "'forty' is not a number")


@pytest.mark.parametrize("extra,words", [
    (["--shots", "50"], ["class 'boat' in domain 'photo' has 6 images, fewer than shots=50"]),
    (["--lr", "0"], ["lr=0.0 must be > 0"]),
    (["--epochs", "-2"], ["epochs=-2"]),
    (["--arch", "ViT-Q-99"], ["unknown architecture", "ViT-Q-99"]),
])
def test_bad_settings_give_one_line(tmp_path, folder_data, test_checkpoint, extra, words, capsys):
    base = ["train", "mt-adapter", "--out", tmp_path / "run", "--dataset", "folder", "--root", folder_data,
            "--arch", "mtclip-test-vit", "--pretrained", test_checkpoint, "--epochs", "1", "--shots", "2"]
    one_error_line(Done(base + extra, capsys), *words)
