"""The `mtclip` command: parameter counts, dataset checks, and one clear error line (exit 2) for bad input."""
import json
import re

import pytest

from conftest import mtclip
from mtclip.data import fakes


PROGRESS_BAR = re.compile(r"^\s*$|\d+/\d+ \[|(it|s)/(s|it)\]")   # tqdm's redrawn lines (cleared on a terminal)


def one_error_line(done, *needles):
    assert done.returncode == 2, done.stderr
    lines = [l for l in done.stderr.strip().splitlines() if not PROGRESS_BAR.search(l)]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_params_full_vit_b16_matches_paper():
    counts = json.loads(mtclip("params", "--arch", "ViT-B-16", "--method", "full", "--json").stdout)
    assert counts["total"] == 149_620_737 and counts["trainable"] == 149_620_737


def test_params_text_output_and_zero_shot():
    out = mtclip("params", "--arch", "mtclip-test-vit", "--method", "zero-shot").stdout
    assert "trainable 0 " in out


@pytest.mark.parametrize("args,needles", [
    (["params", "--arch", "ViT-Z-99", "--method", "full"], ["unknown architecture", "ViT-Z-99"]),
    (["params", "--arch", "mtclip-test-vit", "--method", "no-such-method"], ["unknown method", "no-such-method"]),
    (["data", "office-home", "/definitely/missing/OfficeHome"], ["/definitely/missing/OfficeHome"]),
    (["run", "no_such_notebook", "--out", "/tmp/x"], ["no_such_notebook", "zero_shot"]),
])
def test_bad_input_gives_one_line_and_exit_2(args, needles):
    one_error_line(mtclip(*args, check=False), *needles)


@pytest.mark.parametrize("dataset,make,expect", [
    ("office-home", lambda d: fakes.fake_office_home(d), "Real World"),
    ("minidomainnet", lambda d: fakes.fake_minidomainnet(d), "sketch"),
    ("cifar100", lambda d: fakes.fake_cifar100(d), "records"),
    ("folder", lambda d: fakes.fake_image_folder(d), "photo"),
    ("face-age", lambda d: fakes.fake_face_age_csv(d) / "ages.csv", "records"),
    ("utkface", lambda d: fakes.fake_utkface(d), "records"),
])
def test_each_loader_reads_its_fake_release(tmp_path, dataset, make, expect):
    out = mtclip("data", dataset, make(tmp_path)).stdout
    assert expect in out


@pytest.mark.parametrize("dataset,make,examples", [
    ("vqav2", lambda d: fakes.fake_vqav2(d), 4),
    ("gqa", lambda d: fakes.fake_gqa(d), 4),
    ("nlvr2", lambda d: fakes.fake_nlvr2(d), 4),
    ("coco-captions", lambda d: fakes.fake_coco_captions(d, images=8), None),
])
def test_data_reads_and_checks_the_vl_releases(tmp_path, dataset, make, examples):
    "`mtclip data` knows VL-Adapter's four releases: each task's examples and images; --check decodes every image."
    done = mtclip("data", dataset, make(tmp_path), "--check")
    assert "examples" in done.stdout and "decoded the images of all" in done.stdout, done.stdout
    if examples: assert f"decoded the images of all {examples} examples" in done.stdout, done.stdout


def test_data_check_names_a_damaged_vl_image(tmp_path):
    root = fakes.fake_gqa(tmp_path)
    image = sorted((root / "images").glob("*.jpg"))[0]
    image.write_bytes(image.read_bytes()[:100])
    one_error_line(mtclip("data", "gqa", root, "--check", check=False), image.name)


def test_malformed_split_file_names_file_and_line(tmp_path):
    root = fakes.fake_minidomainnet(tmp_path)
    split = root / "splits_mini" / "clipart_test.txt"
    lines = split.read_text().splitlines()
    lines.insert(1, "this line has no label")
    split.write_text("\n".join(lines) + "\n")
    one_error_line(mtclip("data", "minidomainnet", root, check=False), "clipart_test.txt", ":2")
