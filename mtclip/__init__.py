"""mtclip: reproducible parameter-efficient multi-task fine-tuning of CLIP.

The pipeline, one subpackage per stage: `backbones` (CLIP and its towers), `data` (datasets in their release
formats), `tasks` (tasks and their kinds), `methods` (adapters, prompts, ... and how they share parameters),
`train` (the loop, checkpoints, saving); then `experiment`, `runs` and `cli` for experiments."""
__version__ = "0.1.0"

import importlib, importlib.abc, importlib.util, sys

# Where the modules of mtclip 0.1's flat layout went: `import mtclip.trainer` still works and gives the new module
# itself (`mtclip.trainer` is the package `mtclip.train`). New code imports the new names.
MOVED_MODULES = {
    "mtclip.backbone": "mtclip.backbones.clip", "mtclip.embedded": "mtclip.backbones.embedded",
    "mtclip.world": "mtclip.data.world", "mtclip.fakes": "mtclip.data.fakes",
    "mtclip.metrics": "mtclip.tasks.metrics", "mtclip.task_kinds": "mtclip.tasks.kinds",
    "mtclip.sharing": "mtclip.methods.sharing", "mtclip.adapters": "mtclip.methods.adapters",
    "mtclip.grouping": "mtclip.methods.grouping", "mtclip.prompts": "mtclip.methods.prompts.deep",
    "mtclip.prompt_methods": "mtclip.methods.prompts", "mtclip.prompt_baselines": "mtclip.methods.prompts.ablations",
    "mtclip.checkpoint": "mtclip.train.checkpoint", "mtclip.trainer": "mtclip.train",
}

class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    "Imports an old module name as the module it moved to."
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED_MODULES else None
    def create_module(self, spec):
        module = importlib.import_module(MOVED_MODULES[spec.name])
        spec.loader_state = module.__spec__
        return module
    def exec_module(self, module):        # the module is already loaded: give it back its own spec
        module.__spec__ = module.__spec__.loader_state

if not any(isinstance(f, _MovedModules) for f in sys.meta_path): sys.meta_path.append(_MovedModules())
