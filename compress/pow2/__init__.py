"""Power-of-two quantisation: INQ and APoT level sets, one-shot fixing, and incremental INQ.

- :mod:`~compress.pow2.levels`: level sets (INQ, Zhou et al. ICLR 2017; APoT, Li et al. ICLR 2020)
  and one-shot fixing to them;
- :mod:`~compress.pow2.inq`: Incremental Network Quantization, fixing step by step with retraining.
"""

from compress.pow2.inq import IncrementalQuantizer, InqConfig, InqResult
from compress.pow2.levels import LevelConfig, Pow2Result, fix_one_shot, plan_levels, quantize

__all__ = ["IncrementalQuantizer", "InqConfig", "InqResult", "LevelConfig", "Pow2Result", "fix_one_shot",
           "plan_levels", "quantize"]
