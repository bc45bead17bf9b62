"""The workload: layers as the accelerator sees them, and the statistics of their real weights.

- :mod:`~hwsim.workload.layers`: :class:`Layer`, read from a torch model or a SCALE-Sim topology;
- :mod:`~hwsim.workload.weightstats`: per-layer weight statistics computed once per network;
- :mod:`~hwsim.workload.kernels`: the Numba kernels behind them.
"""

from hwsim.workload.layers import Layer, layers_from_torch, read_topology_csv, run_layers
from hwsim.workload.weightstats import LayerWeights, WeightedLayer, WeightStats, analyse_weights

__all__ = ["Layer", "LayerWeights", "WeightStats", "WeightedLayer", "analyse_weights", "layers_from_torch",
           "read_topology_csv", "run_layers"]
