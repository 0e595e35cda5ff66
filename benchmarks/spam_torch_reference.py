"""A PyTorch reference for the spam task: a word-level bidirectional GRU with max-pooling over time.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=$PWD python benchmarks/spam_torch_reference.py
    ... spam_torch_reference.py --lr 0.01 --epochs 10 --embed 64 --min-freq 1 --pads include

Needs torch in the environment (the course's library never imports this file
and does not depend on torch). The data are exactly the spam task's: the
loader's split (``load_spam``, distinct subjects kept apart), its word
tokenisation and training-split vocabulary (``min_freq``), and the subjects
padded and cut to ``max_len`` words as ``rnn_course.tasks.classify`` does; the
batches come in the same order as ``fit``'s (``rnn_course.train.batches`` with
the seed). The model is PyTorch's defaults throughout: ``nn.Embedding``
(N(0, 1)), a bidirectional ``nn.GRU`` and an ``nn.Linear`` with their default
uniform inits, Adam with its default betas, the global gradient norm clipped
to 5, the mean cross-entropy.

``--pads`` says what the padding does:

- "exclude" (default): the batch is packed (``pack_padded_sequence``), so the
  reverse direction starts at each subject's last word, and padded steps are
  set to -inf before the maximum over time; the same model as the course's
  ``ManyToOneClassifier(..., bidirectional=True, pooling="max")``.
- "include": the padded batch goes through the GRU as it is and the maximum
  runs over all max_len steps, pads too (the common short script).

Prints the validation and test accuracy after every epoch, for each seed.
Choose settings on the validation columns only.

``--parity`` checks instead that this model and the course's are the same
model: it copies the PyTorch model's initial weights into
``ManyToOneClassifier(V, embed, hidden, 2, bidirectional=True, pooling="max")``,
trains both in float64 on the same batches (the course's with ``fit``), and
prints the largest difference between their losses, step by step, and both
validation accuracies after every epoch. Measured on 2026-12-01 (torch
2.13.0+cpu, numpy 2.4.6), seed 0, embed 64, min_freq 1, lr 0.01, 2 epochs (304
steps): the losses agree to 1e-15 and the validation accuracies are equal.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

from rnn_course.datasets import load_spam  # noqa: E402
from rnn_course.tasks.classify import SETTINGS, _encode  # noqa: E402
from rnn_course.train import batches  # noqa: E402


class BiGRUMax(nn.Module):
    def __init__(self, V, embed, hidden, pads, dropout=0.0, padding_idx=None):
        super().__init__()
        self.pads = pads
        self.embed = nn.Embedding(V, embed, padding_idx=padding_idx)
        self.gru = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, 2)

    def forward(self, ids, lengths):
        x = self.drop(self.embed(ids))  # (N, T, d)
        T = ids.shape[1]
        if self.pads == "exclude":
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.gru(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, padding_value=float("-inf"), total_length=T)
        else:
            out, _ = self.gru(x)  # (N, T, 2D), pads read as words
        return self.head(self.drop(out.max(dim=1).values))


def accuracy(model, ids, lengths, labels):
    model.eval()
    with torch.no_grad():
        pred = model(ids, lengths).argmax(dim=1)
    model.train()
    return float((pred == labels).double().mean())


def train_epoch(model, opt, train, args, rng):
    """One epoch of Adam steps on ``train`` = (ids, lengths, labels) tensors, in the batches (and order) that
    rnn_course's ``fit`` draws from ``rng``, each clipped to norm ``args.clip``; returns the batch losses."""
    losses = []
    for idx in batches(len(train[2]), args.batch_size, rng):
        idx = torch.as_tensor(idx)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(train[0][idx], train[1][idx]), train[2][idx])
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        losses.append(loss.item())
    return losses


