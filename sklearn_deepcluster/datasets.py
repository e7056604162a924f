"""Benchmark datasets and synthetic generators.

The loaders read local ``.npz`` files, each holding two arrays: ``X`` (the
images, in the dtype of their source) and ``y`` (int64 labels ``0..K-1``).
Nothing is downloaded. The files are looked up in a data folder chosen by
:func:`get_data_home`.
"""

import numbers
import os

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_scalar, check_X_y

__all__ = [
    "get_data_home",
    "load_coil100",
    "load_coil20",
    "load_mnist",
    "load_usps",
    "make_imbalanced",
    "make_point_sets",
]

_ENV_VAR = "SKLEARN_DEEPCLUSTER_DATA"

_DESCR = {
    "mnist.npz": (
        "MNIST handwritten digits: 70,000 images of 28x28, uint8 in 0..255, 10 "
        "classes (the digits). Rows 0..59999 are the official training set, "
        "rows 60000..69999 the test set."
    ),
    "usps.npz": (
        "USPS handwritten digits (the 9,298-image version used by DEC, IDEC and "
        "DCEC): 16x16 images, float32 in [0, 1], 10 classes (the digits). Rows "
        "0..7290 are the training set, rows 7291..9297 the test set."
    ),
    "usps11k.npz": (
        "USPS handwritten digits (the 11,000-image 'usps_all' version): 16x16 "
        "images, uint8 in 0..255, 10 classes (the digits), 1,100 per class. "
        "Rows come in blocks of 1,100 of one digit, in the order 1, 2, ..., 9, 0."
    ),
    "coil20.npz": (
        "COIL-20 (processed): 1,440 grayscale images of 128x128, uint8 in "
        "0..255, 20 objects with 72 poses each. Row 72*o + p is pose p of "
        "object o (label o)."
    ),
    "coil20_32.npz": (
        "COIL-20 (the classic 32x32 version): 1,440 grayscale images of 32x32, "
        "float32 in [0, 1] (4x4 block means of the 128x128 images divided by "
        "255), 20 objects with 72 poses each. Row 72*o + p is pose p of object "
        "o (label o)."
    ),
    "coil100.npz": (
        "COIL-100, downsampled to 32x32 RGB: 7,200 images of shape (3, 32, 32) "
        "(channels R, G, B), uint8 in 0..255, 100 objects with 72 poses each. "
        "Row 72*o + k is object o seen at 5k degrees (label o)."
    ),
}

# Group kinds of make_point_sets and the number of clusters each one holds.
_POINT_GROUPS = {"blob": 1, "ring": 1, "moon": 1, "circles": 2, "moons": 2}
# Minimum points per cluster of a point set (n_m = 2 in Meier et al., section V).
_MIN_POINTS_PER_CLUSTER = 2
# Standard deviation of the noise along rings and moons, in shape coordinates.
_CURVE_NOISE = 0.03


def get_data_home(data_home=None):
    """Return the folder where the dataset files are looked up.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. If None, the environment variable
        ``SKLEARN_DEEPCLUSTER_DATA`` is used if set, else
        ``~/sklearn_deepcluster_data``. A leading ``~`` is expanded.

    Returns
    -------
    data_home : str
        The path of the data folder. It is not created.
    """
    if data_home is None:
        data_home = os.environ.get(_ENV_VAR, os.path.join("~", "sklearn_deepcluster_data"))
    return os.path.expanduser(os.fspath(data_home))


def _load(filename, data_home, return_X_y):
    """Read ``filename`` from the data folder and return a Bunch or ``(X, y)``."""
    folder = get_data_home(data_home)
    path = os.path.join(folder, filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"Dataset file {filename!r} not found in {folder!r}. Put the file "
            f"(an .npz with arrays X and y) in that folder, or point to the folder "
            f"that holds it with the data_home argument or the {_ENV_VAR} "
            f"environment variable."
        )
    try:
        with np.load(path) as npz:
            X, y = npz["X"], npz["y"]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"{path!r} is not an .npz file holding arrays X and y ({exc}).") from exc
    if len(X) != len(y):
        raise ValueError(f"{path!r} holds {len(X)} samples in X but {len(y)} labels in y.")
    if return_X_y:
        return X, y
    return Bunch(data=X, target=y, images=X, DESCR=_DESCR[filename])


