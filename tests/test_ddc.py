"""DDCClustering, DDC-VOTE and the loss of paper 000, on tiny networks."""

import math
import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning

from _shared_checks import (BAD_INPUT, check_pickle_round_trip_predicts_the_same,
                            check_same_seed_same_labels_and_global_state_untouched)

from sklearn_deepcluster import DDCClustering
from sklearn_deepcluster.losses.divergence import (
    assignment_orthogonality,
    cauchy_schwarz_divergence,
    ddc_loss,
    gaussian_kernel,
    simplex_corner_memberships,
)
from sklearn_deepcluster.metrics import clustering_accuracy
from sklearn_deepcluster.modules.ddc import lenet_body


def tiny_ddc(**params):
    defaults = dict(max_epochs=3, batch_size=16, lr=1e-3, random_state=0)
    return DDCClustering(**{**defaults, **params})


def t(values):
    return torch.tensor(values, dtype=torch.float64)


# ------------------------------------------------------------------ the loss
def test_gaussian_kernel_squared_width_is_sigma_times_median_squared_distance():
    hidden = t([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])  # squared distances 9, 16, 25: median 16
    kernel, width = gaussian_kernel(hidden, sigma=0.25)
    assert width.item() == pytest.approx(2.0)  # s^2 = 0.25 * 16
    expected = np.exp(-np.array([[0, 9, 16], [9, 0, 25], [16, 25, 0]]) / (2 * 2.0 ** 2))
    np.testing.assert_allclose(kernel.numpy(), expected, rtol=1e-12)


def test_gaussian_kernel_ignores_an_offset_shared_by_the_batch_in_float32():
    """The kernel depends on differences only; |a|^2 - 2 a.b + |b|^2 must not cancel away."""
    rng = np.random.default_rng(0)
    spread = rng.normal(size=(8, 50))
    expected, expected_width = gaussian_kernel(torch.from_numpy(spread))
    offset = torch.from_numpy(spread + 1000.0 * rng.normal(size=(1, 50))).float()
    kernel, width = gaussian_kernel(offset)
    np.testing.assert_allclose(kernel.numpy(), expected.numpy(), atol=1e-4)
    assert width.item() == pytest.approx(expected_width.item(), rel=1e-4)
    identical = torch.from_numpy(np.repeat(rng.random((1, 50)), 8, axis=0)).float()
    np.testing.assert_allclose(gaussian_kernel(identical)[0].numpy(), 1.0, rtol=1e-6)


def test_cauchy_schwarz_divergence_hand_computed():
    c = 0.5
    kernel = t([[1.0, c], [c, 1.0]])
    a = t([[0.8, 0.2], [0.3, 0.7]])
    # a_1 = (0.8, 0.3), a_2 = (0.2, 0.7), k = 2: d = 1/2 a_1'K a_2 / sqrt(a_1'K a_1 a_2'K a_2)
    cross = 0.8 * 0.2 + 0.3 * 0.7 + c * (0.8 * 0.7 + 0.3 * 0.2)
    first = 0.8 ** 2 + 0.3 ** 2 + 2 * c * 0.8 * 0.3
    second = 0.2 ** 2 + 0.7 ** 2 + 2 * c * 0.2 * 0.7
    expected = 0.5 * cross / math.sqrt(first * second)
    assert cauchy_schwarz_divergence(a, kernel).item() == pytest.approx(expected, rel=1e-12)
    # crisp assignments: the kernel value between the two clusters, over k
    crisp = t([[1.0, 0.0], [0.0, 1.0]])
    assert cauchy_schwarz_divergence(crisp, kernel).item() == pytest.approx(c / 2)


def test_divergence_is_zero_for_separated_and_maximal_for_identical_clusters():
    rng = np.random.default_rng(0)
    centres = np.repeat(np.eye(3) * 50.0, 5, axis=0)
    hidden = torch.from_numpy(centres + rng.normal(scale=0.1, size=centres.shape))
    one_hot = torch.from_numpy(np.repeat(np.eye(3), 5, axis=0))
    narrow, _ = gaussian_kernel(hidden, sigma=0.01)
    assert cauchy_schwarz_divergence(one_hot, narrow).item() < 1e-6
    # the default width: the median squared distance is the between-cluster one,
    # so between clusters k = exp(-1 / (2 * 0.15)) and d = 3 pairs * k / 3
    kernel, _ = gaussian_kernel(hidden, sigma=0.15)
    d = cauchy_schwarz_divergence(one_hot, kernel).item()
    assert d == pytest.approx(math.exp(-1 / 0.3), rel=0.01)
    same = torch.full((15, 3), 1.0 / 3, dtype=torch.float64)
    assert cauchy_schwarz_divergence(same, kernel).item() == pytest.approx((3 - 1) / 2)
    terms = ddc_loss(hidden, one_hot, sigma=0.15)
    assert terms["d_hid_alpha"].item() == pytest.approx(d)
    assert terms["loss"].item() == pytest.approx(
        terms["d_hid_alpha"].item() + terms["triu"].item() + terms["d_hid_m"].item())


