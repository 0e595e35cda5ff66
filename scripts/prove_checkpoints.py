"""Prove every stored result: retrain each file under book/beyond/checkpoints/ and compare.

    make prove
    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/prove_checkpoints.py [--jobs N] [--only FILE ...] [--keep DIR]

Chapters 7, 8 and 9 print numbers read from files that their ``RETRAIN`` cells
wrote (cells tagged skip-execution and nbval-skip, minutes of training). This
script proves those files, in three steps:

1. **The plan, from the chapters themselves.** Each ``RETRAIN`` cell is run
   with ``RETRAIN = True`` but with ``memory.sweep``, ``memory.save_sweep``,
   ``charlm.run`` and ``charlm.save_checkpoint`` replaced by recorders, so no
   training happens: what it records is which file each call writes, with
   which settings and note. The cell stays the one source of truth for its
   settings; ``check_recorded_settings`` then checks that each committed file
   records those same settings (``tests/test_prove_checkpoints.py`` does that
   in ``make test``, in seconds).
2. **The retraining.** Every ``memory.run`` of every sweep (a run that two
   sweeps share, e.g. chapter 7's first five seeds and chapter 8's RNN row,
   is trained once) and every ``charlm.run``, in parallel over ``--jobs``
   processes, the longest first. The sweeps are written with
   ``memory.save_sweep`` and the model with ``charlm.save_checkpoint`` into a
   temporary directory, never over the committed files, and compared with
   them: a sweep's every accuracy exactly (each is a count over 500 test
   sequences, saved to 6 decimals) and its note and delays; the checkpoint's
   settings, vocabulary, epoch records, snapshots, per-step losses and
   gradient norms, and weights (see ``compare_checkpoint`` for the
   tolerances and why).
3. **Every printed number.** Chapters 7, 8 and 9 are copied next to the
   retrained files and run under nbval, as ``make test`` runs them (the
   same sanitising and the last-digit tolerance of ``book/conftest.py``), so
   every output and every glued number that the chapters compute from the
   files is compared with the stored one. The checkpoint's ``seconds`` (the
   training's wall time, glued as minutes in chapter 9) is copied from the
   committed file first: a time is no result to reproduce.

A mismatch names the file, the entry and both values; the exit status is 1.
Nothing under book/ is ever written.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

# One BLAS thread per process, as for the chapters (see the Makefile); set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's rnn_course, as its chapters import it

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

from rnn_course.tasks import charlm, memory  # noqa: E402

BEYOND = ROOT / "book" / "beyond"
CHECKPOINTS = BEYOND / "checkpoints"
CHAPTERS = ("07_training_rnns.ipynb", "08_lstm_gru.ipynb", "09_char_lm.ipynb")
RETRAIN_LINE = re.compile(r"^RETRAIN = False\b", re.MULTILINE)

# The checkpoint's floats, compared with these tolerances (see compare_checkpoint).
LOSS_RTOL = 1e-6      # per-step losses, gradient norms, epoch records, snapshot val losses
WEIGHT_ATOL = 1e-6    # every weight, absolute


# ------------------------------------------------------------------ 1. the plan, from the RETRAIN cells
@dataclass(frozen=True)
class Pending:
    """One cell's row block of a planned sweep: memory.run(cell, delay, seed, **options) for each."""

    cell: str
    delays: tuple
    seeds: tuple
    options: tuple  # sorted (name, value) pairs passed on to memory.run

    def runs(self):
        return [("memory", self.cell, d, s, self.options) for s in self.seeds for d in self.delays]


@dataclass
class SweepFile:
    """A sweep file a RETRAIN cell writes: memory.save_sweep(results, delays, path, note)."""

    name: str
    chapter: str
    delays: tuple
    results: dict  # {key in the file: Pending}
    note: str | None


@dataclass
class CharlmFile:
    """A checkpoint a RETRAIN cell writes: charlm.save_checkpoint(charlm.run(**kwargs), path)."""

    name: str
    chapter: str
    kwargs: dict = field(default_factory=dict)

    def runs(self):
        return [("charlm", self.name, tuple(sorted(self.kwargs.items(), key=lambda kv: kv[0])))]


