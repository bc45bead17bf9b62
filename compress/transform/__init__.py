"""Transform coding of weight tensors: a block-DCT codec and weights as JPEG images.

- :mod:`~compress.transform.dct`: block DCT, one quantisation table, ANS-coded coefficients;
- :mod:`~compress.transform.jpeg`: one JPEG per filter (the published experiment) or one tiled JPEG;
- :mod:`~compress.transform.filters`: a weight tensor as a stack of small images, and as a mosaic.
"""

from compress.lazy import lazy_exports

# Imported on first use, so that a light submodule (a config, a list of names) imports without the heavy ones.
__getattr__, __all__ = lazy_exports(__name__, {
    "DctConfig": "compress.transform.dct",
    "JpegConfig": "compress.transform.jpeg",
    "JpegTensor": "compress.transform.jpeg",
})
