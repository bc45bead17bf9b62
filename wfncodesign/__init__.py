"""wfncodesign: hardware/software codesign of whole-network weight-fixed neural networks.

The roof over :mod:`compress` (methods on weights) and :mod:`hwsim` (accelerator model): data,
reference models, training, the hardware-aware fixer, the study runner and the command line.
"""

__version__ = "0.1.0"
