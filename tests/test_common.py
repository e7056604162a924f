"""scikit-learn's estimator checks, on tiny networks."""

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
