"""LearnedClusterer (paper 003): loss, sampler, network and estimator, on tiny networks."""

import math
import pickle
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.exceptions import DataConversionWarning, NotFittedError
import torch
from sklearn.metrics import normalized_mutual_info_score

from sklearn_deepcluster import LearnedClusterer
from sklearn_deepcluster.datasets import make_point_sets
from sklearn_deepcluster._set_sampling import (class_members, expected_same_cluster_share,
                                               sample_cluster_sizes, sample_sets_from_classes)
from sklearn_deepcluster.learned import (LearnedClusteringLoss, RecalibrateBatchNorm,
                                         _mean_pair_proba)
from sklearn_deepcluster.losses.pairwise import (cluster_assignment_loss, cluster_count_loss,
                                                 n_clusters_of, pair_weights,
                                                 pairwise_same_cluster_proba,
                                                 same_cluster_targets)
from sklearn_deepcluster.pair_partition import expected_pair_errors, pair_error_partition
from sklearn_deepcluster.set_transforms import (distort_images, flip_images, random_distortions,
                                                rotate_points, square_rotations)
from sklearn_deepcluster.modules.set_network import (ResidualBiLSTM, SetClusteringNetwork,
                                                     principal_order)


def tiny_learned(**params):
    """A tiny LearnedClusterer, also used by test_common.py."""
    defaults = dict(max_clusters=2, set_size=8, n_layers=1, hidden_size=8, sets_per_batch=4,
                    max_iter=3, random_state=0)
    return LearnedClusterer(**{**defaults, **params})


def two_blob_sets(n_sets, n=12, seed=0):
    """Sets of 1 or 2 tight blobs at random, well separated places in [0, 1]^2."""
    rng = np.random.RandomState(seed)
    X = np.empty((n_sets, n, 2), np.float32)
    y = np.empty((n_sets, n), np.int64)
    for s in range(n_sets):
        k = rng.randint(1, 3)
        labels = np.r_[np.arange(k).repeat(2), rng.randint(k, size=n - 2 * k)]
        rng.shuffle(labels)
        first = rng.uniform(0.1, 0.4, size=2)
        centres = np.array([first, first + rng.uniform(0.4, 0.5, size=2)])
        X[s] = centres[labels] + 0.02 * rng.randn(n, 2)
        y[s] = labels
    return X, y


def blob_learner(**params):
    """A small LearnedClusterer that learns two_blob_sets in 100 Adam steps (also test_cuda.py)."""
    defaults = dict(max_clusters=2, n_layers=1, hidden_size=16, sets_per_batch=16, max_iter=100,
                    validation_fraction=0, optimizer=torch.optim.Adam, lr=1e-2, random_state=0)
    return LearnedClusterer(**{**defaults, **params})


@pytest.fixture
def classes():
    """Class-labelled 3-D examples: 6 classes of 20."""
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(6), 20)
    X = rng.randn(6, 3)[y] + 0.1 * rng.randn(len(y), 3)
    return X.astype(np.float32), y


# ------------------------------------------------------------------ loss
def hand_outputs():
    """k_max = 2, n = 2: P(k) = (0.3, 0.7); P(l | x, k = 2) = (0.8, 0.2) and (0.4, 0.6)."""
    count = torch.tensor([[0.3, 0.7]])
    assign = torch.zeros(1, 2, 2, 2)
    assign[0, :, 0, 0] = 1.0
    assign[0, 0, 1] = torch.tensor([0.8, 0.2])
    assign[0, 1, 1] = torch.tensor([0.4, 0.6])
    return count, assign


def test_pairwise_probability_hand_computed():
    # P_12 = 0.3 * 1 + 0.7 * (0.8 * 0.4 + 0.2 * 0.6) = 0.608
    # P_11 = 0.3 * 1 + 0.7 * (0.8^2 + 0.2^2) = 0.776
    pairs = pairwise_same_cluster_proba(*hand_outputs())
    expected = torch.tensor([[[0.776, 0.608], [0.608, 0.3 + 0.7 * 0.52]]])
    torch.testing.assert_close(pairs, expected)


