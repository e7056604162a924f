"""Tiny, fast configurations of the estimators, shared by the tests."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs


def tiny_dec(**params):
    from sklearn_deepcluster import DECClustering

    defaults = dict(hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, max_epochs=3,
                    batch_size=16, update_interval=4, random_state=0)
    return DECClustering(**{**defaults, **params})


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=90, centers=3, n_features=4, cluster_std=0.5, random_state=0)
    X = (X - X.min(0)) / (X.max(0) - X.min(0))
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def digit_images():
    """60 of scikit-learn's 8x8 digit images, digits 0-2, scaled to [0, 1]."""
    digits = load_digits()
    keep = digits.target < 3
    return (digits.images[keep][:60] / 16).astype(np.float32), digits.target[keep][:60]
