"""Choose the spam task's settings on the validation split, then test the choice once.

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=$PWD .venv/bin/python scripts/select_spam_settings.py

For each configuration below (the task's defaults with the options applied),
the classifier is trained for 10 epochs at seeds 0, 1 and 2, and the validation
accuracy after every epoch is averaged over the three seeds. A configuration's
score is its best epoch's mean: the number of epochs is chosen with the rest,
which is fair because ``fit`` has no schedule that depends on the total, so the
first k epochs of a 10-epoch run are a k-epoch run. The test split is read only
after the choice: the chosen configuration and the default, at their chosen
epochs, each at seeds 0-2. About 30 minutes of CPU on one thread.

Measured on 2026-11-30 (numpy 2.4.6, one BLAS thread): the choice is a
bidirectional GRU with max-pooling, embedding 64 and every training word in the
vocabulary (min_freq 1), at 4 epochs: validation 0.904 against the default's
0.891. Its test accuracy at seeds 0-2 is 0.814, 0.834, 0.806; the default's is
0.832, 0.816, 0.832. The validation gain does not carry over to the test split,
so the task keeps its default.

benchmarks/spam_torch_reference.py is the PyTorch reference for the same
architecture: from the same weights and batches it trains to the same losses
(1e-15, float64), and on 2026-12-01 its test accuracy over seeds 0-9 with the
choice above (4 epochs) ran from 0.783 to 0.898, mean 0.843: the seed alone
moves one run's test accuracy by more than the gap to the 0.85 target.
"""

from __future__ import annotations

import numpy as np

from rnn_course.tasks import classify

SEEDS = (0, 1, 2)
EPOCHS = 10
BIG = dict(bidirectional=True, pooling="max", min_freq=1, embed=64)
CONFIGS = (
    [dict(bidirectional=b, pooling=p, hidden=h, lr=lr)
     for b in (False, True) for p in ("last", "max") for h in (32, 64) for lr in (0.01, 0.003)]
    + [dict(bidirectional=b, pooling=p, min_freq=1, embed=64) for b in (False, True) for p in ("last", "max")]
    + [dict(BIG, **extra) for extra in (dict(hidden=64), dict(embed=100), dict(hidden=64, lr=0.005),
                                        dict(max_len=40))]
)


def run(options, seed, epochs):
    """One training of the spam classifier with the defaults overridden by ``options``."""
    default = classify.SETTINGS["spam"]
    classify.SETTINGS["spam"] = dict(default, **options, epochs=epochs)
    try:
        return classify.run_classifier("spam", seed=seed, quiet=True)
    finally:
        classify.SETTINGS["spam"] = default


def validation_curve(options):
    """(EPOCHS,) validation accuracy after each epoch, averaged over SEEDS."""
    return np.mean([[e["val accuracy"] for e in run(options, s, EPOCHS).history.epochs] for s in SEEDS], axis=0)


def main():
    default_settings = classify.SETTINGS["spam"]
    candidates = [{}] + [c for c in CONFIGS if any(default_settings[k] != v for k, v in c.items())]
    scored = []
    for options in candidates:  # the default first, then 23 others
        curve = validation_curve(options)
        best = int(np.argmax(curve))
        scored.append((curve[best], best + 1, options))
        print(f"val {curve[best]:.3f} at epoch {best + 1:2d}  {options or 'default'}", flush=True)
    default = scored[0]
    chosen = max(scored, key=lambda s: s[0])
    print(f"\nchosen on validation: {chosen[2] or 'default'}, {chosen[1]} epochs")
    for name, (_, epochs, options) in (("chosen", chosen), ("default", default)):
        tests = [run(options, s, epochs).value for s in SEEDS]
        print(f"{name:8s} test accuracy at seeds {SEEDS}: " + ", ".join(f"{t:.3f}" for t in tests))


if __name__ == "__main__":
    main()
