"""TripletDECClustering (paper 002): its losses, negative selection, modules and estimator."""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from _shared_checks import (check_pickle_round_trip_predicts_the_same,
                            check_same_seed_same_labels_and_global_state_untouched)
from conftest import tiny_dec
from sklearn_deepcluster import DECClustering, TripletDECClustering
from sklearn_deepcluster.losses.triplet import balance_loss, select_negatives, triplet_loss
from sklearn_deepcluster.modules import MLPAutoencoder
from sklearn_deepcluster.modules.triplet_conv import (TripletClusteringAutoencoder,
                                                      TripletConvAutoencoder)
from sklearn_deepcluster.triplet_dec import TripletDECLoss


def tiny_triplet(**params):
    defaults = dict(hidden_dims=(16,), embedding_dim=2, pretrain_epochs=3, max_epochs=3,
                    batch_size=16, update_interval=4, n_augmentations=3, random_state=0)
    return TripletDECClustering(**{**defaults, **params})


def small_images():
    """48 random 8x8 grey images, for the tests that fit DECClustering beside TripletDEC."""
    return np.random.default_rng(0).random((48, 8, 8), dtype=np.float32)


# ---------------------------------------------------------------- losses
def entropy(p):
    return -sum(v * math.log(v) for v in p if v > 0)


def test_balance_loss_by_hand():
    q = torch.tensor([[0.8, 0.2], [0.4, 0.6]], dtype=torch.float64)
    expected = (entropy([0.8, 0.2]) + entropy([0.4, 0.6])) / 2 - entropy([0.6, 0.4])
    assert balance_loss(q).item() == pytest.approx(expected)
    confident = torch.eye(2, dtype=torch.float64)
    assert balance_loss(confident).item() == pytest.approx(-math.log(2))
    assert balance_loss(torch.full((3, 2), 0.5)).item() == pytest.approx(0.0, abs=1e-7)


def test_triplet_loss_by_hand():
    anchor = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    positive = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    negative = torch.tensor([[0.0, 2.0], [1.0, 1.1]])
    # row 0: max(0, 1 - 4 + 0.24) = 0; row 1: max(0, 0 - 0.01 + 0.24) = 0.23
    assert triplet_loss(anchor, positive, negative, 0.24).item() == pytest.approx(0.115)
    assert triplet_loss(anchor, positive, negative, 0.0).item() == 0.0


def test_criterion_combines_the_four_terms_of_eq7():
    torch.manual_seed(0)
    criterion = TripletDECLoss("kl", reconstruction_weight=1.0, kl_weight=0.8,
                               entropy_weight=0.01, triplet_weight=0.1, margin=0.24)
    x = torch.rand(4, 6)
    q = torch.softmax(torch.randn(4, 3), dim=1)
    outputs = {"input": x, "reconstruction": x + 0.1, "proba": q,
               "embedding": torch.zeros(4, 2), "positive_embedding": torch.ones(4, 2),
               "negative_embedding": torch.zeros(4, 2), "negative_fallback": torch.tensor(0.25)}
    pretrain = criterion(outputs, torch.arange(4))
    assert set(pretrain) == {"loss", "reconstruction"}
    assert pretrain["loss"].item() == pytest.approx(0.01)
    criterion.phase = "cluster"
    criterion.target = torch.full((4, 3), 1 / 3)
    terms = criterion(outputs, torch.arange(4))
    kl = (criterion.target * (torch.log(criterion.target) - torch.log(q))).sum(1).mean()
    triplet = 2.0 + 0.24  # ||0 - 1||^2 = 2, ||0 - 0||^2 = 0
    expected = 0.01 + 0.8 * kl.item() + 0.01 * balance_loss(q).item() + 0.1 * triplet
    assert terms["loss"].item() == pytest.approx(expected, rel=1e-5)
    assert terms["triplet"].item() == pytest.approx(triplet)
    assert terms["negative_fallback"].item() == 0.25
    del outputs["positive_embedding"]
    assert "triplet" not in criterion(outputs, torch.arange(4))


# ------------------------------------------------------ negative selection
def test_selected_negatives_satisfy_algorithm_1():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(40, 3, generator=g)
    radius = torch.rand(40, generator=g) * 2
    negative, fallback = select_negatives(z, radius, torch.Generator().manual_seed(1))
    distance = (z - z[negative]).norm(dim=1)
    assert torch.all(negative != torch.arange(40))
    assert torch.all(distance[~fallback] > radius[~fallback])
    assert (~fallback).sum() > 30
    again, _ = select_negatives(z, radius, torch.Generator().manual_seed(1))
    assert torch.equal(negative, again)


