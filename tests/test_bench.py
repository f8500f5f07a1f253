"""`mtclip.bench`'s command-line entry: a JSON of the rows on the tiny arch, and one error line for bad input."""
import json
import math

import pytest
import torch

from mtclip.bench import COLUMNS, bench_main
from mtclip.core import MtclipError


@pytest.fixture
def one_thread():
    "Tiny kernels run far faster on one thread on small machines; the setting is put back afterwards."
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_json_has_the_rows(tmp_path, one_thread, capsys):
    out = tmp_path / "sub" / "bench.json"
    df = bench_main(["--arch", "mtclip-test-vit", "--methods", "coop", "mt-adapter", "--device", "cpu",
                     "--batch", "4", "--steps", "2", "--warmup", "1", "--classes", "4", "--dtype", "fp32",
                     "--threads", "1", "--no-progress", "--json", str(out)])
    assert "speed vs bare" in capsys.readouterr().out            # the table was printed
    data = json.loads(out.read_text())
    rows = data["rows"]
    assert [r["method"] for r in rows] == ["bare", "coop", "mt-adapter"]
    assert all(list(r) == COLUMNS for r in rows)
    assert all(r["arch"] == "mtclip-test-vit" and r["batch"] == 4 and r["dtype"] == "fp32" for r in rows)
    by = {r["method"]: r for r in rows}
    assert by["bare"]["speed_vs_bare"] == 1.0 and by["coop"]["speed_vs_bare"] > 0
    assert by["coop"]["cache_speedup"] is None                     # NaN in the frame, null in JSON
    assert by["mt-adapter"]["cache_speedup"] > 0                   # a post-encoder method: the cache is timed
    for r in rows:
        assert not (r["note"] or "").startswith("failed"), r["note"]
        assert r["flops_per_step"] > 0 and 0 < r["mfu"] and math.isfinite(r["step_ms"])
    assert set(data["meta"]["pairs"]) == {"coop", "mt-adapter"}
    assert len(data["meta"]["pairs"]["coop"]) == 2 and data["meta"]["peak_flops"] > 0
    assert data["meta"]["command"].startswith("mtclip bench --arch mtclip-test-vit")
    assert len(df) == 3
    assert not list(out.parent.glob(".*.tmp"))                     # written atomically: no temporary file left


@pytest.mark.parametrize("argv,needle", [
    (["--device", "tpu"], "--device 'tpu'"),
    (["--methods", "coop", "no-such-method"], "--methods no-such-method"),
    (["--methods", "zero-shot"], "trains nothing"),
    (["--arch", "ViT-Z-99"], "--arch 'ViT-Z-99'"),
    (["--batch", "0"], "--batch 0"),
    (["--batch", "many"], "argument --batch"),
    (["--dtype", "fp8"], "--dtype 'fp8'"),
    (["--preset", "huge"], "--preset 'huge'"),
    (["--threads", "0"], "--threads 0"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_input_is_one_line(argv, needle, tmp_path):
    with pytest.raises(MtclipError) as e:
        bench_main([*argv, "--json", str(tmp_path / "never.json")])
    message = str(e.value)
    assert needle in message and "\n" not in message, message
    assert not (tmp_path / "never.json").exists()


def test_cuda_refused_without_a_gpu():
    if torch.cuda.is_available(): pytest.skip("this machine has a GPU")
    with pytest.raises(MtclipError, match="no CUDA device"):
        bench_main(["--device", "cuda", "--arch", "mtclip-test-vit"])


def test_performance_notebook_and_cli(tmp_path):
    "`mtclip run performance` writes the table, its JSON and the plot; `mtclip bench` gives one line for bad input."
    from conftest import mtclip
    out = tmp_path / "perf"
    mtclip("run", "performance", "--out", out, "-p", "arch", "mtclip-test-vit", "-p", "methods", "coop,vpt",
           "-p", "batch", "4", "-p", "steps", "2", "-p", "warmup", "1", "-p", "classes", "4")
    import pandas as pd
    table = pd.read_csv(out / "bench.csv")
    assert table.method.tolist() == ["bare", "coop", "vpt"] and (table.step_ms > 0).all()
    assert (out / "bench.png").stat().st_size > 0 and json.loads((out / "bench.json").read_text())["rows"]
    done = mtclip("bench", "--device", "tpu", check=False)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and "--device 'tpu'" in done.stderr
