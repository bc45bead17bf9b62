"""One trial of a study: fix a baseline with one method and settings, then measure everything.

A trial loads its model's baseline, runs the method (:mod:`wfncodesign.methods`), and measures the
fixed model: test accuracy, size (unique values, entropy, encoded bytes with the smallest index
coding, compression ratio) and, on every accelerator and datapath of the study, energy per
inference by component and cycles (:mod:`wfncodesign.hardware`).  It returns one flat row; its
artefacts (history, codebook with prices, per-layer energy, the encoded ``.wfn`` file) land in
``<study>/trials/<trial_id>/``.  Every trial also has a float32 ``baseline`` row per model and seed.

This function runs in worker processes, so it takes only picklable arguments and catches every
error into the row: one failing trial never stops the study.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch

from compress import metrics
from compress.codebook import Codebook
from compress.coding.huffman import huffman_ratio
from compress.fileformat.wfnfile import save_compressed
from compress.fileio import atomic_write_text
from compress.params import FlatParams, ParamScope
from compress.training.retrain import evaluate, seed_everything, select_device
from wfncodesign import hardware
from wfncodesign.data import DataSplits, load_dataset
from wfncodesign.inference_energy import first_images
from wfncodesign.methods import FixTarget, get_method
from wfncodesign.models import get_spec
from wfncodesign.settings import settings_from_mapping
from wfncodesign.study import columns as C
from wfncodesign.study.config import ModelEntry, StudyConfig, TrialSpec
from wfncodesign.train import TrainConfig, load_checkpoint, save_checkpoint, train_model

BASELINE = "baseline"
CALIBRATION_IMAGES = 64  # validation images whose activations give each layer's zero fraction
SIZE_KEYS = ("unique_values", "unique_nonzero", "entropy_bits", "entropy_bits_nonzero", "zero_fraction")


@dataclass(frozen=True)
class TrialContext:
    """What every trial of a study shares (picklable): the config, the folder, baseline paths."""

    config: StudyConfig
    out: Path
    baselines: dict[tuple[str, int], Path]
    threads: int = 1


# Short names of recipe fields in a baseline's file name (these three kept from before the others).
_SHORT = {"epochs": "e", "lr": "lr", "batch_size": "b"}


def baseline_path(out: Path, entry: ModelEntry, seed: int) -> Path:
    """Where the study keeps the baseline of ``entry`` trained with ``seed`` (recipe overrides in the name)."""
    named = [(_SHORT.get(k, k), v) for k, v in entry.recipe.items()]
    named += [("from-", entry.init and entry.init.stem), ("n", entry.epoch_samples)]
    suffix = "".join(f"-{k}{v}" for k, v in named if v is not None)
    return out / "baselines" / f"{entry.name}-seed{seed}{suffix}.pt"


def model_splits(config: StudyConfig, entry: ModelEntry, seed: int) -> DataSplits:
    """The study's dataset split with ``seed``, drawing the model entry's images per training epoch."""
    return replace(load_dataset(config.dataset, config.data_dir, seed=seed), epoch_samples=entry.epoch_samples)


def prepare_baselines(config: StudyConfig, out: Path, echo: Callable[[str], None] = print) -> dict[tuple[str, int], Path]:
    """Train (once) or locate the baseline of every model and seed; return their paths."""
    paths = {}
    for entry in config.models:
        for seed in config.seeds:
            if entry.checkpoint is not None:
                load_checkpoint(entry.checkpoint, entry.name)  # fail now, not in every trial
                paths[(entry.name, seed)] = entry.checkpoint
                continue
            path = baseline_path(out, entry, seed)
            if not path.is_file():
                splits = model_splits(config, entry, seed)
                tc = TrainConfig.for_model(entry.name, finetune=entry.init is not None, seed=seed,
                                           device=config.device, **entry.recipe)
                start = f" from {entry.init.name}" if entry.init else ""
                echo(f"training baseline {entry.name}{start} (seed {seed}, {tc.recipe.epochs} epochs) on {config.dataset}")
                result = train_model(entry.name, splits, tc, verbose=False, init=entry.init)
                save_checkpoint(path, result.model, entry.name, config.dataset,
                                {"test_accuracy": result.test_accuracy, "val_accuracy": result.val_accuracy},
                                tc.to_dict())
                echo(f"baseline {entry.name}: test accuracy {100 * result.test_accuracy:.2f} %")
            paths[(entry.name, seed)] = path
    return paths


def baseline_trials(config: StudyConfig) -> list[TrialSpec]:
    """One float32 ``baseline`` trial per model and seed (the reference point of every plot)."""
    return [TrialSpec(m.name, BASELINE, "float32 baseline", {}, seed, baseline=m.key)
            for m in config.models for seed in config.seeds]


def run_trial(spec: TrialSpec, ctx: TrialContext) -> dict[str, Any]:
    """Run ``spec``; return its row (``status`` ok or error, never raises)."""
    torch.set_num_threads(ctx.threads)
    start = time.perf_counter()
    row: dict[str, Any] = {
        "trial_id": spec.trial_id, "study": ctx.config.name, "model": spec.model, "method": spec.method,
        "label": spec.label, "seed": spec.seed, "settings": spec.settings,
        **{C.setting(k): v for k, v in spec.settings.items() if isinstance(v, (int, float, str, bool))},
    }
    trial_dir = ctx.out / "trials" / spec.trial_id
    try:
        row.update(_measure(spec, ctx, trial_dir))
        row.update(status="ok", error="")
    except Exception as exc:  # recorded, never raised: one bad trial must not stop a study
        row.update(status="error", error=f"{type(exc).__name__}: {exc}")
        atomic_write_text(trial_dir / "error.txt", traceback.format_exc())
    row["wall_seconds"] = time.perf_counter() - start
    row["finished_at"] = pd.Timestamp.now(tz="UTC").isoformat()
    return row


def _measure(spec: TrialSpec, ctx: TrialContext, trial_dir: Path) -> dict[str, Any]:
    cfg = ctx.config
    seed_everything(spec.seed)
    model, meta = load_checkpoint(ctx.baselines[(spec.model, spec.seed)], spec.model)
    splits = model_splits(cfg, next(m for m in cfg.models if m.name == spec.model), spec.seed)
    device = select_device(cfg.device)
    flat = FlatParams.from_model(model, ParamScope(include=spec.include, exclude=spec.exclude))
    test_loader = splits.loaders(seed=spec.seed)[2]
    baseline_acc = evaluate(model.to(device), test_loader, device)
    model.cpu()
    encoded_bytes, codebook = None, None
    if spec.method == BASELINE:
        fixed_model, history = model, pd.DataFrame()
    else:
        method = get_method(spec.method)
        settings = settings_from_mapping(method.Settings, spec.settings, where=f"trial {spec.trial_id}")
        target = FixTarget(flat, model, splits, train=True, device=cfg.device, seed=spec.seed,
                           work_dir=trial_dir / "work")
        outcome = method.run(settings, target)
        fixed_model = outcome.model if outcome.model is not None else model
        if outcome.model is None:
            outcome.flat.write_to_model(fixed_model)
        flat, codebook, history = outcome.flat, outcome.codebook, outcome.history
        encoded_bytes = outcome.encoded_bytes
    accuracy = evaluate(fixed_model.to(device), test_loader, device)
    fixed_model.cpu()
    row: dict[str, Any] = {"accuracy": accuracy, "baseline_accuracy": baseline_acc,
                           "accuracy_drop": baseline_acc - accuracy}
    row.update(_size_columns(flat, codebook, encoded_bytes, fixed_model, trial_dir))
    input_shape = get_spec(spec.model).input_shape
    calib = first_images(splits.val, CALIBRATION_IMAGES)
    row.update(hardware.trial_hardware(fixed_model, input_shape, cfg.hardware, calib, codebook, trial_dir))
    if not history.empty:
        atomic_write_text(trial_dir / "history.csv", history.to_csv(index=False))
    return row


def _size_columns(flat: FlatParams, codebook: Codebook | None, encoded_bytes: int | None,
                  model: torch.nn.Module, trial_dir: Path) -> dict[str, Any]:
    """Size metrics; encoded bytes are the real size of codebook + indices in the smallest coding."""
    n = len(flat)
    float_bytes = 4 * n
    cols: dict[str, Any] = {"n_weights": n}
    if codebook is None:
        # A float model (or a transform codec's output that is no small codebook).
        cb = Codebook.from_weights(flat.values) if np.isfinite(flat.values).all() else None
        size = metrics.summarize(cb) if cb is not None else {}
        cols.update({k: size.get(k, math.nan) for k in SIZE_KEYS})
        cols.update(encoded_bytes=encoded_bytes if encoded_bytes is not None else float_bytes,
                    coding="transform" if encoded_bytes is not None else "float32")
    else:
        size = metrics.summarize(codebook)
        cols.update({k: size[k] for k in SIZE_KEYS})
        # The file's own coding (auto: the smallest) gives the indices' size: no second encoding.
        info = save_compressed(model, flat, codebook, trial_dir / "model.wfn")
        cols.update(encoded_bytes=info.index_bytes + 4 * codebook.k, coding=info.coding, file_bytes=info.file_bytes)
        # The uniform-bin paper's convention (arXiv:2501.03095): 32 / Huffman bits per index, no codebook.
        cols["huffman_ratio"] = huffman_ratio(codebook.counts())
    cols["ratio"] = float_bytes / cols["encoded_bytes"] if cols["encoded_bytes"] else math.inf
    return cols