def test_pair_weights_sum_to_two_and_follow_the_formula():
    for phi in (0.01, 0.2, 0.457, 0.9):
        phi_0, phi_1 = pair_weights(phi)
        assert phi_0 + phi_1 == pytest.approx(2.0)
        assert phi_0 / phi_1 == pytest.approx(math.sqrt(phi / (1 - phi)))
    assert pair_weights(0.2) == pytest.approx((2 / 3, 4 / 3))
    with pytest.raises(ValueError, match="must lie in"):
        pair_weights(1.0)


def test_loss_terms_hand_computed():
    count, assign = hand_outputs()
    labels = torch.tensor([[0, 1]])
    weights = (2 / 3, 4 / 3)
    # one pair, y_12 = 0: L_ca = -phi_0 log(1 - P_12); L_cc = -log P(k = 2)
    l_ca = cluster_assignment_loss(pairwise_same_cluster_proba(count, assign),
                                   same_cluster_targets(labels), weights)
    assert l_ca.item() == pytest.approx(-(2 / 3) * math.log(1 - 0.608), rel=1e-5)
    assert cluster_count_loss(count, n_clusters_of(labels)).item() == pytest.approx(
        -math.log(0.7), rel=1e-6)
    terms = LearnedClusteringLoss(5.0, weights)({"count_proba": count, "assign_proba": assign},
                                                labels)
    assert terms["loss"].item() == pytest.approx(-math.log(0.7) - 5 * (2 / 3) * math.log(0.392),
                                                 rel=1e-5)
    # same labels: y_12 = 1, weight phi_1, and k = 1
    same = torch.tensor([[1, 1]])
    terms = LearnedClusteringLoss(5.0, weights)({"count_proba": count, "assign_proba": assign},
                                                same)
    assert terms["cluster_assignment"].item() == pytest.approx(-(4 / 3) * math.log(0.608),
                                                               rel=1e-5)
    assert terms["cluster_count"].item() == pytest.approx(-math.log(0.3), rel=1e-6)


def test_l_ca_averages_over_the_upper_triangle():
    # n = 3: 3 pairs (i < j); y = [[0, 0, 1]] -> pairs (1,2) same, (1,3), (2,3) different
    pairs = torch.tensor([[[1.0, 0.9, 0.2], [0.9, 1.0, 0.4], [0.2, 0.4, 1.0]]])
    targets = same_cluster_targets(torch.tensor([[0, 0, 1]]))
    expected = -(1.5 * math.log(0.9) + 0.5 * math.log(0.8) + 0.5 * math.log(0.6)) / 3
    assert cluster_assignment_loss(pairs, targets, (0.5, 1.5)).item() == pytest.approx(
        expected, rel=1e-5)


def test_n_clusters_of():
    labels = torch.tensor([[3, 3, 3, 3], [0, 2, 0, 1], [5, 1, 1, 5]])
    assert n_clusters_of(labels).tolist() == [1, 3, 2]


# --------------------------------------------------------------- sampler
def test_cluster_sizes_respect_min_per_cluster_and_k_range():
    torch.manual_seed(0)
    sizes = sample_cluster_sizes(2000, 20, 5, 3)
    k = (sizes > 0).sum(dim=1)
    assert set(k.tolist()) == {1, 2, 3, 4, 5}
    assert (sizes.sum(dim=1) == 20).all()
    assert (sizes[sizes > 0] >= 3).all()
    limited = sample_cluster_sizes(200, 20, 5, 3, max_available=2)
    assert ((limited > 0).sum(dim=1) <= 2).all()


def test_sets_from_classes_use_distinct_classes():
    torch.manual_seed(0)
    y = torch.arange(7).repeat_interleave(torch.tensor([2, 3, 9, 4, 2, 30, 5]))
    index, labels = sample_sets_from_classes(class_members(y), 300, 10, 4, 2)
    for idx, lab in zip(index, labels):
        k = int(lab.max()) + 1
        assert 1 <= k <= 4 and len(lab.unique()) == k
        assert (torch.bincount(lab) >= 2).all()
        # one class per cluster, distinct across clusters
        cls = [y[idx[lab == c]].unique() for c in range(k)]
        assert all(len(c) == 1 for c in cls)
        assert len(torch.cat(cls).unique()) == k