def test_assignment_orthogonality_hand_computed():
    crisp = t([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])  # pairs: 0, 1, 0
    assert assignment_orthogonality(crisp).item() == pytest.approx(1 / 3)
    soft = t([[0.5, 0.5], [1.0, 0.0]])
    assert assignment_orthogonality(soft).item() == pytest.approx(0.5)


def test_simplex_corner_memberships_hand_computed():
    m = simplex_corner_memberships(t([[1.0, 0.0], [0.5, 0.5]]))
    np.testing.assert_allclose(m.numpy(), [[1.0, np.exp(-2.0)], [np.exp(-0.5), np.exp(-0.5)]])


def test_loss_weights_and_gradients_stay_finite_on_degenerate_batches():
    torch.manual_seed(0)
    hidden = torch.randn(6, 4, dtype=torch.float64)
    hidden = torch.cat([hidden, hidden[:2]])  # duplicate points: zero distances
    hidden.requires_grad_(True)
    logits = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    terms = ddc_loss(hidden, torch.softmax(logits, dim=1), weights=(0.5, 2.0, 0.0))
    assert terms["loss"].item() == pytest.approx(
        0.5 * terms["d_hid_alpha"].item() + 2.0 * terms["triu"].item())
    terms["loss"].backward()
    assert torch.isfinite(hidden.grad).all() and torch.isfinite(logits.grad).all()
    # an empty cluster (a zero column) and identical hidden points
    flat = torch.zeros(4, 5, dtype=torch.float64, requires_grad=True)
    empty = t([[1.0, 0.0, 0.0]] * 2 + [[0.0, 1.0, 0.0]] * 2).requires_grad_(True)
    loss = ddc_loss(flat, empty)["loss"]
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(flat.grad).all()
    assert torch.isfinite(empty.grad).all()


def test_loss_on_one_sample_and_one_cluster():
    one = ddc_loss(t([[1.0, 2.0]]), t([[0.3, 0.7]]))
    assert one["triu"].item() == 0.0
    assert one["d_hid_alpha"].item() == pytest.approx(0.5)  # a single point: identical columns
    single = ddc_loss(t([[0.0], [1.0], [3.0]]), t([[1.0], [1.0], [1.0]]))
    assert single["d_hid_alpha"].item() == 0.0 and single["d_hid_m"].item() == 0.0
    assert single["triu"].item() == pytest.approx(1.0)


# ------------------------------------------------------------- the estimator
def test_circles_separated_where_kmeans_fails():
    """Paper 000 Fig. 3: a small circle inside a ring."""
    X, y = make_circles(300, factor=0.3, noise=0.05, random_state=0)
    km = KMeans(2, n_init=10, random_state=0).fit(X)
    assert clustering_accuracy(y, km.labels_) < 0.7
    # the paper's lr (1e-5 for the fully connected net, the default) needs ~100 epochs here
    est = DDCClustering(2, max_epochs=150, n_init=3, random_state=0).fit(X)
    assert clustering_accuracy(y, est.labels_) >= 0.95
    assert est.loss_ == pytest.approx(est.run_losses_.min())


def test_fit_predict_proba_transform_and_history(blobs):
    X, _ = blobs
    est = tiny_ddc(n_clusters=3)
    labels = est.fit_predict(X)
    np.testing.assert_array_equal(labels, est.labels_)
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    proba = est.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert est.transform(X).shape == (len(X), 500)  # the MLP's hidden layer
    assert est.n_iter_ == 3
    for row in est.history_:
        assert all(np.isfinite(row[k]) for k in ("d_hid_alpha", "triu", "d_hid_m", "kernel_width"))
        assert row["train_loss"] == pytest.approx(row["d_hid_alpha"] + row["triu"] + row["d_hid_m"],
                                                  rel=1e-4)
    assert est.score(X) == pytest.approx(-est.loss_, rel=1e-5)


