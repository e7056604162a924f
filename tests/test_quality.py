"""Quality floors on scikit-learn's digits with the defaults (opt in: ``pytest -m slow``).

Each check fits one estimator on all 1,797 digits with its defaults and seed 0,
as ``benchmarks/run.py --dataset digits`` does, and asserts a floor below the
committed benchmark record of that seed, low enough for the float rounding of
another CPU (which moves DDC's and TripletDEC's labels by several points), so
that a change which breaks the method (not seed noise) fails here. 3.5 minutes
in all on 2 CPU cores.
"""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics import normalized_mutual_info_score

from sklearn_deepcluster import DDCClustering, DECClustering, TripletDECClustering
from sklearn_deepcluster.metrics import clustering_accuracy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def digits():
    """All of digits as 8x8 images scaled to [0, 1], and KMeans's ACC and NMI on them."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).reshape(-1, 8, 8).astype(np.float32)
    kmeans = KMeans(10, n_init=20, random_state=0).fit_predict(X.reshape(len(X), -1))
    return X, y, clustering_accuracy(y, kmeans), normalized_mutual_info_score(y, kmeans)


def test_dec_on_digits(digits):
    """Record ``dec_digits_all.json``, seed 0: ACC 0.782 (KMeans 0.79)."""
    X, y, _, _ = digits
    labels = DECClustering(10, random_state=0).fit_predict(X.reshape(len(X), -1))
    assert clustering_accuracy(y, labels) >= 0.74


def test_ddc_on_digits_beats_kmeans_nmi(digits):
    """Record ``ddc_digits_defaults_lr1e-2.json``, seed 0: ACC 0.836, NMI 0.837.

    Float rounding moves DDC's labels from one CPU to another, and a run's ACC
    spreads widely (0.62-0.95 over the 60 runs of ``ddc-vote_digits_lr1e-2.json``),
    hence the low floor; NMI is compared with KMeans's.
    """
    X, y, _, kmeans_nmi = digits
    labels = DDCClustering(10, random_state=0).fit_predict(X)
    assert clustering_accuracy(y, labels) >= 0.65
    assert normalized_mutual_info_score(y, labels) > kmeans_nmi


def test_triplet_dec_on_digits_beats_kmeans_nmi(digits):
    """Record ``triplet-dec_digits_all.json``, seed 0: ACC 0.839, NMI above KMeans's.

    The same fit gives ACC 0.814 on the project's newer CPU; over seeds 0-5,
    float rounding alone moves a seed's ACC by up to 0.12
    (``triplet_dec_digits_memory_order.txt``), so ACC has a low floor and the
    comparison with KMeans is on NMI (0.79-0.86 over seeds 0-2 against 0.74).
    """
    X, y, _, kmeans_nmi = digits
    labels = TripletDECClustering(10, random_state=0).fit_predict(X)
    assert clustering_accuracy(y, labels) >= 0.72
    assert normalized_mutual_info_score(y, labels) > kmeans_nmi
