"""scikit-learn's estimator checks, on tiny networks."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import tiny_dec
from test_ddc import tiny_ddc
from test_learned import tiny_learned
from test_triplet_dec import tiny_triplet

ESTIMATORS = [tiny_dec(), tiny_triplet(), tiny_ddc(), tiny_learned()]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: getattr(
    est, "_expected_failed_checks", {}))
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("make_estimator", [tiny_dec, tiny_triplet, tiny_ddc])
def test_feature_names_out_name_each_embedding_column(make_estimator, blobs):
    X, _ = blobs
    pipe = make_pipeline(MinMaxScaler(), make_estimator(n_clusters=3)).fit(X)
    est = pipe[-1]
    prefix = type(est).__name__.lower()
    width = est.transform(X).shape[1]
    expected = [f"{prefix}{i}" for i in range(width)]
    assert list(pipe.get_feature_names_out()) == expected
    assert list(est.get_feature_names_out()) == expected


@pytest.mark.parametrize("make_estimator", [tiny_dec, tiny_triplet, tiny_ddc])
def test_predictions_do_not_depend_on_sample_order(make_estimator, blobs):
    """scikit-learn's check_methods_sample_order_invariance, to float32 precision."""
    X, _ = blobs
    est = make_estimator(n_clusters=3).fit(X)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(est.predict(X[order]), est.predict(X)[order])
    for method in (est.transform, est.predict_proba):
        np.testing.assert_allclose(method(X[order]), method(X)[order], rtol=1e-5, atol=1e-6)
