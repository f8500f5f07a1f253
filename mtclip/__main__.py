"""`python -m mtclip ...`: the `mtclip` command (what `mtclip train --processes N` runs under torchrun); with
`--notebook-rank SPEC`, one process of a data-parallel notebook run (`mtclip.runs.run_notebook_rank`)."""
import sys

if sys.argv[1:2] == ["--notebook-rank"] and len(sys.argv) == 3:
    from mtclip.runs import run_notebook_rank
    sys.exit(run_notebook_rank(sys.argv[2]))

from mtclip.cli import main

sys.exit(main())