def test_expected_same_cluster_share():
    torch.manual_seed(0)
    # n = 4, k in {1, 2}, 2 per cluster: share 1 (k = 1) or 4 / 12 (k = 2) -> 2 / 3
    assert expected_same_cluster_share(4, 2, 2) == pytest.approx(2 / 3, abs=0.005)


# --------------------------------------------------------------- network
def test_network_outputs_are_distributions():
    net = SetClusteringNetwork(torch.nn.Identity(), 2, max_clusters=3, n_layers=2,
                               hidden_size=8).eval()
    out = net(torch.rand(4, 7, 2))
    assert out["count_proba"].shape == (4, 3)
    torch.testing.assert_close(out["count_proba"].sum(1), torch.ones(4))
    assign = out["assign_proba"]
    assert assign.shape == (4, 7, 3, 3)
    torch.testing.assert_close(assign.sum(-1), torch.ones(4, 7, 3))
    for k in range(1, 3):
        assert (assign[:, :, k - 1, k:] == 0).all()


def test_principal_order_sorts_along_the_main_axis_whatever_the_given_order():
    # points on the line y = 2x, with one far point making the third moment positive
    t = torch.tensor([0.3, -1.0, 0.1, 4.0, -0.5])
    z = torch.stack([t, 2 * t], dim=1)[None]
    expected = torch.tensor([[1, 4, 2, 0, 3]])  # ascending t
    torch.testing.assert_close(principal_order(z), expected)
    torch.testing.assert_close(principal_order(-z), expected)  # the sign follows the skew
    perm = torch.tensor([3, 0, 4, 1, 2])
    shuffled = z[:, perm]
    torch.testing.assert_close(shuffled[0, principal_order(shuffled)[0]], z[0, expected[0]])


def test_principal_set_order_makes_the_network_order_invariant():
    torch.manual_seed(0)
    net = SetClusteringNetwork(torch.nn.Identity(), 2, max_clusters=3, n_layers=2,
                               hidden_size=8, set_order="principal").eval()
    x = torch.rand(3, 7, 2)
    perm = torch.randperm(7)
    out, out_perm = net(x), net(x[:, perm])
    torch.testing.assert_close(out_perm["count_proba"], out["count_proba"])
    torch.testing.assert_close(out_perm["assign_proba"], out["assign_proba"][:, perm])
    net.set_order = "given"  # the paper's network reads the set as given
    assert not torch.allclose(net(x[:, perm])["count_proba"], net(x)["count_proba"])
    with pytest.raises(ValueError, match="set_order"):
        SetClusteringNetwork(torch.nn.Identity(), 2, max_clusters=3, set_order="sorted")


def test_residual_bilstm_adds_its_input():
    layer = ResidualBiLSTM(6)
    for p in layer.parameters():
        torch.nn.init.zeros_(p)
    x = torch.randn(2, 5, 6)
    torch.testing.assert_close(layer(x), x)
    with pytest.raises(ValueError, match="even"):
        ResidualBiLSTM(5)


# ------------------------------------------------------------- estimator
def test_learns_to_split_well_separated_blobs():
    X, y = two_blob_sets(400)
    X_test, y_test = two_blob_sets(30, seed=1)
    est = blob_learner().fit(X, y)
    nmi = [normalized_mutual_info_score(t, est.predict(x)) for x, t in zip(X_test, y_test)]
    k_found = [est.predict_n_clusters(x).argmax() + 1 == len(np.unique(t))
               for x, t in zip(X_test, y_test)]
    assert np.mean(nmi) > 0.9
    assert np.mean(k_found) > 0.8
    given_k = [normalized_mutual_info_score(t, est.predict(x, n_clusters=len(np.unique(t))))
               for x, t in zip(X_test, y_test)]
    assert np.mean(given_k) > 0.9
    # read in 8 orders, the labels still come back in the order of the given set
    est.set_params(n_orderings=8)
    nmi = [normalized_mutual_info_score(t, est.predict(x)) for x, t in zip(X_test, y_test)]
    assert np.mean(nmi) > 0.9
    # so does the pairwise decoding, which keeps to max_clusters
    est.set_params(n_orderings=1, decoding="pairwise")
    nmi = [normalized_mutual_info_score(t, est.predict(x)) for x, t in zip(X_test, y_test)]
    assert np.mean(nmi) > 0.9
    assert max(est.predict(x).max() for x in X_test) < 2


