"""scikit-learn's estimator checks, on tiny networks."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import tiny_dec

ESTIMATORS = [tiny_dec()]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
