"""What the embedded default must show (issue: the embedded default). Slow: pretrains the default
embedded CLIP (~5 minutes on 2 cores) unless the cache already has it; run with `make test-slow`."""
import numpy as np
import pytest
import torch

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def measured():
    from mtclip.backbones.embedded import embedded_backbone, embedded_world, read_world
    from mtclip.experiment import domain_split
    from mtclip.tasks.core import Task, encode_images, evaluate_zero_shot, fit_linear_probe, fit_ridge, caption_queries
    from mtclip.tasks.metrics import classification_metrics, regression_metrics, retrieval_metrics
    bb = embedded_backbone()
    records = read_world(embedded_world())
    feats = dict(zip(records.records, encode_images(bb, records.records)))
    C, out = len(records.classes), {}
    for seed in (0, 1, 2):
        for domain, (train, test) in domain_split(records, shots=16, seed=seed).items():
            xtr, xte = torch.stack([feats[r] for r in train]), torch.stack([feats[r] for r in test])
            ytr, yte = torch.tensor([r.label for r in train]), torch.tensor([r.label for r in test])
            task = Task(domain, "classification", train, test, classnames=records.prompt_names)
            zs = evaluate_zero_shot(bb, task, "ensemble", xte)["accuracy"]
            probe = classification_metrics(fit_linear_probe(xtr, ytr, C)(xte), yte, C)["accuracy"]
            ttr, tte = torch.tensor([r.target for r in train]), torch.tensor([r.target for r in test])
            mae = regression_metrics(fit_ridge(xtr, ttr)(xte), tte)["MAE"]
            mean_mae = regression_metrics(torch.full_like(tte, ttr.mean().item()), tte)["MAE"]
            p5 = evaluate_zero_shot(bb, Task(domain, "retrieval", train, test), "ensemble", xte)["P@5"]
            chance = caption_queries(test)[1].float().mean().item()
            out.setdefault(domain, []).append(dict(zs=zs, probe=probe, mae=mae, mean_mae=mean_mae, p5=p5, chance=chance))
    summary = {d: {k: float(np.mean([r[k] for r in rs])) for k in rs[0]} for d, rs in out.items()}
    for d, s in summary.items(): print(d, {k: round(v, 3) for k, v in s.items()})
    return summary


def test_zero_shot_on_source_domain_is_strong(measured):
    assert measured["Photo"]["zs"] >= 0.70


def test_two_shifted_domains_have_headroom(measured):
    shifted = [d for d, s in measured.items() if d != "Photo"
               and s["zs"] < measured["Photo"]["zs"] - 0.05 and s["probe"] >= s["zs"] + 0.08]
    assert len(shifted) >= 2, measured


def test_numeric_target_is_learnable(measured):
    for d in ("Photo", "Clipart"):
        assert measured[d]["mae"] < 0.7 * measured[d]["mean_mae"]


def test_retrieval_well_above_chance(measured):
    for d, s in measured.items():
        assert s["p5"] > 3 * s["chance"], d
