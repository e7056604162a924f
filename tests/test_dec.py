"""Behaviour of DECClustering and of the shared base, on tiny networks."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from skorch.callbacks import Callback
from skorch.history import History

from _shared_checks import (BAD_INPUT, check_pickle_round_trip_predicts_the_same,
                            check_same_seed_same_labels_and_global_state_untouched)
from conftest import tiny_dec
from sklearn_deepcluster._callbacks import TargetRefresh
from sklearn_deepcluster.dec import global_mean_and_std
from sklearn_deepcluster.metrics import clustering_accuracy
from sklearn_deepcluster.modules import StridedConvAutoencoder


def test_fit_predict_matches_labels_and_predict(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3)
    labels = est.fit_predict(X)
    np.testing.assert_array_equal(labels, est.labels_)
    np.testing.assert_array_equal(est.predict(X), est.labels_)
    assert est.cluster_centers_.shape == (3, 2)
    assert est.transform(X).shape == (len(X), 2)
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)


def test_separates_blobs_and_predicts_unseen(blobs):
    X, y = blobs
    est = tiny_dec(n_clusters=3, pretrain_epochs=20, max_epochs=10).fit(X[::2])
    assert clustering_accuracy(y[::2], est.labels_) > 0.95
    assert clustering_accuracy(y[1::2], est.predict(X[1::2])) > 0.95


def test_same_seed_same_labels_and_global_state_untouched(blobs):
    X, _ = blobs
    check_same_seed_same_labels_and_global_state_untouched(
        lambda: tiny_dec(n_clusters=3, random_state=7), X)


def test_pickle_round_trip_predicts_the_same(blobs):
    X, _ = blobs
    check_pickle_round_trip_predicts_the_same(tiny_dec(n_clusters=3).fit(X), X)


def test_pipeline_and_grid_search(blobs):
    X, y = blobs
    pipe = make_pipeline(MinMaxScaler(), tiny_dec(n_clusters=3))
    assert pipe.fit_predict(X).shape == (len(X),)
    scorer = make_scorer(clustering_accuracy)
    search = GridSearchCV(tiny_dec(n_clusters=3), {"embedding_dim": [2, 3]}, cv=2, scoring=scorer)
    search.fit(X, y)
    assert search.best_params_["embedding_dim"] in (2, 3)
    unsupervised = GridSearchCV(tiny_dec(n_clusters=3), {"lr": [1e-4, 1e-3]}, cv=2).fit(X)
    assert np.all(np.isfinite(unsupervised.cv_results_["mean_test_score"]))
    assert np.all(unsupervised.cv_results_["mean_test_score"] <= 0)


def test_history_logs_every_term_per_phase(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3, reconstruction_weight=0.5, tol=0.0).fit(X)
    phases = [row["phase"] for row in est.history_]
    assert phases == ["pretrain"] * 3 + ["cluster"] * 3
    assert all(np.isfinite(row["reconstruction"]) for row in est.history_)
    assert all(np.isnan(row["kl"]) for row in est.history_[:3])
    assert all(np.isfinite(row["kl"]) for row in est.history_[3:])
    assert est.n_iter_ == 6
    joint = est.history_[-1]
    expected = joint["kl"] + 0.5 * joint["reconstruction"]
    assert joint["train_loss"] == pytest.approx(expected, rel=1e-4)


def test_tolerance_stops_clustering_early(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3, max_epochs=50, update_interval=2, tol=0.5).fit(X)
    assert est.n_iter_ < 3 + 50
    assert est.history_[-1]["label_change"] < 0.5


def test_a_refresh_below_tol_ends_training_after_its_epoch():
    """A later refresh in the same epoch must not undo the convergence."""
    labels = iter([np.zeros(4), np.zeros(4), np.array([1, 0, 0, 0])])
    refresh = TargetRefresh(update_interval=1, tol=0.1, refresh=lambda net, X: next(labels),
                            active=lambda net: True)
    net = SimpleNamespace(history=History())
    refresh.on_train_begin(net, X=None)
    net.history.new_epoch()
    for _ in range(3):
        refresh.on_batch_begin(net, training=True)
    assert net.history[-1, "label_change"] == 0.0
    net.history.new_epoch()
    with pytest.raises(KeyboardInterrupt):
        refresh.on_epoch_begin(net)


@pytest.mark.parametrize("params", [
    dict(clustering_loss="kmeans", reconstruction_weight=1.0),
    dict(final_kmeans=True),
    dict(max_epochs=0),
    dict(n_init=2, n_jobs=2),
])
def test_taxonomy_variants_fit(blobs, params):
    X, y = blobs
    est = tiny_dec(n_clusters=3, pretrain_epochs=20, **params).fit(X)
    assert clustering_accuracy(y, est.labels_) > 0.9
    np.testing.assert_array_equal(est.predict(X), est.labels_)


def test_final_kmeans_centres_are_kmeans_of_embedding(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3, final_kmeans=True).fit(X)
    z = est.transform(X)
    nearest = np.argmin(((z[:, None] - est.cluster_centers_[None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(nearest, est.labels_)


def test_n_init_keeps_lowest_loss(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3, n_init=3).fit(X)
    assert est.run_losses_.shape == (3,)
    assert est.loss_ == pytest.approx(est.run_losses_.min())
    assert est.score(X) == pytest.approx(-est.loss_, rel=1e-5)


def test_pretrained_reuses_autoencoder_without_pretraining(blobs):
    X, _ = blobs
    first = tiny_dec(n_clusters=3).fit(X)
    second = tiny_dec(n_clusters=3, pretrained=first, max_epochs=0).fit(X)
    assert second.n_iter_ == 0
    standardised = ((X - first.input_mean_) / first.input_scale_).astype(np.float32)
    np.testing.assert_allclose(second.transform(X), first.net_.predict_outputs(
        torch.from_numpy(standardised), ("embedding",),
        forward=lambda m, x: {"embedding": m.embed(x)})["embedding"], rtol=1e-5)
    with pytest.raises(ValueError, match="features"):
        tiny_dec(n_clusters=3, pretrained=first).fit(X[:, :3])


def test_pretrained_in_a_grid_search_needs_frozen_estimator(blobs):
    X, _ = blobs
    first = tiny_dec(n_clusters=3).fit(X)
    with pytest.raises(ValueError, match="FrozenEstimator"):
        clone(tiny_dec(n_clusters=3, pretrained=first)).fit(X)
    search = GridSearchCV(tiny_dec(n_clusters=3, pretrained=FrozenEstimator(first)),
                          {"alpha": [0.5, 1.0]}, cv=2).fit(X)
    assert search.best_estimator_.pretrained.estimator is first
    assert search.best_estimator_.history_[0]["phase"] == "cluster"  # no pre-training


def test_pretrained_of_another_kind_or_architecture_is_refused(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="must be a fitted DECClustering .*, got KMeans"):
        tiny_dec(n_clusters=3, pretrained=KMeans(3, n_init=1).fit(X)).fit(X)
    first = tiny_dec(n_clusters=3, max_epochs=0).fit(X)
    # its weights are loaded into the network this estimator builds
    with pytest.raises(ValueError, match=r"embedding_dim as in pretrained "
                                         r"\(architecture='auto', hidden_dims=\(16,\)"):
        tiny_dec(n_clusters=3, hidden_dims=(6,), pretrained=first).fit(X)


def test_pretrained_on_images_of_another_shape_is_refused():
    X = np.random.default_rng(0).random((40, 1, 16, 4), dtype=np.float32)
    first = tiny_dec(n_clusters=3, max_epochs=0).fit(X)
    # same weight shapes, other images: must not load silently
    with pytest.raises(ValueError, match=r"images of shape \(1, 16, 4\), X has images of "
                                         r"shape \(1, 4, 16\)"):
        tiny_dec(n_clusters=3, pretrained=first, max_epochs=0).fit(X.reshape(40, 1, 4, 16))


@pytest.mark.parametrize("size", [1, 2])
def test_conv_last_batch_of_one_tiny_image(size):
    # 1x1 feature maps in a training batch of one sample: one value per channel
    X = np.random.default_rng(0).random((17, 1, size, size), dtype=np.float32)
    est = tiny_dec(n_clusters=3, architecture="conv", max_epochs=1).fit(X)
    assert all(np.isfinite(row["train_loss"]) for row in est.history_)


@pytest.mark.parametrize("shape", [(40, 8, 8), (40, 1, 8, 8)])
def test_images_use_the_conv_autoencoder(shape):
    rng = np.random.default_rng(0)
    X = rng.random(shape, dtype=np.float32)
    est = tiny_dec(n_clusters=2, max_epochs=1, pretrain_epochs=1).fit(X)
    assert est.image_shape_ == (1, 8, 8)
    assert est.net_.module_.autoencoder.__class__.__name__ == "ConvAutoencoder"
    flat = tiny_dec(n_clusters=2, max_epochs=1, pretrain_epochs=1, image_shape=(1, 8, 8))
    flat.fit(X.reshape(40, -1))
    np.testing.assert_array_equal(flat.labels_, est.labels_)
    with pytest.raises(ValueError, match="images of shape"):
        est.predict(rng.random((3, 4, 16), dtype=np.float32))
    with pytest.raises(ValueError, match="0 sample"):
        est.predict(np.empty((0, 8, 8), dtype=np.float32))


@pytest.mark.parametrize("image_shape, code_input", [
    ((1, 28, 28), 128 * 3 * 3),  # DCEC on MNIST: 28 -> 14 -> 7 -> 3 (unpadded last layer)
    ((1, 16, 16), 128 * 2 * 2),  # DCEC on USPS: 16 -> 8 -> 4 -> 2 (padded: 8 divides 16)
    ((3, 7, 20), 128 * 1 * 2),
    ((1, 1, 1), 128),
])
def test_strided_conv_autoencoder_sizes(image_shape, code_input):
    module = StridedConvAutoencoder(image_shape, embedding_dim=5)
    assert module.encoder[-1].in_features == code_input
    x = torch.rand(4, int(np.prod(image_shape)))
    code = module.encoder(x)
    assert code.shape == (4, 5)
    assert module.decoder(code).shape == x.shape  # back to exactly the input size
    convs = [m for m in module.encoder if isinstance(m, torch.nn.Conv2d)]
    assert [c.stride for c in convs] == [(2, 2)] * 3
    assert not any(isinstance(m, (torch.nn.MaxPool2d, torch.nn.BatchNorm2d))
                   for m in module.modules())


def test_strided_conv_architecture_fits_images():
    X = np.random.default_rng(0).random((40, 1, 12, 12), dtype=np.float32)
    est = tiny_dec(n_clusters=3, architecture="strided-conv", reconstruction_weight=1.0,
                   batch_augmentations=("affine",)).fit(X)
    assert isinstance(est.net_.module_.autoencoder, StridedConvAutoencoder)
    assert est.transform(X).shape == (40, est.embedding_dim)
    again = tiny_dec(n_clusters=3, architecture="strided-conv", reconstruction_weight=1.0,
                     batch_augmentations=("affine",)).fit(X)
    np.testing.assert_array_equal(again.labels_, est.labels_)


def test_user_module_and_callbacks(blobs):
    X, _ = blobs

    class AE(torch.nn.Module):
        def __init__(self, n_features, embedding_dim):
            super().__init__()
            self.encoder = torch.nn.Linear(n_features, embedding_dim)
            self.decoder = torch.nn.Linear(embedding_dim, n_features)

    class CountEpochs(Callback):
        def initialize(self):
            self.count = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.count += 1

    counter = CountEpochs()
    est = tiny_dec(n_clusters=3, architecture=AE, callbacks=[counter]).fit(X)
    assert isinstance(est.net_.module_.autoencoder, AE)
    forwarded = [cb for _, cb in est.net_.callbacks_ if isinstance(cb, CountEpochs)]
    assert forwarded[0].count == est.n_iter_
    assert not hasattr(counter, "count")  # the user's instance is copied, never run
    instance = tiny_dec(n_clusters=3, architecture=AE(4, 2)).fit(X)
    assert isinstance(instance.net_.module_.autoencoder, AE)
    with pytest.raises(ValueError, match="must have an `encoder` and a `decoder`"):
        tiny_dec(n_clusters=3, architecture=torch.nn.Linear(4, 2)).fit(X)
    with pytest.raises(ValueError, match="encoder does not run on input of 4 features"):
        tiny_dec(n_clusters=3, architecture=AE(5, 2)).fit(X)
    with pytest.raises(ValueError, match="codes of width 3, but embedding_dim=2"):
        tiny_dec(n_clusters=3, architecture=AE(4, 3)).fit(X)
    short_decoder = AE(4, 2)
    short_decoder.decoder = torch.nn.Linear(2, 3)
    with pytest.raises(ValueError, match="decoder gives 3 features per sample; the input has 4"):
        tiny_dec(n_clusters=3, architecture=short_decoder).fit(X)
    images = AE(4, 2)
    images.decoder = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Unflatten(1, (2, 2)))
    with pytest.raises(ValueError, match=r"decoder must return .* returned \(2, 2, 2\)"):
        tiny_dec(n_clusters=3, architecture=images).fit(X)


def test_verbose_prints_progress_and_terms(blobs, capsys):
    X, _ = blobs
    tiny_dec(n_clusters=3, verbose=0).fit(X)
    assert capsys.readouterr().out == ""
    tiny_dec(n_clusters=3, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "reconstruction" in out and "kl" in out


@pytest.mark.parametrize("X, message", BAD_INPUT)
def test_bad_input_gets_a_clear_error(X, message):
    with pytest.raises(ValueError, match=message):
        tiny_dec(n_clusters=3).fit(X)


@pytest.mark.parametrize("params, message", [
    (dict(n_clusters=0), "n_clusters"),
    (dict(lr=-1.0), "lr"),
    (dict(architecture="transformer"), "architecture"),
    (dict(image_shape=(1, 3, 3)), "image_shape"),
    (dict(image_shape=(1, -2, -2)), "image_shape must hold positive integers"),
    (dict(image_shape=(1, 2.7, 2)), "image_shape must hold positive integers"),
    (dict(hidden_dims=(0,)), "hidden_dims must hold positive integers"),
    (dict(hidden_dims=(8.5,)), "hidden_dims must hold positive integers"),
    (dict(architecture="conv"), "needs images"),
    (dict(architecture="strided-conv"), "architecture='strided-conv' needs images"),
    (dict(standardize="yes"), "standardize"),
    (dict(batch_augmentations=("shift", "shear")), "batch_augmentations has unknown names"),
    (dict(batch_augmentations="shift"), "batch_augmentations"),
    (dict(batch_augmentations=("shift",)), "batch_augmentations need images"),
    (dict(clustering_optimizer="rmsprop"), "clustering_optimizer"),
    (dict(clustering_lr=0.0), "clustering_lr"),
    (dict(device="cuda"), "CUDA" if not torch.cuda.is_available() else "never"),
    (dict(device="tpu"), "device='tpu' is not supported"),
    (dict(device="mps"), "device='mps' is not supported"),
])
def test_bad_parameters_get_a_clear_error(blobs, params, message):
    X, _ = blobs
    if "never" in message:
        pytest.skip("CUDA is available")
    with pytest.raises(ValueError, match=message):
        tiny_dec(**params).fit(X)


def test_wrong_number_of_features_at_predict(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3).fit(X)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :2])


def test_diverging_fit_says_so(blobs):
    X, _ = blobs
    with pytest.raises(FloatingPointError, match="diverged"):
        tiny_dec(n_clusters=3, standardize=False).fit(X * 1e20)  # standardising would rescue it


def test_predict_is_batched_and_matches_single_rows(blobs):
    X, _ = blobs
    est = tiny_dec(n_clusters=3, batch_size=7).fit(X)
    one_by_one = np.concatenate([est.predict_proba(X[i:i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(one_by_one, est.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_kmeans_baseline_agrees_on_easy_data(blobs):
    X, y = blobs
    km = KMeans(3, n_init=10, random_state=0).fit(X)
    est = tiny_dec(n_clusters=3, pretrain_epochs=20).fit(X)
    assert clustering_accuracy(km.labels_, est.labels_) > 0.95


def test_standardize_is_the_fit_on_standardised_input(blobs):
    X, _ = blobs
    X = X * 5 + 2
    est = tiny_dec(n_clusters=3, standardize=True).fit(X)
    assert est.input_mean_ == pytest.approx(float(X.mean()), rel=1e-5)
    assert est.input_scale_ == pytest.approx(float(X.std()), rel=1e-5)
    by_hand = tiny_dec(n_clusters=3, standardize=False).fit(
        (X - est.input_mean_) / est.input_scale_)
    assert (by_hand.input_mean_, by_hand.input_scale_) == (0.0, 1.0)
    np.testing.assert_array_equal(est.labels_, by_hand.labels_)
    np.testing.assert_allclose(est.transform(X[:5]),
                               by_hand.transform((X[:5] - est.input_mean_) / est.input_scale_),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("rows_per_block", [1, 7, 4096])
def test_global_mean_and_std_by_blocks_matches_numpy(rows_per_block):
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 3, 4)).astype(np.float32)
    mean, std = global_mean_and_std(X, rows_per_block)
    assert mean == pytest.approx(X.mean(dtype=np.float64), rel=1e-12)
    assert std == pytest.approx(X.std(dtype=np.float64), rel=1e-12)


def test_fit_whose_last_steps_diverge_says_so(blobs):
    """Weights blown up by the last steps give NaN assignments: an error, not labels."""
    X, _ = blobs
    with pytest.raises(FloatingPointError, match="diverged"):
        tiny_dec(n_clusters=3, lr=1e4, pretrain_epochs=1, max_epochs=1).fit(X)


def test_batch_augmentations_change_training_batches_only():
    rng = np.random.default_rng(0)
    X = rng.random((40, 8, 8), dtype=np.float32)
    est = tiny_dec(n_clusters=2, architecture="mlp", pretrain_epochs=2, max_epochs=2,
                   batch_augmentations=("shift", "rotate"), random_state=0).fit(X)
    module = est.net_.module_
    assert module.generator is None  # not part of the fitted model
    plain = tiny_dec(n_clusters=2, architecture="mlp", pretrain_epochs=2, max_epochs=2,
                     random_state=0).fit(X)
    assert not np.allclose(est.transform(X), plain.transform(X))
    x = torch.from_numpy(X.reshape(40, -1))
    module.generator = torch.Generator().manual_seed(0)
    module.reconstruct = True  # the input a reconstruction is compared with
    module.train()
    augmented = module(x)["input"]
    assert augmented.shape == x.shape and not torch.equal(augmented, x)
    module.eval()  # predict, transform, the targets and score see the data as given
    assert torch.equal(module(x)["input"], x)
    check_same_seed_same_labels_and_global_state_untouched(
        lambda: tiny_dec(n_clusters=2, batch_augmentations=["flip"], random_state=3), X)
    check_pickle_round_trip_predicts_the_same(est, X)


@pytest.mark.parametrize("params, optimizer, lr, momentum", [
    (dict(clustering_optimizer="adam"), torch.optim.Adam, 1e-3, None),
    (dict(clustering_optimizer="adam", clustering_lr=2e-3), torch.optim.Adam, 2e-3, None),
    (dict(), torch.optim.SGD, 0.01, 0.9),  # the default: DEC's
    (dict(clustering_lr=0.05), torch.optim.SGD, 0.05, 0.9),
])
def test_clustering_optimizer_is_used_after_pretraining_only(blobs, params, optimizer, lr,
                                                             momentum):
    X, y = blobs
    est = tiny_dec(n_clusters=3, pretrain_epochs=20, max_epochs=10, random_state=0,
                   **params).fit(X)
    group = est.net_.optimizer_.param_groups[0]
    assert type(est.net_.optimizer_) is optimizer and group["lr"] == lr
    assert group.get("momentum") == momentum
    assert clustering_accuracy(y, est.labels_) > 0.95
    # pre-training is the same Adam whatever the clustering phase uses
    pretrained = [tiny_dec(n_clusters=3, pretrain_epochs=20, max_epochs=0, random_state=0,
                           **chosen).fit(X).transform(X) for chosen in (params, {})]
    np.testing.assert_array_equal(*pretrained)
    if params:
        default = tiny_dec(n_clusters=3, pretrain_epochs=20, max_epochs=10, random_state=0).fit(X)
        assert not np.allclose(est.transform(X), default.transform(X))
