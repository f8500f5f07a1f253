"""VL-Adapter's generative model end to end through the CLI (papermill): the V&L world, the embedded CLIP's grid
features, the embedded LM, a method inside it, training on the four tasks and their scores, in a quick run."""
import json

import pandas as pd

from conftest import mtclip
from test_cli import one_error_line


def test_vl_generative_quick_run(tmp_path):
    out = tmp_path / "gen"
    mtclip("run", "vl_generative", "--out", out, "-p", "quick", "true")
    rows = pd.read_csv(out / "results.csv")
    assert rows.task.tolist() == ["vqa", "gqa", "nlvr", "caption", "average"]
    assert rows.score.between(0, 1000).all() and rows.evaluated_on.eq("test").all()
    assert abs(rows.score.iloc[-1] - rows.score.iloc[:4].mean()) < 1e-9
    assert 0 < rows.updated_percent.iloc[0] < 10          # the Single adapter, layer norms, visual embedding
    assert json.loads((out / "results.json").read_text())[0]["method"] == "houlsby"


def test_vl_generative_refuses_a_method_outside_the_lm(tmp_path):
    done = mtclip("run", "vl_generative", "--out", tmp_path / "x", "-p", "method", "coop", "-p", "quick", "true",
                  check=False)
    one_error_line(done, "method='coop'", "houlsby")


def test_vl_generative_trains_clip_on_vqa_alone(tmp_path):
    "Table 3's analogue: VQA alone, CLIP fine-tuned beside the LM; CLIP counted among the updated parameters."
    out = tmp_path / "t3"
    mtclip("run", "vl_generative", "--out", out, "-p", "quick", "true", "-p", "tasks", "vqa", "-p", "train_clip",
           "true", "-p", "method", "full")
    rows = pd.read_csv(out / "results.csv")
    assert rows.task.tolist() == ["vqa", "average"] and rows.train_clip.all() and (rows.clip_lr == 1e-6).all()
    assert rows.updated_percent.iloc[0] == 100 and rows.total.iloc[0] > 1_500_000   # the LM, θV→L and CLIP
    bars = [o["data"]["text/plain"] for c in json.loads((out / "vl_generative.ipynb").read_text())["cells"]
            for o in c.get("outputs", []) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert any(b.startswith("train full on vqa: 100%") for b in bars), bars    # progress bars at their end, not 0%


def test_vl_generative_refuses_unknown_tasks(tmp_path):
    done = mtclip("run", "vl_generative", "--out", tmp_path / "x", "-p", "tasks", "vqa,ocr", "-p", "quick", "true",
                  check=False)
    one_error_line(done, "tasks='vqa,ocr'", "vqa,gqa,nlvr,caption")
