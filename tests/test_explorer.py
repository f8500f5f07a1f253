"""The ablation explorer (nbs/explorer.ipynb) run in batch by papermill, as CI runs it: no frontend, so its
widgets are inert and the notebook's own cells give the plain output (a trained run, its loss curve, a comparison
with stored runs, the world's images)."""
import json
import subprocess
import sys

from conftest import REPO


def test_explorer_runs_under_papermill(tmp_path, test_checkpoint):
    from mtclip.runs import write_results
    stored = tmp_path / "stored"
    write_results([dict(experiment="zero_shot", method="zero-shot", task="classification", domain=d, seed=0,
                        accuracy=acc, f1=acc) for d, acc in (("Clipart", 0.9), ("Sketch", 0.2))], stored / "zs")
    executed = tmp_path / "explorer.ipynb"
    done = subprocess.run([sys.executable, "-m", "papermill", str(REPO / "nbs" / "explorer.ipynb"), str(executed),
                           "-k", "python3", "--cwd", str(REPO / "nbs"), "-p", "backbone", "mtclip-test-vit",
                           "-p", "pretrained", str(test_checkpoint), "-p", "method", "coop", "-p", "shots", "2",
                           "-p", "epochs", "2", "-p", "quick", "True", "-p", "runs_dir", str(stored),
                           "-p", "out_dir", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    cells = json.loads(executed.read_text())["cells"]
    text = "\n".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/markdown", ""))
                     for c in cells if c["cell_type"] == "code" for o in c["outputs"])
    assert "| coop" in text and "| zero-shot" in text                      # this run beside the stored one
    images = sum("image/png" in o.get("data", {}) for c in cells if c["cell_type"] == "code" for o in c["outputs"])
    assert images >= 3                                                       # loss curve, comparison, world
    runs = list((tmp_path / "out" / "runs").glob("*/results.json"))
    assert len(runs) == 2 and all(json.loads(r.read_text())[0]["method"] == "coop" for r in runs)  # cell + widget