def test_selection_falls_back_to_the_farthest_candidate():
    z = torch.tensor([[0.0], [1.0], [3.0], [10.0]])
    radius = torch.full((4,), 100.0)
    negative, fallback = select_negatives(z, radius, torch.Generator().manual_seed(0))
    assert fallback.all()
    assert negative.tolist() == [3, 3, 3, 0]  # all candidates tried: the farthest wins
    # with one try per anchor the choice is random but never the anchor itself
    negative, fallback = select_negatives(z, torch.zeros(4), torch.Generator(), max_tries=1)
    assert not fallback.any() and torch.all(negative != torch.arange(4))


def test_selection_compares_exact_distances_with_the_radius():
    # 40 close embeddings far from the origin: torch.cdist's matrix-product shortcut
    # (used from 25 rows on) is off by ~1e-2 here, more than the distances themselves
    z = 10 + 1e-3 * torch.randn(40, 8, generator=torch.Generator().manual_seed(0))
    radius = (z[:, None] - z[None]).norm(dim=2).max(dim=1).values  # no candidate lies beyond
    negative, fallback = select_negatives(z, radius, torch.Generator().manual_seed(0))
    assert fallback.all()
    distance = (z - z[negative]).norm(dim=1)
    torch.testing.assert_close(distance, radius)  # the farthest candidate of all 39


# ------------------------------------------------------------------ modules
@pytest.mark.parametrize("shape, deep", [((1, 8, 8), False), ((1, 16, 16), False),
                                         ((1, 28, 28), False), ((3, 32, 32), True),
                                         ((1, 5, 7), False)])
def test_conv_autoencoder_reconstructs_the_input_size(shape, deep):
    module = TripletConvAutoencoder(shape, embedding_dim=4)
    assert module.deep is deep
    convs = sum(isinstance(m, torch.nn.Conv2d) for m in module.encoder)
    deconvs = sum(isinstance(m, torch.nn.ConvTranspose2d) for m in module.decoder)
    assert convs == deconvs == (5 if deep else 3)
    x = torch.rand(3, int(np.prod(shape)))
    z = module.encoder(x)
    assert z.shape == (3, 4) and module.decoder(z).shape == x.shape


def test_module_forms_triplets_only_while_training_in_the_clustering_phase():
    torch.manual_seed(0)
    module = TripletClusteringAutoencoder(MLPAutoencoder(16, (8,), 2), 3, 2, 1.0, (1, 4, 4),
                                          ("rotate", "erase"), n_augmentations=4)
    x = torch.rand(10, 16)
    assert "positive_embedding" not in module(x)
    module.triplet, module.generator = True, torch.Generator().manual_seed(0)
    out = module(x)
    assert out["positive_embedding"].shape == out["negative_embedding"].shape == (10, 2)
    assert out["positive_embedding"].requires_grad
    assert 0 <= out["negative_fallback"].item() <= 1
    assert module.training
    module.eval()
    assert "positive_embedding" not in module(x)


def test_batch_augmentations_make_the_anchors(monkeypatch):
    torch.manual_seed(0)
    module = TripletClusteringAutoencoder(MLPAutoencoder(16, (8,), 2), 3, 2, 1.0, (1, 4, 4),
                                          ("rotate",), n_augmentations=2,
                                          batch_augmentations=("flip", "shift"))
    module.triplet, module.generator = True, torch.Generator().manual_seed(0)
    anchors = []
    form_triplets = module.form_triplets
    monkeypatch.setattr(module, "form_triplets",
                        lambda x, z: anchors.append(x) or form_triplets(x, z))
    x = torch.rand(10, 16)
    out = module(x)
    assert torch.equal(anchors[0], out["input"]) and not torch.equal(anchors[0], x)
    assert "positive_embedding" in out


