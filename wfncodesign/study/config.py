"""A study definition: a TOML file naming data, models, a grid of methods, hardware and seeds.

Everything in it is checked before any training starts: an unknown key, model, method, dataset,
datapath or method setting is an error that names the key and lists the allowed values.

Layout (see ``studies/*.toml`` for complete examples)::

    name = "demo"                      # used in the report
    description = "..."
    dataset = "mnist-subset"           # mnist-subset | mnist | cifar10
    data_dir = "../../shared/data/mnist"   # relative to this file; --data-dir overrides
    seeds = [0]
    device = "auto"

    [[models]]                         # one baseline per model and seed, trained once or loaded
    name = "mlp"
    epochs = 6                         # optional overrides of the model's Recipe (lr, optimizer,
                                       # weight_decay, momentum, batch_size)
    checkpoint = "path.pt"             # optional: load instead of training (relative to this file)

    [[methods]]                        # each entry expands to the Cartesian product of its grid
    method = "wfn"
    label = "WFN"                      # optional, shown in plots
    settings = { epochs_per_step = 1 } # fixed settings of every trial of this entry
    grid = { delta = [0.015, 0.03] }   # lists: one trial per combination
    models = ["mlp"]                   # optional: only for these models
    include = ["1.weight"]             # optional: parameter-name globs in the codebook (exclude too)

    [hardware]
    datapaths = ["mac", "shift_add", "lut", "factorised"]
    bits = 8
    [hardware.accelerators.edge]       # one or more accelerators: a SCALE-Sim .cfg or inline keys
    config = "../configs/edge.cfg"     # (inline keys may set schedule = "search", objective = ...)
    [hardware.sweeps.arrays]           # optional design-space sweeps of every trial (the datapaths above)
    rows = [8, 16, 32]
    cols = [8, 16, 32]
    buffers_kb = [16, 64]
    dataflows = ["ws", "os"]           # optional (default ["ws"]); objective = "energy" (default)
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from compress.fileio import existing_file
from wfncodesign.datasets import DATASETS
from wfncodesign.errors import WfnError
from wfncodesign.explore import check_sweep
from wfncodesign.methods import METHODS, get_method
from wfncodesign.modelspecs import MODELS, Recipe, get_spec
from wfncodesign.settings import settings_from_mapping, settings_to_dict, settings_values

TOP_KEYS = {"name", "description", "dataset", "data_dir", "seeds", "device", "models", "methods", "hardware"}
MODEL_KEYS = {"name", "checkpoint", "init", "epoch_samples", *(f.name for f in fields(Recipe))}
METHOD_KEYS = {"method", "label", "settings", "grid", "models", "include", "exclude"}
HARDWARE_KEYS = {"datapaths", "bits", "accelerators", "weight_coding", "sweeps"}


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise WfnError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise WfnError(f"{where}: expected {names}, got {value!r}")
    return value


def _check_unique(values: list | tuple, where: str) -> None:
    """Raise naming the first value listed twice (it would be the same trial twice)."""
    seen: list = []
    for v in values:
        if any(v == s and type(v) is type(s) for s in seen):
            raise WfnError(f"{where}: {v!r} is listed twice; each value makes its own trials, so list it once")
        seen.append(v)


@dataclass(frozen=True)
class ModelEntry:
    """A baseline: registry name, overrides of its :class:`Recipe` (field -> value), a checkpoint to
    load instead of training, or pretrained weights (``init``) to fine-tune from with the model's
    fine-tuning recipe."""

    name: str
    recipe: dict[str, Any] = field(default_factory=dict)
    checkpoint: Path | None = None
    init: Path | None = None
    epoch_samples: int | None = None  # training images per epoch, baseline and retraining (None: all)

    @property
    def key(self) -> str:
        """What distinguishes this baseline from the recipe's (empty when nothing does)."""
        parts = [f"{f.name}={self.recipe[f.name]}" for f in fields(Recipe) if f.name in self.recipe]
        parts += [f"{k}={v}" for k, v in (("checkpoint", self.checkpoint), ("init", self.init),
                                          ("epoch_samples", self.epoch_samples)) if v is not None]
        return ",".join(parts)


@dataclass(frozen=True)
class MethodEntry:
    """One method with fixed settings and a grid of settings to sweep."""

    method: str
    label: str
    settings: dict[str, Any]
    grid: dict[str, list[Any]]
    models: tuple[str, ...] | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def combinations(self) -> list[dict[str, Any]]:
        """Every settings dict of the grid (fixed settings plus one value per grid key)."""
        keys = list(self.grid)
        return [{**self.settings, **dict(zip(keys, values))}
                for values in itertools.product(*(self.grid[k] for k in keys))]


@dataclass(frozen=True)
class HardwareEntry:
    """Datapaths to price every trial on, their bit width, and the accelerators (name -> table)."""

    datapaths: tuple[str, ...] = ()
    bits: int = 8
    weight_coding: str = "entropy"
    accelerators: dict[str, dict[str, Any]] = field(default_factory=dict)
    sweeps: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> checked sweep axes