class _PlannedRun:
    """What the recorder of charlm.run returns: enough for the cell's own print line."""

    seconds = 0.0

    def __init__(self, kwargs):
        self.kwargs = kwargs

    def summary(self):
        return ""


def _hashable(value):
    return tuple(value) if isinstance(value, (list, range)) else value


def retrain_cells(chapter):
    """The source of every RETRAIN cell of a chapter (tagged skip-execution, with 'RETRAIN = False')."""
    nb = nbformat.read(BEYOND / chapter, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"
            and "skip-execution" in cell.metadata.get("tags", []) and RETRAIN_LINE.search(cell.source)]


def plan():
    """{file name: SweepFile | CharlmFile}: every file the chapters' RETRAIN cells write, and how.

    Runs each RETRAIN cell with RETRAIN = True and recorders in place of the functions that train
    and save, so it takes a second and trains nothing.
    """
    files = {}

    def record(chapter):
        sweep_sig, save_sig = inspect.signature(memory.sweep), inspect.signature(memory.save_sweep)
        run_sig, ckpt_sig = inspect.signature(charlm.run), inspect.signature(charlm.save_checkpoint)

        def sweep(*args, **kwargs):
            bound = sweep_sig.bind(*args, **kwargs)
            bound.apply_defaults()
            a = bound.arguments
            cells = (a["cells"],) if isinstance(a["cells"], str) else tuple(a["cells"])
            options = tuple(sorted((k, _hashable(v)) for k, v in a["run_options"].items()))
            return {cell: Pending(cell, tuple(int(d) for d in a["delays"]), tuple(int(s) for s in a["seeds"]),
                                  options) for cell in cells}

        def save_sweep(*args, **kwargs):
            a = save_sig.bind(*args, **kwargs).arguments
            name = _file_name(a["path"], chapter)
            delays = tuple(int(d) for d in a["delays"])
            for key, pending in a["results"].items():
                if not isinstance(pending, Pending) or pending.delays != delays:
                    raise ValueError(f"{chapter}: the RETRAIN cell saves {name} with results[{key!r}] that is "
                                     f"not one memory.sweep over its delays {delays}; the prover cannot follow it")
            files[name] = SweepFile(name, chapter, delays, dict(a["results"]), a.get("note"))

        def run(*args, **kwargs):
            bound = run_sig.bind(*args, **kwargs)
            return _PlannedRun({k: _hashable(v) for k, v in bound.arguments.items()})

        def save_checkpoint(*args, **kwargs):
            a = ckpt_sig.bind(*args, **kwargs).arguments
            name = _file_name(a["path"], chapter)
            files[name] = CharlmFile(name, chapter, a["result"].kwargs)

        def untracked(name):
            def fail(*args, **kwargs):
                raise ValueError(f"{chapter}: the RETRAIN cell calls {name}, which the prover does not follow; "
                                 f"teach scripts/prove_checkpoints.py's plan() about it")
            return fail

        return [mock.patch.object(memory, "sweep", sweep), mock.patch.object(memory, "save_sweep", save_sweep),
                mock.patch.object(memory, "run", untracked("memory.run")),
                mock.patch.object(charlm, "run", run), mock.patch.object(charlm, "save_checkpoint", save_checkpoint)]

    for chapter in CHAPTERS:
        for source in retrain_cells(chapter):
            with ExitStack() as stack:
                for patch in record(chapter):
                    stack.enter_context(patch)
                code = RETRAIN_LINE.sub("RETRAIN = True", source, count=1)
                exec(compile(code, f"{chapter} (RETRAIN cell)", "exec"),
                     {"__name__": "retrain", "memory": memory, "charlm": charlm, "np": np,
                      "print": lambda *a, **k: None})
    return files


def _file_name(path, chapter):
    path = Path(path)
    if path.parent != Path("checkpoints"):
        raise ValueError(f"{chapter}: the RETRAIN cell writes {path}, outside checkpoints/")
    return path.name


