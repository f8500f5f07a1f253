"""Shared fixtures: an isolated mtclip cache and a small random checkpoint for fast end-to-end runs."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def mtclip_cache(tmp_path_factory):
    "Every test (and every subprocess it starts) uses a fresh cache, as on a new machine."
    cache = os.environ.get("MTCLIP_TEST_CACHE") or str(tmp_path_factory.mktemp("mtclip-cache"))
    os.environ["MTCLIP_CACHE"] = cache
    return Path(cache)


@pytest.fixture(scope="session")
def test_checkpoint(tmp_path_factory):
    "A randomly initialised mtclip-test-vit saved as safetensors: a real checkpoint file, made in a second."
    from safetensors.torch import save_file
    from mtclip.backbones.clip import load_clip
    path = tmp_path_factory.mktemp("ckpt") / "mtclip-test-vit.safetensors"
    model = load_clip("mtclip-test-vit", device="cpu").model
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    return path


def mtclip(*args, check=True):
    "Run the `mtclip` console script; return the CompletedProcess."
    exe = Path(sys.executable).parent / "mtclip"
    done = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=REPO)
    if check and done.returncode != 0:
        raise AssertionError(f"mtclip {' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done
