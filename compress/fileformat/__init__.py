"""The ``.wfn`` file: a fixed network's codebook, entropy-coded indices and remaining arrays, checked before parsing."""

from compress.fileformat.wfnfile import WfnFile, WfnInfo, encode_wfn, load_compressed, read_wfn, save_compressed

__all__ = ["WfnFile", "WfnInfo", "encode_wfn", "load_compressed", "read_wfn", "save_compressed"]
