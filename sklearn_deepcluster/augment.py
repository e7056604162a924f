"""Batched image augmentations in plain torch (paper 002, §3.3 and Algorithm 1).

Every function takes a batch ``images`` of shape ``(n, C, H, W)`` and an
explicit :class:`torch.Generator`, draws one random parameter set per image
from that generator alone, and returns a tensor of the same shape, dtype and
device whose values stay within each image's own ``[min, max]``: geometric
transforms interpolate bilinearly with border padding (a convex combination
of input pixels), erasing fills with the image's minimum, and brightness and
contrast clip to the image's range. The same generator state therefore gives
the same output, and the global random state is never used.
"""

import math

import torch
from torch.nn import functional as F

#: Paper 002's augmentations (§3.3, Algorithm 1), in the order they are applied.
AUGMENTATIONS = ("rotate", "scale", "erase", "flip", "brightness", "contrast")

#: Every name :func:`augment` accepts: paper 002's, ``"shift"`` (random
#: translations), ``"affine"`` (rotation and translation in one resampling,
#: DEC-DA's augmentation; Guo et al., 2018), ``"grayscale"`` (colour
#: images turned grey at random) and ``"distort"`` (the random grid
#: distortion of paper 003's COIL-100 experiment, §VI-C).
ALL_AUGMENTATIONS = (*AUGMENTATIONS, "shift", "affine", "grayscale", "distort")

#: Luminance weights of R, G and B (ITU-R BT.601, as torchvision's ``Grayscale``).
LUMINANCE_WEIGHTS = (0.299, 0.587, 0.114)


def _uniform(n, low, high, generator, like):
    """``n`` draws from U(low, high) on the generator's device, moved to ``like``'s."""
    u = torch.rand(n, generator=generator, device=generator.device)
    return (low + (high - low) * u).to(device=like.device, dtype=like.dtype)


def _image_range(images):
    """Per-image minimum and maximum over channels and pixels, shaped (n, 1, 1, 1)."""
    flat = images.reshape(len(images), -1)
    shape = (len(images), 1, 1, 1)
    return flat.min(dim=1).values.reshape(shape), flat.max(dim=1).values.reshape(shape)


def _sample(images, grid):
    """Read ``images`` at ``grid`` (n, H, W, 2), normalised (x, y) coordinates.

    Bilinear with border padding: every output value is a convex combination
    of input pixels, so each image keeps its value range.
    """
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border",
                         align_corners=False)


def _warp(images, theta):
    """Resample ``images`` through the affine maps ``theta`` (n, 2, 3) of normalised coordinates."""
    return _sample(images, F.affine_grid(theta, list(images.shape), align_corners=False))


def _random_angles(images, generator, max_degrees):
    """One angle per image from U(-max_degrees, max_degrees), in radians."""
    return _uniform(len(images), -max_degrees, max_degrees, generator, images) * (math.pi / 180)


def _random_offsets(images, generator, max_fraction):
    """Horizontal and vertical offsets, each from U(-max_fraction, max_fraction) of the size.

    Returned in normalised coordinates, where the image spans [-1, 1].
    """
    dx = _uniform(len(images), -max_fraction, max_fraction, generator, images) * 2
    dy = _uniform(len(images), -max_fraction, max_fraction, generator, images) * 2
    return dx, dy


def _rotation_and_offset(images, angle, dx, dy):
    """Affine maps (n, 2, 3) rotating by ``angle`` about the centre, then moving by (dx, dy).

    The rotation is in pixel space, so non-square images are not sheared.
    """
    _, _, h, w = images.shape
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack([torch.stack([cos, -sin * h / w, dx], dim=1),
                        torch.stack([sin * w / h, cos, dy], dim=1)], dim=1)


def rotate(images, generator, max_degrees=15.0):
    """Rotate each image about its centre by an angle drawn from U(-max_degrees, max_degrees)."""
    angle = _random_angles(images, generator, max_degrees)
    zero = torch.zeros_like(angle)
    return _warp(images, _rotation_and_offset(images, angle, zero, zero))


