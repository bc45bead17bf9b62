"""Weight Fixing Networks (Subia-Waud and Dasmahapatra, ECCV 2022): the fixer, its step, candidates and regulariser.

- :mod:`~compress.wfn.fixer`: :class:`WeightFixer` and :class:`WFNConfig`, the whole-network schedule;
- :mod:`~compress.wfn.fixing`: one fixing step (plain, or under per-value prices);
- :mod:`~compress.wfn.candidates`: candidate centres, sums of a few signed powers of two;
- :mod:`~compress.wfn.attention`: the attention regulariser between steps.
"""

from compress.wfn.attention import AttentionRegulariser
from compress.wfn.candidates import candidate_values, geometric_grid, pot_order, snap_to_pot
from compress.wfn.fixer import WeightFixer, WFNConfig
from compress.wfn.fixing import StepRule, StepStats, fix_to_target, fix_to_target_priced

__all__ = ["AttentionRegulariser", "StepRule", "StepStats", "WFNConfig", "WeightFixer", "candidate_values",
           "fix_to_target", "fix_to_target_priced", "geometric_grid", "pot_order", "snap_to_pot"]
