"""Lossless codings of codebook indices and values: fixed-width, Huffman, ANS and range coding.

- :mod:`~compress.coding.registry`: codings chosen by name (and ``auto``), one segment per layer;
- :mod:`~compress.coding.bitpack`, :mod:`~compress.coding.huffman`, :mod:`~compress.coding.ans`: the coders;
- :mod:`~compress.coding.intstream`: a byte stream of varints, floats and ANS-coded integer groups;
- :mod:`~compress.coding.valuerepr`: codebook values as float32 or exact signed digits.
"""

from compress.lazy import lazy_exports

# Imported on first use, so that a light submodule (a config, a list of names) imports without the heavy ones.
__getattr__, __all__ = lazy_exports(__name__, {
    "AUTO": "compress.coding.registry",
    "CODINGS": "compress.coding.registry",
    "EncodedIndices": "compress.coding.registry",
    "IndexCode": "compress.coding.registry",
    "coding_names": "compress.coding.registry",
    "decode_indices": "compress.coding.registry",
    "encode_indices": "compress.coding.registry",
    "get_coding": "compress.coding.registry",
})
