"""Weight sharing by clustering: k-means (Deep Compression) and uniform bins searched by NSGA-II with merge.

- :mod:`~compress.sharing.kmeans`: per-layer k-means sharing (Han et al., ICLR 2016);
- :mod:`~compress.sharing.centroid_tuning`: fine-tuning the shared values;
- :mod:`~compress.sharing.dc_storage`: storage counted the way Deep Compression counts it;
- :mod:`~compress.sharing.uniform_bins`, :mod:`~compress.sharing.moea`: uniform bins, the NSGA-II
  search over k and the merge of neighbouring bins (Khosrowshahli et al., arXiv:2501.03095);
- :mod:`~compress.sharing.grouping`, :mod:`~compress.sharing.scoring`: shared helpers (group means,
  fast validation accuracy of candidate weights).
"""

from compress.sharing.centroid_tuning import CentroidTuner
from compress.sharing.dc_storage import StorageReport, deep_compression_storage
from compress.sharing.kmeans import KMeansConfig, KMeansSharing, kmeans_1d, share_kmeans
from compress.sharing.moea import NsgaConfig, SearchResult, search_bins
from compress.sharing.scoring import ValidationScorer
from compress.sharing.uniform_bins import MergeResult, merge_neighbours, uniform_bins

__all__ = ["CentroidTuner", "KMeansConfig", "KMeansSharing", "MergeResult", "NsgaConfig", "SearchResult",
           "StorageReport", "ValidationScorer", "deep_compression_storage", "kmeans_1d", "merge_neighbours",
           "search_bins", "share_kmeans", "uniform_bins"]
