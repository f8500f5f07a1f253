"""Give every cell of the notebooks under nbs/ an id (nbformat 4.5), as Jupyter does when it saves one; a notebook
edited as text or by a script may lack them, and nbformat then warns on every read. Usage:
`python tests/normalise_notebooks.py` (changes only the notebooks that need it)."""
import json
import uuid
from pathlib import Path

NBS = Path(__file__).resolve().parent.parent / "nbs"

if __name__ == "__main__":
    for path in sorted(NBS.rglob("*.ipynb")):
        nb = json.loads(path.read_text())
        seen, changed = set(), False
        for cell in nb["cells"]:
            if not cell.get("id") or cell["id"] in seen:
                cell["id"] = uuid.uuid4().hex[:8]; changed = True
            seen.add(cell["id"])
        if changed:
            nb["nbformat"], nb["nbformat_minor"] = 4, max(5, nb.get("nbformat_minor", 5))
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            print(f"ids given: {path.relative_to(NBS.parent)}")
