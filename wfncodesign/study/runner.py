"""Running a study: baselines once, then every pending trial, in parallel, resumable.

Trials run on a local process pool by default (``workers`` processes, each with its share of the
CPU threads), in this process when ``workers == 1``, or on an existing Dask distributed cluster
when a scheduler address is given (``tcp://host:8786``).  Each finished trial's row is written
at once, so a study that is stopped resumes where it stopped; a trial that raises is recorded
with its error and does not stop the others.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pandas as pd
import torch

from wfncodesign.errors import WfnError
from wfncodesign.study.config import StudyConfig, TrialSpec, expand_trials
from wfncodesign.study.store import ResultStore
from wfncodesign.study.trials import TrialContext, baseline_trials, prepare_baselines, run_trial


def run_study(config: StudyConfig, out_dir: str | Path, workers: int | None = None,
              scheduler: str | None = None, limit: int | None = None, rerun: Iterable[str] = (),
              echo: Callable[[str], None] = print) -> pd.DataFrame:
    """Run every trial of ``config`` not yet completed in ``out_dir`` (at most ``limit`` of them),
    and the completed trials named in ``rerun`` again (their rows are replaced when they finish);
    return the results table."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if config.source is not None:
        shutil.copyfile(config.source, out / "study.toml")
    store = ResultStore(out)
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
        # spawn: a fresh interpreter per worker, so no torch/OpenMP state is inherited by fork.
        with cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(run_trial, spec, ctx) for spec in pending]
            for fut in cf.as_completed(futures):
                yield fut.result()


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
