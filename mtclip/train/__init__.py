"""Training: settings (`config`), the loop (`loop`), checkpoints and resume (`checkpoint`),
saving and loading what trained (`saving`). The model and the feature cache are `mtclip.models`,
re-exported here too."""
from .config import *
from ..models.cache import *
from .checkpoint import *
from ..models.multitask import *
from .loop import *
from .saving import *
