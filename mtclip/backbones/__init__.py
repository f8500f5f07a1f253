"""CLIP backbones: open_clip models and mtclip's own small architectures (`clip`),
and the embedded default (`embedded`)."""
from .clip import *