@pytest.mark.parametrize("training", [True, False])
def test_form_triplets_keeps_the_mode_and_embeds_augmentations_without_bn_updates(training):
    torch.manual_seed(0)
    module = TripletClusteringAutoencoder(TripletConvAutoencoder((1, 8, 8), 4), 3, 4, 1.0,
                                          (1, 8, 8), ("rotate", "flip"), n_augmentations=3)
    module.generator = torch.Generator().manual_seed(0)
    module.train(training)
    norms = [m for m in module.autoencoder.encoder if isinstance(m, torch.nn.BatchNorm2d)]
    before = [(m.running_mean.clone(), m.num_batches_tracked.item()) for m in norms]
    x = torch.rand(6, 64)
    with torch.no_grad():
        module.form_triplets(x, module.embed(x))
    assert module.training is training
    assert all(m.training is training for m in module.modules())
    # the anchors and augmentations are embedded in inference mode; in training mode
    # only the two training passes (anchors, positives) update the running statistics
    updates = 2 if training else 0
    for m, (mean, count) in zip(norms, before):
        assert m.num_batches_tracked.item() == count + updates
        assert torch.equal(m.running_mean, mean) is not training


# ---------------------------------------------------------------- estimator
def test_fit_on_images_logs_every_term(digit_images):
    X, _ = digit_images
    est = tiny_triplet(n_clusters=3, tol=0.0).fit(X)
    assert isinstance(est, DECClustering)
    assert isinstance(est.net_.module_.autoencoder, TripletConvAutoencoder)
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    np.testing.assert_array_equal(est.fit_predict(X), est.labels_)
    assert est.transform(X).shape == (len(X), 2)
    assert est.cluster_centers_.shape == (3, 2)
    phases = [row["phase"] for row in est.history_]
    assert phases == ["pretrain"] * 3 + ["cluster"] * 3
    for row in est.history_[3:]:
        for term in ("reconstruction", "kl", "entropy", "triplet"):
            assert np.isfinite(row[term])
        assert 0 <= row["negative_fallback"] <= 1
    assert all(np.isnan(row["triplet"]) for row in est.history_[:3])
    assert np.isfinite(est.loss_) and est.score(X) == pytest.approx(-est.loss_)


def test_vectors_use_the_mlp_autoencoder(blobs):
    X, y = blobs
    est = tiny_triplet(n_clusters=3, pretrain_epochs=20, max_epochs=5).fit(X)
    assert isinstance(est.net_.module_.autoencoder, MLPAutoencoder)
    assert est.labels_.shape == (len(X),)


def test_same_seed_same_labels_and_global_state_untouched(digit_images):
    X, _ = digit_images
    check_same_seed_same_labels_and_global_state_untouched(
        lambda: tiny_triplet(n_clusters=3, random_state=5), X)


def test_pickle_round_trip_predicts_the_same(digit_images):
    X, _ = digit_images
    est = tiny_triplet(n_clusters=3).fit(X)
    assert est.net_.module_.generator is None
    check_pickle_round_trip_predicts_the_same(est, X)


def test_clustering_optimizer_sgd_trains_the_joint_phase_with_triplets(digit_images):
    X, _ = digit_images
    est = tiny_triplet(n_clusters=3, clustering_optimizer="sgd", tol=0.0).fit(X)
    assert type(est.net_.optimizer_) is torch.optim.SGD
    assert est.net_.optimizer_.param_groups[0]["lr"] == 0.01
    assert all(np.isfinite(row["triplet"]) for row in est.history_[3:])
    check_pickle_round_trip_predicts_the_same(est, X)


def test_triplet_weight_zero_forms_no_triplets(digit_images):
    X, _ = digit_images
    est = tiny_triplet(n_clusters=3, triplet_weight=0.0, tol=0.0).fit(X)
    assert all(np.isnan(row["triplet"]) for row in est.history_)
    assert all(np.isfinite(row["entropy"]) for row in est.history_[3:])


def test_default_pretraining_matches_the_papers_number_of_updates(digit_images):
    X, _ = digit_images
    est = tiny_triplet(n_clusters=3, pretrain_epochs=None, batch_size=30)
    est._check_method_params(X.reshape(len(X), -1))  # 2 batches per epoch
    assert est.pretrain_epochs_ == math.ceil(3 * math.ceil(70000 / 256) / 2)
    est = tiny_triplet(pretrain_epochs=None, batch_size=1)
    est._check_method_params(np.zeros((70000, 1)))
    assert est.pretrain_epochs_ == 3
    assert TripletDECClustering().pretrain_epochs is None


