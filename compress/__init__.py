"""compress: whole-network weight fixing and its peers, on torch models and numpy arrays.

Every method ends in the same place: a :class:`~compress.codebook.Codebook` (sorted unique float32
values and one integer index per weight) over a :class:`~compress.params.FlatParams` view of the
parameters in scope.  Nothing here knows about hardware; the hardware-aware fixer receives a plain
``value_cost(values) -> costs`` callable from :mod:`wfncodesign`.
"""

from compress.codebook import Codebook
from compress.errors import CompressError
from compress.params import FlatParams, ParamEntry

__all__ = ["Codebook", "CompressError", "FlatParams", "ParamEntry"]
