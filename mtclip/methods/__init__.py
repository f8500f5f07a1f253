"""Ways of adapting CLIP: the interface and registry (`base`), parameter sharing (`sharing`), and the methods.

Every module under `mtclip.methods` registers its methods when imported, and importing `mtclip.methods` imports
them all: a new method is a new module here (and its notebook), nothing else."""
import importlib as _importlib, pkgutil as _pkgutil
from .base import *
from .sharing import *

for _module in _pkgutil.walk_packages(__path__, __name__ + "."): _importlib.import_module(_module.name)
