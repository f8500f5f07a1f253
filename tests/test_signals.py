"""A signal to a command that started other processes (torchrun and its ranks, notebook kernels, submitit jobs) stops
every one of them before the command exits: none is left, nothing in the run's folder changes afterwards, and the
folder's lock is free for the next run. Each test starts the real `mtclip` command, waits until its processes are
at work, sends SIGTERM, and looks at the whole process tree it had."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from conftest import REPO
from mtclip.data import fakes


@pytest.fixture(scope="module")
def sleepy(tmp_path_factory) -> Path:
    "A notebook that marks it is running (a file per rank), then sleeps `sleep` seconds before writing results."
    path = tmp_path_factory.mktemp("nb") / "sleepy.ipynb"
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                          "display_name": "python3"}})
    nb.cells = [nbformat.v4.new_code_cell('out_dir = ""\nseed = 0\nsleep = 0.0\nprocesses = 1',
                                          metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(
                    "import os, time\nfrom pathlib import Path\nfrom mtclip.runs import write_results\n"
                    "Path(out_dir, f\"running-{os.environ.get('RANK', '0')}\").touch()\ntime.sleep(sleep)\n"
                    "write_results([dict(experiment='sleepy', method='m', task='t', domain='d', seed=seed, "
                    "score=1.0)], out_dir)")]
    nbformat.write(nb, path)
    return path


def start(*args) -> subprocess.Popen:
    "The `mtclip` command in a session of its own (as a shell's job), its output kept for the failure message."
    exe = Path(sys.executable).parent / "mtclip"
    return subprocess.Popen([str(exe), *map(str, args)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def tree_when(proc: subprocess.Popen, ready, processes: int, timeout: float = 240) -> list[psutil.Process]:
    "Wait until `ready()` and `proc` has at least `processes` processes under it; the tree then."
    t0 = time.time()
    while True:
        assert proc.poll() is None, f"the command ended early: {proc.communicate()[1][-3000:]}"
        tree = psutil.Process(proc.pid).children(recursive=True)
        if ready() and len(tree) >= processes: return tree
        assert time.time() - t0 < timeout, f"not ready after {timeout} s: {len(tree)} processes"
        time.sleep(0.2)


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def stop_and_check(proc, tree, folders, expect_rc=128 + signal.SIGTERM):
    "SIGTERM the command; its rc, no process of its tree left when it has exited, no file changing afterwards."
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == expect_rc, f"rc {proc.returncode}:\n{err[-3000:]}"
    left = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"still running after the command exited: {[' '.join(p.cmdline())[:120] for p in left]}"
    assert "Traceback" not in err, err[-3000:]
    before = [snapshot(f) for f in folders]
    time.sleep(3)
    assert [snapshot(f) for f in folders] == before, "a file changed after the command exited"
    return err


def test_sigterm_to_a_data_parallel_run_ends_torchrun_its_ranks_and_their_kernels(tmp_path, sleepy):
    out = tmp_path / "dp"
    proc = start("run", sleepy, "--out", out, "-p", "sleep", 120, "-p", "processes", 2)
    # torchrun, 2 ranks, 2 kernels (the run's own kernel manager is in-process)
    tree = tree_when(proc, lambda: (out / "running-0").exists(), 5)
    err = stop_and_check(proc, tree, [out])
    assert "interrupted by SIGTERM" in err
    assert not (out / "results.json").exists()
    from mtclip.core import folder_lock
    with folder_lock(out): pass                        # free: the next run may take the folder


def test_sigterm_to_data_parallel_training_ends_every_rank(tmp_path, test_checkpoint):
    data = fakes.fake_image_folder(tmp_path / "images", per_class=6)
    out = tmp_path / "train"
    proc = start("train", "vpt", "--out", out, "--dataset", "folder", "--root", data, "--arch", "mtclip-test-vit",
                 "--pretrained", test_checkpoint, "--shots", 4, "--epochs", 400, "--batch-size", 4,
                 "--templates", "photo", "--checkpoint-every", 2, "--processes", 2)
    tree = tree_when(proc, lambda: (out / "checkpoint.safetensors").exists(), 3)     # torchrun and 2 ranks
    err = stop_and_check(proc, tree, [out])
    assert "mtclip train: stopped:" in err and "--resume" in err, err[-2000:]
    assert not (out / "results.csv").exists()


def test_sigterm_to_a_local_sweep_ends_its_jobs_and_records_them(tmp_path, sleepy):
    out = tmp_path / "sweep"
    proc = start("sweep", sleepy, "--out", out, "--seeds", 0, 1, "--executor", "local", "--workers", 2,
                 "-p", "sleep", 120)
    ready = lambda: len(list(out.glob("*/running-0"))) == 2
    tree = tree_when(proc, ready, 4)                  # per run: submitit's controller, the job, its kernel
    err = stop_and_check(proc, tree, [out])
    assert "interrupted by SIGTERM" in err
    import pandas as pd
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(table["status"]) == ["interrupted", "interrupted"], table
    assert not list(out.glob("*/results.json"))