@pytest.mark.parametrize("architecture, image_shape, expected", [
    ("conv", (1, 8, 8), 64),     # shallow network (MNIST, USPS): 64 (§4.3)
    ("conv", (3, 8, 8), 10),     # deeper network for colour images: 10
    ("conv", (1, 32, 32), 10),   # ... and for larger images
    ("mlp", (1, 8, 8), 10),      # DEC's code size for the MLP variant
    ("strided-conv", (1, 8, 8), 10),  # DCEC's network, not the paper's: DEC's code size
])
def test_default_code_size_is_the_papers(architecture, image_shape, expected):
    X = np.random.default_rng(0).random((40, *image_shape), dtype=np.float32)
    params = dict(hidden_dims=(8,), architecture=architecture, batch_size=20)
    est = tiny_triplet(n_clusters=3, embedding_dim=None, pretrain_epochs=1, max_epochs=1,
                       **params).fit(X)
    assert est.transform(X).shape == (40, expected)
    assert est.cluster_centers_.shape == (3, expected)
    given = tiny_triplet(n_clusters=3, embedding_dim=5, pretrain_epochs=0, max_epochs=0,
                         **params).fit(X)
    assert given.transform(X[:2]).shape == (2, 5)


@pytest.mark.parametrize("architecture, image_shape, expected", [
    ("conv", (1, 8, 8), (0.8, 0.1, 0.24)),   # shallow network (§4.4)
    ("conv", (3, 8, 8), (0.7, 0.3, 0.3)),    # deeper network (§4.4)
    ("mlp", (3, 8, 8), (0.8, 0.1, 0.24)),
])
def test_default_loss_weights_and_margin_are_the_papers(architecture, image_shape, expected):
    X = np.random.default_rng(0).random((40, *image_shape), dtype=np.float32)
    est = tiny_triplet(n_clusters=3, architecture=architecture, hidden_dims=(8,),
                       pretrain_epochs=1, max_epochs=1, batch_size=20).fit(X)
    criterion = est.net_.criterion_
    assert (criterion.kl_weight, criterion.triplet_weight, criterion.margin) == expected
    given = tiny_triplet(n_clusters=3, architecture=architecture, hidden_dims=(8,),
                         pretrain_epochs=1, max_epochs=1, batch_size=20, kl_weight=0.5,
                         margin=1.0).fit(X)
    criterion = given.net_.criterion_
    assert (criterion.kl_weight, criterion.triplet_weight, criterion.margin) == (
        0.5, expected[1], 1.0)


def test_standardize_uses_the_training_mean_and_std_everywhere(digit_images):
    X, _ = digit_images
    original = X.copy()
    est = tiny_triplet(n_clusters=3).fit(X)
    est.transform(X)
    np.testing.assert_array_equal(X, original)  # the caller's array is not standardised in place
    assert est.input_mean_ == pytest.approx(float(X.mean()), rel=1e-5)
    assert est.input_scale_ == pytest.approx(float(X.std()), rel=1e-5)
    # predicting on shifted, rescaled data must not re-standardise it
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    assert not np.array_equal(est.predict(X * 2 + 1), est.labels_)
    # the network sees the standardised input: untrained networks from the same
    # seed embed X and X * 10 + 3 alike, and raw X differently
    untrained = dict(n_clusters=3, pretrain_epochs=0, max_epochs=0)
    reference = tiny_triplet(**untrained).fit(X).transform(X)
    scaled = tiny_triplet(**untrained).fit(X * 10 + 3)
    np.testing.assert_allclose(scaled.transform(X * 10 + 3), reference, atol=1e-4)
    raw = tiny_triplet(**untrained, standardize=False).fit(X)
    assert (raw.input_mean_, raw.input_scale_) == (0.0, 1.0)
    assert not np.allclose(raw.transform(X), reference, atol=1e-2)
    constant = tiny_triplet(n_clusters=1, max_epochs=1).fit(np.ones((20, 4, 4), np.float32))
    assert constant.input_scale_ == 1.0
    assert np.isfinite(constant.transform(np.ones((2, 4, 4)))).all()


@pytest.mark.parametrize("params, error, message", [
    (dict(augmentations=("rotate", "shear")), ValueError, "unknown names"),
    (dict(augmentations=()), ValueError, "at least one"),
    (dict(batch_augmentations=("blur",)), ValueError, "batch_augmentations has unknown"),
    (dict(standardize="yes"), ValueError, "standardize"),
    (dict(embedding_dim=0), ValueError, "embedding_dim"),
    (dict(margin=-1.0), ValueError, "margin"),
    (dict(n_augmentations=0), ValueError, "n_augmentations"),
    (dict(triplet_weight="a lot"), ValueError, "triplet_weight"),
])
def test_bad_parameters_get_a_clear_error(digit_images, params, error, message):
    X, _ = digit_images
    with pytest.raises(error, match=message):
        tiny_triplet(n_clusters=3, **params).fit(X)


