"""Every command block of the README, run as written, on tiny data in the real on-disk formats (`make test-slow`;
`make test` checks every line against mtclip's parser and the notebooks' parameters, and runs the quick ones).

The commands run through bash in a fresh home folder (HOME is a temporary folder, so `~/data/...` is a fake
Office-Home release and the Hugging Face cache holds a randomly initialised ViT-B-16 saved under the real
`openai` tag's repository and file name). Only what cannot run in a test as written is changed, and each
change is listed in `ADJUSTMENTS` and must apply at least once, so a README edit cannot silently escape:
- experiments on the embedded default get the random `mtclip-test-vit` checkpoint and the quick world (the
  pretrained embedded CLIP takes ~5 minutes to build), 4 shots and 1 epoch;
- sweeps run one seed instead of three; validation sweeps (`-p validation N`) keep the first two values of each grid;
- a grid over the shipped embedded CLIPs (`--grid pretrained=embedded,...`) becomes the random test checkpoint;
- a run that holds out `-p validation N` images per class gets N + 2 shots (the tiny runs' 4 would leave none);
- `mtclip train` trains the random `mtclip-test-vit` instead of ViT-B-16 (training ViT-B-16 on a CPU takes minutes;
  loading it from the offline cache by its tag is run as written by the `mtclip run` and Python examples);
- the `...` of a "same command again" line is the previous command's arguments;
- a sweep on Slurm (`--executor slurm`) runs with submitit's local executor (no cluster here), without GPUs;
- a sweep without `--workers` runs two notebooks at a time (`--workers 2`: the tiny runs are mostly kernel start-up;
  each gets one of the 2 cores), to keep the suite's time.
"""
import os
import re
import shlex
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import REPO
from mtclip.data import fakes

README = REPO / "README.md"
VIT_B16_OPENAI = ("timm/vit_base_patch16_clip_224.openai", "open_clip_model.safetensors")
USED: set = set()


def blocks(lang: str) -> list[str]:
    "The README's fenced blocks of `lang`, dedented (blocks inside list items are indented)."
    return [textwrap.dedent(body) for _, body in re.findall(rf"^( *)```{lang}\n(.*?)^ *```", README.read_text(),
                                                              flags=re.S | re.M)]


def command_lines(block: str) -> list[str]:
    "The block's commands: continuation lines joined, comments dropped."
    joined = re.sub(r"\\\n\s*", " ", block)
    return [" ".join(shlex.split(line, comments=True)) for line in joined.splitlines()
            if shlex.split(line, comments=True)]


def notebook_parameters(name: str) -> dict:
    from mtclip.runs import notebook_parameters as params
    return params(REPO / "nbs" / "experiments" / f"{name}.ipynb")