def check_recorded_settings(files):
    """Problems (a list of sentences, empty when none): each committed file against its RETRAIN cell.

    Every file in book/beyond/checkpoints/ is written by one cell; a sweep file holds the cell's
    note, delays, result keys in order and one row per seed; the checkpoint holds the settings that
    charlm.run resolves from the cell's options, the seed, one loss per step of every epoch, and a
    snapshot at each of the cell's snapshot_steps plus one after the last step.
    """
    problems = []
    committed = sorted(p.name for p in CHECKPOINTS.iterdir() if p.is_file())
    if sorted(files) != committed:
        problems.append(f"the RETRAIN cells write {sorted(files)}, but checkpoints/ holds {committed}")
    for name, spec in files.items():
        path = CHECKPOINTS / name
        if not path.is_file():
            continue
        if isinstance(spec, SweepFile):
            data = json.loads(path.read_text())
            for what, stored, planned in (("note", data.get("note"), spec.note),
                                          ("delays", data.get("delays"), list(spec.delays)),
                                          ("result keys", list(data.get("results", {})), list(spec.results))):
                if stored != planned:
                    problems.append(f"{name}: its {what} are {stored!r}, but {spec.chapter}'s RETRAIN cell "
                                    f"gives {planned!r}")
            for key, pending in spec.results.items():
                rows = len(data.get("results", {}).get(key, []))
                if rows != len(pending.seeds):
                    problems.append(f"{name}: results[{key!r}] has {rows} rows, but {spec.chapter}'s RETRAIN "
                                    f"cell sweeps {len(pending.seeds)} seeds {pending.seeds}")
        else:
            with np.load(path, allow_pickle=False) as f:
                meta, n_losses = json.loads(str(f["_meta"])), len(f["_losses"])
            kwargs = spec.kwargs
            settings = {**charlm.SETTINGS, **{k: v for k, v in kwargs.items()
                                              if k in charlm.SETTINGS and v is not None}}
            if meta["settings"] != settings:
                problems.append(f"{name}: its settings are {meta['settings']}, but {spec.chapter}'s RETRAIN "
                                f"cell gives {settings}")
            if meta["seed"] != kwargs.get("seed", 0):
                problems.append(f"{name}: its seed is {meta['seed']}, but the RETRAIN cell's is "
                                f"{kwargs.get('seed', 0)}")
            if len(meta["epochs"]) != settings["epochs"] or n_losses % settings["epochs"]:
                problems.append(f"{name}: {len(meta['epochs'])} epoch records and {n_losses} steps do not make "
                                f"{settings['epochs']} equal epochs")
            steps = [s["step"] for s in meta["snapshots"] or []]
            planned = sorted(set(kwargs.get("snapshot_steps") or [])) + [n_losses]
            if kwargs.get("snapshot_steps") and steps != planned:
                problems.append(f"{name}: its snapshots are at steps {steps}, but the RETRAIN cell asks for "
                                f"{planned[:-1]} (and one after the last step, {n_losses})")
    return problems


# ------------------------------------------------------------------ 2. the retraining
def _train(job, out_dir):
    """One job in a worker process: (job, value, cpu seconds, wall seconds)."""
    wall, cpu = time.perf_counter(), time.process_time()
    if job[0] == "memory":
        _, cell, delay, seed, options = job
        value = float(memory.run(cell=cell, delay=delay, seed=seed, **dict(options)).value)
    else:
        _, name, kwargs = job
        result = charlm.run(**dict(kwargs))
        value = str(Path(out_dir) / name)
        charlm.save_checkpoint(result, value)
    return job, value, time.process_time() - cpu, time.perf_counter() - wall


def _cost(job):
    """A rough order of the jobs' lengths, for starting the longest first."""
    if job[0] == "charlm":
        return 1e9
    _, cell, delay, _, options = job
    options = dict(options)
    return ({"rnn": 1, "gru": 3, "lstm": 4}[cell] * (delay + 1) * options.get("hidden", 32)
            * options.get("epochs", memory.SETTINGS["epochs"]))


