"""Power-of-two quantisation: INQ and APoT level sets, one-shot fixing, and incremental INQ.

- :mod:`~compress.pow2.levels`: level sets (INQ, Zhou et al. ICLR 2017; APoT, Li et al. ICLR 2020)
  and one-shot fixing to them;
- :mod:`~compress.pow2.inq`: Incremental Network Quantization, fixing step by step with retraining.
"""

from compress.lazy import lazy_exports

# Imported on first use, so that a light submodule (a config, a list of names) imports without the heavy ones.
__getattr__, __all__ = lazy_exports(__name__, {
    "IncrementalQuantizer": "compress.pow2.inq",
    "InqConfig": "compress.pow2.inq",
    "InqResult": "compress.pow2.inq",
    "LevelConfig": "compress.pow2.levels",
    "Pow2Result": "compress.pow2.levels",
    "fix_one_shot": "compress.pow2.levels",
    "plan_levels": "compress.pow2.levels",
    "quantize": "compress.pow2.levels",
})
