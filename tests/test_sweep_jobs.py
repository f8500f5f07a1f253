"""`mtclip sweep --executor local`: each run a submitit job (a process of its own) on this machine; the sweep's
table and the run folders as with the in-process sweep, `mtclip collect` unchanged."""
import nbformat
import pandas as pd

from conftest import mtclip
from test_cli import one_error_line


def toy_notebook(path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('seed = 0\nout_dir = "."\nlr = 0.1')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        'if lr > 1: raise ValueError(f"lr={lr} diverged")\n'
        'from mtclip.runs import write_results\n'
        'write_results([dict(experiment="toy", method="m", task="cls", domain="d", seed=seed, accuracy=lr + seed)],'
        ' out_dir)')]
    nbformat.write(nb, path)
    return path


def test_sweep_as_local_jobs(tmp_path):
    nb, out = toy_notebook(tmp_path / "toy.ipynb"), tmp_path / "sweep"
    done = mtclip("sweep", nb, "--out", out, "--grid", "lr=0.1,0.5,2", "--seeds", "0", "1", "--executor", "local",
                  "--workers", "2", "--job", "timeout_min=10", check=False)
    assert done.returncode == 1, done.stderr                       # the two lr=2 runs fail: exit 1
    table = pd.read_csv(out / "sweep.csv")
    assert table.status.tolist() == ["ok"] * 4 + ["failed"] * 2, table
    assert table.error.iloc[-1] == "ValueError: lr=2.0 diverged"       # typed as the default, a float
    mtclip("collect", out)
    rows = pd.read_csv(out / "collected.csv")
    assert sorted(rows.accuracy.round(6).tolist()) == [0.1, 0.5, 1.1, 1.5]


def test_sweep_refuses_a_bad_job_option(tmp_path):
    nb = toy_notebook(tmp_path / "toy.ipynb")
    done = mtclip("sweep", nb, "--out", tmp_path / "s", "--executor", "local", "--job", "timeout", check=False)
    one_error_line(done, "--job 'timeout': write NAME=VALUE")
