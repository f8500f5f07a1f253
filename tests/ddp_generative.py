"""Trains VL-Adapter's generative model for tests/test_ddp.py, alone or as one process under torchrun: the quick V&L
world, the shipped CLIP's cached grids, the embedded LM with dropout off (the processes' dropout masks could not
be one process's), a single adapter by SGD; the first process writes the trained weights to argv[1]."""
import os
import sys

import torch
from safetensors.torch import save_file

from mtclip.backbones.clip import Backbone
from mtclip.backbones.embedded_lm import embedded_lm
from mtclip.core import seed_everything
from mtclip.data.vl_world import embedded_vl_world, read_vl_world
from mtclip.experiment import load_backbone
from mtclip.methods.base import METHODS, build_method
from mtclip.models.generative import VLGenerator
from mtclip.train.generative import VLTrainConfig, grid_features, train_generative

train_set = read_vl_world(embedded_vl_world(2, 1), "train")
features = grid_features(load_backbone("mtclip-tiny-vit", "embedded"), [e for v in train_set.values() for e in v],
                         progress=False)
language_model, tokenizer = embedded_lm()
for module in language_model.modules():      # BART's dropout: nn.Dropout modules and float rates of its layers
    if isinstance(module, torch.nn.Dropout): module.p = 0.0
    for rate in ("dropout", "activation_dropout", "attention_dropout"):
        if isinstance(getattr(module, rate, None), float): setattr(module, rate, 0.0)
seed_everything(0)
generator = VLGenerator(language_model, feature_dim=next(iter(features.values())).shape[-1])
backbone = Backbone(generator, None, None, "embedded", None)
model = build_method("houlsby", backbone, list(train_set), towers=METHODS["houlsby"].lm_towers, sharing="single")
history = train_generative(model, tokenizer, train_set, features,
                           VLTrainConfig(epochs=2, batch_size=8, lr=3e-3, progress=False))
if int(os.environ.get("RANK", "0")) == 0:
    trained = {n: p.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    save_file(trained, sys.argv[1], metadata={"processes": str(int(history.processes.iloc[0])),
                                              "loss": str(float(history.loss.iloc[-1]))})