def retrain(files, out_dir, jobs):
    """Train every run the files need, in parallel; write the files into out_dir.

    Returns ({file name: CPU seconds of its runs}, CPU seconds of all runs, each run counted once).
    """
    todo = sorted({run for spec in files.values()
                   for run in (spec.runs() if isinstance(spec, CharlmFile)
                               else [r for p in spec.results.values() for r in p.runs()])},
                  key=_cost, reverse=True)
    print(f"retraining: {len(todo)} runs ({sum(j[0] == 'memory' for j in todo)} memory.run, "
          f"{sum(j[0] == 'charlm' for j in todo)} charlm.run) on {jobs} processes", flush=True)
    values, cpu = {}, {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_train, job, str(out_dir)) for job in todo]
        for done, future in enumerate(as_completed(futures), 1):
            job, value, seconds, wall = future.result()
            values[job], cpu[job] = value, seconds
            if job[0] == "charlm" or done % 20 == 0 or done == len(todo):
                print(f"  {done}/{len(todo)} done" + (f" (charlm {job[1]}: {seconds:.0f} s CPU)"
                                                      if job[0] == "charlm" else ""), flush=True)
    timings = {}
    for name, spec in files.items():
        if isinstance(spec, SweepFile):
            results = {key: np.array([[values[("memory", p.cell, d, s, p.options)] for d in p.delays]
                                      for s in p.seeds]) for key, p in spec.results.items()}
            memory.save_sweep(results, spec.delays, out_dir / name, note=spec.note)
            runs = [r for p in spec.results.values() for r in p.runs()]
        else:
            runs = spec.runs()
        timings[name] = sum(cpu[r] for r in set(runs))
    return timings, sum(cpu.values())


# ------------------------------------------------------------------ comparing
def compare_sweep(name, spec, stored_path, fresh_path):
    """Mismatches between a committed sweep file and the retrained one: every accuracy, exactly."""
    stored, fresh = json.loads(stored_path.read_text()), json.loads(fresh_path.read_text())
    problems = [f"{name}: {key}: stored {stored.get(key)!r}, retrained {fresh.get(key)!r}"
                for key in ("task", "delays", "note") if stored.get(key) != fresh.get(key)]
    if list(stored["results"]) != list(fresh["results"]):
        return problems + [f"{name}: result keys: stored {list(stored['results'])}, "
                           f"retrained {list(fresh['results'])}"]
    for key, pending in spec.results.items():
        for s, seed in enumerate(pending.seeds):
            for k, delay in enumerate(spec.delays):
                a, b = stored["results"][key][s][k], fresh["results"][key][s][k]
                if a != b:
                    problems.append(f"{name}: results[{key!r}], seed {seed}, delay {delay}: stored {a}, "
                                    f"retrained {b}")
    if not problems and stored_path.read_bytes() != fresh_path.read_bytes():
        problems.append(f"{name}: every value matches but the bytes differ")
    return problems


