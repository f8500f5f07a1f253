"""`mtclip params` reproduces the MmAP paper's #Params row (Table 1, ViT-B/16, 4 tasks) for the prompt methods and BitFit.
Importing `mtclip.methods` registers every method (coop, vpt, maple, mmap, bitfit among them)."""
import json

import pytest

from conftest import mtclip

PAPER = {  # method: (exact trainable count with the documented defaults, the paper's figure in millions)
    "mmap": (129_864, 0.13),
    "bitfit": (171_008, 0.17),
    "coop": (8_192, 0.01),
    "vpt": (165_888, 0.17),
    "maple": (4_801_536, 4.8),
}


@pytest.mark.parametrize("method", [pytest.param(m, marks=[] if m == "mmap" else pytest.mark.slow) for m in PAPER])
def test_params_vit_b16_four_tasks_match_paper(method):
    counts = json.loads(mtclip("params", "--arch", "ViT-B-16", "--method", method, "--tasks", "4", "--json").stdout)
    exact, millions = PAPER[method]
    assert counts["trainable"] == exact and round(counts["trainable"] / 1e6, 2) == millions
    assert counts["total"] >= 149_620_737


def test_mmap_is_about_0_09_percent_of_clip():
    "The paper's abstract: ~0.09% of CLIP's parameters."
    counts = json.loads(mtclip("params", "--arch", "ViT-B-16", "--method", "mmap", "--tasks", "4", "--json").stdout)
    assert round(counts["trainable_percent"], 2) == 0.09