def adjust(line: str, previous: dict, checkpoint: Path) -> str:
    "The README line as the test runs it (see the module docstring); every change is recorded in USED."
    words = shlex.split(line)
    if words[:2] == ["mtclip", "train"] and "..." in words:
        USED.add("...")
        at = words.index("...")
        line = " ".join(words[:at] + previous["train"] + words[at + 1:])
        words = shlex.split(line)
    if "--executor slurm" in line:
        USED.add("slurm -> local")
        line = re.sub(r"--job gpus_per_node=\S+ ?", "", line.replace("--executor slurm", "--executor local"))
    if words[:2] in (["mtclip", "run"], ["mtclip", "sweep"]):
        params = notebook_parameters(words[2])
        if "-p validation" in line:
            USED.add("validation grids: two values")
            line = re.sub(r"--grid (\w+)=([^ ,]+),([^ ,]+)\S*", r"--grid \1=\2,\3", line)
        grid_pretrained = "--grid pretrained=" in line
        if grid_pretrained:
            USED.add("pretrained grid -> test checkpoint")
            line = re.sub(r"--grid pretrained=\S+", f"--grid pretrained={checkpoint}", line)
        if "arch" in params and "-p arch" not in line:
            USED.add("embedded -> test checkpoint")
            line += " -p arch mtclip-test-vit" + ("" if grid_pretrained else f" -p pretrained {checkpoint}")
            line += " -p quick true"
            from mtclip.runs import overridden
            set_by_quick = [name for _, name in overridden(params, {"quick": True, **{k: 0 for k in params}})]
            for name in set_by_quick:              # quick sets them itself (a smoke run's epochs and world)
                USED.add("quick's own settings")
                line = re.sub(rf" (-p {name} \S+|--grid {name}=\S+)", "", line)
            held_out = re.search(r"-p validation (\d+)", line)
            if held_out and "shots" not in params:         # a quick world's few examples per task: hold out 8
                USED.add("validation: 8 of a quick world's examples")
                line = line.replace(held_out.group(0), "-p validation 8")
            elif held_out: USED.add("validation: shots above it")
            if "shots" in params and "shots=" not in line:
                line += f" -p shots {int(held_out.group(1)) + 2 if held_out else 4}"
            if "epochs" in params and "epochs" not in set_by_quick: line += " -p epochs 1"
        if "--seeds 0 1 2" in line:
            USED.add("one seed")
            line = line.replace("--seeds 0 1 2", "--seeds 0")
        if words[1] == "sweep" and "--workers" not in line:
            USED.add("two at a time")
            line += " --workers 2"
    if words[:2] == ["mtclip", "train"]:
        previous["train"] = words[words.index("--out") + 2:]
        if "--arch ViT-B-16 --pretrained openai" in line:
            USED.add("train on the test checkpoint")
            line = line.replace("--arch ViT-B-16 --pretrained openai", f"--arch mtclip-test-vit --pretrained {checkpoint}")
    return line


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    "A home folder with the README's data paths: a fake Office-Home release and a Hugging Face cache."
    import open_clip
    from safetensors.torch import save_file
    home = tmp_path_factory.mktemp("home")
    # the release's layout; class names the tiny CLIP's tokenizer knows too (the README trains it on this folder)
    fakes.fake_office_home(home / "data", classes=["Fish", "Boat", "Paper_Plane"], per_class=20)
    model = open_clip.create_model("ViT-B-16", pretrained=None, force_quick_gelu=True)
    repo, filename = VIT_B16_OPENAI
    commit = "0" * 40
    first = None
    for cache in (home / ".cache" / "huggingface" / "hub", home / "hf-cache"):
        snapshot = cache / f"models--{repo.replace('/', '--')}" / "snapshots" / commit
        snapshot.mkdir(parents=True)
        (snapshot.parent.parent / "refs").mkdir()
        (snapshot.parent.parent / "refs" / "main").write_text(commit)
        if first is None:
            first = snapshot / filename
            save_file({k: v.contiguous() for k, v in model.state_dict().items()}, first)
        else:
            (snapshot / filename).symlink_to(first)
    return home