def compare_checkpoint(name, stored_path, fresh_path):
    """Mismatches between a committed checkpoint and the retrained one.

    Compared exactly: the settings, seed, vocabulary, the epoch numbers, the snapshot steps and
    their sampled text, and the names, shapes and dtypes of the weights. Compared within LOSS_RTOL
    (relative): every step's loss and gradient norm, every epoch's loss and val loss, every
    snapshot's val loss; the chapter prints losses to 3 decimals and draws the per-step losses.
    Compared within WEIGHT_ATOL (absolute): every weight. A float64 training repeated with the same
    BLAS kernel repeats bit for bit; another kernel sums in another order, and the differences, of
    the order of 1e-16 at the first step, grow over a thousand steps, so the file is held to what
    the chapter can show and no tighter. (Measured for charlm_moby_gru.npz, 1048 steps: natively,
    Haswell, it retrains bit for bit; under OPENBLAS_CORETYPE=Sandybridge the largest differences
    are 2.3e-10 in a step's loss and 1.8e-8 in a weight, and chapter 9's outputs all match.) What the chapter prints from these weights (held-out
    losses, samples, hidden-unit correlations) is proved directly by running the chapter (step 3).
    The training's wall time (meta "seconds") is not a result and is not compared.
    """
    problems = []
    with np.load(stored_path, allow_pickle=False) as f, np.load(fresh_path, allow_pickle=False) as g:
        if sorted(f.files) != sorted(g.files):
            return [f"{name}: entries: stored {sorted(f.files)}, retrained {sorted(g.files)}"]
        ms, mf = json.loads(str(f["_meta"])), json.loads(str(g["_meta"]))
        for key in ("settings", "seed", "vocab"):
            if ms[key] != mf[key]:
                problems.append(f"{name}: meta {key}: stored {ms[key]!r}, retrained {mf[key]!r}")
        if len(ms["epochs"]) != len(mf["epochs"]):
            problems.append(f"{name}: {len(ms['epochs'])} epochs stored, {len(mf['epochs'])} retrained")
        for es, ef in zip(ms["epochs"], mf["epochs"]):
            for key in es:
                if not _close(es[key], ef.get(key), LOSS_RTOL):
                    problems.append(f"{name}: epoch {es['epoch']} {key}: stored {es[key]!r}, "
                                    f"retrained {ef.get(key)!r}")
        snaps_s, snaps_f = ms.get("snapshots") or [], mf.get("snapshots") or []
        if [s["step"] for s in snaps_s] != [s["step"] for s in snaps_f]:
            problems.append(f"{name}: snapshot steps: stored {[s['step'] for s in snaps_s]}, "
                            f"retrained {[s['step'] for s in snaps_f]}")
        for ss, sf in zip(snaps_s, snaps_f):
            if not _close(ss["val loss"], sf["val loss"], LOSS_RTOL):
                problems.append(f"{name}: snapshot at step {ss['step']}, val loss: stored {ss['val loss']!r}, "
                                f"retrained {sf['val loss']!r}")
            if ss["sample"] != sf["sample"]:
                problems.append(f"{name}: snapshot at step {ss['step']}, sample: stored {ss['sample']!r}, "
                                f"retrained {sf['sample']!r}")
        for key in ("_losses", "_grad_norms"):
            a, b = f[key], g[key]
            if a.shape != b.shape:
                problems.append(f"{name}: {key}: stored {a.shape[0]} steps, retrained {b.shape[0]}")
                continue
            bad = np.flatnonzero(~np.isclose(b, a, rtol=LOSS_RTOL, atol=0))
            if bad.size:
                i = bad[0]
                problems.append(f"{name}: {key}[{i}] (step {i + 1}, first of {bad.size} beyond rtol {LOSS_RTOL}): "
                                f"stored {a[i]!r}, retrained {b[i]!r}")
        for key in sorted(k for k in f.files if not k.startswith("_")):
            a, b = f[key], g[key]
            if a.shape != b.shape or a.dtype != b.dtype:
                problems.append(f"{name}: {key}: stored {a.dtype} {a.shape}, retrained {b.dtype} {b.shape}")
                continue
            diff = np.abs(a - b)
            if diff.max() > WEIGHT_ATOL:
                i = np.unravel_index(diff.argmax(), diff.shape)
                problems.append(f"{name}: {key}{list(i)} (largest of {int((diff > WEIGHT_ATOL).sum())} beyond "
                                f"{WEIGHT_ATOL}): stored {a[i]!r}, retrained {b[i]!r}")
    return problems


def checkpoint_differences(stored_path, fresh_path):
    """The largest differences, for the report: {what: max abs difference}."""
    out = {}
    with np.load(stored_path, allow_pickle=False) as f, np.load(fresh_path, allow_pickle=False) as g:
        for key in ("_losses", "_grad_norms"):
            if f[key].shape == g[key].shape:
                out[key] = float(np.abs(f[key] - g[key]).max())
        weights = [k for k in f.files if not k.startswith("_") and f[k].shape == g[k].shape]
        out["weights"] = max(float(np.abs(f[k] - g[k]).max()) for k in weights)
    return out


def _close(a, b, rtol):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= rtol * abs(a)
    return a == b


def with_stored_seconds(stored_path, fresh_path):
    """Rewrite the retrained checkpoint with the committed file's training time (meta "seconds")."""
    with np.load(fresh_path, allow_pickle=False) as g:
        arrays = {k: g[k] for k in g.files}
    with np.load(stored_path, allow_pickle=False) as f:
        seconds = json.loads(str(f["_meta"]))["seconds"]
    meta = json.loads(str(arrays["_meta"]))
    fresh_seconds, meta["seconds"] = meta["seconds"], seconds
    arrays["_meta"] = np.array(json.dumps(meta))
    np.savez_compressed(fresh_path, **arrays)
    return fresh_seconds


# ------------------------------------------------------------------ 3. the chapters, on the retrained files
CONFTEST = '''"""The last-digit tolerance of book/conftest.py, for the chapters run by scripts/prove_checkpoints.py."""
import importlib.util

_spec = importlib.util.spec_from_file_location("book_conftest", {path!r})
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))  # installs the tolerance on nbval's cells
'''