def test_loss_weights_switch_terms_off(blobs):
    X, _ = blobs
    est = tiny_ddc(n_clusters=3, loss_weights=(1.0, 0.0, 0.0)).fit(X)
    row = est.history_[-1]
    assert row["train_loss"] == pytest.approx(row["d_hid_alpha"], rel=1e-4)
    assert row["triu"] > 0


def test_separates_blobs_and_predicts_unseen(blobs):
    X, y = blobs
    est = tiny_ddc(n_clusters=3, max_epochs=30, n_init=2).fit(X[::2])
    assert clustering_accuracy(y[::2], est.labels_) > 0.95
    assert clustering_accuracy(y[1::2], est.predict(X[1::2])) > 0.95


def test_batch_size_one_and_single_cluster(blobs):
    X, _ = blobs
    # eq. (4) on one sample is a constant (d_hid,alpha = d_hid,m = 1, triu = 0): nothing to learn
    with pytest.raises(ValueError, match="'batch_size' parameter of DDCClustering must be an int "
                                         "in the range \\[2, inf\\)"):
        tiny_ddc(n_clusters=3, batch_size=1, max_epochs=1).fit(X[:10])
    single = tiny_ddc(n_clusters=1).fit(X)
    np.testing.assert_array_equal(single.labels_, 0)
    assert np.isfinite(single.loss_)
    remainder = tiny_ddc(n_clusters=3, batch_size=89).fit(X)  # a last batch of one sample
    assert remainder.labels_.shape == (len(X),)


@pytest.mark.parametrize("shape", [(40, 8, 8), (40, 1, 8, 8)])
def test_images_use_the_conv_network(shape):
    rng = np.random.default_rng(0)
    X = rng.random(shape, dtype=np.float32)
    est = tiny_ddc(n_clusters=2, max_epochs=1, n_hidden=7).fit(X)
    assert est.image_shape_ == (1, 8, 8)
    assert any(isinstance(m, torch.nn.Conv2d) for m in est.net_.module_.modules())
    assert est.transform(X).shape == (40, 7)
    flat = tiny_ddc(n_clusters=2, max_epochs=1, n_hidden=7, image_shape=(1, 8, 8))
    np.testing.assert_array_equal(flat.fit(X.reshape(40, -1)).labels_, est.labels_)


def test_lenet_body_is_unpadded_for_mnist_sized_images():
    body = lenet_body((1, 28, 28), n_hidden=100)
    convs = [m for m in body.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.padding for c in convs] == [(0, 0), (0, 0)]
    linear = [m for m in body.modules() if isinstance(m, torch.nn.Linear)][0]
    assert linear.in_features == 64 * 4 * 4
    body.eval()
    assert body(torch.zeros(2, 28 * 28)).shape == (2, 100)


@pytest.mark.parametrize("side, padding", [(12, 2), (13, 0)])
def test_lenet_body_pads_images_smaller_than_13_pixels(side, padding):
    body = lenet_body((1, side, side), n_hidden=3)
    convs = [m for m in body.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.padding for c in convs] == [(padding, padding)] * 2
    body.eval()
    assert body(torch.zeros(2, side * side)).shape == (2, 3)


def test_sparse_input_matches_dense(blobs):
    X, _ = blobs
    dense = tiny_ddc(n_clusters=3).fit(X)
    sparse = tiny_ddc(n_clusters=3).fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(sparse.labels_, dense.labels_)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X),
                               rtol=1e-5, atol=1e-6)


def test_vote_labels_agree_with_predict_and_survive_pickling(blobs):
    X, y = blobs
    est = tiny_ddc(n_clusters=3, n_init=3, vote=3).fit(X)
    assert len(est.vote_nets_) == 3 and len(est.vote_mappings_) == 3
    np.testing.assert_array_equal(est.vote_mappings_[0], np.arange(3))  # the reference
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    clone = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(clone.predict(X), est.labels_)
    one = tiny_ddc(n_clusters=3, n_init=3, vote=1).fit(X)
    best = tiny_ddc(n_clusters=3, n_init=3).fit(X)
    np.testing.assert_array_equal(one.labels_, best.labels_)
    assert not hasattr(best, "vote_nets_")