def test_bad_input_gets_a_clear_error(digit_images):
    X, _ = digit_images
    with pytest.raises(ValueError, match="NaN"):
        tiny_triplet(n_clusters=3).fit(np.where(X > 0.5, np.nan, X))
    est = tiny_triplet(n_clusters=3, max_epochs=1, pretrain_epochs=1).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :4, :4])


def test_corruption_denoises_pre_training_only(blobs):
    X, _ = blobs
    clean, noisy = (tiny_triplet(n_clusters=3, corruption=c).fit(X) for c in (0.0, 0.5))
    assert clean.history_[0]["reconstruction"] != noisy.history_[0]["reconstruction"]
    assert noisy.net_.module_.corruption == 0.0  # off from the clustering phase on


def test_pretrained_runs_no_pre_training(blobs):
    X, _ = blobs
    ae = tiny_triplet(n_clusters=3, max_epochs=0).fit(X)
    est = tiny_triplet(n_clusters=3, pretrained=ae, tol=0.0).fit(X)
    assert est.pretrain_epochs_ == 0
    assert [row["phase"] for row in est.history_] == ["cluster"] * 3


@pytest.mark.parametrize("architecture", ["mlp", "strided-conv"])
def test_pretrained_decclustering_of_a_shared_architecture(architecture):
    """The docstring's promise: DEC's MLP and strided autoencoders load into TripletDEC."""
    X = small_images()
    dec = tiny_dec(n_clusters=3, architecture=architecture, max_epochs=0).fit(X)
    est = tiny_triplet(n_clusters=3, architecture=architecture, pretrained=dec,
                       max_epochs=0).fit(X)
    assert est.pretrain_epochs_ == 0
    loaded = est.net_.module_.autoencoder.state_dict()
    for name, weights in dec.net_.module_.autoencoder.state_dict().items():
        torch.testing.assert_close(loaded[name], weights)


@pytest.mark.parametrize("architecture", ["mlp", "strided-conv"])
def test_without_its_terms_pre_training_and_loss_are_decclusterings(architecture):
    """With beta 1 and no L_t or L_b, eq. (7) is DEC's joint loss on the same pre-training.

    For the same seed its pre-training losses are DECClustering's, and its
    final loss is DECClustering's loss of its net; its clustering phase
    runs on its own random stream (one extra seed for the triplet generator).
    """
    X = small_images()
    common = dict(n_clusters=3, architecture=architecture, standardize=False,
                  reconstruction_weight=1.0, pretrain_epochs=3, max_epochs=2, update_interval=3)
    dec = tiny_dec(**common).fit(X)
    triplet = tiny_triplet(**common, kl_weight=1.0, triplet_weight=0.0,
                           entropy_weight=0.0).fit(X)
    pretrain = [[row["train_loss"] for row in est.history_ if row["phase"] == "pretrain"]
                for est in (dec, triplet)]
    assert len(pretrain[0]) == 3
    assert pretrain[0] == pretrain[1]
    net = triplet.net_
    assert net.criterion_.kl_weight == 1.0
    assert triplet.loss_ == pytest.approx(dec._unsupervised_loss(net, dec._fitted_input(X)),
                                          rel=1e-5)


def test_last_batch_of_one_sample(blobs):
    X, _ = blobs
    mlp = tiny_triplet(n_clusters=3).fit(X[:81])  # 5 batches of 16, then 1
    assert all(np.isfinite(row["triplet"]) for row in mlp.history_ if row["phase"] == "cluster")
    images = load_digits().images[:17] / 16
    conv = TripletDECClustering(3, pretrain_epochs=1, max_epochs=1, batch_size=16,
                                n_augmentations=2, random_state=0).fit(images)
    assert conv.labels_.shape == (17,)


@pytest.mark.parametrize("size", [1, 2, 4])
def test_last_batch_of_one_tiny_image(size):
    # images of at most 4x4 pixels reach 1x1 feature maps: one value per channel
    X = np.random.default_rng(0).random((17, 1, size, size), dtype=np.float32)
    est = TripletDECClustering(3, pretrain_epochs=1, max_epochs=1, batch_size=16,
                               n_augmentations=2, random_state=0).fit(X)
    assert est.labels_.shape == (17,)
    assert all(np.isfinite(row["train_loss"]) for row in est.history_)
