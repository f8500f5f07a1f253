"""mtclip's caption scorers against pycocoevalcap's own Python ones (its Bleu and Cider) on the same tokens: a random
corpus of captions over a small vocabulary, several references per image, candidates of varied length."""
import random

import pytest

from mtclip.tasks.text_metrics import bleu, caption_tokens, cider_d

pytest.importorskip("pycocoevalcap")
from pycocoevalcap.bleu.bleu import Bleu    # noqa: E402
from pycocoevalcap.cider.cider import Cider  # noqa: E402

WORDS = "a the red blue green cube ball cone small large on left right of is and two sitting next to".split()


def corpus(seed, n_images=40):
    rng = random.Random(seed)
    say = lambda: " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
    return [say() for _ in range(n_images)], [[say() for _ in range(rng.randint(1, 5))] for _ in range(n_images)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bleu_and_cider_d_equal_pycocoevalcap(seed):
    candidates, references = corpus(seed)
    tokens = lambda text: " ".join(caption_tokens(text))
    res = {i: [tokens(c)] for i, c in enumerate(candidates)}
    gts = {i: [tokens(r) for r in refs] for i, refs in enumerate(references)}
    theirs_bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    assert bleu(candidates, references) == pytest.approx(theirs_bleu, rel=1e-9, abs=1e-12)
    theirs_cider, theirs_per_image = Cider().compute_score(gts, res)
    ours, per_image = cider_d(candidates, references)
    assert ours == pytest.approx(theirs_cider, rel=1e-9) and ours > 0
    assert per_image == pytest.approx(list(theirs_per_image), rel=1e-9, abs=1e-12)