def run_chapters(chapters, fresh_dir, work, jobs):
    """Run the chapters under nbval with the retrained files in their checkpoints/. Returns the exit code."""
    beyond = work / "book" / "beyond"
    (beyond / "checkpoints").mkdir(parents=True)
    for chapter in chapters:
        shutil.copy2(BEYOND / chapter, beyond / chapter)
    for path in CHECKPOINTS.iterdir():
        fresh = fresh_dir / path.name
        shutil.copy2(fresh if fresh.exists() else path, beyond / "checkpoints" / path.name)
    (work / "conftest.py").write_text(CONFTEST.format(path=str(ROOT / "book" / "conftest.py")))
    (work / "pytest.ini").write_text(
        "[pytest]\naddopts = --nbval --nbval-current-env -p no:cacheprovider\n"
        f"    --nbval-sanitize-with {ROOT / 'tests' / 'nbval_sanitize.cfg'}\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "pytest", "-q", "-c", str(work / "pytest.ini"), "--rootdir", str(work),
           "-n", str(min(jobs, len(chapters))), "--dist", "loadscope",
           *[str(beyond / c) for c in chapters]]
    return subprocess.run(cmd, cwd=work, env=env).returncode


# ------------------------------------------------------------------ main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    parser.add_argument("--jobs", type=int, default=cores,
                        help=f"processes for the retraining (default: the cores this process may use, {cores})")
    parser.add_argument("--only", nargs="+", metavar="FILE",
                        help="prove only these files of book/beyond/checkpoints/ (their chapters run too)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="also copy the retrained files into DIR")
    args = parser.parse_args(argv)

    start_wall = time.perf_counter()
    files = plan()
    problems = check_recorded_settings(files)
    if problems:
        print("The committed files do not record the settings of the chapters' RETRAIN cells:")
        print("".join(f"  {p}\n" for p in problems), end="")
        return 1
    if args.only:
        unknown = set(args.only) - set(files)
        if unknown:
            parser.error(f"--only: no RETRAIN cell writes {sorted(unknown)}; they write {sorted(files)}")
        files = {name: files[name] for name in args.only}
    print("proving " + ", ".join(files) + (f" under OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}"
                                          if os.environ.get("OPENBLAS_CORETYPE") else ""), flush=True)

    with tempfile.TemporaryDirectory(prefix="prove_checkpoints_") as tmp:
        fresh_dir = Path(tmp) / "retrained"
        fresh_dir.mkdir()
        cpu, total_cpu = retrain(files, fresh_dir, args.jobs)
        train_wall = time.perf_counter() - start_wall
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in fresh_dir.iterdir():
                shutil.copy2(path, args.keep / path.name)

        print("\nthe files, against the retrained ones:")
        problems = []
        for name, spec in files.items():
            stored, fresh = CHECKPOINTS / name, fresh_dir / name
            if isinstance(spec, SweepFile):
                found = compare_sweep(name, spec, stored, fresh)
                detail = f"{sum(len(p.seeds) * len(p.delays) for p in spec.results.values())} accuracies"
            else:
                found = compare_checkpoint(name, stored, fresh)
                diffs = checkpoint_differences(stored, fresh)
                fresh_seconds = with_stored_seconds(stored, fresh)
                detail = ("largest differences: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
                          + f"; trained in {fresh_seconds:.0f} s")
            print(f"  {name:28s} {'reproduced' if not found else 'DIFFERS'} ({detail}; {cpu[name]:.0f} s CPU)")
            problems += found

        chapters = sorted({spec.chapter for spec in files.values()})
        print(f"\nthe chapters that print them, on the retrained files (nbval): {', '.join(chapters)}", flush=True)
        nbval = run_chapters(chapters, fresh_dir, Path(tmp) / "chapters", args.jobs)

    print(f"\nretraining: {train_wall:.0f} s wall, {total_cpu:.0f} s CPU in the training processes; "
          f"all: {time.perf_counter() - start_wall:.0f} s wall")
    if problems:
        print("\nNOT reproduced:")
        print("".join(f"  {p}\n" for p in problems), end="")
    if nbval != 0:
        print("\nNOT reproduced: the chapters' outputs differ on the retrained files (see nbval above)")
    if problems or nbval != 0:
        return 1
    print("every stored file reproduced, and every output of the chapters that read them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