def load_mnist(*, data_home=None, return_X_y=False):
    """Load MNIST (70,000 handwritten digits) from ``mnist.npz``.

    ``X`` has shape (70000, 28, 28), dtype uint8, values in 0..255; ``y`` holds
    the digits 0..9. Rows 0..59999 are the training set, 60000..69999 the test
    set. ``X`` is returned as stored: scale it yourself, e.g. ``X / 255``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the file; see :func:`get_data_home`.

    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``data`` and ``images``
        (both the array ``X``), ``target`` (the labels ``y``) and ``DESCR``.

    (X, y) : tuple of ndarray
        Returned instead of the Bunch when ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the file is not in the data folder.
    """
    return _load("mnist.npz", data_home, return_X_y)


def load_usps(*, variant="9298", data_home=None, return_X_y=False):
    """Load the USPS handwritten digits.

    ``variant="9298"`` reads ``usps.npz``: the 9,298 digits used by DEC, IDEC
    and DCEC, ``X`` of shape (9298, 16, 16), dtype float32, values in [0, 1];
    rows 0..7290 are the training set, 7291..9297 the test set.
    ``variant="11k"`` reads ``usps11k.npz``: 11,000 digits (1,100 per class,
    in blocks of one digit in the order 1, 2, ..., 9, 0), ``X`` of shape
    (11000, 16, 16), dtype uint8, values in 0..255. In both, ``y`` holds the
    digits 0..9 and ``X`` is returned as stored.

    Parameters
    ----------
    variant : {"9298", "11k"}, default="9298"
        Which version of USPS to load.

    data_home : str or path-like, default=None
        Folder holding the file; see :func:`get_data_home`.

    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``data`` and ``images``
        (both the array ``X``), ``target`` (the labels ``y``) and ``DESCR``.

    (X, y) : tuple of ndarray
        Returned instead of the Bunch when ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the file is not in the data folder.
    """
    if variant not in ("9298", "11k"):
        raise ValueError(f"variant must be '9298' or '11k', got {variant!r}.")
    filename = "usps.npz" if variant == "9298" else "usps11k.npz"
    return _load(filename, data_home, return_X_y)


def load_coil20(*, size=128, data_home=None, return_X_y=False):
    """Load COIL-20 (20 objects, 72 poses each).

    ``size=128`` reads ``coil20.npz``: ``X`` of shape (1440, 128, 128), dtype
    uint8, values in 0..255. ``size=32`` reads ``coil20_32.npz``, the classic
    32x32 version: ``X`` of shape (1440, 32, 32), dtype float32, values in
    [0, 1]. In both, row ``72 * o + p`` is pose ``p`` of object ``o``, ``y``
    holds the objects 0..19 and ``X`` is returned as stored.

    Parameters
    ----------
    size : {128, 32}, default=128
        Side of the images.

    data_home : str or path-like, default=None
        Folder holding the file; see :func:`get_data_home`.

    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``data`` and ``images``
        (both the array ``X``), ``target`` (the labels ``y``) and ``DESCR``.

    (X, y) : tuple of ndarray
        Returned instead of the Bunch when ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the file is not in the data folder.
    """
    if size not in (128, 32):
        raise ValueError(f"size must be 128 or 32, got {size!r}.")
    filename = "coil20.npz" if size == 128 else "coil20_32.npz"
    return _load(filename, data_home, return_X_y)


def load_coil100(*, data_home=None, return_X_y=False):
    """Load COIL-100 (100 objects, 72 poses each), downsampled to 32x32 RGB.

    Reads ``coil100.npz``: ``X`` of shape (7200, 3, 32, 32) (channels R, G, B),
    dtype uint8, values in 0..255; row ``72 * o + k`` is object ``o`` seen at
    ``5 * k`` degrees, ``y`` holds the objects 0..99 and ``X`` is returned as
    stored.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the file; see :func:`get_data_home`.

    return_X_y : bool, default=False
        If True, return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``data`` and ``images``
        (both the array ``X``), ``target`` (the labels ``y``) and ``DESCR``.

    (X, y) : tuple of ndarray
        Returned instead of the Bunch when ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If the file is not in the data folder.
    """
    return _load("coil100.npz", data_home, return_X_y)


