"""sklearn_deepcluster.plotting on a tiny fitted DEC (Agg backend)."""

import builtins

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from conftest import tiny_dec

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_deepcluster import plotting  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=60, centers=3, n_features=4, cluster_std=0.5, random_state=0)
    X = ((X - X.min(0)) / (X.max(0) - X.min(0))).astype(np.float32)
    return tiny_dec(n_clusters=3).fit(X), X, y


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_history_one_panel_per_term(fitted):
    dec, _, _ = fitted
    fig = plotting.plot_history(dec)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "train_loss"
    assert {"reconstruction", "kl"} <= set(titles)
    kl = fig.axes[titles.index("kl")].get_lines()[0].get_ydata()
    assert len(kl) == len(dec.history_)
    assert np.isnan(kl[0]) and np.isfinite(kl[-1])  # no KL during pre-training
    # the phase switch is drawn on every panel
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)


def test_plot_history_terms_and_list(fitted):
    dec, _, _ = fitted
    fig = plotting.plot_history(dec.history_, terms=["reconstruction"], logy=True)
    assert [ax.get_title() for ax in fig.axes] == ["reconstruction"]
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="Unknown history columns"):
        plotting.plot_history(dec, terms=["nope"])
    with pytest.raises(ValueError, match="empty"):
        plotting.plot_history([])


def test_plot_history_not_fitted():
    with pytest.raises(NotFittedError):
        plotting.plot_history(tiny_dec())


def test_plot_embedding_2d_with_centers(fitted):
    dec, X, y = fitted
    ax = plotting.plot_embedding(dec, X, y)
    points, centers = ax.collections
    np.testing.assert_allclose(points.get_offsets(), dec.transform(X), rtol=1e-5)
    np.testing.assert_allclose(centers.get_offsets(), dec.cluster_centers_, rtol=1e-5)
    assert ax.get_xlabel() == "z1"


def test_plot_embedding_of_a_pipeline_marks_its_clusterers_centers(fitted):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    _, X, y = fitted
    pipe = make_pipeline(FunctionTransformer(lambda X: 2 * X), tiny_dec(n_clusters=3)).fit(X)
    points, centers = plotting.plot_embedding(pipe, X, y).collections
    np.testing.assert_allclose(points.get_offsets(), pipe.transform(X), rtol=1e-5)
    np.testing.assert_allclose(centers.get_offsets(), pipe[-1].cluster_centers_, rtol=1e-5)


def test_plot_embedding_pca_and_predicted_colours(fitted):
    _, X, _ = fitted
    dec = tiny_dec(n_clusters=3, embedding_dim=4).fit(X)
    fig, ax = plt.subplots()
    assert plotting.plot_embedding(dec, X, ax=ax, s=3) is ax
    points = ax.collections[0]
    assert points.get_offsets().shape == (len(X), 2)
    assert ax.get_xlabel().startswith("PC 1")
    labels = dec.predict(X)
    np.testing.assert_array_equal(points.get_array(), np.unique(labels, return_inverse=True)[1])


def test_plot_embedding_errors(fitted):
    dec, X, _ = fitted
    with pytest.raises(ValueError, match="labels"):
        plotting.plot_embedding(dec, X, np.zeros(3))
    with pytest.raises(TypeError, match="no transform"):
        plotting.plot_embedding(object(), X)


def test_plot_embedding_leaves_out_centres_outside_the_embedding():
    from sklearn.cluster import KMeans
    X = np.random.default_rng(0).random((30, 4))
    kmeans = KMeans(2, n_init=1, random_state=0).fit(X)  # 2-d distances, 4-d centres
    assert len(plotting.plot_embedding(kmeans, X).collections) == 1  # the points only
    plt.close("all")


def test_plot_history_reads_none_as_missing_and_a_lone_term():
    history = [{"epoch": 1, "train_loss": 1.0, "valid_loss": None, "phase": "a"},
               {"epoch": 2, "train_loss": 0.5, "valid_loss": 0.3, "phase": "a"}]
    fig = plotting.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["train_loss", "valid_loss"]
    assert [ax.get_title() for ax in plotting.plot_history(history, "valid_loss").axes] == [
        "valid_loss"]
    with pytest.raises(ValueError, match="'phase' is not numeric"):
        plotting.plot_history(history, ["phase"])
    plt.close("all")


def test_missing_matplotlib_message(fitted, monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install sklearn-deepcluster\[plot\]"):
        plotting.plot_history(fitted[0])
