"""Transform coding of weight tensors: a block-DCT codec and weights as JPEG images.

- :mod:`~compress.transform.dct`: block DCT, one quantisation table, ANS-coded coefficients;
- :mod:`~compress.transform.jpeg`: one JPEG per filter (the published experiment) or one tiled JPEG;
- :mod:`~compress.transform.filters`: a weight tensor as a stack of small images, and as a mosaic.
"""

from compress.transform.dct import DctConfig
from compress.transform.jpeg import JpegConfig, JpegTensor

__all__ = ["DctConfig", "JpegConfig", "JpegTensor"]
