"""Lossless codings of codebook indices and values: fixed-width, Huffman, ANS and range coding.

- :mod:`~compress.coding.registry`: codings chosen by name (and ``auto``), one segment per layer;
- :mod:`~compress.coding.bitpack`, :mod:`~compress.coding.huffman`, :mod:`~compress.coding.ans`: the coders;
- :mod:`~compress.coding.intstream`: a byte stream of varints, floats and ANS-coded integer groups;
- :mod:`~compress.coding.valuerepr`: codebook values as float32 or exact signed digits.
"""

from compress.coding.registry import (
           AUTO,
           CODINGS,
           EncodedIndices,
           IndexCode,
           coding_names,
           decode_indices,
           encode_indices,
           get_coding,
)

__all__ = ["AUTO", "CODINGS", "EncodedIndices", "IndexCode", "coding_names", "decode_indices", "encode_indices",
           "get_coding"]
