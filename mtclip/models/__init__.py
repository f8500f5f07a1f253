"""The model trained and evaluated: CLIP + a method + the task heads (`multitask`),
on frozen features when it can (`cache`)."""
from .cache import *
from .multitask import *
