"""The MmAP experiment notebooks end to end through the CLI (papermill), with tiny parameters: the random
mtclip-test-vit checkpoint, the quick world, 2 shots, 1 epoch."""
import json

import pandas as pd
import pytest

from conftest import mtclip

DOMAINS = {"Photo", "Clipart", "Sketch", "Neon"}


@pytest.fixture(scope="module")
def tiny(test_checkpoint):
    return ["-p", "arch", "mtclip-test-vit", "-p", "pretrained", test_checkpoint, "-p", "quick", "true",
            "-p", "shots", "2", "-p", "epochs", "1", "-p", "snapshots", "1"]


def test_mmap_methods_runs_and_tables_render(tmp_path, tiny):
    sweep = tmp_path / "table1"
    # MmAP with gradient grouping: affinity heatmap, groups covering the four domains, trained prompts saved
    mtclip("run", "mmap_methods", "--out", sweep / "mmap", *tiny)
    rows = pd.DataFrame(json.loads((sweep / "mmap" / "results.json").read_text()))
    assert set(rows.domain) == DOMAINS and (rows.method == "mmap").all() and (rows.sharing == "multi-task").all()
    assert rows.accuracy.between(0, 1).all() and rows.f1.notna().all()
    groups = json.loads(rows.groups.iloc[0])
    assert sorted(sum(groups, [])) == sorted(DOMAINS)
    # 2 prompt tokens per MmAP and layer, m=2, n=16 on width 32, 2 layers: (groups + 4 tasks) x 2 x (2*16 + 1*2 + 1*2)
    assert rows.trainable.nunique() == 1 and rows.trainable.iloc[0] == (len(groups) + 4) * 2 * (32 + 2 + 2)
    for name in ("affinity.png", "accuracy.png", "trainable.safetensors", "trainable.json"):
        assert (sweep / "mmap" / name).stat().st_size > 100, name
    # the zero-shot column, then the Table 1 / Fig. 1 analogues from the collected runs
    mtclip("run", "mmap_methods", "--out", sweep / "zs", *tiny, "-p", "method", "zero-shot")
    zs = pd.DataFrame(json.loads((sweep / "zs" / "results.json").read_text()))
    assert set(zs.domain) == DOMAINS and (zs.trainable == 0).all()
    mtclip("collect", sweep)
    tables = tmp_path / "tables"
    mtclip("run", "mmap_tables", "--out", tables, "-p", "runs_dir", sweep)
    table = pd.read_csv(tables / "table1.csv", index_col=0)
    assert list(table.columns) == ["Zero-shot", "MmAP"]
    assert list(table.index) == ["Clipart", "Neon", "Photo", "Sketch", "Avg.", "#Params", "runs"]
    assert float(table.loc["Avg.", "MmAP"]) == pytest.approx(100 * rows.accuracy.mean(), abs=0.051)
    assert table.loc["#Params", "Zero-shot"] == "-"
    for name in ("table1.png", "fig1_tradeoff.png"):
        assert (tables / name).stat().st_size > 1000, name
    assert "| Avg." in (tables / "table1.md").read_text()


def test_settings_chosen_on_validation_then_retrained(tmp_path, tiny):
    """The grid runs on a validation split of the training shots; `select` picks per method; only that is retrained,
    with what the validation runs held (`templates`, given to the grid only)."""
    val, final = tmp_path / "val", tmp_path / "final"
    mtclip("sweep", "mmap_methods", "--out", val, *tiny, "-p", "method", "coop", "-p", "validation", "1",
           "-p", "templates", "ensemble", "--grid", "lr=0.001,0.1")
    rows = pd.concat([pd.DataFrame(json.loads(p.read_text())) for p in val.rglob("results.json")])
    assert (rows.evaluated_on == "validation").all() and (rows.n_test == rows.n_train).all()   # 2 shots: 1 + 1
    done = mtclip("select", val)
    chosen = pd.read_csv(val / "selected.csv")
    from mtclip.runs import collect
    collected, _ = collect(val)
    assert chosen.method.tolist() == ["coop"] and "selected.csv" in done.stdout
    assert chosen.lr.item() == collected.groupby("lr").accuracy.mean().idxmax()     # the better validation mean
    mtclip("sweep", "mmap_methods", "--out", final, *tiny, "--seeds", "0", "--selected", val / "selected.csv")
    out = pd.DataFrame(json.loads(next(final.rglob("results.json")).read_text()))
    assert (out.evaluated_on == "test").all() and (out.method == "coop").all()
    notebook = next(final.rglob("mmap_methods.ipynb")).read_text()
    assert f'"lr": {chosen.lr.item()}' in notebook            # the chosen lr is the one that trained
    assert '"templates": "ensemble"' in notebook               # and the validated templates, not the default
    test_rows = tmp_path / "test_rows"
    mtclip("run", "mmap_methods", "--out", test_rows / "a", *tiny, "-p", "method", "coop")
    refused = mtclip("select", test_rows, check=False)
    assert refused.returncode == 2 and "never on the test set" in refused.stderr