def scale(images, generator, low=0.9, high=1.1):
    """Zoom each image about its centre by a factor drawn from U(low, high)."""
    n = len(images)
    inverse = 1.0 / _uniform(n, low, high, generator, images)
    zero = torch.zeros_like(inverse)
    theta = torch.stack([torch.stack([inverse, zero, zero], dim=1),
                         torch.stack([zero, inverse, zero], dim=1)], dim=1)
    return _warp(images, theta)


def erase(images, generator, area=(0.02, 0.2), aspect=(0.3, 3.3), p=0.5):
    """Random erasing: with probability ``p``, set a random rectangle to the image's minimum.

    The rectangle covers a fraction ``U(*area)`` of the image, with a
    log-uniform aspect ratio in ``aspect`` (Zhong et al., 2020).
    """
    n, _, h, w = images.shape
    fraction = _uniform(n, *area, generator, images)
    ratio = torch.exp(_uniform(n, math.log(aspect[0]), math.log(aspect[1]), generator, images))
    height = torch.sqrt(fraction * h * w * ratio).round().clamp(1, h)
    width = torch.sqrt(fraction * h * w / ratio).round().clamp(1, w)
    top = torch.floor(_uniform(n, 0, 1, generator, images) * (h - height + 1))
    left = torch.floor(_uniform(n, 0, 1, generator, images) * (w - width + 1))
    apply = _uniform(n, 0, 1, generator, images) < p
    rows = torch.arange(h, device=images.device, dtype=images.dtype)
    cols = torch.arange(w, device=images.device, dtype=images.dtype)
    in_rows = (rows >= top[:, None]) & (rows < (top + height)[:, None])
    in_cols = (cols >= left[:, None]) & (cols < (left + width)[:, None])
    mask = in_rows[:, :, None] & in_cols[:, None, :] & apply[:, None, None]
    low, _ = _image_range(images)
    return torch.where(mask[:, None], low, images)


def shift(images, generator, max_fraction=0.1):
    """Translate each image by up to ``max_fraction`` of its height and width.

    The horizontal and vertical offsets are drawn independently from
    U(-max_fraction, max_fraction) times the image's width and height
    (DEC-DA's random shifts, Guo et al., 2018).
    """
    dx, dy = _random_offsets(images, generator, max_fraction)
    return _warp(images, _rotation_and_offset(images, torch.zeros_like(dx), dx, dy))


def affine(images, generator, max_degrees=10.0, max_fraction=0.1):
    """Rotate and translate each image in a single resampling.

    The angle is drawn from U(-max_degrees, max_degrees) and the offsets as
    in :func:`shift`. These are DEC-DA's augmentations for digits (Keras'
    ``ImageDataGenerator(rotation_range=10, width_shift_range=0.1,
    height_shift_range=0.1)``, whose default fill repeats the border pixels, as
    here; Guo et al., 2018). ``augment(x, g, ("shift", "rotate"))`` instead
    resamples twice, which blurs the image twice, and rotates by up to 15 degrees.
    """
    angle = _random_angles(images, generator, max_degrees)
    dx, dy = _random_offsets(images, generator, max_fraction)
    return _warp(images, _rotation_and_offset(images, angle, dx, dy))


def flip(images, generator, p=0.5):
    """Mirror each image left-right with probability ``p``."""
    apply = _uniform(len(images), 0, 1, generator, images) < p
    return torch.where(apply[:, None, None, None], images.flip(-1), images)


def brightness(images, generator, max_delta=0.2):
    """Shift each image by U(-max_delta, max_delta) times its value range, clipped to that range."""
    low, high = _image_range(images)
    delta = _uniform(len(images), -max_delta, max_delta, generator, images)
    return torch.clamp(images + delta[:, None, None, None] * (high - low), low, high)


