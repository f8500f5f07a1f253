"Tasks (`core`), their kinds: loss, prediction, metrics (`kinds`), and the papers' metrics (`metrics`)."
from .core import *
from .kinds import *
from .metrics import *