def test_more_orderings_make_predictions_less_dependent_on_the_order():
    X, y = make_point_sets(n_sets=64, n_points=16, max_clusters=3, random_state=0)
    est = tiny_learned(max_clusters=3, set_size=16).fit(X, y)
    x, perm = X[0], np.random.RandomState(1).permutation(16)

    def order_effect(n_orderings):
        est.set_params(n_orderings=n_orderings)
        k = np.abs(est.predict_n_clusters(x) - est.predict_n_clusters(x[perm])).sum()
        proba = np.abs(est.predict_proba(x)[perm] - est.predict_proba(x[perm])).sum()
        return k, proba

    single, many = order_effect(1), order_effect(256)
    assert many[0] < 0.25 * single[0] and many[1] < 0.5 * single[1]
    est.set_params(n_orderings=3)
    np.testing.assert_allclose(est.predict_proba(x).sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(est.predict_n_clusters(x).sum(), 1, rtol=1e-5)


def test_a_known_number_of_clusters_reads_the_head_of_that_k():
    X, y = make_point_sets(n_sets=64, n_points=16, max_clusters=3, random_state=0)
    est = tiny_learned(max_clusters=3, set_size=16).fit(X, y)
    x = X[0]
    np.testing.assert_array_equal(est.predict(x, n_clusters=None), est.predict(x))
    for k in (1, 2, 3):
        proba = est.predict_proba(x, n_clusters=k)
        np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
        assert not proba[:, k:].any()
        assert est.predict(x, n_clusters=k).max() < k
    np.testing.assert_array_equal(est.predict(x, n_clusters=np.int64(1)), 0)
    for bad in (0, 4, 2.5, "2", True):
        with pytest.raises(ValueError, match="max_clusters=3"):
            est.predict(x, n_clusters=bad)


def test_principal_set_order_learns_and_ignores_the_order_of_the_set():
    X, y = two_blob_sets(400)
    X_test, y_test = two_blob_sets(30, seed=1)
    est = blob_learner(set_order="principal").fit(X, y)
    nmi = [normalized_mutual_info_score(t, est.predict(x)) for x, t in zip(X_test, y_test)]
    assert np.mean(nmi) > 0.9
    x, perm = X_test[0], np.random.RandomState(1).permutation(12)
    np.testing.assert_allclose(est.predict_n_clusters(x[perm]), est.predict_n_clusters(x),
                               rtol=1e-5)
    np.testing.assert_allclose(est.predict_proba(x[perm]), est.predict_proba(x)[perm],
                               rtol=1e-5, atol=1e-6)


def test_rotate_points_turns_about_the_centre():
    x = np.array([[1.0, 0.5], [0.5, 0.0], [0.2, 0.9]])
    np.testing.assert_allclose(rotate_points(x), [[0.5, 1.0], [1.0, 0.5], [0.1, 0.2]])
    np.testing.assert_allclose(rotate_points(x, 2), 1 - x)
    np.testing.assert_allclose(rotate_points(x, -1), rotate_points(x, 3))
    np.testing.assert_allclose(rotate_points(x, 1, center=(0, 0)), np.c_[-x[:, 1], x[:, 0]])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        rotate_points(np.zeros((4, 3)))


def test_pair_proba_is_the_marginal_of_the_network_outputs():
    X, y = make_point_sets(n_sets=64, n_points=16, max_clusters=3, random_state=0)
    est = tiny_learned(max_clusters=3, set_size=16).fit(X, y)
    x = X[0]
    out = est.net_.predict_outputs(torch.as_tensor(x[None], dtype=torch.float32),
                                   ("count_proba", "assign_proba"))
    count, assign = out["count_proba"][0], out["assign_proba"][0]  # (3,), (16, 3, 3)
    by_hand = sum(count[k] * assign[:, k] @ assign[:, k].T for k in range(3))
    pairs = est.predict_pair_proba(x)
    np.testing.assert_allclose(pairs, by_hand, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pairs, pairs.T, rtol=1e-6)
    # with set transforms, the average of each copy's P_ij (no alignment needed)
    copies = [x] + [t(x) for t in square_rotations()]
    alone = [est.predict_pair_proba(c) for c in copies]
    est.set_params(set_transforms=square_rotations())
    np.testing.assert_allclose(est.predict_pair_proba(x), np.mean(alone, axis=0), rtol=1e-5,
                               atol=1e-7)


def test_pair_proba_stays_in_0_1_when_float32_outputs_sum_above_1():
    count = np.array([[0.6, 0.4000001]], np.float32)  # sums to a hair above 1
    assign = np.zeros((1, 3, 2, 2), np.float32)
    assign[0, :, 0, 0] = assign[0, :, 1, 0] = 1.0  # all three examples in cluster 0
    assert count.sum() > 1
    pairs = _mean_pair_proba(count, assign)
    assert pairs.max() == 1.0
    np.testing.assert_array_equal(pair_error_partition(pairs, [np.array([0, 1, 1])], 2), 0)


def test_pairwise_decoding_lowers_the_expected_pair_errors():
    X, y = make_point_sets(n_sets=64, n_points=16, max_clusters=3, random_state=0)
    est = tiny_learned(max_clusters=3, set_size=16).fit(X, y)
    lowered = 0
    for x in X[:10]:
        pairs = est.predict_pair_proba(x)
        by_count = est.predict(x)
        pairwise = est.set_params(decoding="pairwise").predict(x)
        est.set_params(decoding="count")
        # the heads are the starts of the search, so it never does worse than the paper's
        assert expected_pair_errors(pairwise, pairs) <= expected_pair_errors(by_count, pairs)
        lowered += expected_pair_errors(pairwise, pairs) < expected_pair_errors(by_count, pairs)
        assert list(np.unique(pairwise)) == list(range(pairwise.max() + 1))
    assert lowered > 0  # the untrained heads disagree with P_ij somewhere
    est.set_params(decoding="pairwise")
    for k in (1, 2):
        assert est.predict(X[0], n_clusters=k).max() < k
    # predict_proba and predict_n_clusters do not depend on the decoding
    np.testing.assert_array_equal(est.predict_proba(X[0]),
                                  est.set_params(decoding="count").predict_proba(X[0]))
    with pytest.raises(ValueError, match="'decoding' parameter of LearnedClusterer"):
        est.set_params(decoding="argmax").predict(X[0])


def test_distort_images_is_seeded_and_keeps_shape_and_range():
    rng = np.random.RandomState(0)
    x = rng.rand(4, 3, 8, 8)
    distorted = distort_images(x, seed=1)
    assert distorted.shape == x.shape and distorted.dtype == np.float32
    np.testing.assert_array_equal(distorted, distort_images(x, seed=1))
    assert not np.allclose(distorted, distort_images(x, seed=2))
    assert not np.allclose(distorted, x)
    for image, source in zip(distorted, x):
        assert source.min() - 1e-6 <= image.min() and image.max() <= source.max() + 1e-6
    flat = distort_images(x.reshape(4, -1), seed=1, image_shape=(3, 8, 8))
    np.testing.assert_allclose(flat, distorted.reshape(4, -1))
    assert distort_images(x[:, 0], seed=1).shape == (4, 8, 8)
    with pytest.raises(ValueError, match="distort_images takes one set of images"):
        distort_images(x.reshape(4, -1))
    transforms = pickle.loads(pickle.dumps(random_distortions(3, seed=5)))
    np.testing.assert_array_equal(transforms[2](x), distort_images(x, seed=7))
    with pytest.raises(ValueError, match="n_copies == 0"):
        random_distortions(0)


def test_flip_images_mirrors_each_image_left_to_right():
    x = np.arange(2 * 3 * 2 * 4).reshape(2, 3, 2, 4)  # two 3-channel 2x4 images
    flipped = flip_images(x)
    np.testing.assert_array_equal(flipped[1, 2, 0], x[1, 2, 0, ::-1])
    np.testing.assert_array_equal(flip_images(flipped), x)
    np.testing.assert_array_equal(flip_images(x[:, 0]), x[:, 0, :, ::-1])
    flat = flip_images(x.reshape(2, -1), image_shape=(3, 2, 4))
    np.testing.assert_array_equal(flat, flipped.reshape(2, -1))
    with pytest.raises(ValueError, match=r"\(n, H, W\) or \(n, C, H, W\)"):
        flip_images(x.reshape(2, -1))
    with pytest.raises(ValueError, match="flat rows of 24 values"):
        flip_images(x, image_shape=(3, 2, 4))


def test_flip_images_as_a_set_transform_of_an_image_model():
    rng = np.random.RandomState(0)
    X = rng.rand(10, 6, 8, 8).astype(np.float32)
    y = rng.randint(2, size=(10, 6))
    est = tiny_learned(embedding="conv", set_size=None, max_iter=2).fit(X, y)
    x = X[0]
    alone = [est.predict_n_clusters(x), est.predict_n_clusters(flip_images(x))]
    est.set_params(set_transforms=[flip_images])
    np.testing.assert_allclose(est.predict_n_clusters(x), np.mean(alone, axis=0), rtol=1e-5)
    # the same two readings either way; the cluster indices may be permuted, P P^T is not
    same, same_flipped = (p @ p.T for p in map(est.predict_proba, [x, flip_images(x)]))
    np.testing.assert_allclose(same_flipped, same, rtol=1e-4, atol=1e-6)


def test_set_transforms_average_the_set_and_its_copies():
    X, y = make_point_sets(n_sets=64, n_points=16, max_clusters=3, random_state=0)
    est = tiny_learned(max_clusters=3, set_size=16).fit(X, y)
    x = X[0]
    rotations = [x] + [t(x) for t in square_rotations()]
    alone = [est.predict_n_clusters(r) for r in rotations]
    est.set_params(set_transforms=square_rotations())
    np.testing.assert_allclose(est.predict_n_clusters(x), np.mean(alone, axis=0), rtol=1e-5)
    # averaged over the whole rotation group, P(k) no longer depends on how x is turned
    np.testing.assert_allclose(est.predict_n_clusters(rotate_points(x)),
                               est.predict_n_clusters(x), rtol=1e-5)
    proba = est.predict_proba(x)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    assert est.predict(x).shape == (16,)
    # a copy identical to the set changes nothing; with orders, every copy is read in each
    est.set_params(set_transforms=[np.copy], n_orderings=3)
    with_copy = est.predict_proba(x)
    est.set_params(set_transforms=None)
    np.testing.assert_allclose(with_copy, est.predict_proba(x), rtol=1e-5, atol=1e-7)
    restored = pickle.loads(pickle.dumps(est.set_params(set_transforms=square_rotations(),
                                                    n_orderings=1)))
    np.testing.assert_allclose(restored.predict_proba(x), proba, rtol=1e-5)


def test_bad_set_transforms_get_a_clear_error():
    X, y = make_point_sets(n_sets=16, n_points=8, max_clusters=2, random_state=0)
    est = tiny_learned().fit(X, y)
    with pytest.raises(TypeError, match=r"set_transforms\[1\] is 90, which is not callable"):
        est.set_params(set_transforms=[np.copy, 90]).predict(X[0])
    with pytest.raises(ValueError, match=r"set_transforms\[0\] turned a set of 8 examples "
                                         "into 7"):
        est.set_params(set_transforms=[lambda x: x[1:]]).predict(X[0])
    with pytest.raises(ValueError, match="features"):
        est.set_params(set_transforms=[lambda x: x[:, :1]]).predict(X[0])
    with pytest.raises(ValueError, match="set_transforms"):
        est.set_params(set_transforms=np.copy).predict(X[0])


def test_class_labelled_fit_holds_out_classes_for_early_stopping(classes):
    X, y = classes
    est = tiny_learned(validation_fraction=0.34, max_iter=40, validation_interval=4,
               n_iter_no_change=4).fit(X, y)
    assert len(est.validation_classes_) == 2
    assert all(np.isfinite(row["valid_loss"]) for row in est.history_)
    assert est.n_iter_ == 4 * len(est.history_) <= 40
    assert sum(est.pair_weights_) == pytest.approx(2.0)
    labels = est.predict(X[:10])
    assert labels.shape == (10,) and labels.max() < 2
    np.testing.assert_allclose(est.predict_proba(X[:10]).sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(est.predict_n_clusters(X[:10]).sum(), 1, rtol=1e-5)


def test_labelled_sets_and_images():
    rng = np.random.RandomState(0)
    X = rng.rand(10, 6, 8, 8).astype(np.float32)
    y = rng.randint(2, size=(10, 6))
    est = tiny_learned(embedding="conv", set_size=None, max_iter=2,
                       validation_fraction=0.2).fit(X, y)
    assert est.image_shape_ == (1, 8, 8) and est.set_size_ == 6
    assert est.predict(X[0]).shape == (6,)
    assert est.predict(X[0].reshape(6, 64)).shape == (6,)
    assert est.validation_classes_ is None
    augmented = tiny_learned(embedding="conv", set_size=None, max_iter=2, validation_fraction=0,
                             augmentations=("rotate", "flip")).fit(X, y)
    assert augmented.predict(X[0]).shape == (6,)
    with pytest.raises(ValueError, match="unknown names"):
        tiny_learned(set_size=None, augmentations=("twist",)).fit(X, y)
    with pytest.raises(ValueError, match="set_size=5"):
        tiny_learned(set_size=5).fit(X, y)


def test_phi_of_labelled_sets_is_the_share_of_same_cluster_pairs():
    """Pairs i < j only (section IV): [0, 0, 1, 2] has 1 same-cluster pair of 6."""
    sets = np.random.RandomState(0).rand(10, 4, 2).astype(np.float32)
    est = tiny_learned(set_size=None, max_clusters=3, max_iter=1, validation_fraction=0)
    est.fit(sets, np.tile([0, 0, 1, 2], (10, 1)))
    assert est.expected_same_cluster_ == pytest.approx(1 / 6)


def test_recalibration_uses_its_batches_whatever_the_epoch_length():
    class Counting(torch.nn.BatchNorm1d):
        calls = 0

        def forward(self, x):
            Counting.calls += 1
            return super().forward(x)

    module = Counting(2)
    net = SimpleNamespace(module_=module, device="cpu", get_dataset=lambda X, y: None,
                          get_iterator=lambda dataset, training: [(torch.randn(4, 2), None)] * 3)
    RecalibrateBatchNorm(7).on_train_end(net)
    assert Counting.calls == 7 and not module.training


def test_fitted_model_keeps_no_validation_sets(classes):
    X, y = classes
    est = tiny_learned(validation_fraction=0.5, max_iter=2, validation_interval=1).fit(X, y)
    assert est.validation_classes_ is not None and est.net_.train_split is None


def test_ema_decay_validates_and_keeps_an_average_of_the_weights(classes):
    X, y = classes
    params = dict(validation_fraction=0.34, max_iter=12, validation_interval=3)
    plain = tiny_learned(**params).fit(X, y)
    averaged = tiny_learned(ema_decay=0.5, **params).fit(X, y)
    assert ([row["train_loss"] for row in averaged.history_]
            == [row["train_loss"] for row in plain.history_])  # training is unchanged
    assert averaged.history_[-1]["valid_loss"] != plain.history_[-1]["valid_loss"]
    assert not np.allclose(averaged.predict_n_clusters(X[:8]), plain.predict_n_clusters(X[:8]))
    # decay 0 "averages" over the last step only: the trained weights
    latest = tiny_learned(ema_decay=0.0, **params).fit(X, y)
    np.testing.assert_allclose(latest.predict_n_clusters(X[:8]), plain.predict_n_clusters(X[:8]),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="'ema_decay' parameter of LearnedClusterer must be"):
        tiny_learned(ema_decay=1.0).fit(X, y)


def test_user_embedding_module(classes):
    X, y = classes
    with pytest.raises(ValueError, match="'embedding' parameter of LearnedClusterer must be a "
                                         "subclass of torch.nn"):
        tiny_learned(embedding=int).fit(X, y)
    est = tiny_learned(embedding=torch.nn.Linear(X.shape[1], 5)).fit(X, y)
    assert est.predict(X[:8]).shape == (8,)
    with pytest.raises(ValueError, match=f"embedding does not run on input of {X.shape[1]}"):
        tiny_learned(embedding=torch.nn.Linear(X.shape[1] + 1, 5)).fit(X, y)
    flat = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 5), torch.nn.Flatten(0))
    with pytest.raises(ValueError, match=r"embedding must return a tensor of shape"):
        tiny_learned(embedding=flat).fit(X, y)


