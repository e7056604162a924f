"""scikit-learn's estimator checks, on tiny networks."""

import io
import pickle

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


class _TensorCounter(pickle.Unpickler):
    """Counts the torch tensors a pickle holds outside skorch's device-mapped blob."""

    def __init__(self, data):
        super().__init__(io.BytesIO(data))
        self.tensors = 0

    def find_class(self, module, name):
        if module.startswith("torch") and ("rebuild" in name or name == "_load_from_bytes"):
            self.tensors += 1
        return super().find_class(module, name)


@pytest.mark.parametrize("make_estimator", [tiny_dec, tiny_triplet, tiny_ddc, tiny_learned])
def test_pickle_maps_every_tensor_to_the_loading_device(make_estimator, blobs):
    """Every tensor goes through skorch's map_location (a GPU fit loads on a CPU) once."""
    X, y = blobs
    est = make_estimator(n_clusters=3) if make_estimator is not tiny_learned else make_estimator()
    est.fit(X, y)
    data = pickle.dumps(est)
    counter = _TensorCounter(data)
    counter.load()
    assert counter.tensors == 0
    net = pickle.loads(data).net_
    assert net.module is net.module_ and net.criterion is net.criterion_
