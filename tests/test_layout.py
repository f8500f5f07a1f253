"""The package layout: no import cycle between mtclip's modules, modules import modules (not packages), and the
flat module names of mtclip 0.1 still import as the modules they moved to."""
import ast
import importlib
from pathlib import Path

import pytest

import mtclip

LIB = Path(mtclip.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    "The mtclip modules `path` imports, anywhere in it (inside functions too), as absolute names."
    name, out = module_name(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("mtclip")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if not base.startswith("mtclip"): continue
            for a in node.names:     # `from pkg import module` names a module
                sub = f"{base}.{a.name}"
                where = LIB.parent / sub.replace(".", "/")
                out.add(sub if where.with_suffix(".py").exists() or (where / "__init__.py").exists() else base)
    return out


MODULES = {module_name(p): p for p in LIB.rglob("*.py") if p.name not in ("_modidx.py",)}
PACKAGES = {n for n, p in MODULES.items() if p.name == "__init__.py"}
GRAPH = {n: imports(p) - {n} for n, p in MODULES.items() if n not in PACKAGES}


def test_modules_import_modules_not_packages():
    "A module that imported a package would depend on everything the package's __init__ imports."
    bad = {n: sorted(deps & (PACKAGES - {"mtclip"})) for n, deps in GRAPH.items() if deps & (PACKAGES - {"mtclip"})}
    assert not bad, bad


def cycles_of(graph: dict[str, set]) -> list[list[str]]:
    "Every import cycle a depth-first walk of `graph` meets, each as the path that closes it."
    seen, done, cycles = set(), set(), []
    def visit(n, stack):
        if n in done or n not in graph: return
        if n in seen: cycles.append(stack[stack.index(n):] + [n]); return
        seen.add(n)
        for d in sorted(graph[n]): visit(d, stack + [n])
        done.add(n)
    for n in sorted(graph): visit(n, [])
    return cycles


def test_no_import_cycle():
    assert cycles_of({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]   # it sees one
    assert cycles_of(GRAPH) == []


def test_graph_sees_imports():
    "The checks above mean something only if the graph has the edges it should."
    assert "mtclip.methods.base" in GRAPH["mtclip.methods.prompts.mmap"]
    assert "mtclip.models.multitask" in GRAPH["mtclip.train.loop"]
    assert "mtclip.train" not in GRAPH["mtclip.experiment"] and "mtclip.train.loop" in GRAPH["mtclip.experiment"]


@pytest.mark.parametrize("old, new", sorted(mtclip.MOVED_MODULES.items()))
def test_moved_modules_still_import(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)
    assert importlib.import_module(new).__spec__.name == new


LINE_LIMIT = 119     # ruff.toml's line-length


def long_lines(text: str) -> list[int]:
    "Line numbers over LINE_LIMIT, except in nbdev's generated `__all__` (from `# %% auto 0` to its closing bracket)."
    found, in_all = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("__all__ = ["): in_all = True
        if not in_all and len(line) > LINE_LIMIT: found.append(number)
        if in_all and line.rstrip().endswith("]"): in_all = False
    return found


def test_lines_fit():
    assert long_lines("__all__ = ['a',\n" + "'b'" * 60 + "]\nx = 1\n" + "y" * 120) == [4]   # finds one, skips __all__
    over = {str(p.relative_to(LIB.parent)): long_lines(p.read_text()) for p in sorted(LIB.rglob("*.py"))
            if p.name != "_modidx.py"}
    over = {path: lines for path, lines in over.items() if lines}
    assert not over, f"lines over {LINE_LIMIT} columns (wrap them in the notebooks): {over}"


NOTEBOOKS = sorted((LIB.parent / "nbs").rglob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_cell_has_an_id(path):
    "nbformat 4.5 cells carry unique ids; without them every read warns ('Cell is missing an id field')."
    import json
    nb = json.loads(path.read_text())
    ids = [c.get("id") for c in nb["cells"]]
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5) and all(ids) and len(set(ids)) == len(ids), \
        f"{path.name}: {sum(not i for i in ids)} cell(s) without an id; run tests/normalise_notebooks.py"


def test_experiments_lists_parameters_without_warnings():
    import subprocess, sys
    done = subprocess.run([str(Path(sys.executable).parent / "mtclip"), "experiments"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "missing an id" not in done.stderr and "Warning" not in done.stderr, done.stderr