def _ring(n, radius, rng):
    """``n`` noisy points on a circle of the given radius."""
    angle = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = radius + rng.normal(0.0, _CURVE_NOISE, n)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def _half_moon(n, rng):
    """``n`` points on the upper unit half circle (noise is added by the caller)."""
    angle = rng.uniform(0.0, np.pi, n)
    return np.column_stack([np.cos(angle), np.sin(angle)])


def _point_group(kind, sizes, rng):
    """Clusters of one group, as a list of arrays inside the unit disc."""
    if kind == "blob":
        clusters = [rng.normal(0.0, rng.uniform(0.15, 0.3), (sizes[0], 2))]
    elif kind == "ring":
        clusters = [_ring(sizes[0], 0.9, rng)]
    elif kind == "circles":
        inner = 0.9 * rng.uniform(0.2, 0.5)
        clusters = [_ring(sizes[0], 0.9, rng), _ring(sizes[1], inner, rng)]
    elif kind == "moon":
        moon = 0.8 * (_half_moon(sizes[0], rng) - [0.0, 0.5])
        clusters = [moon + rng.normal(0.0, _CURVE_NOISE, moon.shape)]
    else:  # "moons": two interleaved half moons, as in sklearn's make_moons
        upper = _half_moon(sizes[0], rng)
        lower = [1.0, 0.5] - _half_moon(sizes[1], rng)
        clusters = [
            0.6 * (moon - [0.5, 0.25]) + rng.normal(0.0, _CURVE_NOISE, moon.shape)
            for moon in (upper, lower)
        ]
    # Pull the rare points outside the unit disc (noise, blob tails) onto its border.
    return [
        cluster / np.maximum(np.linalg.norm(cluster, axis=1, keepdims=True), 1.0)
        for cluster in clusters
    ]


