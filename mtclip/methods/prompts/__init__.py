"""Methods that prompt CLIP's encoders: deep prompts (`deep`), their base (`base`), CoOp, VPT, MaPLe, MmAP,
MmAP's ablations."""
from .deep import *
from .base import *
from .coop import *
from .vpt import *
from .maple import *
from .mmap import *
from .ablations import *
