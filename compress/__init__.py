"""compress: whole-network weight fixing and its peers, on torch models and numpy arrays.

Every method ends in the same place: a :class:`~compress.codebook.Codebook` (sorted unique float32
values and one integer index per weight) over a :class:`~compress.params.FlatParams` view of the
parameters in scope.  Nothing here knows about hardware; the hardware-aware fixer receives a plain
``value_cost(values) -> costs`` callable from :mod:`wfncodesign`.
"""

from compress.lazy import lazy_exports

# Public names and the module defining each, imported on first use: ``import compress.errors``
# (all the command line needs to start) must not pull in torch.
__getattr__, __all__ = lazy_exports(__name__, {
    "Codebook": "compress.codebook", "CompressError": "compress.errors", "FlatParams": "compress.params",
    "ParamEntry": "compress.params",
})
