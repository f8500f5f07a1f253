"""`python -m mtclip ...`: the `mtclip` command (what `mtclip train --processes N` runs under torchrun)."""
import sys

from mtclip.cli import main

sys.exit(main())