@dataclass(frozen=True)
class StudyConfig:
    """A validated study definition."""

    name: str
    description: str
    dataset: str
    data_dir: Path | None
    seeds: tuple[int, ...]
    device: str
    models: tuple[ModelEntry, ...]
    methods: tuple[MethodEntry, ...]
    hardware: HardwareEntry
    source: Path | None = None


def load_study(path: str | Path, data_dir: str | Path | None = None, epochs: int | None = None) -> StudyConfig:
    """Read and validate the study TOML at ``path``; ``data_dir`` overrides the file's own, and
    ``epochs`` every baseline's training epochs (a quick check of a long study)."""
    p = existing_file(path, "study file", "a study .toml file", WfnError)
    try:
        raw = tomllib.loads(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WfnError(f"{p}: byte {exc.start} is not UTF-8 text; save the study file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise WfnError(f"{p}: not valid TOML ({exc})") from exc
    if epochs is not None:
        raw["models"] = [{**m, "epochs": epochs} if isinstance(m, dict) else m for m in raw.get("models", [])]
    return parse_study(raw, base_dir=p.parent, where=str(p), data_dir=data_dir, source=p)


def _resolve(base: Path, value: str | None) -> Path | None:
    if value is None or value == "":
        return None
    q = Path(value).expanduser()
    return q if q.is_absolute() else (base / q).resolve()


def parse_study(raw: Mapping[str, Any], base_dir: Path = Path("."), where: str = "study",
                data_dir: str | Path | None = None, source: Path | None = None) -> StudyConfig:
    """Validate a study given as a dict (parsed TOML); relative paths resolve against ``base_dir``."""
    _check_keys(raw, TOP_KEYS, where)
    dataset = raw.get("dataset", "mnist-subset")
    if dataset not in DATASETS:
        raise WfnError(f"{where}: dataset {dataset!r} is unknown; allowed: {sorted(DATASETS)}")
    seeds = tuple(_expect(s, int, f"{where}: seeds[{i}]") for i, s in enumerate(raw.get("seeds", [0])))
    if not seeds:
        raise WfnError(f"{where}: seeds is empty; give at least one seed, e.g. seeds = [0]")
    _check_unique(seeds, f"{where}: seeds")
    models = tuple(_parse_model(m, dataset, base_dir, f"{where}: models[{i}]")
                   for i, m in enumerate(_expect(raw.get("models", []), list, f"{where}: models")))
    if not models:
        raise WfnError(f"{where}: no [[models]]; add one, e.g. [[models]] name = \"mlp\"")
    _check_unique([f"{m.name} {m.key}".strip() for m in models], f"{where}: models")
    model_names = {m.name for m in models}
    methods = tuple(_parse_method(m, model_names, f"{where}: methods[{i}]")
                    for i, m in enumerate(_expect(raw.get("methods", []), list, f"{where}: methods")))
    hardware = _parse_hardware(raw.get("hardware", {}), base_dir, f"{where}: hardware")
    dd = Path(data_dir) if data_dir is not None else _resolve(base_dir, raw.get("data_dir"))
    if dataset != "mnist-subset" and dd is None:
        raise WfnError(f"{where}: dataset {dataset!r} needs data_dir (in the file or --data-dir)")
    return StudyConfig(
        name=str(raw.get("name", source.stem if source else "study")),
        description=str(raw.get("description", "")), dataset=dataset, data_dir=dd, seeds=seeds,
        device=str(raw.get("device", "auto")), models=models, methods=methods, hardware=hardware,
        source=source,
    )


def _parse_model(m: Any, dataset: str, base_dir: Path, where: str) -> ModelEntry:
    _expect(m, dict, where)
    _check_keys(m, MODEL_KEYS, where)
    name = m.get("name")
    if name not in MODELS:
        raise WfnError(f"{where}.name: model {name!r} is unknown; allowed: {sorted(MODELS)}")
    spec = get_spec(name)
    if "checkpoint" in m and "init" in m:
        raise WfnError(f"{where}: give either checkpoint (use as is) or init (fine-tune from), not both")
    if dataset not in spec.datasets:
        raise WfnError(f"{where}: model {name!r} does not fit dataset {dataset!r}; it fits {list(spec.datasets)}")
    own = ("name", "checkpoint", "init", "epoch_samples")
    given = settings_values(Recipe, {k: v for k, v in m.items() if k not in own}, where)
    overrides = {f.name: given[f.name] for f in fields(Recipe) if f.name in given}  # in the recipe's order
    base = spec.finetune if "init" in m and spec.finetune else spec.recipe
    try:
        replace(base, **overrides)  # the recipe it trains with is valid before anything runs
    except WfnError as exc:
        raise WfnError(f"{where}: {exc}") from None
    return ModelEntry(name=name, recipe=overrides, checkpoint=_resolve(base_dir, m.get("checkpoint")),
                      init=_resolve(base_dir, m.get("init")), epoch_samples=_positive_int(m, "epoch_samples", where))


def _positive_int(table: Mapping[str, Any], key: str, where: str) -> int | None:
    if key not in table:
        return None
    value = _expect(table[key], int, f"{where}.{key}")
    if value < 1:
        raise WfnError(f"{where}.{key}: must be at least 1, got {value}")
    return value


def _parse_method(m: Any, model_names: set[str], where: str) -> MethodEntry:
    _expect(m, dict, where)
    _check_keys(m, METHOD_KEYS, where)
    name = m.get("method")
    if name not in METHODS:
        raise WfnError(f"{where}.method: method {name!r} is unknown; allowed: {sorted(METHODS)}")
    settings = dict(_expect(m.get("settings", {}), dict, f"{where}.settings"))
    grid = dict(_expect(m.get("grid", {}), dict, f"{where}.grid"))
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise WfnError(f"{where}.grid.{key}: expected a non-empty list of values, got {values!r}")
        _check_unique(values, f"{where}.grid.{key}")
    overlap = sorted(set(settings) & set(grid))
    if overlap:
        raise WfnError(f"{where}: {overlap} appear in both settings and grid; keep each in one place")
    only = m.get("models")
    if only is not None:
        unknown = sorted(set(only) - model_names)
        if unknown:
            raise WfnError(f"{where}.models: {unknown} are not models of this study; allowed: {sorted(model_names)}")
    scope = {}
    for key in ("include", "exclude"):
        globs = _expect(m.get(key, []), list, f"{where}.{key}")
        scope[key] = tuple(_expect(g, str, f"{where}.{key}") for g in globs)
    entry = MethodEntry(name, str(m.get("label", name)), settings, grid, tuple(only) if only else None, **scope)
    cls = get_method(name).Settings
    for combo in entry.combinations():  # every trial's settings are valid before anything runs
        settings_from_mapping(cls, combo, where=f"{where} ({name} settings)")
    return entry


def _parse_hardware(h: Any, base_dir: Path, where: str) -> HardwareEntry:
    from wfncodesign import hardware

    _expect(h, dict, where)
    _check_keys(h, HARDWARE_KEYS, where)
    datapaths = tuple(_expect(h.get("datapaths", []), list, f"{where}.datapaths"))
    for dp in datapaths:
        hardware.check_datapath(dp, where=f"{where}.datapaths")
    bits = _expect(h.get("bits", 8), int, f"{where}.bits")
    coding = h.get("weight_coding", "entropy")
    if coding not in ("entropy", "fixed"):
        raise WfnError(f"{where}.weight_coding: {coding!r} is not one of ['entropy', 'fixed']")
    accels = {}
    for name, table in _expect(h.get("accelerators", {}), dict, f"{where}.accelerators").items():
        accels[name] = hardware.check_accelerator(table, base_dir, where=f"{where}.accelerators.{name}")
    sweeps = {name: check_sweep(table, datapaths, bits, f"{where}.sweeps.{name}")
              for name, table in _expect(h.get("sweeps", {}), dict, f"{where}.sweeps").items()}
    return HardwareEntry(datapaths, bits, coding, accels, sweeps)


@dataclass(frozen=True)
class TrialSpec:
    """One trial: a model (and its baseline seed), a method with complete settings, a seed."""

    model: str
    method: str
    label: str
    settings: dict[str, Any]
    seed: int
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    baseline: str = ""

    @property
    def trial_id(self) -> str:
        """A stable id of the trial's identity (model and its baseline, method, settings, seed,
        parameter scope): a trial on a differently trained baseline is another trial."""
        import hashlib
        import json

        ident = [self.model, self.method, self.settings, self.seed]
        if self.include or self.exclude:
            ident.append([list(self.include), list(self.exclude)])
        if self.baseline:
            ident.append(self.baseline)
        key = json.dumps(ident, sort_keys=True, default=str)
        return hashlib.sha1(key.encode()).hexdigest()[:12]


def expand_trials(config: StudyConfig) -> list[TrialSpec]:
    """Every trial of the study, in a stable order (model, method entry, grid, seed); WfnError
    when two entries describe the same trial (it would run twice into one row)."""
    trials: list[TrialSpec] = []
    seen: dict[str, TrialSpec] = {}
    for model in config.models:
        for entry in config.methods:
            if entry.models is not None and model.name not in entry.models:
                continue
            cls = get_method(entry.method).Settings
            for combo in entry.combinations():
                full = settings_to_dict(settings_from_mapping(cls, combo))
                for seed in config.seeds:
                    spec = TrialSpec(model.name, entry.method, entry.label, full, seed,
                                     entry.include, entry.exclude, model.key)
                    if spec.trial_id in seen:
                        raise WfnError(f"study {config.name!r}: {spec.model} {spec.method} {combo} seed {seed} is "
                                       f"already a trial ({seen[spec.trial_id].label}); each trial must appear once, "
                                       "remove the repeated method entry or setting")
                    seen[spec.trial_id] = spec
                    trials.append(spec)
    return trials
