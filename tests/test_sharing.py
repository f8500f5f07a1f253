"""Every method under every sharing scheme it supports: which copy of each parameter part serves which task,
read from the sharing mechanism alone and checked by identity (a shared copy is one object, not equal values)."""
import itertools

import pytest
import torch

from mtclip.backbones.clip import count_parameters, load_clip
from mtclip.methods import METHODS, build_method
from mtclip.methods.base import TaskGroupsConfig

TASKS = ["Photo", "Sketch.v2", "Neon"]          # a dotted name: keys must still be safe module names
GROUPS = [["Photo", "Neon"], ["Sketch.v2"]]
SCHEMES = {name: ["multi-task", "single-task", "shared", "task"] for name, cls in METHODS.items() if cls.trains}
SCHEMES["mt-adapter"] += [{"image": "shared", "text": "task"}, {"image": "task", "text": "shared"}]   # Half-shared
SCHEMES["mmap"] = SCHEMES["joint-prompts"] = SCHEMES["mlp-prompts"] = ["multi-task", "single-task"]
EXTRA = {name: dict(groups=GROUPS, b=2, m=2, n=8) for name in ("mmap", "joint-prompts", "mlp-prompts")}
for name, cls in METHODS.items():          # the group scheme wherever a method takes it (groups given here)
    if cls.trains and issubclass(cls.config_class, TaskGroupsConfig) and name not in EXTRA:
        SCHEMES[name] += ["group", *cls.sharing_forms]          # and its named forms (VL-Adapter's Multiple, ...)
        EXTRA[name] = dict(groups=GROUPS)
EXTRA["prompt-tuning"].update(n_tokens=4, hidden=8)           # the text context of mtclip-test-vit is 32


def expected_same(scheme: str, a: str, b: str) -> bool:
    if scheme == "shared": return True
    if scheme == "task": return a == b
    return next(g for g in GROUPS if a in g) is next(g for g in GROUPS if b in g)


def trainable_ids(module) -> set:
    return {id(p) for p in module.parameters() if p.requires_grad} if isinstance(module, torch.nn.Module) \
        else {id(module)} if module.requires_grad else set()


@pytest.mark.parametrize("name,sharing", [(n, s) for n, ss in sorted(SCHEMES.items()) for s in ss],
                         ids=lambda v: str(v).replace(" ", ""))
def test_which_copy_serves_which_task(name, sharing):
    torch.manual_seed(0)
    method = build_method(name, load_clip("mtclip-test-vit", device="cpu"), TASKS, sharing=sharing, **EXTRA.get(name, {}))
    schemes = method.sharing.schemes
    assert schemes, name
    if isinstance(sharing, dict): assert schemes == sharing
    served = set()
    for part, scheme in schemes.items():
        for a, b in itertools.product(TASKS, TASKS):
            same = method.sharing.select(part, a) is method.sharing.select(part, b)
            assert same == expected_same(scheme, a, b), (part, scheme, a, b)
        copies = [method.sharing.select(part, t) for t in TASKS]
        for x, y in itertools.combinations({id(c): c for c in copies}.values(), 2):
            assert not trainable_ids(x) & trainable_ids(y), f"{part}: two copies share a parameter"
        for c in copies: served |= trainable_ids(c)
    own = {id(p) for p in method.parameters() if p.requires_grad}
    assert served == own, "every trainable parameter serves some task through the sharing mechanism, and only those"
    per_copy = sum(count_parameters(c)[0] if isinstance(c, torch.nn.Module) else c.numel()
                   for part in schemes for c in {id(method.sharing.select(part, t)): method.sharing.select(part, t)
                                                 for t in TASKS}.values())
    assert count_parameters(method)[0] == per_copy, "a shared copy counts once"
