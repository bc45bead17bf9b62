"""How weights are stored and moved, as :func:`hwsim.energy.report.energy_report` prices them.

``dense`` (the operand width), ``index`` (fixed-width codebook indices), ``entropy`` (an ideal
entropy code), ``stored`` (each layer's coded bits as the caller measured them) and ``auto``
(indices when narrower than the operands); the report's docstring says more.  The names alone,
apart from the report (numba, pandas), so that a command line can offer them.
"""

ENCODINGS = ("auto", "dense", "index", "entropy", "stored")