def test_restarts_in_parallel_match_sequential(blobs):
    X, _ = blobs
    sequential = tiny_ddc(n_clusters=3, n_init=2).fit(X)
    parallel = tiny_ddc(n_clusters=3, n_init=2, n_jobs=2).fit(X)
    # joblib workers run torch with fewer threads, so float reductions differ slightly
    np.testing.assert_allclose(parallel.run_losses_, sequential.run_losses_, rtol=1e-4)
    np.testing.assert_array_equal(parallel.labels_, sequential.labels_)


def test_restarts_in_threads_match_sequential(blobs):
    """torch's random generator is global: runs in threads must not share its draws."""
    X, _ = blobs
    sequential = tiny_ddc(n_clusters=3, n_init=4).fit(X)
    for _ in range(2):
        with joblib.parallel_config(backend="threading"):
            threaded = tiny_ddc(n_clusters=3, n_init=4, n_jobs=4).fit(X)
        np.testing.assert_allclose(threaded.run_losses_, sequential.run_losses_, rtol=1e-4)


def test_same_seed_same_labels_and_global_state_untouched(blobs):
    X, _ = blobs
    check_same_seed_same_labels_and_global_state_untouched(
        lambda: tiny_ddc(n_clusters=3, random_state=7), X)


def test_pickle_round_trip_predicts_the_same(blobs):
    X, _ = blobs
    check_pickle_round_trip_predicts_the_same(tiny_ddc(n_clusters=3).fit(X), X)


def test_user_module_class_and_instance(blobs):
    X, _ = blobs

    class Body(torch.nn.Module):
        def __init__(self, n_features, n_hidden):
            super().__init__()
            self.layer = torch.nn.Linear(n_features, n_hidden)

        def forward(self, x):
            return torch.relu(self.layer(x))

    est = tiny_ddc(n_clusters=3, architecture=Body, n_hidden=6).fit(X)
    assert isinstance(est.net_.module_.body, Body)
    assert est.transform(X).shape == (len(X), 6)
    instance = Body(4, 5)
    other = tiny_ddc(n_clusters=3, architecture=instance).fit(X)
    assert other.transform(X).shape == (len(X), 5)
    assert other.net_.module_.body is not instance
    with pytest.raises(ValueError, match="architecture does not run on input of 4 features"):
        tiny_ddc(n_clusters=3, architecture=Body(7, 5)).fit(X)
    flat = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Flatten(0))
    with pytest.raises(ValueError, match=r"shape \(n_samples, width\).*returned \(10,\)"):
        tiny_ddc(n_clusters=3, architecture=flat).fit(X)


@pytest.mark.parametrize("X, message", BAD_INPUT)
def test_bad_input_gets_a_clear_error(X, message):
    with pytest.raises(ValueError, match=message):
        tiny_ddc(n_clusters=3).fit(X)


@pytest.mark.parametrize("params, message", [
    (dict(sigma=0.0), "sigma"),
    (dict(loss_weights=(1.0, 1.0)), "loss_weights"),
    (dict(loss_weights=(1.0, -1.0, 1.0)), "loss_weights"),
    (dict(loss_weights=(math.inf, 1.0, 1.0)), "loss_weights"),
    (dict(vote=3, n_init=2), "vote=3"),
    (dict(vote=0), "vote"),
    (dict(lr=0.0), "lr"),
    (dict(architecture="conv"), "needs images"),
])
def test_bad_parameters_get_a_clear_error(blobs, params, message):
    X, _ = blobs
    with pytest.raises(ValueError, match=message):
        tiny_ddc(**params).fit(X)


def test_default_learning_rate_follows_the_architecture(blobs):
    X, _ = blobs
    mlp = tiny_ddc(n_clusters=3, lr=None, max_epochs=1).fit(X)
    assert mlp.net_.lr == 1e-5
    conv = tiny_ddc(n_clusters=3, lr=None, max_epochs=1).fit(X.reshape(-1, 2, 2))
    assert conv.net_.lr == 1e-2


def test_wrong_number_of_features_at_predict(blobs):
    X, _ = blobs
    est = tiny_ddc(n_clusters=3, n_init=2, vote=2).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :2])


def test_collapsed_fit_warns_like_kmeans():
    X = np.ones((30, 4), dtype=np.float32)  # identical rows: one cluster, whatever the training
    with pytest.warns(ConvergenceWarning, match="1 distinct cluster"):
        est = tiny_ddc(n_clusters=3).fit(X)
    assert len(np.unique(est.labels_)) == 1
