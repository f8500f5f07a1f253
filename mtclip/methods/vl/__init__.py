"""VL-Adapter's method family (Sung et al. 2022) inside CLIP's towers: Houlsby adapters, Compacter, Hyperformer
(`adapters`), LoRA (`lora`), prompt tuning (`prompt_tuning`)."""
from .adapters import *
from .lora import *
from .prompt_tuning import *
