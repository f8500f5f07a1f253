"""Datasets in their releases' formats (`readers`), fake copies of them for tests (`fakes`),
the procedural world (`world`)."""
from .readers import *