def test_same_seed_same_model_and_global_state_untouched(classes):
    X, y = classes
    state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    a = tiny_learned().fit(X, y).predict_n_clusters(X[:8])
    b = tiny_learned().fit(X, y).predict_n_clusters(X[:8])
    np.testing.assert_array_equal(a, b)
    tiny_learned(random_state=None).fit(X, y)
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_array_equal(np_state, np.random.get_state()[1])
    restored = pickle.loads(pickle.dumps(tiny_learned().fit(X, y)))
    np.testing.assert_array_equal(restored.predict_n_clusters(X[:8]), a)


def test_bad_input_gets_a_clear_error(classes):
    X, y = classes
    with pytest.raises(ValueError, match="requires y to be passed"):
        tiny_learned().fit(X)
    with pytest.raises(ValueError, match="larger than the 120 training examples"):
        tiny_learned(set_size=200).fit(X, y)
    few = y.copy()
    few[0] = 9
    with pytest.raises(ValueError, match=r"Classes \[9\] have fewer than min_per_cluster=2"):
        tiny_learned().fit(X, few)
    with pytest.raises(ValueError, match="fewer than max_clusters=7"):
        tiny_learned(max_clusters=7, set_size=20).fit(X, y)
    with pytest.raises(ValueError, match="too small to give each"):
        tiny_learned(max_clusters=5, set_size=8).fit(X, y)
    with pytest.raises(ValueError, match="must be even"):
        tiny_learned(hidden_size=7).fit(X, y)
    sets = np.zeros((4, 6, 2), np.float32)
    with pytest.raises(ValueError, match="holds 3 clusters, more than max_clusters=2"):
        tiny_learned(set_size=None).fit(sets, np.tile([0, 1, 2, 0, 1, 2], (4, 1)))
    with pytest.raises(ValueError, match="matching y of shape"):
        tiny_learned(set_size=None).fit(sets[:, :5], np.zeros((4, 6), int))
    with pytest.raises(ValueError, match="set_size=8 but the labelled sets have 6"):
        tiny_learned().fit(sets, np.zeros((4, 6), int))
    with pytest.raises(ValueError, match="Every labelled set is one cluster"):
        tiny_learned(set_size=None).fit(sets, np.zeros((4, 6), int))
    with pytest.raises(ValueError, match="Every labelled set is all singletons"):
        tiny_learned(set_size=None, max_clusters=6).fit(sets, np.tile(np.arange(6), (4, 1)))
    with pytest.raises(ValueError, match="max_clusters"):
        tiny_learned(max_clusters=1).fit(X, y)
    est = tiny_learned().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match="clusters one set of shape .* once per set"):
        est.predict(X[:16].reshape(2, 8, -1))


