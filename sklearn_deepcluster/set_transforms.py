"""Symmetries of sets, for ``LearnedClusterer(set_transforms=...)``.

A set transform maps one set ``(n, n_features)`` to another of the same
shape whose clustering is the same. ``LearnedClusterer`` averages its
predictions over the set and its transformed copies; the transforms should
be symmetries of the training distribution, so that each copy is a set the
network could have been trained on.
"""

from functools import partial
from numbers import Integral

import numpy as np
import torch
from sklearn.utils.validation import check_scalar

from .augment import distort


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
    images, shape = _image_set(X, image_shape, "flip_images")
    return images[..., ::-1].reshape(shape).copy()


def _image_set(X, image_shape, name):
    """One set of images as ``(n, H, W)`` or ``(n, C, H, W)``, and the shape ``X`` had."""
    X = np.asarray(X)
    if image_shape is not None:
        if X.ndim != 2 or X.shape[1] != np.prod(image_shape):
            raise ValueError(f"{name} with image_shape={tuple(image_shape)} takes flat "
                             f"rows of {int(np.prod(image_shape))} values; got shape {X.shape}.")
        return X.reshape(len(X), *image_shape), X.shape
    if X.ndim not in (3, 4):
        raise ValueError(f"{name} takes one set of images, of shape (n, H, W) or "
                         f"(n, C, H, W), or flat rows with image_shape; got shape {X.shape}.")
    return X, X.shape


def distort_images(X, seed=0, image_shape=None, grid=4, max_fraction=1 / 16):
    """Distort every image of a set by its own random grid distortion.

    :func:`sklearn_deepcluster.augment.distort` (the Augmentor distortion
    that paper 003 trains COIL-100 with), drawn from ``seed``: the same
    ``seed`` gives the same distortions. A distorted object is the same
    object, so for a network trained with ``augmentations`` that include
    ``"distort"`` a distorted set is one it was trained on; several such
    copies as ``set_transforms`` average its outputs over distortions
    (test-time augmentation, not in the paper). Use
    :func:`random_distortions` to make them.

    Parameters
    ----------
    X : array-like of shape (n, H, W), (n, C, H, W) or (n, C * H * W)
        One set of images; flat rows need ``image_shape``.
    seed : int, default=0
        Seed of the distortions.
    image_shape : tuple (C, H, W) or (H, W), default=None
        Shape of one image when ``X`` is flat.
    grid, max_fraction
        As in :func:`~sklearn_deepcluster.augment.distort`.

    Returns
    -------
    X_distorted : ndarray of float32, of the shape of ``X``
        Each image stays within its own value range.
    """
    images, shape = _image_set(X, image_shape, "distort_images")
    images = torch.as_tensor(np.asarray(images, dtype=np.float32))
    channels = images.reshape(len(images), -1, *images.shape[-2:])
    generator = torch.Generator().manual_seed(seed)
    distorted = distort(channels, generator, grid=grid, max_fraction=max_fraction)
    return distorted.numpy().reshape(shape)


def random_distortions(n_copies, seed=0, image_shape=None):
    """``n_copies`` set transforms, each :func:`distort_images` with its own seed.

    Parameters
    ----------
    n_copies : int
        Number of distorted copies.
    seed : int, default=0
        The copies use the seeds ``seed, seed + 1, ...``.
    image_shape : tuple (C, H, W) or (H, W), default=None
        Shape of one image when the sets are given flat.

    Returns
    -------
    transforms : list of ``n_copies`` callables
        For ``LearnedClusterer(set_transforms=...)``, e.g. with
        :func:`flip_images`: ``[flip_images] + random_distortions(6)``; they
        pickle, so the estimator still does.
    """
    check_scalar(n_copies, "n_copies", Integral, min_val=1)
    return [partial(distort_images, seed=seed + i, image_shape=image_shape)
            for i in range(n_copies)]