def parity(args, data, train, val):
    """Train this model and the course's from the same weights on the same batches, in float64."""
    from rnn_course.models import ManyToOneClassifier
    from rnn_course.train import fit

    torch.set_default_dtype(torch.float64)
    seed = args.seeds[0]
    torch.manual_seed(seed)
    model = BiGRUMax(len(data.vocab), args.embed, args.hidden, "exclude")
    ours = ManyToOneClassifier(len(data.vocab), args.embed, args.hidden, 2, bidirectional=True, pooling="max")
    ours.load_state_dict({k.replace("gru.", "rnn."): v.detach().numpy().copy()
                          for k, v in model.state_dict().items()})
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(seed)
    losses, theirs = [], []
    for _ in range(args.epochs):
        losses += train_epoch(model, opt, train, args, rng)
        theirs.append(accuracy(model, *val))
    arrays = [t.numpy() for t in train]
    history = fit(ours, arrays, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, clip=args.clip,
                  seed=seed, quiet=True,
                  evaluate=lambda m: {"val": float(np.mean(m.predict(val[0].numpy(), val[1].numpy())
                                                           == val[2].numpy()))})
    diff = np.abs(np.array(history.losses) - np.array(losses))
    print(f"parity, seed {seed}, {len(losses)} steps: max |loss ours - loss torch| = {diff.max():.1e}")
    print("val accuracy per epoch, ours:  " + " ".join(f"{e['val']:.4f}" for e in history.epochs))
    print("val accuracy per epoch, torch: " + " ".join(f"{x:.4f}" for x in theirs))


def main():
    spam = SETTINGS["spam"]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--embed", type=int, default=spam["embed"])
    ap.add_argument("--hidden", type=int, default=spam["hidden"])
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam's default 1e-3 unless given")
    ap.add_argument("--batch-size", type=int, default=spam["batch_size"])
    ap.add_argument("--max-len", type=int, default=spam["max_len"])
    ap.add_argument("--min-freq", type=int, default=spam["min_freq"])
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--embed-std", type=float, default=1.0, help="the embedding's init N(0, std^2); 1 is PyTorch's")
    ap.add_argument("--padding-idx", action="store_true", help="nn.Embedding(padding_idx=0)")
    ap.add_argument("--pads", choices=("exclude", "include"), default="exclude")
    ap.add_argument("--no-test", action="store_true", help="print validation only")
    ap.add_argument("--parity", action="store_true", help="check against rnn_course's model instead (float64)")
    args = ap.parse_args()
    torch.set_num_threads(1)

    data = load_spam(min_freq=args.min_freq)
    splits = [tuple(torch.as_tensor(a) for a in _encode(s.ids, s.labels, args.max_len))
              for s in (data.train, data.val, data.test)]
    train, val, test = splits
    print(f"torch {torch.__version__}; V={len(data.vocab)}; {vars(args)}")
    if args.parity:
        return parity(args, data, train, val)
    curves = []
    for seed in args.seeds:
        torch.manual_seed(seed)
        model = BiGRUMax(len(data.vocab), args.embed, args.hidden, args.pads, args.dropout,
                         0 if args.padding_idx else None)
        if args.embed_std != 1.0:
            with torch.no_grad():
                model.embed.weight.mul_(args.embed_std)
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        rows = []
        for epoch in range(1, args.epochs + 1):
            train_epoch(model, opt, train, args, rng)
            v = accuracy(model, *val)
            t = float("nan") if args.no_test else accuracy(model, *test)
            rows.append((v, t))
            print(f"seed {seed} epoch {epoch:2d}  val {v:.3f}  test {t:.3f}", flush=True)
        curves.append(rows)
        print(f"seed {seed}: {time.perf_counter() - start:.1f} s")
    c = np.array(curves)  # (seeds, epochs, 2)
    mean_val = c[:, :, 0].mean(axis=0)
    best = int(np.argmax(mean_val))
    print("mean val per epoch: " + " ".join(f"{x:.3f}" for x in mean_val))
    print(f"best mean val {mean_val[best]:.3f} at epoch {best + 1}; test there per seed: "
          + ", ".join(f"{x:.3f}" for x in c[:, best, 1]) + f" (mean {c[:, best, 1].mean():.3f})")


if __name__ == "__main__":
    main()