def run_line(line: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(home), HF_HUB_OFFLINE="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(["bash", "-c", line], cwd=home, env=env, capture_output=True, text=True)


def check_outputs(line: str, home: Path):
    "What each kind of command must leave behind."
    words = shlex.split(line)
    out = home / words[words.index("--out") + 1] if "--out" in words else None
    if words[:2] == ["mtclip", "run"]: assert (out / "results.json").is_file() or list(out.glob("*.md")), line
    if words[:2] == ["mtclip", "sweep"]: assert (out / "sweep.csv").is_file() or "--selected" in words, line
    if words[:2] == ["mtclip", "select"]: assert (home / words[2] / "selected.csv").is_file(), line
    if words[:2] == ["mtclip", "train"]:
        for name in ("results.csv", "trainable.safetensors", "checkpoint.safetensors"): assert (out / name).is_file(), name
    if words[:2] == ["mtclip", "collect"]: assert (home / words[2] / "summary.md").is_file(), line


def test_make_targets_of_the_first_lines_exist():
    "`make demo` / `make test` (the README's first block): the recipes `make` would run (CI runs `make test` itself)."
    first = command_lines(blocks("bash")[0])
    assert first == ["make demo", "make test"], first
    for target, needle in (("demo", "mtclip demo --out runs/demo"), ("test", "pytest")):
        done = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0 and needle in done.stdout, done.stdout + done.stderr


def readme_commands() -> list[str]:
    "The bash blocks' command lines after the first block (`make demo`, `make test`)."
    return [line for block in blocks("bash")[1:] for line in command_lines(block)]


def test_every_bash_line_is_a_valid_command():
    """Every README command line as mtclip's own parser reads it, and the notebooks and parameters it names exist (the
    fast half; running every line is the slow test below, about 6 minutes)."""
    from mtclip.cli import parser
    after_out: list[str] = []
    for line in readme_commands():
        words = shlex.split(line)
        assert words[0] == "mtclip", line
        if "..." in words:                           # "the same command again": the previous one's arguments
            at = words.index("...")
            words = words[:at] + after_out + words[at + 1:]
        try: args, rest = parser().parse_known_args(words[1:])
        except SystemExit: pytest.fail(f"mtclip's parser refuses the README line: {line}")
        assert not rest or args.command == "bench", f"{line}: unknown arguments {rest}"
        if "--out" in words: after_out = words[words.index("--out") + 2:]
        if args.command in ("run", "sweep"):
            valid = notebook_parameters(args.notebook)
            named = [v for n, v in zip(words, words[1:]) if n == "-p"] + \
                    [v.partition("=")[0] for n, v in zip(words, words[1:]) if n == "--grid"]
            unknown = sorted(set(named) - set(valid))
            assert not unknown, f"{line}: {args.notebook} has no parameter {unknown}"


QUICK_COMMANDS = ("params", "data", "experiments")


def test_some_bash_lines_run_as_written(home, test_checkpoint):
    "The fast half's runs: the commands that only read, and the first experiment run (with the test's adjustments)."
    lines = [l for l in readme_commands() if shlex.split(l)[1] in QUICK_COMMANDS]
    lines.append(next(l for l in readme_commands() if l.startswith("mtclip run zero_shot")))
    for line in lines:
        line = adjust(line, {}, test_checkpoint)
        done = run_line(line, home)
        assert done.returncode == 0, f"{line}\nexit {done.returncode}\n{done.stderr[-3000:]}"
        check_outputs(line, home)


@pytest.mark.slow
def test_every_bash_block_runs_as_written(home, test_checkpoint):
    previous: dict = {}
    ran = []
    for block in blocks("bash")[1:]:
        for line in command_lines(block):
            line = adjust(line, previous, test_checkpoint)
            start = time.time()
            done = run_line(line, home)
            print(f"{time.time() - start:6.1f} s  {line}")
            assert done.returncode == 0, f"{line}\nexit {done.returncode}\n{done.stderr[-3000:]}"
            check_outputs(line, home)
            ran.append(line)
    assert {"...", "embedded -> test checkpoint", "one seed", "train on the test checkpoint",
            "validation: shots above it", "validation grids: two values", "pretrained grid -> test checkpoint",
            "slurm -> local", "two at a time"} <= USED, USED
    assert any(l.startswith("mtclip train mmap") for l in ran) and any("mmap_tables" in l for l in ran), ran


def test_every_python_block_runs_as_written(home):
    for block in blocks("python"):
        done = subprocess.run([sys.executable, "-c", block], cwd=home, capture_output=True, text=True,
                              env=dict(os.environ, HOME=str(home), HF_HUB_OFFLINE="1"))
        assert done.returncode == 0, f"{block}\n{done.stderr[-3000:]}"


METHODS_BLOCK = re.compile(r"<!-- (mtclip methods [^>]*?) -->\n(.*?)\n<!-- end mtclip methods -->", re.S)


def readme_methods() -> tuple[list[str], str]:
    found = METHODS_BLOCK.search(README.read_text())
    assert found, "README has no `mtclip methods` table between its markers"
    return shlex.split(found.group(1)), found.group(2)


def rows(markdown: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in markdown.splitlines()[2:]]


def test_readme_method_table_lists_the_registry():
    "Every registered method, with its paper, what trains, sharing, presets and lr as `mtclip methods` says (counts: slow test)."
    from mtclip.methods.base import methods_table
    words, table = readme_methods()
    assert words[:2] == ["mtclip", "methods"] and "--markdown" in words
    tasks = int(words[words.index("--tasks") + 1])
    fast = rows(methods_table(tasks=tasks).to_markdown(index=False))
    assert [r[:6] for r in rows(table)] == fast, "README's method table is stale: paste `" + " ".join(words) + "`"


@pytest.mark.slow
def test_readme_method_table_is_the_command_output():
    words, table = readme_methods()
    done = subprocess.run([str(Path(sys.executable).parent / "mtclip"), *words[1:]], capture_output=True, text=True,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == table.strip()


def test_readme_is_generated_from_index():
    "README.md is nbs/index.ipynb's, as `mtclip readme` writes it (the docs' home page is the same notebook)."
    from mtclip.docs import readme_from_index
    assert readme_from_index(REPO / "nbs" / "index.ipynb") == README.read_text(), \
        "README.md differs from nbs/index.ipynb: edit the notebook, then run `mtclip readme`"


def test_every_image_is_found_from_the_readme_and_from_the_docs_home_page():
    "The README links images from the repository's root, the index notebook (the docs' home page) from nbs/."
    import json
    image = r"(?:\]\(|src=\")([^)\"]+\.(?:png|svg|jpg))"
    index = "".join("".join(c["source"]) for c in json.loads((REPO / "nbs" / "index.ipynb").read_text())["cells"])
    for root, text in ((REPO, README.read_text()), (REPO / "nbs", index)):
        links = [link for link in re.findall(image, text) if "://" not in link]
        assert links, f"no image linked from {root}"
        missing = [link for link in links if not (root / link).is_file()]
        assert not missing, f"images not found from {root}: {missing}"
