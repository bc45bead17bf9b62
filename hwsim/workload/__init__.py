"""The workload: layers as the accelerator sees them, and the statistics of their real weights.

- :mod:`~hwsim.workload.layers`: :class:`Layer`, built or read from a SCALE-Sim topology;
- :mod:`~hwsim.workload.capture`: the layers of a torch model, from the ATen operators it runs;
- :mod:`~hwsim.workload.weightstats`: per-layer weight statistics computed once per network;
- :mod:`~hwsim.workload.kernels`: the Numba kernels behind them.
"""

from hwsim.workload.capture import Capture, capture_layers, layers_from_torch
from hwsim.workload.layers import Layer, read_topology_csv
from hwsim.workload.weightstats import LayerWeights, WeightedLayer, WeightStats, analyse_weights

__all__ = ["Capture", "Layer", "capture_layers", "LayerWeights", "WeightStats", "WeightedLayer", "analyse_weights", "layers_from_torch",
           "read_topology_csv"]
