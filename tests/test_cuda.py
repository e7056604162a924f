"""The CUDA path: every estimator trains, predicts and pickles on a GPU.

Skipped where torch sees no CUDA device (as in CI); run on a GPU machine with
``python -m pytest tests/test_cuda.py``.
"""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import normalized_mutual_info_score

from conftest import tiny_dec
from test_ddc import tiny_ddc
from test_learned import blob_learner, two_blob_sets
from test_triplet_dec import tiny_triplet
from sklearn_deepcluster.metrics import clustering_accuracy

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

UNSUPERVISED = {
    "dec": lambda **p: tiny_dec(pretrain_epochs=20, max_epochs=10, **p),
    "dec-conv": lambda **p: tiny_dec(architecture="conv", **p),
    "dec-strided-conv": lambda **p: tiny_dec(architecture="strided-conv", **p),
    "triplet-dec": lambda **p: tiny_triplet(**p),
    "triplet-dec-mlp": lambda **p: tiny_triplet(architecture="mlp", **p),
    "ddc": lambda **p: tiny_ddc(max_epochs=30, **p),
    "ddc-vote": lambda **p: tiny_ddc(n_init=3, vote=2, **p),
}


def module_device(estimator):
    return next(estimator.net_.module_.parameters()).device.type


@pytest.mark.parametrize("name", sorted(UNSUPERVISED))
def test_fits_predicts_and_pickles_on_cuda(name, digit_images, blobs):
    X, _ = blobs if name in ("dec", "ddc", "triplet-dec-mlp") else digit_images
    est = UNSUPERVISED[name](n_clusters=3, device="cuda").fit(X)
    assert est.device_ == "cuda" and module_device(est) == "cuda"
    labels = est.predict(X)
    assert isinstance(labels, np.ndarray) and labels.shape == (len(X),)
    np.testing.assert_array_equal(labels, est.labels_)
    proba = est.predict_proba(X)
    assert isinstance(proba, np.ndarray)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-4)
    assert isinstance(est.transform(X), np.ndarray)
    assert np.isfinite(est.score(X))
    assert all(np.isfinite(row["train_loss"]) for row in est.history_)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone.predict(X), labels)


@pytest.mark.parametrize("name", ["dec", "ddc"])
def test_separates_blobs_on_cuda_as_on_cpu(name, blobs):
    X, y = blobs
    for device in ("cpu", "cuda"):
        est = UNSUPERVISED[name](n_clusters=3, device=device).fit(X[::2])
        assert clustering_accuracy(y[::2], est.labels_) > 0.95, device
        assert clustering_accuracy(y[1::2], est.predict(X[1::2])) > 0.95, device


def test_auto_device_picks_cuda(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3, device="auto").fit(X)
    assert est.device_ == "cuda" and module_device(est) == "cuda"


@pytest.mark.parametrize("name", ["dec-conv", "triplet-dec", "ddc"])
def test_same_seed_same_labels_on_cuda(name, digit_images):
    X, _ = digit_images
    flags = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    a = UNSUPERVISED[name](n_clusters=3, device="cuda").fit(X)
    b = UNSUPERVISED[name](n_clusters=3, device="cuda").fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    assert (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) == flags


def test_learned_clusterer_on_cuda():
    X, y = two_blob_sets(400)
    X_test, y_test = two_blob_sets(30, seed=1)
    est = blob_learner(device="cuda").fit(X, y)
    assert module_device(est) == "cuda"
    nmi = [normalized_mutual_info_score(t, est.predict(x)) for x, t in zip(X_test, y_test)]
    assert np.mean(nmi) > 0.9
    est.set_params(n_orderings=8)  # eight orders of each set in one batched pass on the GPU
    nmi = [normalized_mutual_info_score(t, est.predict(x)) for x, t in zip(X_test, y_test)]
    assert np.mean(nmi) > 0.9
    counts = est.predict_n_clusters(X_test[0])
    assert isinstance(counts, np.ndarray) and counts.shape == (2,)
    clone = pickle.loads(pickle.dumps(est))
    with warnings.catch_warnings():  # unpickled LSTM weights must be compacted again
        warnings.filterwarnings("error", message="RNN module weights are not part of single")
        np.testing.assert_array_equal(clone.predict(X_test[0]), est.predict(X_test[0]))


LOAD_WITHOUT_CUDA = """
import pickle, sys, warnings
import numpy as np, torch
assert not torch.cuda.is_available()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # skorch says it moves the net to the CPU
    est = pickle.load(open(sys.argv[1], "rb"))
X = np.load(sys.argv[2])
sets = hasattr(est, "predict_n_clusters")  # LearnedClusterer clusters one set per call
labels = np.concatenate([est.predict(x) for x in X]) if sets else est.predict(X)
np.save(sys.argv[3], labels)
"""


@pytest.mark.parametrize("name", ["dec", "ddc", "triplet-dec", "learned"])
def test_cuda_fit_unpickles_and_predicts_without_cuda(name, blobs, digit_images, tmp_path):
    if name == "learned":
        X, y = two_blob_sets(200)
        est = blob_learner(max_iter=50, device="cuda").fit(X, y)
        X = X[:5]
        expected = np.concatenate([est.predict(x) for x in X])
    else:
        X, _ = digit_images if name == "triplet-dec" else blobs
        est = UNSUPERVISED[name](n_clusters=3, device="cuda").fit(X)
        expected = est.predict(X)
    paths = [tmp_path / f for f in ("est.pkl", "X.npy", "labels.npy")]
    paths[0].write_bytes(pickle.dumps(est))
    np.save(paths[1], X)
    subprocess.run([sys.executable, "-c", LOAD_WITHOUT_CUDA, *map(str, paths)], check=True,
                   env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert clustering_accuracy(expected, np.load(paths[2])) > 0.95
