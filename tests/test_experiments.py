"""Experiment notebooks end to end through the CLI (papermill), with tiny parameters: a random test
checkpoint instead of the pretrained embedded CLIP, the quick world, few shots."""
import json
import shutil
import subprocess
import sys
import sysconfig

import pandas as pd
import pytest

from conftest import REPO, mtclip


@pytest.fixture(scope="module")
def fast(test_checkpoint):
    return ["-p", "arch", "mtclip-test-vit", "-p", "pretrained", test_checkpoint, "-p", "quick", "true", "-p", "shots", "4"]


def test_run_zero_shot_writes_rows_and_plots(tmp_path, fast):
    out = tmp_path / "zs"
    mtclip("run", "zero_shot", "--out", out, *fast)
    rows = json.loads((out / "results.json").read_text())
    assert {(r["domain"], r["task"]) for r in rows} == {(d, t) for d in ("Photo", "Clipart", "Sketch", "Neon")
                                                      for t in ("classification", "retrieval")}
    for r in rows:
        assert r["method"] == "zero-shot" and r["seed"] == 0
        assert 0 <= (r["accuracy"] if r["task"] == "classification" else r["P@5"]) <= 1
    assert len(pd.read_csv(out / "results.csv")) == len(rows)
    assert (out / "zero_shot.ipynb").is_file() and (out / "accuracy.png").stat().st_size > 1000
    assert (out / "Pat5.png").is_file()


def test_installed_wheel_runs_an_experiment_by_name(tmp_path, fast):
    "The wheel carries the experiment notebooks: installed in a fresh venv, away from the checkout, one runs by name."
    run = lambda *args, **kw: subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw)
    built_before = (REPO / "build").exists()
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", REPO)
    if not built_before: shutil.rmtree(REPO / "build", ignore_errors=True)     # setuptools builds in the checkout
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    # the venv takes its dependencies (torch & co.) from this one's site-packages, but not the editable mtclip
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index",
        *(tmp_path / "dist").glob("*.whl"))
    where = run(venv / "bin" / "python", "-c", "import mtclip.runs as r; print(r.EXPERIMENTS)", cwd=tmp_path).stdout
    assert where.strip() == str(site / "mtclip" / "experiments"), where
    out = tmp_path / "zs"
    run(venv / "bin" / "mtclip", "run", "zero_shot", "--out", out, *fast, cwd=tmp_path)
    assert len(json.loads((out / "results.json").read_text())) == 8


def test_sweep_and_collect_give_mean_and_std_over_seeds(tmp_path, fast):
    out = tmp_path / "sweep"
    mtclip("sweep", "zero_shot", "--out", out, "--seeds", "0", "1", *fast, "-p", "tasks", "classification")
    sweep = pd.read_csv(out / "sweep.csv")
    assert list(sweep.status) == ["ok", "ok"]
    mtclip("collect", out)
    rows = pd.read_csv(out / "collected.csv")
    summary = pd.read_csv(out / "summary.csv")
    photo = summary[summary.domain == "Photo"].iloc[0]
    accs = rows[rows.domain == "Photo"].accuracy
    assert photo["n_seeds"] == 2
    assert photo["accuracy_mean"] == pytest.approx(accs.mean()) and photo["accuracy_std"] == pytest.approx(accs.std())
    assert "±" in (out / "summary.md").read_text()


def test_failed_run_is_recorded_and_others_go_on(tmp_path, fast):
    out = tmp_path / "sweep"
    done = mtclip("sweep", "zero_shot", "--out", out, "--seeds", "0", *fast, "-p", "tasks", "classification",
                  "--grid", "templates=photo,no-such-templates", check=False)
    sweep = pd.read_csv(out / "sweep.csv").set_index("templates")
    assert sweep.loc["photo", "status"] == "ok" and sweep.loc["no-such-templates", "status"] == "failed"
    assert "templates" in sweep.loc["no-such-templates", "error"]
    mtclip("collect", out)
    assert "Failed runs" in (out / "summary.md").read_text()


def test_frozen_probes_notebook_runs(tmp_path, fast):
    out = tmp_path / "probes"
    mtclip("run", "frozen_probes", "--out", out, *fast)
    rows = pd.DataFrame(json.loads((out / "results.json").read_text()))
    assert set(rows.method) == {"zero-shot", "linear-probe", "linear-head", "train-mean"}
    assert rows[rows.method == "linear-head"].MAE.notna().all() and (out / "MAE.png").is_file()


@pytest.mark.slow
def test_demo_quick_leaves_its_files(tmp_path):
    out = tmp_path / "demo"
    done = mtclip("demo", "--quick", "--out", out)
    assert "[4/4]" in done.stdout
    for name in ("collected.csv", "summary.md", "mt_clip_adapter_regression.png", "zero_shot_retrieval.png"):
        assert (out / name).is_file(), name
    summary = (out / "summary.md").read_text()
    assert "## mt_clip_adapter" in summary and "**regression: MAE**, lower is better" in summary and "nan" not in summary
    assert list(out.glob("zero_shot/*/zero_shot.ipynb"))


@pytest.mark.slow     # a benchmark notebook: its figures come from `mtclip run lora_benchmark`
def test_lora_benchmark_runs_every_variant(tmp_path):
    "mtclip's LoRA, peft's and the bare model, each timed in its own process; the ratios are written."
    out = tmp_path / "bench"
    mtclip("run", "lora_benchmark", "--out", out, "-p", "arch", "mtclip-test-vit", "-p", "r", "2", "-p", "batch_size",
           "2", "-p", "steps", "1", "-p", "warmup", "1", "-p", "infer_steps", "1")
    table = pd.read_csv(out / "lora_benchmark.csv").set_index("variant")
    assert list(table.index) == ["bare", "mtclip", "peft"] and (table.images_per_s > 0).all()
    # 2 vision blocks, r = 2; mtclip: q, k, v, out (r (32 + 32) each), c_fc (r (32 + 64)), c_proj (r (64 + 32));
    # peft: one pair on the packed in_proj (r (32 + 96)), out_proj, c_fc, c_proj
    assert table.loc["mtclip", "lora_parameters"] == 2 * 2 * (4 * 64 + 2 * 96)
    assert table.loc["peft", "lora_parameters"] == 2 * 2 * (128 + 64 + 2 * 96)
    assert table.loc["bare", "lora_parameters"] == 0
    assert "training throughput mtclip / peft" in (out / "lora_benchmark.md").read_text()
