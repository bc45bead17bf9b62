"""hwsim: a model of multiplier-free accelerator datapaths and memory traffic.

Knows numpy, numba, simpy and pandas; nothing of compression methods.  It receives layers, weight
tensors and codebook values as arrays and returns cycles, accesses and energy as DataFrames.
"""

from hwsim.errors import HwsimError

__all__ = ["HwsimError"]
