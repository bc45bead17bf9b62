"""Layers as a SCALE-Sim 3.0.0 topology CSV (convolution format), so SCALE-Sim can run a captured model.

SCALE-Sim's convolution rows (``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
Channels, Num Filter, Strides,``) have no padding, groups, batch or GEMM rows in this format, so
each layer is written as the dense, unpadded convolutions it performs:

- padding is folded into the input size (IFMAP = H + 2P);
- a grouped layer (depthwise, or a batched ``matmul``) becomes one row per group (``<name>.g<i>``),
  as SCALE-Sim itself expands depthwise rows;
- a batch of ``n > 1`` images of a convolution becomes one row per image (``<name>.n<j>``);
- a fully connected layer (``n`` rows of ``c`` features through a ``c x k`` weight) and each
  product of a ``matmul`` become a 1x1 convolution over an ``n x 1`` (``h x 1``) input.

The MACs of every row add up to the layer's.  SCALE-Sim computes the output size as
``ceil((IFMAP - R + stride) / stride)``: for a strided layer whose padded input leaves a partial
window, SCALE-Sim streams one more output row/column than torch computes (``read_topology_csv``
reads such files back with ``ceil_mode``).  Names are made safe for SCALE-Sim's reader: commas and
``#`` become ``_`` and ``DP`` (its depthwise marker) becomes ``D_P``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Sequence

from hwsim.workload.layers import Layer

HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"


def _safe(name: str) -> str:
    return re.sub(r"[,#\s]", "_", name).replace("DP", "D_P")


def topology_rows(layer: Layer) -> Iterator[tuple[str, int, int, int, int, int, int, int]]:
    """The SCALE-Sim rows (name, ifmap h, ifmap w, filter h, filter w, channels, filters, stride) of ``layer``."""
    base = _safe(layer.name)
    cg, kg = layer.c // layer.groups, layer.k // layer.groups
    if layer.kind == "fc":
        yield base, layer.n, 1, 1, 1, layer.c, layer.k, 1
        return
    images = range(layer.n) if layer.n > 1 else [None]
    for j in images:
        for g in range(layer.groups):
            name = base + ("" if j is None else f".n{j}") + ("" if layer.groups == 1 else f".g{g}")
            yield (name, layer.h + 2 * layer.padding, layer.w + 2 * layer.padding, layer.r, layer.s, cg, kg,
                   layer.stride)


def topology_csv(layers: Sequence[Layer]) -> str:
    """The text of a SCALE-Sim convolution topology file for ``layers``."""
    lines = [HEADER]
    for layer in layers:
        lines += [", ".join(str(v) for v in row) + "," for row in topology_rows(layer)]
    return "\n".join(lines) + "\n"


def write_topology_csv(layers: Sequence[Layer], path: str | Path) -> Path:
    """Write :func:`topology_csv` of ``layers`` to ``path`` (parent folders created); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(topology_csv(layers))
    tmp.replace(path)  # atomic: a stopped run never leaves half a file
    return path
