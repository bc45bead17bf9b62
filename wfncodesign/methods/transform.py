"""``jpeg`` and ``dct``: transform coding of weights as fixing methods (codecs, not codebooks).

Both encode every tensor in scope to real bytes, decode those bytes, and return the decoded
weights with the total encoded size (``FixOutcome.encoded_bytes``); the codebook is None, since the
decoded values are not drawn from a small shared set.  Neither retrains.  ``jpeg`` is the
published experiment (:mod:`compress.transform.jpeg`): each tensor must be a stack of H x W images (the mlp's
``1.weight``: ``--include 1.weight``); ``dct`` (:mod:`compress.transform.dct`) takes any tensor.
Each method's settings are its codec's configuration (:class:`~compress.transform.jpeg.JpegConfig`,
:class:`~compress.transform.dct.DctConfig`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from compress.transform.config import DctConfig, JpegConfig
from compress.transform.filters import filter_images
from wfncodesign.methods.base import FixOutcome, FixTarget, Method, register

# The codecs (Pillow, scipy, numba) and pandas are imported to run, so that the settings import
# without them (`wfncodesign fix --method jpeg --help`).
if TYPE_CHECKING:
    from compress.params import FlatParams


def tensors(flat: FlatParams) -> list[np.ndarray]:
    """The tensors of ``flat`` in their shapes (views of the flat values)."""
    return [flat.values[e.offset:e.stop].reshape(e.shape) for e in flat.entries]


def check_tileable(flat: FlatParams, image_shape: tuple[int, ...]) -> None:
    """Raise before any encoding unless every tensor of ``flat`` is a stack of ``image_shape`` images."""
    for name, t in zip(flat.names, tensors(flat)):
        filter_images(t, image_shape, name)


def _outcome(target: FixTarget, decoded: list[np.ndarray], total_bytes: int, rows: list[dict]) -> FixOutcome:
    import pandas as pd

    values = np.concatenate([d.reshape(-1) for d in decoded]) if decoded else np.zeros(0)
    flat = target.flat.with_values(values)
    if target.model is not None:
        flat.write_to_model(target.model)
    for row, before, after in zip(rows, tensors(target.flat), decoded):
        rms = float(np.sqrt(np.mean(np.square(before, dtype=np.float64))))
        err = float(np.sqrt(np.mean(np.square(after.astype(np.float64) - before))))
        row["relative_rms_error"] = err / rms if rms > 0 else err
        row["bits_per_weight"] = 8 * row["bytes"] / before.size
    table = pd.DataFrame(rows)
    history = pd.DataFrame([{"tensors": len(rows), "weights": len(flat), "encoded_bytes": total_bytes,
                             "bits_per_weight": 8 * total_bytes / max(len(flat), 1)}])
    return FixOutcome(flat, None, history, {"layers": table}, encoded_bytes=total_bytes, model=target.model)


@register
class JpegMethod(Method):
    """Each filter image (or one mosaic per tensor) saved as a JPEG."""

    name = "jpeg"
    summary = "JPEG of each 28x28 filter image (the published experiment) or one tiled JPEG per tensor"
    Settings = JpegConfig

    def run(self, config: JpegConfig, target: FixTarget) -> FixOutcome:
        from compress.transform import jpeg

        names = target.flat.names
        check_tileable(target.flat, config.image_shape)
        encoded = [jpeg.encode_tensor(t, config, name) for name, t in zip(names, tensors(target.flat))]
        decoded = [jpeg.decode_tensor(e) for e in encoded]
        rows = [{"name": n, "shape": "x".join(map(str, e.shape)), "files": len(e.files), "bytes": e.nbytes,
                 "jpeg_header_bytes": e.header_bytes, "side_info_bytes": e.ranges.size * jpeg.FLOAT32_BYTES}
                for n, e in zip(names, encoded)]
        return _outcome(target, decoded, sum(e.nbytes for e in encoded), rows)


@register
class DctMethod(Method):
    """Block DCT, one quantisation table, ANS entropy coding."""

    name = "dct"
    summary = "block DCT with one quantisation table and ANS entropy coding (any tensor shape)"
    Settings = DctConfig

    def run(self, config: DctConfig, target: FixTarget) -> FixOutcome:
        from compress.transform import dct

        names, arrays = target.flat.names, tensors(target.flat)
        if config.image_shape:
            check_tileable(target.flat, config.image_shape)
        streams = [dct.encode_tensor(t, config, name) for name, t in zip(names, arrays)]
        whole = dct.join_streams(streams)
        decoded = dct.decode_tensors(whole)
        rows = [{"name": n, "shape": "x".join(map(str, t.shape)), "bytes": len(s)}
                for n, t, s in zip(names, arrays, streams)]
        return _outcome(target, decoded, len(whole), rows)