def test_column_of_class_labels_and_refit_on_sets(classes):
    X, y = classes
    with pytest.warns(DataConversionWarning):
        est = tiny_learned().fit(X, y[:, None])  # e.g. a one-column DataFrame
    np.testing.assert_array_equal(est.classes_, np.arange(6))
    sets, set_labels = X[:48].reshape(6, 8, 3), np.tile([0, 0, 0, 0, 1, 1, 1, 1], (6, 1))
    est.fit(sets, set_labels)
    assert not hasattr(est, "classes_")  # belongs to class-labelled fits only


def test_image_model_refuses_a_batch_of_sets_clearly():
    rng = np.random.RandomState(0)
    X, y = rng.rand(60, 8, 8).astype(np.float32), np.repeat(np.arange(6), 10)
    est = tiny_learned().fit(X, y)
    assert est.predict(X[:8, None]).shape == est.predict(X[:8].reshape(8, 64)).shape == (8,)
    for batch in (X[:16].reshape(2, 8, 8, 8), X[:16].reshape(2, 8, 64)):
        with pytest.raises(ValueError, match=r"clusters one set of shape \(n, 64\) or "
                                             r"\(n, 1, 8, 8\) or \(n, 8, 8\) per call"):
            est.predict(batch)


def test_failed_refit_leaves_no_model_of_other_data(classes):
    X, y = classes
    est = tiny_learned().fit(X, y)
    wider = np.hstack([X, X])
    with pytest.raises(ValueError, match="embedding='conv' needs images"):
        est.set_params(embedding="conv").fit(wider, y)
    with pytest.raises(NotFittedError):
        est.predict(wider[:8])