def test_mmap_methods_bad_prompt_size_is_one_line(tmp_path, tiny):
    done = mtclip("run", "mmap_methods", "--out", tmp_path / "bad", *tiny, "-p", "method", "coop", "-p", "prompt_size", "huge", check=False)
    assert done.returncode == 2 and "prompt_size='huge'" in done.stderr


@pytest.mark.slow
def test_mmap_ablations_notebook_runs(tmp_path, tiny):
    out = tmp_path / "abl"
    mtclip("run", "mmap_ablations", "--out", out, *tiny, "-p", "fig4_shots", "[1, 2]", "-p", "fig4_methods", "[mmap, coop]")
    rows = pd.DataFrame(json.loads((out / "results.json").read_text()))
    assert set(rows.ablation) == {"table3", "fig4", "fig5"}
    assert rows[rows.ablation == "table3"].variant.nunique() == 5 and set(rows[rows.ablation == "fig5"].method) == {"mmap", "joint-prompts", "mlp-prompts"}
    assert sorted(rows[rows.ablation == "fig4"].shots.unique()) == [1, 2]
    assert (rows.groupby(["ablation", "variant", "shots"], dropna=False).size() == 4).all()   # one row per domain and configuration
    for name in ("fig4_shots.png", "fig5_prompts.png", "affinity_2shot.png"):
        assert (out / name).stat().st_size > 1000, name


@pytest.mark.slow     # 2 minutes: 6 tiny training runs and 2 renders (`make test-slow`)
def test_vl_adapter_tables_render(tmp_path, tiny):
    "VL-Adapter's family through mmap_methods; Table 1 labels its forms, vl_tables draws Fig. 4 and Table 5."
    sweep = tmp_path / "vl"
    mtclip("sweep", "mmap_methods", "--out", sweep / "fig4", "--seeds", "0", *tiny, "-p", "method", "houlsby",
           "-p", "sharing", "single", "--grid", 'settings={"hidden": 2},{"hidden": 8}')
    mtclip("sweep", "mmap_methods", "--out", sweep / "forms", "--seeds", "0", *tiny, "-p", "method", "houlsby",
           "--grid", "sharing=single,half-shared")
    mtclip("sweep", "mmap_methods", "--out", sweep / "proj", "--seeds", "0", *tiny, "-p", "method", "projection",
           "-p", "sharing", "single", "--grid", 'settings={},{"layer_norms": true}')
    mtclip("collect", sweep)
    tables = tmp_path / "tables"
    mtclip("run", "mmap_tables", "--out", tables, "-p", "runs_dir", sweep)
    columns = list(pd.read_csv(tables / "table1.csv", index_col=0).columns)
    assert "Half-shared Adapter" in columns and any(c.startswith("Single Projections") for c in columns), columns
    vl = tmp_path / "vl_tables"
    mtclip("run", "vl_tables", "--out", vl, "-p", "runs_dir", sweep)
    points = pd.read_csv(vl / "fig4_points.csv")
    assert sorted(points.hidden.astype(str)) == ["2", "8", "width/8"] and (points.method == "Adapter").all()
    # the updated percentage grows with the hidden size d: 2, then the default width / 8 = 4, then 8
    assert points.sort_values("updated_percent").hidden.astype(str).tolist() == ["2", "width/8", "8"]
    assert (vl / "fig4_hidden.png").stat().st_size > 1000
    stands = pd.read_csv(vl / "vl_family.csv")      # default settings only: the Fig. 4 hidden sizes are not here
    assert sorted(zip(stands.method, stands.sharing)) == [("Adapter", "half-shared"), ("Adapter", "single"),
                                                          ("Projections", "single")]
    assert (vl / "vl_family.png").stat().st_size > 1000
    table5 = (vl / "table5.md").read_text()
    assert "projections only" in table5 and "+ layer norms" in table5 and "Single Adapter" in table5