def _point_set(n_points, n_clusters, rng):
    """One point set with ``n_clusters`` clusters, rescaled into [0, 1]^2."""
    sizes = _MIN_POINTS_PER_CLUSTER + rng.multinomial(
        n_points - _MIN_POINTS_PER_CLUSTER * n_clusters, np.full(n_clusters, 1.0 / n_clusters)
    )
    groups, left = [], n_clusters
    while left:
        groups.append(rng.choice([kind for kind, k in _POINT_GROUPS.items() if k <= left]))
        left -= _POINT_GROUPS[groups[-1]]

    # Each group gets its own cell of a grid, so that groups never overlap.
    side = int(np.ceil(np.sqrt(len(groups))))
    cells = rng.choice(side * side, size=len(groups), replace=False)
    points, labels, first = [], [], 0
    for kind, cell in zip(groups, cells):
        n_group = _POINT_GROUPS[kind]
        clusters = _point_group(kind, sizes[first : first + n_group], rng)
        angle = rng.uniform(0.0, 2.0 * np.pi)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        # The group's disc gets a radius of 30-45% of the cell side and stays inside the cell.
        scale = rng.uniform(0.3, 0.45) / side
        slack = 0.45 / side - scale
        center = (np.array([cell % side, cell // side]) + 0.5) / side
        center = center + rng.uniform(-slack, slack, 2)
        for label, cluster in enumerate(clusters, start=first):
            points.append(scale * cluster @ rotation.T + center)
            labels.append(np.full(len(cluster), label))
        first += n_group

    X, y = np.concatenate(points), np.concatenate(labels)
    low, high = X.min(axis=0), X.max(axis=0)
    X = np.clip((X - (low + high) / 2.0) / (high - low).max() + 0.5, 0.0, 1.0)
    order = rng.permutation(n_points)
    return X[order], y[order]


def make_point_sets(n_sets=1, n_points=72, max_clusters=5, min_clusters=1, random_state=None):
    """Generate sets of 2-D points in clusters of different shapes.

    The point sets of Meier et al. (section VI-A). For each set, the number of
    clusters ``k`` is drawn uniformly from ``min_clusters..max_clusters``.
    Every cluster first gets 2 points, the remaining ``n_points - 2 k`` points
    are spread over the clusters uniformly at random. The clusters come in
    groups: a Gaussian blob, a noisy ring or a noisy half moon (one cluster
    each), two concentric rings or two interleaved half moons (two clusters
    each), chosen uniformly among the groups that still fit in ``k``. Each
    group is rotated at random and placed in its own cell of a square grid, so
    groups never overlap. Finally the set is shifted and scaled (by the same
    factor along both axes, preserving shapes) to span ``[0, 1]`` along its
    wider axis and centred in ``[0, 1]^2``, and its points are shuffled.

    Parameters
    ----------
    n_sets : int, default=1
        Number of point sets.

    n_points : int, default=72
        Number of points in each set; at least ``2 * max_clusters``.

    max_clusters : int, default=5
        Largest number of clusters in a set.

    min_clusters : int, default=1
        Smallest number of clusters in a set.

    random_state : int, RandomState instance or None, default=None
        Seeds the generator; pass an int for reproducible output.

    Returns
    -------
    X : ndarray of shape (n_sets, n_points, 2), dtype float32
        The points, in ``[0, 1]^2``.

    y : ndarray of shape (n_sets, n_points), dtype int64
        The cluster of each point, ``0..k-1`` for a set with ``k`` clusters.

    References
    ----------
    .. [1] B. Meier, T. Stadelmann and O. Dürr, "Learning to Cluster", 2018,
       sections V and VI-A.

    Examples
    --------
    >>> from sklearn_deepcluster.datasets import make_point_sets
    >>> X, y = make_point_sets(n_sets=4, random_state=0)
    >>> X.shape, y.shape
    ((4, 72, 2), (4, 72))
    """
    check_scalar(n_sets, "n_sets", numbers.Integral, min_val=1)
    check_scalar(min_clusters, "min_clusters", numbers.Integral, min_val=1)
    check_scalar(max_clusters, "max_clusters", numbers.Integral, min_val=min_clusters)
    min_points = _MIN_POINTS_PER_CLUSTER * max_clusters
    check_scalar(n_points, "n_points", numbers.Integral, min_val=min_points)
    rng = check_random_state(random_state)
    n_clusters = rng.randint(min_clusters, max_clusters + 1, size=n_sets)
    sets = [_point_set(n_points, k, rng) for k in n_clusters]
    X = np.stack([points for points, _ in sets]).astype(np.float32)
    y = np.stack([labels for _, labels in sets]).astype(np.int64)
    return X, y


def make_imbalanced(X, y, retention=0.1, random_state=None):
    r"""Subsample a dataset so that its classes become imbalanced.

    The protocol of Das et al. (section 4.5), after Xie et al. (DEC): with the
    ``K`` classes sorted, class ``c`` (``c = 0..K-1``) keeps each of its samples
    independently with probability

    .. math::

        r_c = r_{\min} + (1 - r_{\min}) \frac{c}{K - 1},

    so the first class keeps about a fraction ``retention`` (:math:`r_{\min}`)
    of its samples, the last class keeps all of them, and the classes in
    between fall linearly in between (a single class keeps a fraction
    ``retention``). Samples keep their order. A small class may lose all its
    samples when ``retention`` is small.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        The samples; images of any shape are accepted.

    y : array-like of shape (n_samples,)
        The class labels.

    retention : float in (0, 1], default=0.1
        The minimum retention rate :math:`r_{\min}`, used for the first class.

    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling; pass an int for reproducible output.

    Returns
    -------
    X_sub : ndarray of shape (n_kept, ...)
        The kept samples.

    y_sub : ndarray of shape (n_kept,)
        Their labels.

    References
    ----------
    .. [1] S. Das et al., "Deep Representation Learning Characterized by
       Inter-class Separation for Image Clustering", WACV 2019, section 4.5.
    .. [2] J. Xie, R. Girshick and A. Farhadi, "Unsupervised Deep Embedding for
       Clustering Analysis", ICML 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_deepcluster.datasets import make_imbalanced
    >>> X, y = np.zeros((1000, 2)), np.repeat([0, 1], 500)
    >>> X_sub, y_sub = make_imbalanced(X, y, retention=0.5, random_state=0)
    >>> int((y_sub == 1).sum())
    500
    """
    X, y = check_X_y(X, y, dtype=None, allow_nd=True)
    check_scalar(
        retention, "retention", numbers.Real, min_val=0.0, max_val=1.0, include_boundaries="right"
    )
    if isinstance(retention, bool) or np.isnan(retention):  # both pass check_scalar
        raise ValueError(f"retention must be a number in (0, 1], got {retention!r}.")
    rng = check_random_state(random_state)
    classes, class_index = np.unique(y, return_inverse=True)
    rates = np.linspace(retention, 1.0, len(classes))
    keep = rng.uniform(size=len(y)) < rates[class_index]
    return X[keep], y[keep]