def contrast(images, generator, low=0.8, high=1.2):
    """Scale each image's deviations from its mean by U(low, high), clipped to its range."""
    lowest, highest = _image_range(images)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    factor = _uniform(len(images), low, high, generator, images)[:, None, None, None]
    return torch.clamp(mean + factor * (images - mean), lowest, highest)


def grayscale(images, generator, p=0.2):
    """With probability ``p``, replace every channel of an image by its grey level.

    The grey level is the luminance ``0.299 R + 0.587 G + 0.114 B`` for three
    channels (as torchvision's ``RandomGrayscale``, default ``p`` included) and
    the channels' mean otherwise, so single-channel images are unchanged. A
    network trained to group such images with coloured ones of the same
    object cannot rely on colour alone.
    """
    n, c = images.shape[:2]
    apply = _uniform(n, 0, 1, generator, images) < p
    weights = LUMINANCE_WEIGHTS if c == 3 else (1.0 / c,) * c
    weights = torch.tensor(weights, dtype=images.dtype, device=images.device)
    grey = torch.einsum("nchw,c->nhw", images, weights)[:, None].expand_as(images)
    return torch.where(apply[:, None, None, None], grey, images)


def distort(images, generator, grid=4, max_fraction=1 / 16):
    """Random grid distortion: move the inner vertices of a ``grid`` x ``grid`` mesh.

    Each inner vertex of a regular mesh of ``grid`` x ``grid`` cells moves
    by horizontal and vertical offsets drawn independently from
    U(-max_fraction, max_fraction) times the image's width and height; the
    border vertices stay, and every pixel moves by the bilinear interpolation
    of its cell's vertex offsets. This is the Augmentor library's
    ``random_distortion`` that paper 003 applies to COIL-100 (§VI-C: grid
    4 x 4, magnitude 8 pixels on 128 x 128 images, hence the default 1/16;
    Augmentor warps each cell by a quadrilateral mesh transform, which this
    bilinear field follows, and draws whole-pixel offsets).
    """
    n, _, h, w = images.shape
    offsets = _uniform(n * 2 * (grid - 1) ** 2, -max_fraction, max_fraction, generator, images)
    inner = offsets.reshape(n, 2, grid - 1, grid - 1) * 2  # in normalised coordinates
    vertices = F.pad(inner, (1, 1, 1, 1))  # the border vertices do not move
    field = F.interpolate(vertices, size=(h, w), mode="bilinear", align_corners=True)
    identity = torch.eye(2, 3, dtype=images.dtype, device=images.device).expand(n, 2, 3)
    base = F.affine_grid(identity, list(images.shape), align_corners=False)
    return _sample(images, base + field.permute(0, 2, 3, 1))


_FUNCTIONS = {"rotate": rotate, "scale": scale, "erase": erase, "flip": flip,
              "brightness": brightness, "contrast": contrast, "shift": shift,
              "affine": affine, "grayscale": grayscale, "distort": distort}


def check_augmentations(names, parameter="augmentations"):
    """Raise a ``ValueError`` naming ``parameter`` if ``names`` holds an unknown name."""
    unknown = sorted(set(names) - set(ALL_AUGMENTATIONS))
    if unknown:
        raise ValueError(f"{parameter} has unknown names {unknown}; "
                         f"choose from {ALL_AUGMENTATIONS}.")


def augment(images, generator, names=AUGMENTATIONS):
    """Apply the augmentations ``names`` one after the other, each with its own random draw.

    Parameters
    ----------
    images : tensor of shape (n, C, H, W)
    generator : torch.Generator
        The only source of randomness.
    names : sequence of str, default=AUGMENTATIONS
        Names from ``ALL_AUGMENTATIONS``; applied in the order given.

    Returns
    -------
    augmented : tensor of shape (n, C, H, W)
        Same dtype and device; every image stays within its own value range.
    """
    check_augmentations(names)
    for name in names:
        images = _FUNCTIONS[name](images, generator)
    return images
