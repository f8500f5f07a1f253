"""`mtclip params --arch A --method M --tasks 4 --json` for every VL-Adapter method (and the CLIP-part tunings) under
every sharing form it takes, against hand formulas written here from the architecture's published sizes: the tiny
uneven test CLIP (fast) and ViT-B/16 (slow; random init, nothing downloads)."""
import contextlib
import io
import json

import pytest

from mtclip.cli import main

T = 4            # tasks
PLACEHOLDER_GROUPS = 3   # sharing "group" before eq. 8 has run: min(n_groups=3, tasks) groups


def tower(width, depth, mlp):
    return dict(w=width, depth=depth, mlp=mlp)


# (vision tower, text tower, joint embedding width), as the configs give them
ARCHS = {"mtclip-test-vit-uneven": (tower(32, 2, 64), tower(48, 2, 192), 32),
         "ViT-B-16": (tower(768, 12, 3072), tower(512, 12, 2048), 512)}


def layer_norms(vision, text):
    "ln_1, ln_2 per block; ln_pre, ln_post (vision); ln_final (text): weight + bias each."
    return 2 * vision["w"] * (2 * vision["depth"] + 2) + 2 * text["w"] * (2 * text["depth"] + 1)


def biases(vision, text):
    "Per block: in_proj 3w, out_proj w, c_fc mlp, c_proj w, ln_1 w, ln_2 w; plus the towers' own LayerNorms' biases."
    block = lambda t: 3 * t["w"] + t["w"] + t["mlp"] + t["w"] + 2 * t["w"]
    return vision["depth"] * block(vision) + 2 * vision["w"] + text["depth"] * block(text) + text["w"]


def projections(vision, text, embed):
    return vision["w"] * embed + text["w"] * embed


def houlsby_halves(towers, reduction=8):
    "(down, up) of every adapter: 2 per block (after attention, after the MLP); d = w / 8."
    down = sum(2 * t["depth"] * (t["w"] * (t["w"] // reduction) + t["w"] // reduction) for t in towers)
    up = sum(2 * t["depth"] * ((t["w"] // reduction) * t["w"] + t["w"]) for t in towers)
    return down, up


def compacter_unit(towers, n=2, reduction=8):
    "PHM layers d_in -> d_out: n^3 (own rule) + d_in d_out / n + d_out; a down and an up per adapter."
    phm = lambda d_in, d_out: n ** 3 + d_in * d_out // n + d_out
    return sum(2 * t["depth"] * (phm(t["w"], t["w"] // reduction) + phm(t["w"] // reduction, t["w"])) for t in towers)


def hypernets(towers, de=512, h=128, dp=8, reduction=8):
    """Per tower: a layer-id embedding per block, the task projector [t; l] -> h -> d_p and its LayerNorm, and a
    generator d_p -> an adapter's weights and biases for each sublayer kind (attention, MLP)."""
    total = 0
    for t in towers:
        d = t["w"] // reduction
        total += t["depth"] * de + (2 * de * h + h + h * dp + dp + 2 * dp) + 2 * (dp + 1) * (2 * t["w"] * d + d + t["w"])
    return total


def lora_unit(towers, r=128):
    "q and v of every block: r (d_in + d_out) each."
    return sum(t["depth"] * 2 * r * (t["w"] + t["w"]) for t in towers)


def prompt_unit(towers, n=40, h=800):
    "Per tower: Embedding n x w, Linear w -> h, Linear h -> w."
    return sum(n * t["w"] + (t["w"] * h + h) + (h * t["w"] + t["w"]) for t in towers)


def expected(arch):
    vision, text, embed = ARCHS[arch]
    towers = (vision, text)
    ln, b, proj = layer_norms(vision, text), biases(vision, text), projections(vision, text, embed)
    down, up = houlsby_halves(towers)
    comp, nets, lora, prompts = compacter_unit(towers), hypernets(towers), lora_unit(towers), prompt_unit(towers)
    G = PLACEHOLDER_GROUPS
    return {
        ("houlsby", "single"): down + up + ln, ("houlsby", "multiple"): T * (down + up) + ln,
        ("houlsby", "half-shared"): T * down + up + ln, ("houlsby", "task"): T * (down + up + ln),
        ("houlsby", "group"): G * (down + up + ln),
        ("compacter", "single"): comp + ln, ("compacter", "multiple"): T * comp + ln,
        ("compacter", "group"): G * (comp + ln),
        ("hyperformer", "single"): nets + T * 512 + ln, ("hyperformer", "multiple"): T * (nets + 512) + ln,
        ("lora", "single"): lora + b, ("lora", "multiple"): T * lora + b, ("lora", "task"): T * (lora + b),
        ("lora", "group"): G * (lora + b),
        ("prompt-tuning", "single"): prompts, ("prompt-tuning", "multiple"): T * prompts,
        ("prompt-tuning", "group"): G * prompts,
        ("layer-norm", "single"): ln, ("layer-norm", "multiple"): T * ln,
        ("projection", "single"): proj, ("projection", "multiple"): T * proj,
        ("bitfit", "single"): b, ("bitfit", "multiple"): T * b,
    }


def params(arch, method, sharing):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["params", "--arch", arch, "--method", method, "--tasks", str(T), "-s", "sharing", sharing,
                     "--json"]) == 0
    return json.loads(out.getvalue())["trainable"]


def cases(arch):
    fits = lambda m: not (arch != "ViT-B-16" and m == "prompt-tuning")    # 40 prompts: text context 32 is too short
    return [(arch, m, s, n) for (m, s), n in expected(arch).items() if fits(m)]


@pytest.mark.parametrize("arch, method, sharing, n", cases("mtclip-test-vit-uneven"))
def test_params_tiny(arch, method, sharing, n):
    assert params(arch, method, sharing) == n


@pytest.mark.slow
@pytest.mark.parametrize("arch, method, sharing, n", cases("ViT-B-16"))
def test_params_vit_b16(arch, method, sharing, n):
    assert params(arch, method, sharing) == n


def test_formulas_see_the_paper_sizes():
    "The formulas' ViT-B/16 inputs are right: CLIP's LayerNorms, biases and projections as VL-Adapter counts them."
    vision, text, embed = ARCHS["ViT-B-16"]
    assert houlsby_halves((vision,))[0] == 24 * (768 * 96 + 96)        # d = 96 on 768, as the paper's runs
    assert projections(vision, text, embed) == 768 * 512 + 512 * 512
