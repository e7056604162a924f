"""Input cases and checks shared by the tests of several estimators."""

import pickle

import numpy as np
import torch

#: Flat inputs that ``fit(X)`` with ``n_clusters=3`` refuses, with the message of the ValueError.
BAD_INPUT = [
    (np.array([[np.nan, 1.0], [1.0, 2.0], [0.0, 0.0]]), "NaN"),
    (np.array([[np.inf, 1.0], [1.0, 2.0], [0.0, 0.0]]), "infinity"),
    (np.empty((0, 3)), "0 sample"),
    (np.empty((0, 3, 3)), "0 sample"),  # no images
    (np.ones((1, 3)), "1 sample"),
    (np.ones((2, 3)), "n_samples=2 should be >= n_clusters=3"),
    ([["a", "b"], ["c", "d"], ["e", "f"]], "could not convert"),
    (np.ones((3, 2)) + 1j, "Complex data not supported"),
]


def check_same_seed_same_labels_and_global_state_untouched(make_estimator, X):
    """Two fits of ``make_estimator()`` agree, and no fit, not even one with
    ``random_state=None``, changes the global numpy and torch states."""
    torch.manual_seed(123)
    np.random.seed(123)
    before_torch, before_np = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    a = make_estimator().fit(X)
    b = make_estimator().fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    make_estimator().set_params(random_state=None).fit(X)
    assert torch.equal(torch.random.get_rng_state(), before_torch)
    np.testing.assert_array_equal(np.random.get_state()[1], before_np)


def check_pickle_round_trip_predicts_the_same(estimator, X):
    """A pickled copy of the fitted ``estimator`` predicts and transforms ``X`` the same."""
    clone = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(clone.predict(X), estimator.predict(X))
    np.testing.assert_allclose(clone.transform(X), estimator.transform(X))
