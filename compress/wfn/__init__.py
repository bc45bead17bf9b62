"""Weight Fixing Networks (Subia-Waud and Dasmahapatra, ECCV 2022): the fixer, its step, candidates and regulariser.

- :mod:`~compress.wfn.fixer`: :class:`WeightFixer` and :class:`WFNConfig`, the whole-network schedule;
- :mod:`~compress.wfn.fixing`: one fixing step (plain, or under per-value prices);
- :mod:`~compress.wfn.candidates`: candidate centres, sums of a few signed powers of two;
- :mod:`~compress.wfn.attention`: the attention regulariser between steps.
"""

from compress.lazy import lazy_exports

# Imported on first use, so that a light submodule (a config, a list of names) imports without the heavy ones.
__getattr__, __all__ = lazy_exports(__name__, {
    "AttentionRegulariser": "compress.wfn.attention",
    "candidate_values": "compress.wfn.candidates",
    "geometric_grid": "compress.wfn.candidates",
    "pot_order": "compress.wfn.candidates",
    "snap_to_pot": "compress.wfn.candidates",
    "WeightFixer": "compress.wfn.fixer",
    "WFNConfig": "compress.wfn.fixer",
    "StepRule": "compress.wfn.fixing",
    "StepStats": "compress.wfn.fixing",
    "fix_to_target": "compress.wfn.fixing",
    "fix_to_target_priced": "compress.wfn.fixing",
})
