"""Results of every registered method and of the two headline notebooks, for checking that a refactoring changes
structure and not behaviour: run it before and after, on the same machine, and compare the folders: every
results.csv must hold the same text in every cell (the wall-clock `seconds` column aside).

    python tests/behaviour_snapshot.py /tmp/before      # on the old commit
    python tests/behaviour_snapshot.py /tmp/after       # on the new one
    python tests/behaviour_snapshot.py --compare /tmp/before /tmp/after

Each method is trained by `mtclip train` (the tiny `mtclip-test-vit` with seeded random weights, a small folder
dataset, 1 epoch, seed 0); `mt_clip_adapter` and `mmap_methods` run with tiny parameters. Float results differ
between machines (BLAS kernels), so the comparison only means something on one machine.
"""
import argparse
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent


def mtclip(*args):
    done = subprocess.run([str(Path(sys.executable).parent / "mtclip"), *map(str, args)], capture_output=True, text=True,
                          cwd=REPO)
    if done.returncode: raise SystemExit(f"mtclip {' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr[-2000:]}")


def snapshot(out: Path):
    from safetensors.torch import save_file
    from mtclip.data import fakes
    from mtclip.backbones.clip import load_clip
    from mtclip.methods import METHODS
    out.mkdir(parents=True)
    torch.manual_seed(0)
    model = load_clip("mtclip-test-vit", device="cpu").model
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, out / "clip.safetensors")
    data = fakes.fake_image_folder(out / "data", per_class=4)
    for method in sorted(m for m, cls in METHODS.items() if cls.trains):
        print("train", method, flush=True)
        mtclip("train", method, "--out", out / "train" / method, "--dataset", "folder", "--root", data,
               "--arch", "mtclip-test-vit", "--pretrained", out / "clip.safetensors", "--shots", 2, "--epochs", 1,
               "--batch-size", 4, "--templates", "photo", "--seed", 0, "--checkpoint-every", 0)
    tiny = ["-p", "arch", "mtclip-test-vit", "-p", "pretrained", out / "clip.safetensors", "-p", "quick", "true",
            "-p", "shots", "2", "-p", "epochs", "1"]
    for notebook, extra in (("mt_clip_adapter", ["-p", "budget", "0.02"]), ("mmap_methods", ["-p", "snapshots", "1"])):
        print("run", notebook, flush=True)
        mtclip("run", notebook, "--out", out / "notebooks" / notebook, *tiny, *extra)


WALL_CLOCK = ("seconds",)      # columns that time the run: they differ between any two runs


def same_results(a: Path, b: Path) -> bool:
    "The two CSVs hold the same text in every cell, wall-clock columns aside."
    import pandas as pd
    if not b.is_file(): return False
    x, y = (pd.read_csv(p, dtype=str, keep_default_na=False).drop(columns=list(WALL_CLOCK), errors="ignore") for p in (a, b))
    return list(x.columns) == list(y.columns) and x.equals(y)


def compare(a: Path, b: Path) -> int:
    names = sorted(p.relative_to(a) for p in a.rglob("results.csv"))
    assert names, f"no results.csv under {a}"
    differ = [n for n in names if not same_results(a / n, b / n)]
    for n in names: print(("DIFFERS " if n in differ else "same    ") + str(n))
    print(f"{len(names) - len(differ)} of {len(names)} results.csv bitwise identical")
    return 1 if differ else 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--compare", action="store_true")
    args = p.parse_args()
    sys.exit(compare(*args.folders) if args.compare else snapshot(args.folders[0]))
