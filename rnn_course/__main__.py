"""Command line: python -m rnn_course train TASK [options]

Runs the same code the chapters call, shows a progress bar, and ends with the
held-out metric on its own line, e.g. "test accuracy 0.812".
"""

from __future__ import annotations

import argparse
import sys

from .tasks import TASKS, run


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m rnn_course",
        description="Train the RNN course's models on the bundled data.",
        epilog="tasks:\n" + "\n".join(f"  {name:<10} {text}" for name, (_, text) in TASKS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train a task and print its held-out metric",
                           description="Train one task; the last line printed is the held-out metric.")
    train.add_argument("task", choices=list(TASKS), help="which task")
    train.add_argument("--epochs", type=int, help="passes over the training data (task default if omitted)")
    train.add_argument("--hidden", type=int, help="hidden size D")
    train.add_argument("--layers", type=int, help="number of stacked recurrent layers")
    train.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                       help="bidirectional encoder (where the task allows it)")
    train.add_argument("--cell", choices=["rnn", "lstm", "gru"], help="recurrent cell")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    options = {k: v for k, v in vars(args).items() if k not in ("command", "task") and v is not None}
    try:
        result = run(args.task, **options)
    except ValueError as err:  # a task rejecting an option (e.g. --bidirectional for charlm)
        parser.exit(2, f"python -m rnn_course: error: {err}\n")
    print(f"trained in {result.seconds:.1f} s", file=sys.stderr)
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
