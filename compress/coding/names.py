"""The names of the index codings, without the coders (which compile with numba on import).

:data:`compress.coding.registry.CODINGS` maps the names after ``auto`` to the coder classes, in this
order (``auto``'s tie-break order); tests/test_coding.py checks that the two agree.  A command line
offers :data:`CODING_NAMES` as choices without importing numba.
"""

AUTO = "auto"
CODING_NAMES = (AUTO, "fixed", "huffman", "ans", "range", "sparse")  # every name encode_indices accepts
