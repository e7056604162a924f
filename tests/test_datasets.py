"""Tests of sklearn_deepcluster.datasets on small files written to tmp_path."""

import os

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy.spatial.distance import cdist

from sklearn_deepcluster.datasets import (
    get_data_home,
    load_coil20,
    load_coil100,
    load_mnist,
    load_usps,
    make_imbalanced,
    make_point_sets,
)

ENV_VAR = "SKLEARN_DEEPCLUSTER_DATA"
# Read before the autouse fixture below clears the variable for every test.
REAL_DATA_HOME = os.environ.get(ENV_VAR)

# (loader, keyword arguments, file read, image shape and dtype of the real file)
LOADERS = [
    (load_mnist, {}, "mnist.npz", (28, 28), np.uint8),
    (load_usps, {}, "usps.npz", (16, 16), np.float32),
    (load_usps, {"variant": "11k"}, "usps11k.npz", (16, 16), np.uint8),
    (load_coil20, {}, "coil20.npz", (128, 128), np.uint8),
    (load_coil20, {"size": 32}, "coil20_32.npz", (32, 32), np.float32),
    (load_coil100, {}, "coil100.npz", (3, 32, 32), np.uint8),
]


@pytest.fixture(autouse=True)
def no_env_var(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def write_npz(folder, filename, image_shape=(4, 4), dtype=np.uint8, n_samples=6):
    X = np.arange(n_samples * np.prod(image_shape)).reshape(n_samples, *image_shape).astype(dtype)
    y = np.arange(n_samples, dtype=np.int64) % 3
    np.savez_compressed(os.path.join(folder, filename), X=X, y=y)
    return X, y


def test_get_data_home_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == str(tmp_path / "home" / "sklearn_deepcluster_data")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert get_data_home() == str(tmp_path / "env")
    assert get_data_home(tmp_path / "arg") == str(tmp_path / "arg")
    assert get_data_home("~/data") == str(tmp_path / "home" / "data")
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("loader, kwargs, filename, image_shape, dtype", LOADERS)
def test_loader_reads_its_file(tmp_path, loader, kwargs, filename, image_shape, dtype):
    X, y = write_npz(tmp_path, filename, image_shape, dtype)
    bunch = loader(data_home=tmp_path, **kwargs)
    assert bunch.data.dtype == dtype
    assert_array_equal(bunch.data, X)
    assert bunch.images is bunch.data
    assert_array_equal(bunch.target, y)
    assert bunch.target.dtype == np.int64
    assert isinstance(bunch.DESCR, str) and bunch.DESCR

    X_only, y_only = loader(data_home=str(tmp_path), return_X_y=True, **kwargs)
    assert_array_equal(X_only, X)
    assert_array_equal(y_only, y)


def test_loader_uses_env_var_then_home(tmp_path, monkeypatch):
    env_X, _ = write_npz(tmp_path, "mnist.npz", dtype=np.uint8)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert_array_equal(load_mnist().data, env_X)

    home = tmp_path / "home"
    (home / "sklearn_deepcluster_data").mkdir(parents=True)
    home_X, _ = write_npz(home / "sklearn_deepcluster_data", "mnist.npz", dtype=np.float32)
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("HOME", str(home))
    assert_array_equal(load_mnist().data, home_X)


def test_missing_file_message(tmp_path, monkeypatch):
    write_npz(tmp_path, "coil20.npz")
    with pytest.raises(FileNotFoundError) as excinfo:
        load_coil20(size=32, data_home=tmp_path)
    message = str(excinfo.value)
    assert "'coil20_32.npz'" in message
    assert repr(str(tmp_path)) in message
    assert "data_home" in message and ENV_VAR in message

    monkeypatch.setenv(ENV_VAR, str(tmp_path / "elsewhere"))
    with pytest.raises(FileNotFoundError, match="'mnist.npz' not found in .*elsewhere"):
        load_mnist()


def test_malformed_file_message(tmp_path):
    (tmp_path / "mnist.npz").write_text("not an archive")
    np.savez(tmp_path / "usps.npz", X=np.zeros((3, 16, 16)))
    np.savez(tmp_path / "coil100.npz", X=np.zeros((3, 4)), y=np.zeros(2, int))
    with pytest.raises(ValueError, match="mnist.npz' is not an .npz file holding arrays X and y"):
        load_mnist(data_home=tmp_path)
    with pytest.raises(ValueError, match="usps.npz' is not an .npz file holding arrays X and y"):
        load_usps(data_home=tmp_path)
    with pytest.raises(ValueError, match="holds 3 samples in X but 2 labels in y"):
        load_coil100(data_home=tmp_path)


def test_loader_parameter_errors(tmp_path):
    with pytest.raises(ValueError, match="variant must be"):
        load_usps(variant="7291", data_home=tmp_path)
    with pytest.raises(ValueError, match="size must be"):
        load_coil20(size=64, data_home=tmp_path)


@pytest.mark.data
def test_real_files():
    if REAL_DATA_HOME is None:
        pytest.skip(f"set {ENV_VAR} to the folder with the benchmark .npz files")
    n_samples = {
        "mnist.npz": 70000,
        "usps.npz": 9298,
        "usps11k.npz": 11000,
        "coil20.npz": 1440,
        "coil20_32.npz": 1440,
        "coil100.npz": 7200,
    }
    for loader, kwargs, filename, image_shape, dtype in LOADERS:
        X, y = loader(data_home=REAL_DATA_HOME, return_X_y=True, **kwargs)
        assert X.shape == (n_samples[filename], *image_shape)
        assert X.dtype == dtype
        assert y.shape == (n_samples[filename],)
        assert y.dtype == np.int64
        assert y.min() == 0
    # The row orders that the docstrings state.
    assert_array_equal(load_usps(variant="11k", data_home=REAL_DATA_HOME).target,
                       np.repeat([1, 2, 3, 4, 5, 6, 7, 8, 9, 0], 1100))
    for loader, kwargs in [(load_coil20, {}), (load_coil20, {"size": 32}), (load_coil100, {})]:
        y = loader(data_home=REAL_DATA_HOME, **kwargs).target
        assert_array_equal(y, np.arange(len(y)) // 72)


def test_point_sets_shapes_range_and_labels():
    X, y = make_point_sets(n_sets=40, n_points=30, max_clusters=4, min_clusters=2, random_state=0)
    assert X.shape == (40, 30, 2) and X.dtype == np.float32
    assert y.shape == (40, 30) and y.dtype == np.int64
    assert X.min() >= 0.0 and X.max() <= 1.0
    n_clusters = y.max(axis=1) + 1
    assert set(n_clusters) == {2, 3, 4}
    for labels, k in zip(y, n_clusters):
        counts = np.bincount(labels)
        assert len(counts) == k and counts.min() >= 2


def test_point_sets_default_cluster_range():
    _, y = make_point_sets(n_sets=60, random_state=0)
    assert y.shape == (60, 72)
    assert set(y.max(axis=1) + 1) == {1, 2, 3, 4, 5}


def test_point_sets_two_points_per_cluster_at_the_minimum():
    _, y = make_point_sets(n_sets=5, n_points=10, max_clusters=5, min_clusters=5, random_state=0)
    for labels in y:
        assert_array_equal(np.bincount(labels), [2, 2, 2, 2, 2])


def test_point_sets_fill_the_unit_square():
    X, _ = make_point_sets(n_sets=10, random_state=0)
    # Shapes are kept: the wider axis spans [0, 1], the other is centred.
    spans = X.max(axis=1) - X.min(axis=1)
    assert_array_equal(spans.max(axis=1), np.ones(10, dtype=np.float32))
    assert np.allclose(X.max(axis=1) + X.min(axis=1), 1.0, atol=1e-6)


def test_point_sets_clusters_do_not_overlap():
    X, y = make_point_sets(n_sets=30, min_clusters=2, random_state=0)
    for points, labels in zip(X, y):
        distances = cdist(points, points)
        assert distances[labels[:, None] != labels[None, :]].min() > 0.01


def test_point_sets_are_deterministic():
    X1, y1 = make_point_sets(n_sets=3, random_state=42)
    X2, y2 = make_point_sets(n_sets=3, random_state=np.random.RandomState(42))
    assert_array_equal(X1, X2)
    assert_array_equal(y1, y2)
    X3, _ = make_point_sets(n_sets=3, random_state=43)
    assert not np.array_equal(X1, X3)


def test_point_sets_leave_global_state_alone():
    state = np.random.get_state()
    make_point_sets(n_sets=2, random_state=0)
    assert_array_equal(np.random.get_state()[1], state[1])


@pytest.mark.parametrize(
    "params, error",
    [
        ({"n_sets": 0}, ValueError),
        ({"n_sets": 1.5}, TypeError),
        ({"min_clusters": 0}, ValueError),
        ({"min_clusters": 3, "max_clusters": 2}, ValueError),
        ({"n_points": 9, "max_clusters": 5}, ValueError),
    ],
)
def test_point_sets_parameter_errors(params, error):
    with pytest.raises(error):
        make_point_sets(**params)


def test_imbalanced_retention_is_linear_in_the_class_index():
    # 3 classes of 2000: keep probabilities 0.2, 0.6 and 1.
    y = np.repeat([5, 7, 9], 2000)
    X = np.arange(len(y)).reshape(-1, 1)
    X_sub, y_sub = make_imbalanced(X, y, retention=0.2, random_state=0)
    counts = np.array([(y_sub == c).sum() for c in (5, 7, 9)])
    assert abs(counts[0] - 400) < 60 and abs(counts[1] - 1200) < 60
    assert counts[2] == 2000
    # Kept samples keep their labels and their order.
    assert_array_equal(y_sub, y[X_sub[:, 0]])
    assert np.all(np.diff(X_sub[:, 0]) > 0)


def test_imbalanced_keeps_image_shape_and_is_deterministic():
    X = np.zeros((100, 3, 4, 4), dtype=np.uint8)
    y = np.repeat(np.arange(4), 25)
    X1, y1 = make_imbalanced(X, y, random_state=1)
    X2, y2 = make_imbalanced(X, y, random_state=1)
    assert X1.shape[1:] == (3, 4, 4) and X1.dtype == np.uint8
    assert len(X1) == len(y1) < 100
    assert_array_equal(y1, y2)


def test_imbalanced_retention_one_keeps_everything():
    X, y = np.ones((10, 2)), np.arange(10) % 2
    X_sub, y_sub = make_imbalanced(X, y, retention=1.0, random_state=0)
    assert_array_equal(X_sub, X)
    assert_array_equal(y_sub, y)


@pytest.mark.parametrize("retention", [0.0, 1.5, -0.1, float("nan"), True])
def test_imbalanced_retention_errors(retention):
    with pytest.raises(ValueError, match="retention"):
        make_imbalanced(np.ones((4, 2)), [0, 0, 1, 1], retention=retention)


def test_imbalanced_length_mismatch():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make_imbalanced(np.ones((4, 2)), [0, 1, 1])
