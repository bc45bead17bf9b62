"""``kmeans``: Deep Compression's pruning + k-means weight sharing + centroid fine-tuning.

Han, Mao and Dally (ICLR 2016): magnitude pruning with masked retraining (optional, ``prune`` /
``prune_layers`` and ``prune_epochs``), per-layer k-means with linear initialisation (or one
k-means for the whole network with ``--no-per-layer``), fine-tuning of the shared values by the
summed gradients of their weights (``finetune_epochs``), Huffman coding.  With the defaults it runs
one-shot (no data needed) on a weights file.

Two compression ratios are reported and must not be confused:

- ``huffman_ratio``: the *whole-network codebook* ratio used for every method in this project
  (one codebook, the union of the layers' values; every weight, zeros included, Huffman-coded;
  32 / mean bits per index; codebook not counted), as arXiv:2501.03095 computes it;
- ``dc_ratio_pq`` / ``dc_ratio_pqh``: the *Deep Compression* ratios (per-layer codebooks, sparse
  relative indices of 5 bits for fc / 8 for conv, fixed-width or Huffman-coded, codebooks counted),
  comparable with their Table 1-2 figure of 40x for LeNet-300-100.  Table ``storage`` gives the
  per-layer bits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from compress.sharing.config import KMeansConfig
from compress.training.scopes import PRUNE_SCOPES
from wfncodesign.errors import WfnError
from wfncodesign.methods.base import FixOutcome, FixTarget, Method, register
from wfncodesign.settings import project

# Sharing, pruning and retraining (torch, pandas, numba) are imported by the functions that run
# them, so that the settings import without them (`wfncodesign fix --method kmeans --help`).
if TYPE_CHECKING:
    import torch

    from compress.params import FlatParams


@dataclass(frozen=True)
class KMeansSettings(KMeansConfig):
    """Settings of the ``kmeans`` method: :class:`KMeansConfig`'s sharing options, then pruning and
    centroid fine-tuning (defaults: one-shot per-layer sharing, linear init)."""

    prune: float = field(default=0.0, metadata={"help": "fraction of weights pruned by magnitude before sharing"})
    prune_scope: str = field(default="global", metadata={"help": "one magnitude threshold for the network, or the same fraction per layer",
                                                        "choices": PRUNE_SCOPES})
    prune_layers: tuple[float, ...] = field(default=(), metadata={
        "help": "per-layer prune fractions in layer order (overrides --prune), e.g. 0.92,0.91,0.74"})
    prune_steps: int = field(default=1, metadata={"help": "prune iteratively in this many equal steps (Han et al. 2015)"})
    prune_epochs: int = field(default=0, metadata={"help": "masked retraining epochs after each prune step (needs --model and data)"})
    prune_lr: float = field(default=5e-4, metadata={"help": "Adam learning rate of the masked retraining"})
    finetune_epochs: int = field(default=0, metadata={"help": "epochs fine-tuning the shared values (needs --model and data)"})
    lr: float = field(default=1e-3, metadata={"help": "SGD learning rate of the shared values (their summed gradients)"})
    momentum: float = field(default=0.0, metadata={"help": "SGD momentum of the shared values"})

    def __post_init__(self) -> None:
        super().__post_init__()  # validates k, init, max_iter
        for f in (self.prune, *self.prune_layers):
            if not 0.0 <= f < 1.0:
                raise WfnError(f"prune fraction {f}: must lie in [0, 1)")
        if self.prune_steps < 1:
            raise WfnError(f"prune_steps={self.prune_steps}: at least one step")
        if self.prune_epochs < 0 or self.finetune_epochs < 0:
            raise WfnError("prune_epochs and finetune_epochs must be >= 0")
        if self.prune_lr <= 0 or self.lr <= 0:
            raise WfnError("learning rates must be > 0")

    @property
    def trains(self) -> bool:
        """True when a setting asks for training (which needs a model and data)."""
        return self.prune_epochs > 0 or self.finetune_epochs > 0

    @property
    def prunes(self) -> bool:
        """True when some weights are pruned."""
        return bool(self.prune_layers) or self.prune > 0

    def keep_mask(self, flat: FlatParams, share: float = 1.0) -> np.ndarray:
        """Shape (N,) bool kept weights after pruning ``share`` of the configured fraction(s)."""
        from compress.sharing.kmeans import layer_groups
        from compress.training.pruning import magnitude_keep_mask

        if self.prune_layers:
            return magnitude_keep_mask(flat, [share * f for f in self.prune_layers], "layer", layer_groups(flat))
        return magnitude_keep_mask(flat, share * self.prune, self.prune_scope, layer_groups(flat))


def _read_back(model: torch.nn.Module, flat: FlatParams) -> FlatParams:
    """``flat`` with its values re-read from ``model``'s parameters."""
    params = dict(model.named_parameters())
    values = np.concatenate([params[e.name].detach().cpu().double().reshape(-1).numpy() for e in flat.entries])
    return flat.with_values(values)


