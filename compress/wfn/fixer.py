"""Weight Fixing Networks: the whole-network fixer (Subia-Waud and Dasmahapatra, ECCV 2022).

:class:`WeightFixer` fixes every parameter in scope to one shared codebook of sums of a few signed
powers of two, in the paper's cumulative schedule (arXiv:2210.13554, section 4; their public code,
``pre_trained_model_experiments.py`` / ``Weight_Fix_Base``):

- steps t = 0..T-1 fix cumulative fractions 30, 60, 80, 90, 95, 97.5, 99, 99.75, 99.9, 100 % of
  the weights (T = 10) with tolerance ``delta_t = delta * max(1, T - t)`` (loose early, ``delta`` at
  the end); each step is :func:`compress.wfn.fixing.fix_to_target` (most popular power-of-two centre,
  longest prefix within tolerance, order escalation, ``|w| < gamma0`` pruned to zero);
- between steps, E epochs of retraining (3 in the paper) through :func:`compress.training.retrain.train_epoch`
  with a fresh Adam (lr 2e-5), gradient-norm clip 0.5, the gradients of fixed weights masked to zero
  and the attention regulariser of :mod:`compress.wfn.attention` (tau 0.05, gamma 0.4) on the rest.

Better than their code: fixing is permanent (fixed weights never move, a belt-and-braces restore
after every optimiser step guarantees it) and every target fraction is met exactly; the run is
seeded; the state is checkpointed after every step into ``work_dir`` and a stopped run resumes
from its last completed step with a bit-identical result (each retraining phase reseeds torch,
numpy, Python and the training loader's sampler from ``seed`` and the step number).

Hardware-aware hook (used by the codesign loop; nothing here knows any hardware): ``value_cost``
(values -> positive prices) and ``cost_exponent`` lambda: the fixing step picks the candidate that
maximises ``popularity / price**lambda`` and escalates by price ceiling instead of order (see
:mod:`compress.wfn.fixing`); with lambda == 0 it is exactly plain WFN.  When ``value_cost`` is given,
the history gains ``fixed_cost``: the sum over fixed weights of ``value_cost(value) * usage``
(``usage``: one non-negative number per weight, e.g. the MACs each weight takes part in; 1 by
default).

One-shot (post-training) mode: :meth:`WeightFixer.fix_array`, :meth:`~WeightFixer.fix_flat` and
:meth:`~WeightFixer.fix_state_dict` run the same schedule with no retraining.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from compress.codebook import Codebook
from compress.errors import CompressError
from compress.fileio import atomic_torch_save
from compress.params import FlatParams, ParamScope, scoped_parameter_names
from compress.training.frozen import FrozenWeights
from compress.training.retrain import evaluate, seed_everything, select_device, train_epoch
from compress.wfn.attention import AttentionRegulariser, balanced_penalty
from compress.wfn.candidates import FLOAT32_SPAN, SIGNIFICAND_BITS, candidate_values, geometric_grid
from compress.wfn.config import WFNConfig
from compress.wfn.fixing import (
    StepRule,
    StepStats,
    ValueCost,
    check_prices,
    fix_to_target,
    fix_to_target_priced,
    stable_argsort,
)
from compress.wfn.pruned import prune_mask, prune_step, zero_pull
from compress.wfn.tally import ValueTally

# Seconds between state files of a one-shot run (resumable, but rarely worth resuming).
ONE_SHOT_SAVE_S = 30.0
STATE_FORMAT = "wfncodesign-wfn-state-1"
STATE_FILE = "wfn_state.pt"


def _fingerprint(values: np.ndarray, entries: Iterable) -> str:
    h = hashlib.sha256(np.ascontiguousarray(values).tobytes())
    h.update(json.dumps([(e.name, list(e.shape)) for e in entries]).encode())
    return h.hexdigest()


def _reseed_loader(loader: Any, seed: int) -> None:
    """Reseed every torch.Generator that drives ``loader``'s order: on the loader, its sampler or
    batch sampler, and the samplers those wrap (e.g. a RandomSampler inside a BatchSampler)."""
    todo, seen = [loader], set()
    while todo:
        obj = todo.pop()
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        g = getattr(obj, "generator", None)
        if isinstance(g, torch.Generator):
            g.manual_seed(seed)
        todo += [getattr(obj, "sampler", None), getattr(obj, "batch_sampler", None)]


class WeightFixer:
    """Whole-network weight fixing, scikit-learn style: configure, then :meth:`fit` a model (or
    run one-shot on arrays).

    ``config``: a :class:`WFNConfig`.  ``value_cost``/``usage``: the hardware-aware hook (module
    docstring).  ``scope``: which parameters of a model share the codebook.  ``work_dir``: where the
    state is checkpointed after every step (a run finds and resumes its own checkpoint there).
    After a run: :attr:`history` (one row per step), :attr:`codebook`, :attr:`values`.
    Manual stepping: :meth:`begin` on values, then :meth:`fix_step` until :attr:`done`.
    """

    def __init__(self, config: WFNConfig | None = None, *, value_cost: ValueCost | None = None,
                 usage: np.ndarray | None = None, scope: ParamScope = ParamScope(),
                 work_dir: str | Path | None = None, device: str = "cpu", progress: bool | None = None):
        self.config = config or WFNConfig()
        if self.config.cost_exponent > 0 and value_cost is None:
            raise CompressError("cost_exponent > 0 needs a value_cost callable that prices candidate values.")
        self.value_cost = value_cost
        self.usage = None if usage is None else np.asarray(usage, dtype=np.float64).reshape(-1)
        if self.usage is not None and not (np.isfinite(self.usage).all() and (self.usage >= 0).all()):
            raise CompressError("usage must hold finite, non-negative numbers (one per weight).")
        self.scope = scope
        self.work_dir = None if work_dir is None else Path(work_dir)
        self.device = device
        self.progress = progress
        self.values: np.ndarray | None = None
        self.fixed: np.ndarray | None = None
        self.step = 0
        self._rows: list[dict[str, Any]] = []
        self._entries: tuple = ()
        self._fingerprint = ""
        self._tally: ValueTally | None = None
        self._codebook: tuple[int, Codebook] | None = None  # (step, codebook of that step)
        self._order: np.ndarray | None = None

    # -- state ----------------------------------------------------------------------------------
    @property
    def history(self) -> pd.DataFrame:
        """One row per completed step (see the README for the columns)."""
        return pd.DataFrame(self._rows)

    @property
    def done(self) -> bool:
        """True once every step of the schedule has run."""
        return self.values is not None and self.step >= self.config.steps

    @property
    def codebook(self) -> Codebook:
        """The codebook of the fixed weights so far (of every weight once :attr:`done`); built once
        per step from the running histogram."""
        if self.values is None or not self.fixed.any():
            raise CompressError("no weight is fixed yet; run fit, fix_array or fix_step first.")
        if self._codebook is None or self._codebook[0] != self.step:
            tally = self._tallied()
            cb = tally.codebook(self.values, self.fixed)
            if cb is None:  # a fixed weight was changed from outside: count afresh
                self._tally = None
                cb = Codebook.from_weights(self.values[self.fixed])
            self._codebook = (self.step, cb)
        return self._codebook[1]

    def _tallied(self) -> ValueTally:
        """The running histogram of the fixed weights, brought up to date with the newly fixed ones."""
        if self._tally is None or self._tally.seen.shape != self.fixed.shape:
            self._tally = ValueTally(self.fixed.shape[0])
        self._tally.update(self.values, self.fixed, self.usage)
        return self._tally

    def begin(self, x: FlatParams | np.ndarray, model_state: dict | None = None) -> "WeightFixer":
        """Start a run on ``x`` (a FlatParams or a 1-D float array), or resume the run that
        ``work_dir`` holds for the same values and settings; return self."""
        flat = x if isinstance(x, FlatParams) else FlatParams.from_arrays({"values": _as_vector(x)})
        if len(flat) == 0:
            raise CompressError("there are no weights in scope to fix (an empty array or tensor list).")
        flat.check_finite()
        if self.usage is not None and self.usage.shape[0] != len(flat):
            raise CompressError(f"usage has {self.usage.shape[0]} entries but there are {len(flat)} weights in scope.")
        if self.value_cost is not None:  # fail on a bad price list before any work
            grid = geometric_grid(self.config.gamma0, float(np.abs(flat.values).max()), self.config.delta_t(0))
            check_prices(self.value_cost, candidate_values(grid, 0, self.config.delta_t(0), self.config.gamma0))
        self._entries = flat.entries
        self._fingerprint = _fingerprint(flat.values, flat.entries)
        self.values, self.fixed = flat.values.copy(), np.zeros(len(flat), dtype=bool)
        self.step, self._rows = 0, []
        self._model_state = None
        self._tally, self._codebook = None, None
        self._order = None  # one-shot runs set the unfixed values' sorted order, computed once
        self._load_checkpoint()
        return self

    def fix_step(self) -> dict[str, Any]:
        """Fix the next step of the schedule on the current values; return its history row."""
        if self.values is None:
            raise CompressError("call begin(values), fit or fix_array before fix_step.")
        if self.done:
            raise CompressError(f"all {self.config.steps} steps are done; nothing left to fix.")
        cfg, t = self.config, self.step
        n = self.values.shape[0]
        if cfg.is_prune_step(t):
            t0 = time.perf_counter()
            prune_step(FlatParams(self._entries, self.values), self.values, self.fixed, cfg.fraction(t), cfg.prune_scope)
            stats, delta_t = StepStats(0, 0, 0, 0, time.perf_counter() - t0), 0.0
        else:
            delta_t = cfg.delta_t(t - cfg.pruning)
            span = min(SIGNIFICAND_BITS.get(e.dtype, FLOAT32_SPAN) for e in self._entries)
            rule = StepRule(cfg.gamma0, cfg.max_order, cfg.reuse_values, self.value_cost, cfg.cost_exponent, span,
                            cfg.max_values)
            if rule.priced:
                stats = fix_to_target_priced(self.values, self.fixed, cfg.target(t, n), delta_t, rule, self.usage)
            else:
                stats = fix_to_target(self.values, self.fixed, cfg.target(t, n), delta_t, rule, order=self._order)
                if self._order is not None:  # shrink the order to the still-unfixed weights for the next step
                    self._order = self._order[~self.fixed[self._order]]
        self.step += 1
        row = {"step": self.step, "phase": "prune" if cfg.is_prune_step(t) else "fix",
               "target_fraction": cfg.fraction(t), "fixed_fraction": float(self.fixed.mean()),
               "n_fixed": int(self.fixed.sum()), "delta_t": delta_t, "choices": stats.choices,
               "top_level": stats.top_level, "tolerance_doublings": stats.doublings,
               **self._size_metrics(), "fix_seconds": stats.seconds}
        self._rows.append(row)
        return row

    def _size_metrics(self) -> dict[str, Any]:
        tally = self._tallied()  # only the weights this step fixed are new to it
        row = tally.metrics(self.values.shape[0])
        if self.value_cost is not None:
            row["fixed_cost"] = float((check_prices(self.value_cost, tally.values) * tally.usage).sum())
        return row

    # -- checkpoints ------------------------------------------------------------------------------
    def _state_path(self) -> Path | None:
        return None if self.work_dir is None else self.work_dir / STATE_FILE

    def _save_checkpoint(self, model: nn.Module | None = None) -> None:
        path = self._state_path()
        if path is None:
            return
        atomic_torch_save(path, {
            "format": STATE_FORMAT, "config": self.config.to_dict(), "fingerprint": self._fingerprint,
            "step": self.step, "values": torch.from_numpy(self.values.copy()),
            "fixed": torch.from_numpy(self.fixed.copy()), "history": self._rows,
            "model_state": None if model is None else {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        })

    def _load_checkpoint(self) -> None:
        path = self._state_path()
        if path is None or not path.is_file():
            return
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for a corrupt file
            raise CompressError(f"{path}: unreadable WFN state ({type(exc).__name__}: {exc}); delete it to start over.") from exc
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise CompressError(f"{path} is not a WFN state file; use another work_dir or delete it.")
        if state["fingerprint"] != self._fingerprint:
            raise CompressError(f"{path} belongs to a run on other weights; use another work_dir or delete it.")
        if state["config"] != self.config.to_dict():
            raise CompressError(
                f"{path} was written with other settings ({state['config']}); resume with the same "
                "settings, or use another work_dir."
            )
        self.step = int(state["step"])
        self.values = state["values"].numpy().copy()
        self.fixed = state["fixed"].numpy().copy()
        self._rows = list(state["history"])
        self._model_state = state["model_state"]

    # -- one-shot -----------------------------------------------------------------------------------
    def fix_array(self, values: np.ndarray | torch.Tensor) -> np.ndarray:
        """One-shot: every weight of the 1-D array fixed by the whole schedule, no retraining;
        returns a new array of the same dtype."""
        v = _as_vector(values)
        return self.fix_flat(FlatParams.from_arrays({"values": v})).values.astype(v.dtype, copy=False)

    def fix_flat(self, flat: FlatParams) -> FlatParams:
        """One-shot on a FlatParams; returns the fixed copy (same entries)."""
        self.begin(flat)
        self._order = stable_argsort(self.values)  # no retraining: the unfixed values never change
        saved = time.perf_counter()
        try:
            for _ in self._progress_steps():
                self.fix_step()
                # One-shot steps take seconds: a state file after each (tens of MB on a ResNet) would
                # cost more than the work it saves; keep one every ONE_SHOT_SAVE_S, and the last.
                if self.done or time.perf_counter() - saved >= ONE_SHOT_SAVE_S:
                    self._save_checkpoint()
                    saved = time.perf_counter()
        finally:
            self._order = None
        return flat.with_values(self.values)

    def fix_state_dict(self, state_dict: Mapping[str, np.ndarray | torch.Tensor], include: Sequence[str] = (),
                       exclude: Sequence[str] = ()) -> dict:
        """One-shot on a state_dict / dict of arrays: floating arrays whose names pass the glob
        filters are fixed; returns a dict with the same keys, types, shapes and dtypes."""
        flat = self.fix_flat(FlatParams.from_arrays(state_dict, include, exclude))
        as_torch = any(isinstance(v, torch.Tensor) for v in state_dict.values())
        fixed = flat.to_tensors() if as_torch else flat.to_arrays()
        return {k: fixed.get(k, v) for k, v in state_dict.items()}

    def _progress_steps(self):
        from tqdm.auto import tqdm

        todo = range(self.step, self.config.steps)
        return tqdm(todo, desc="WFN steps", total=len(todo), leave=False, disable=self.progress is False or None)

    # -- retraining -------------------------------------------------------------------------------
    def fit(self, model: nn.Module, train_loader: Iterable | None = None, val_loader: Iterable | None = None,
            *, names: Sequence[str] | None = None, max_steps: int | None = None) -> "WeightFixer":
        """Fix ``model``'s parameters in scope (or exactly ``names``) through the schedule,
        retraining on ``train_loader`` between steps (none when it is None or epochs_per_step is 0)
        and measuring ``val_loader`` accuracy after each step; stop after ``max_steps`` more steps
        (None: to the end).  The model is changed in place; returns self."""
        params = dict(model.named_parameters())
        names = list(names) if names is not None else scoped_parameter_names(model, self.scope)
        missing = [n for n in names if n not in params]
        if missing:
            raise CompressError(f"model {type(model).__name__} has no parameters {missing}")
        if not names:
            raise CompressError(
                f"model {type(model).__name__} has no parameters in scope {self.scope}; widen the scope."
            )
        flat = _gather(params, names)
        self.begin(flat)
        if self._model_state is not None:
            model.load_state_dict(self._model_state)
        device = select_device(self.device)
        model.to(device)
        done_now = 0
        for _ in self._progress_steps():
            if max_steps is not None and done_now >= max_steps:
                break
            self._sync_from_model(params, names)
            row = self.fix_step()
            flat.with_values(self.values).write_to_model(model)
            row["val_accuracy"] = evaluate(model, val_loader, device) if val_loader is not None else math.nan
            row["train_seconds"], row["val_accuracy_retrained"] = 0.0, math.nan
            if train_loader is not None and self.config.epochs_per_step > 0 and not self.done:
                t0 = time.perf_counter()
                self._retrain(model, params, train_loader, device)
                row["train_seconds"] = time.perf_counter() - t0
                if val_loader is not None:
                    row["val_accuracy_retrained"] = evaluate(model, val_loader, device)
            self._save_checkpoint(model)
            done_now += 1
        return self

    def _sync_from_model(self, params: dict[str, nn.Parameter], names: Sequence[str]) -> None:
        """Take the retrained values of the unfixed weights from the model; fixed ones must not move."""
        now = _gather(params, names).values
        if not np.array_equal(now[self.fixed], self.values[self.fixed]):
            raise CompressError("fixed weights changed outside the fixer; do not edit the model during fit.")
        self.values = now

    def _retrain(self, model: nn.Module, params: dict[str, nn.Parameter], loader: Iterable, device) -> None:
        """E epochs with a fresh Adam, masked gradients and the regulariser (zero pull while pruning,
        attention while fixing)."""
        cfg = self.config
        phase_seed = cfg.seed + 1_000_003 * self.step
        seed_everything(phase_seed)
        _reseed_loader(loader, phase_seed)
        tensors = [params[e.name] for e in self._entries]
        # The model holds self.values (written after the step): the fixed ones are restored to them.
        frozen = FrozenWeights(model, FlatParams(self._entries, self.values), self.fixed, self.values)
        pruning = cfg.is_prune_step(self.step - 1)
        reg, use_reg = self._regulariser(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.prune_lr if pruning else cfg.lr)

        def penalty(ce: torch.Tensor) -> torch.Tensor:
            return balanced_penalty(ce, reg(torch.cat([p.reshape(-1) for p in tensors])), cfg.gamma)

        for epoch in range(cfg.prune_epochs if pruning else cfg.epochs_per_step):
            train_epoch(model, loader, optimizer, device=device, penalty=penalty if use_reg else None,
                        after_backward=frozen.after_backward, after_step=frozen.after_step, grad_clip=cfg.grad_clip,
                        desc=f"WFN step {self.step}/{cfg.steps} epoch {epoch + 1}")

    def _regulariser(self, device) -> tuple[Any, bool]:
        """The penalty on all weights in scope (shape (N,) -> scalar) for the retraining after the step just
        done, and whether it is on: the zero pull on the next pruning step's weights before that step,
        else the attention regulariser on the unfixed weights."""
        cfg = self.config
        if cfg.is_prune_step(self.step):
            nxt = prune_mask(FlatParams(self._entries, self.values), self.fixed, cfg.fraction(self.step), cfg.prune_scope)
            pull = torch.from_numpy(nxt & ~self.fixed).to(device)
            return (lambda w: zero_pull(w, pull)), cfg.gamma > 0 and bool(pull.any())
        free_idx = torch.from_numpy(np.flatnonzero(~self.fixed)).to(device)
        attention = AttentionRegulariser(np.unique(self.values[self.fixed]), cfg.tau, cfg.gamma0)
        on = cfg.gamma > 0 and not attention.empty and free_idx.numel() > 0
        return (lambda w: attention(w[free_idx])), on


def _as_vector(x: np.ndarray | torch.Tensor) -> np.ndarray:
    """A 1-D float numpy array from a numpy array or tensor (any shape), checked to be floating."""
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if not np.issubdtype(a.dtype, np.floating):
        raise CompressError(f"weights must be floating point, got dtype {a.dtype}")
    return a.reshape(-1)


def _gather(params: Mapping[str, torch.Tensor], names: Sequence[str]) -> FlatParams:
    """The named parameters as one FlatParams (in the given order)."""
    return FlatParams.from_arrays({n: params[n].detach() for n in names})
