"""Symmetries of sets, for ``LearnedClusterer(set_transforms=...)``.

A set transform maps one set ``(n, n_features)`` to another of the same
shape whose clustering is the same. ``LearnedClusterer`` averages its
predictions over the set and its transformed copies; the transforms should
be symmetries of the training distribution, so that each copy is a set the
network could have been trained on.
"""

from functools import partial

import numpy as np


def rotate_points(X, quarter_turns=1, center=(0.5, 0.5)):
    """Rotate 2-D points counter-clockwise by ``quarter_turns`` times 90 degrees.

    Parameters
    ----------
    X : array-like of shape (n, 2)
        One set of points.
    quarter_turns : int, default=1
        Number of 90-degree turns; negative turns clockwise.
    center : tuple of 2 floats, default=(0.5, 0.5)
        Centre of the rotation; the default maps the unit square of
        :func:`~sklearn_deepcluster.datasets.make_point_sets` onto itself.

    Returns
    -------
    X_rotated : ndarray of shape (n, 2)

    Examples
    --------
    >>> from sklearn_deepcluster.set_transforms import rotate_points
    >>> rotate_points([[1.0, 0.5], [0.5, 0.0]])
    array([[0.5, 1. ],
           [1. , 0.5]])
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"rotate_points takes one set of 2-D points, of shape (n, 2); got "
                         f"shape {X.shape}.")
    center = np.asarray(center, dtype=np.float64)
    quarter_turn = np.array([[0.0, 1.0], [-1.0, 0.0]])  # (x, y) -> (-y, x) on rows
    return (X - center) @ np.linalg.matrix_power(quarter_turn, quarter_turns % 4) + center


def square_rotations(center=(0.5, 0.5)):
    """The three non-trivial rotations of the square about ``center``: 90, 180, 270 degrees.

    With the identity they form the rotation group of the square, under
    which the distribution of
    :func:`~sklearn_deepcluster.datasets.make_point_sets` is invariant (its
    grid of cells maps onto itself and each group is rotated at random);
    reflections are not symmetries of it, as they turn interleaved half
    moons into their mirror image.

    Returns
    -------
    transforms : list of 3 callables
        For ``LearnedClusterer(set_transforms=square_rotations())``; they
        pickle, so the estimator still does.
    """
    return [partial(rotate_points, quarter_turns=q, center=center) for q in (1, 2, 3)]


def flip_images(X, image_shape=None):
    """Mirror every image of a set left to right.

    For sets of photographed objects, such as COIL-100, the mirror image of
    an object is the same object: paper 003 (§VI-C) trains with random
    left-right flips, so a mirrored set is one the network was trained on.

    Parameters
    ----------
    X : array-like of shape (n, H, W), (n, C, H, W) or (n, C * H * W)
        One set of images; flat rows need ``image_shape``.
    image_shape : tuple (C, H, W) or (H, W), default=None
        Shape of one image when ``X`` is flat.

    Returns
    -------
    X_flipped : ndarray of the shape of ``X``

    Examples
    --------
    >>> from sklearn_deepcluster.set_transforms import flip_images
    >>> flip_images([[[1, 2], [3, 4]]])
    array([[[2, 1],
            [4, 3]]])
    >>> flip_images([[1, 2, 3, 4]], image_shape=(1, 2, 2))
    array([[2, 1, 4, 3]])
    """
    X = np.asarray(X)
    if image_shape is not None:
        if X.ndim != 2 or X.shape[1] != np.prod(image_shape):
            raise ValueError(f"flip_images with image_shape={tuple(image_shape)} takes flat "
                             f"rows of {int(np.prod(image_shape))} values; got shape {X.shape}.")
        return flip_images(X.reshape(len(X), *image_shape)).reshape(X.shape)
    if X.ndim not in (3, 4):
        raise ValueError(f"flip_images takes one set of images, of shape (n, H, W) or "
                         f"(n, C, H, W), or flat rows with image_shape; got shape {X.shape}.")
    return X[..., ::-1].copy()
