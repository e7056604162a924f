"""Tiny, fast configurations of the estimators, shared by the tests."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs


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
