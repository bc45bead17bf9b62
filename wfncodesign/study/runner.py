"""Running a study: baselines once, then every pending trial, in parallel, resumable.

Trials run on a local process pool by default (``workers`` processes, each with its share of the
CPU threads), in this process when ``workers == 1``, or on an existing Dask distributed cluster
when a scheduler address is given (``tcp://host:8786``).  Each finished trial's row is written
at once, so a study that is stopped resumes where it stopped; a trial that raises is recorded
with its error and does not stop the others.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pandas as pd
import torch

from wfncodesign.errors import WfnError
from wfncodesign.outpaths import check_output_dir
from wfncodesign.study.config import StudyConfig, TrialSpec, expand_trials
from wfncodesign.study.lock import StudyLock
from wfncodesign.study.store import ResultStore
from wfncodesign.study.trials import TrialContext, baseline_trials, prepare_baselines, run_trial

STUDY_COPY = "study.toml"  # the definition a folder's results belong to
PR_SET_DEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_S = 1.0  # off Linux: how often a worker checks that its parent is alive


def run_study(config: StudyConfig, out_dir: str | Path, workers: int | None = None,
              scheduler: str | None = None, limit: int | None = None, rerun: Iterable[str] = (),
              echo: Callable[[str], None] = print, force: bool = False) -> pd.DataFrame:
    """Run every trial of ``config`` not yet completed in ``out_dir`` (at most ``limit`` of them),
    and the completed trials named in ``rerun`` again (their rows are replaced when they finish);
    return the results table.  The folder is locked for the run; a folder holding another study
    definition is refused unless ``force``."""
    if limit is not None and limit < 0:
        raise WfnError(f"--limit {limit}: give the number of pending trials to run now (0 or more), or leave it out")
    if workers is not None and workers < 1:
        raise WfnError(f"--workers {workers}: give 1 or more worker processes")
    out = check_output_dir(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with StudyLock(out):
        _claim_folder(config, out, force)
        store = ResultStore(out)
        try:
            return _run_locked(config, out, store, workers, scheduler, limit, rerun, echo)
        finally:
            store.export()


def _claim_folder(config: StudyConfig, out: Path, force: bool) -> None:
    """Keep the study definition in ``out/study.toml``; refuse another study's folder unless ``force``."""
    if config.source is None:
        return
    kept = out / STUDY_COPY
    if kept.is_file() and not force and _definition(kept) != _definition(config.source):
        raise WfnError(f"{out} holds results of another study definition ({kept} differs from {config.source}); "
                       "give another --out, or --force to run this definition there (rows of the trials both "
                       "share are kept, the others stay in the table)")
    if not kept.is_file() or not kept.samefile(config.source):
        shutil.copyfile(config.source, kept)


def _definition(path: Path) -> object:
    """A study file's parsed TOML (layout and comments do not make it another study)."""
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return path.read_bytes()


def _run_locked(config: StudyConfig, out: Path, store: ResultStore, workers: int | None, scheduler: str | None,
                limit: int | None, rerun: Iterable[str], echo: Callable[[str], None]) -> pd.DataFrame:
    baselines = prepare_baselines(config, out, echo)
    trials = baseline_trials(config) + expand_trials(config)
    ids = {t.trial_id for t in trials}
    rerun = set(rerun)
    unknown = sorted(rerun - ids)
    if unknown:
        raise WfnError(f"--rerun: {unknown} are not trials of study {config.name!r}; "
                       "list them with `wfncodesign study run STUDY --dry-run`")
    for trial_id in sorted(rerun):  # from scratch: a method's own resume state would replay the old run
        shutil.rmtree(out / "trials" / trial_id, ignore_errors=True)
    done = store.completed_ids() - rerun
    pending = [t for t in trials if t.trial_id not in done][:limit]
    echo(f"study {config.name!r}: {len(trials)} trials, {len(done & ids)} already done, "
         f"{len(pending)} to run now -> {out}")
    if not pending:
        return store.load()
    n_workers = _workers(workers, len(pending), scheduler)
    # Each worker gets its share of this process's torch threads (which honours OMP_NUM_THREADS).
    ctx = TrialContext(config, out, baselines, threads=max(1, torch.get_num_threads() // n_workers))
    failures = 0
    for row in _progress(_execute(pending, ctx, n_workers, scheduler), len(pending)):
        store.append(row)
        if row["status"] != "ok":
            failures += 1
            echo(f"trial {row['trial_id']} ({row['model']} {row['method']} {row['settings']}) failed: {row['error']}")
    if failures:
        echo(f"{failures} trial(s) failed; their errors are in results.csv; `study run` again retries them")
    return store.load()


def _workers(workers: int | None, pending: int, scheduler: str | None) -> int:
    if scheduler:
        return max(1, workers or 1)
    if workers is None:
        workers = os.cpu_count() or 1
    return max(1, min(workers, pending))


def _execute(pending: list[TrialSpec], ctx: TrialContext, workers: int, scheduler: str | None) -> Iterator[dict]:
    if scheduler:
        yield from _execute_dask(pending, ctx, scheduler)
    elif workers == 1:
        for spec in pending:
            yield run_trial(spec, ctx)
    else:
        with process_pool(workers) as pool:
            futures = [pool.submit(run_trial, spec, ctx) for spec in pending]
            for fut in cf.as_completed(futures):
                yield fut.result()


def process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` fresh interpreters (spawn: no torch/OpenMP state inherited by fork)
    that die with this process, so a killed study leaves no worker computing for nobody."""
    return cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=die_with_parent, initargs=(os.getpid(),))


def die_with_parent(parent: int) -> None:
    """Worker initialiser: be killed when process ``parent`` dies.

    On Linux the kernel does it (prctl PR_SET_DEATHSIG, prctl(2)); elsewhere a daemon thread polls
    the parent PID.  A parent that died before this ran is caught by the PID check.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_DEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="die-with-parent").start()


def _execute_dask(pending: list[TrialSpec], ctx: TrialContext, scheduler: str) -> Iterator[dict]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is in the test extra
        raise WfnError("--scheduler needs Dask distributed: pip install 'dask[distributed]'") from exc
    with Client(scheduler, timeout="20s") as client:
        futures = [client.submit(run_trial, spec, ctx, pure=False, key=f"trial-{spec.trial_id}") for spec in pending]
        for fut in as_completed(futures):
            yield fut.result()


def _progress(rows: Iterator[dict], total: int) -> Iterator[dict]:
    from tqdm.auto import tqdm

    with tqdm(total=total, desc="trials", disable=None, dynamic_ncols=True) as bar:
        for row in rows:
            bar.update(1)
            bar.set_postfix_str(f"{row['method']} {row['status']}")
            yield row
