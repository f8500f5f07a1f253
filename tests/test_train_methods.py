"""`mtclip train` for every registered method: a short run on a tiny folder dataset writes its results,
trained parameters and checkpoint; a method with nothing to train says so in one line."""
import json

import pandas as pd
import pytest
from safetensors.torch import load_file

from mtclip.data import fakes
from mtclip.methods import METHODS
from test_cli import one_error_line
from test_reliability import Done



@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return fakes.fake_image_folder(tmp_path_factory.mktemp("data") / "images", per_class=4)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_train_every_method(method, tmp_path, data, test_checkpoint, capsys):
    out = tmp_path / method
    done = Done(["train", method, "--out", out, "--dataset", "folder", "--root", data, "--arch", "mtclip-test-vit",
                 "--pretrained", test_checkpoint, "--shots", "2", "--epochs", "1", "--batch-size", "4",
                 "--templates", "photo", "--preset", "small"], capsys)
    if not METHODS[method].trains:
        one_error_line(done, f"method {method!r} trains nothing", "mtclip run")
        assert not out.exists() or not any(out.iterdir())
        return
    assert done.returncode == 0, done.stderr
    rows = pd.read_csv(out / "results.csv")
    assert sorted(rows.domain) == ["photo", "sketch"] and rows.accuracy.between(0, 1).all() and (rows.method == method).all()
    weights = load_file(out / "trainable.safetensors")
    meta = json.loads((out / "trainable.json").read_text())
    assert meta["method"] == method and weights and (out / "checkpoint.safetensors").is_file()
    settings, groups = meta["settings"], meta["settings"].get("groups")
    schemes = settings["sharing"].values() if isinstance(settings.get("sharing"), dict) else [settings.get("sharing")]
    if "group" in schemes or settings.get("grouping") == "gradient":    # eq. 8 found the groups before training
        assert groups is not None
    if groups is not None:
        assert sorted(sum(groups, [])) == ["photo", "sketch"]


def test_train_on_lazily_read_feature_shards(tmp_path, data, test_checkpoint, capsys):
    "`--cache-features shards` trains on features read from on-disk shards; a bad mode is one line naming the flag."
    args = ["train", "mt-adapter", "--dataset", "folder", "--root", data, "--arch", "mtclip-test-vit", "--pretrained",
            test_checkpoint, "--shots", "2", "--epochs", "1", "--batch-size", "4", "--templates", "photo",
            "--threads", "1"]
    done = Done([*args, "--out", tmp_path / "shards", "--cache-features", "shards"], capsys)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(tmp_path / "shards" / "results.csv").accuracy.between(0, 1).all()
    from mtclip.core import cache_dir
    assert list((cache_dir() / "features").glob("*/images/shard-*.safetensors"))     # the rows came from shards
    one_error_line(Done([*args, "--out", tmp_path / "bad", "--cache-features", "yes"], capsys),
                   "cache_features='yes'", "shards")