@dataclass
class _Run:
    """What the phases of one run share: the target, device, loaders (None one-shot) and history rows."""

    target: FixTarget
    device: torch.device
    loaders: tuple | None
    history: list[dict] = field(default_factory=list)

    def val_accuracy(self) -> float | None:
        """Validation accuracy of the target's model, or None without data."""
        if self.loaders is None:
            return None
        from compress.training.retrain import evaluate

        return evaluate(self.target.model.to(self.device), self.loaders[1], self.device)

    def train(self, phase: str, epochs: int, optimizer, after_backward, after_step) -> None:
        """``epochs`` epochs of :func:`train_epoch` with the hooks, one history row each."""
        from compress.training.retrain import train_epoch

        for epoch in range(1, epochs + 1):
            st = train_epoch(self.target.model, self.loaders[0], optimizer, device=self.device,
                             after_backward=after_backward, after_step=after_step, desc=f"{phase} {epoch}")
            self.history.append({"phase": phase, "epoch": epoch, "train_loss": st.loss,
                                 "train_accuracy": st.accuracy, "val_accuracy": self.val_accuracy()})


def _prune(settings: "KMeansSettings", run: _Run) -> tuple[FlatParams, np.ndarray | None]:
    """Prune (in ``prune_steps`` steps, each with ``prune_epochs`` of masked retraining); (flat, keep)."""
    import torch

    from compress.training.pruning import PruneMask

    flat, model = run.target.flat, run.target.model
    if not settings.prunes:
        return flat, None
    keep = None
    for step in range(1, settings.prune_steps + 1):
        # Han et al. 2015 prune iteratively: each step prunes a larger share of the current weights.
        keep = settings.keep_mask(flat, step / settings.prune_steps)
        flat = flat.with_values(np.where(keep, flat.values, 0))
        if model is not None:
            flat.write_to_model(model)
        if settings.prune_epochs:
            mask = PruneMask(model, flat, keep).to(run.device)
            opt = torch.optim.Adam(model.parameters(), lr=settings.prune_lr)
            run.train(f"prune step {step}", settings.prune_epochs, opt, mask.after_backward, mask.after_step)
            flat = _read_back(model, flat)
    return flat, keep


def _finetune(settings: "KMeansSettings", run: _Run, flat: FlatParams, sharing) -> np.ndarray:
    """Fine-tune the shared values for ``finetune_epochs``; the final centroids (C,)."""
    if not settings.finetune_epochs:
        return sharing.centroids
    from compress.sharing.centroid_tuning import CentroidTuner

    tuner = CentroidTuner(run.target.model, flat, sharing.centroid_index, sharing.centroids, settings.lr,
                          settings.momentum, run.device)
    run.train("finetune", settings.finetune_epochs, tuner.optimizer, tuner.after_backward, tuner.after_step)
    return tuner.values()


@register
class KMeansMethod(Method):
    name = "kmeans"
    summary = "Deep Compression: optional pruning, per-layer k-means sharing (linear init), centroid fine-tuning"
    Settings = KMeansSettings

    def run(self, settings: KMeansSettings, target: FixTarget) -> FixOutcome:
        import pandas as pd

        from compress.codebook import Codebook
        from compress.coding.huffman import huffman_ratio
        from compress.sharing.dc_storage import deep_compression_storage
        from compress.sharing.kmeans import share_kmeans
        from compress.training.retrain import seed_everything, select_device

        has_data = target.model is not None and target.splits is not None
        if settings.trains and not (target.train and has_data):
            raise WfnError(
                "kmeans: prune_epochs/finetune_epochs need training: give --model MODEL.pt with --data "
                "and leave out --no-train, or set both to 0 for one-shot sharing"
            )
        seed_everything(target.seed)
        device = select_device(target.device)
        if target.model is not None:
            target.model.to(device)  # masks and centroid tuning live where the parameters are
        run = _Run(target, device, target.splits.loaders(target.batch_size, target.seed) if has_data else None)
        flat, keep = _prune(settings, run)
        sharing = share_kmeans(flat, project(settings, KMeansConfig, seed=target.seed), keep)
        if target.model is not None:
            flat.with_values(sharing.decode()).write_to_model(target.model)
        run.history.append({"phase": "kmeans", "epoch": 0, "shared_values": sharing.codebook.k,
                            "val_accuracy": run.val_accuracy()})
        decoded = sharing.decode(_finetune(settings, run, flat, sharing))
        codebook = Codebook.from_weights(decoded)
        out = target.flat.with_values(decoded)
        if target.model is not None:
            out.write_to_model(target.model)
            target.model.cpu()
        storage = deep_compression_storage(target.flat, decoded)
        info = {"shared_values": codebook.k, "kept_percent": float(100.0 * np.count_nonzero(decoded) / decoded.size),
                "huffman_ratio": huffman_ratio(codebook.counts()), "dc_ratio_pq": storage.ratio_pq,
                "dc_ratio_pqh": storage.ratio_pqh}
        return FixOutcome(out, codebook, pd.DataFrame(run.history), tables={"layers": sharing.table, "storage": storage.table},
                          model=target.model, info=info)
