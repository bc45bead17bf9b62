"""Weight sharing by clustering: k-means (Deep Compression) and uniform bins searched by NSGA-II with merge.

- :mod:`~compress.sharing.kmeans`: per-layer k-means sharing (Han et al., ICLR 2016);
- :mod:`~compress.sharing.centroid_tuning`: fine-tuning the shared values;
- :mod:`~compress.sharing.dc_storage`: storage counted the way Deep Compression counts it;
- :mod:`~compress.sharing.uniform_bins`, :mod:`~compress.sharing.moea`: uniform bins, the NSGA-II
  search over k and the merge of neighbouring bins (Khosrowshahli et al., arXiv:2501.03095);
- :mod:`~compress.sharing.grouping`, :mod:`~compress.sharing.scoring`: shared helpers (group means,
  fast validation accuracy of candidate weights).
"""

from compress.lazy import lazy_exports

# Imported on first use, so that a light submodule (a config, a list of names) imports without the heavy ones.
__getattr__, __all__ = lazy_exports(__name__, {
    "CentroidTuner": "compress.sharing.centroid_tuning",
    "StorageReport": "compress.sharing.dc_storage",
    "deep_compression_storage": "compress.sharing.dc_storage",
    "KMeansConfig": "compress.sharing.kmeans",
    "KMeansSharing": "compress.sharing.kmeans",
    "kmeans_1d": "compress.sharing.kmeans",
    "share_kmeans": "compress.sharing.kmeans",
    "NsgaConfig": "compress.sharing.moea",
    "SearchResult": "compress.sharing.moea",
    "search_bins": "compress.sharing.moea",
    "ValidationScorer": "compress.sharing.scoring",
    "MergeResult": "compress.sharing.uniform_bins",
    "merge_neighbours": "compress.sharing.uniform_bins",
    "uniform_bins": "compress.sharing.uniform_bins",
})
