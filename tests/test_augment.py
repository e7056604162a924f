"""The batched torch augmentations of paper 002."""

import numpy as np
import pytest
import torch

from sklearn_deepcluster import augment as aug

NAMES = aug.ALL_AUGMENTATIONS


def images(n=6, c=1, h=9, w=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g) * 3 - 1  # values in [-1, 2]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def apply(name, x, seed=0, **kwargs):
    if name == "all":
        return aug.augment(x, gen(seed))
    return getattr(aug, name)(x, gen(seed), **kwargs)


@pytest.mark.parametrize("name", [*NAMES, "all"])
@pytest.mark.parametrize("shape", [(6, 1, 9, 7), (4, 3, 8, 8), (5, 1, 1, 12)])
def test_shape_dtype_and_per_image_range_are_kept(name, shape):
    x = images(*shape)
    out = apply(name, x)
    assert out.shape == x.shape and out.dtype == x.dtype
    low = x.reshape(len(x), -1).min(dim=1).values
    high = x.reshape(len(x), -1).max(dim=1).values
    flat = out.reshape(len(x), -1)
    assert torch.all(flat.min(dim=1).values >= low - 1e-6)
    assert torch.all(flat.max(dim=1).values <= high + 1e-6)


@pytest.mark.parametrize("name", [*NAMES, "all"])
def test_deterministic_for_a_seed_and_global_state_untouched(name):
    x = images(c=3)
    before = torch.random.get_rng_state()
    a, b = apply(name, x, seed=3), apply(name, x, seed=3)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(a, b)
    different = [apply(name, x, seed=s) for s in range(4, 9)]
    assert any(not torch.equal(a, d) for d in different)


def test_neutral_parameters_are_the_identity():
    x = images()
    torch.testing.assert_close(aug.rotate(x, gen(), max_degrees=0.0), x)
    torch.testing.assert_close(aug.scale(x, gen(), low=1.0, high=1.0), x)
    assert torch.equal(aug.erase(x, gen(), p=0.0), x)
    assert torch.equal(aug.flip(x, gen(), p=0.0), x)
    torch.testing.assert_close(aug.brightness(x, gen(), max_delta=0.0), x)
    torch.testing.assert_close(aug.contrast(x, gen(), low=1.0, high=1.0), x)
    torch.testing.assert_close(aug.shift(x, gen(), max_fraction=0.0), x)
    torch.testing.assert_close(aug.affine(x, gen(), max_degrees=0.0, max_fraction=0.0), x)
    torch.testing.assert_close(aug.distort(x, gen(), max_fraction=0.0), x)
    assert torch.equal(aug.grayscale(x, gen(), p=0.0), x)


def test_affine_is_the_rotation_and_the_shift_in_one_warp():
    x = images()
    rotated = aug.rotate(x, gen(), max_degrees=10.0)
    torch.testing.assert_close(aug.affine(x, gen(), max_degrees=10.0, max_fraction=0.0), rotated)
    dot = torch.zeros(200, 1, 21, 21)
    dot[:, :, 10, 10] = 1.0
    moved = aug.affine(dot, gen(), max_degrees=0.0, max_fraction=0.1)
    both = aug.affine(dot, gen(), max_degrees=10.0, max_fraction=0.1)
    # the rotation turns the same offsets about the centre: same distance, other directions
    torch.testing.assert_close(centre_distance(both), centre_distance(moved), atol=0.15, rtol=0)
    assert not torch.allclose(both, moved, atol=0.1)


def centre_distance(dots):
    """Distance of each image's centre of mass from the centre pixel (10, 10) of 21x21."""
    rows, cols = torch.arange(21.0)[:, None], torch.arange(21.0)[None, :]
    mass = dots[:, 0].sum(dim=(1, 2))
    dy = (dots[:, 0] * rows).sum(dim=(1, 2)) / mass - 10
    dx = (dots[:, 0] * cols).sum(dim=(1, 2)) / mass - 10
    return torch.hypot(dx, dy)


def test_shift_translates_a_dot_by_at_most_the_fraction():
    x = torch.zeros(200, 1, 21, 21)
    x[:, :, 10, 10] = 1.0
    out = aug.shift(x, gen(), max_fraction=0.1)
    rows, cols = torch.arange(21.0)[:, None], torch.arange(21.0)[None, :]
    mass = out[:, 0].sum(dim=(1, 2))
    dy = (out[:, 0] * rows).sum(dim=(1, 2)) / mass - 10
    dx = (out[:, 0] * cols).sum(dim=(1, 2)) / mass - 10
    torch.testing.assert_close(mass, torch.ones(200))  # moved, not blurred away
    assert dx.abs().max() <= 2.1 + 1e-5 and dy.abs().max() <= 2.1 + 1e-5
    assert dx.abs().max() > 1.5 and dy.abs().max() > 1.5  # both axes, up to the bound


def test_flip_mirrors():
    x = images()
    assert torch.equal(aug.flip(x, gen(), p=1.0), x.flip(-1))


def test_erase_sets_one_rectangle_to_the_image_minimum():
    x = images(n=20, h=10, w=10)
    out = aug.erase(x, gen(1), area=(0.1, 0.3), p=1.0)
    low = x.reshape(len(x), -1).min(dim=1).values
    for before, after, m in zip(x, out, low):
        changed = (before != after)[0]
        assert changed.any()
        rows = changed.any(dim=1).nonzero().flatten()
        cols = changed.any(dim=0).nonzero().flatten()
        box = after[0, rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert torch.all(box == m)
        assert torch.equal(after[0][~changed], before[0][~changed])


def test_brightness_and_contrast_act_as_documented():
    x = torch.tensor([0.0, 0.25, 0.5, 1.0]).reshape(1, 1, 2, 2)
    bright = aug.brightness(x, gen(), max_delta=0.2)
    delta = bright[0, 0, 0, 1] - 0.25
    assert 0 < abs(float(delta)) <= 0.2
    expected = torch.clamp(x + delta, 0.0, 1.0)
    torch.testing.assert_close(bright, expected)
    lower = aug.contrast(x, gen(), low=0.5, high=0.5)
    torch.testing.assert_close(lower, 0.4375 + 0.5 * (x - 0.4375))


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="unknown names"):
        aug.augment(images(), gen(), names=("rotate", "shear"))


def test_batch_draws_differ_per_image():
    x = images(n=1).repeat(8, 1, 1, 1)
    out = aug.rotate(x, gen())
    assert len({tuple(np.round(o.flatten().numpy(), 5)) for o in out}) == 8


def test_grayscale_turns_colour_images_into_their_luminance():
    x = images(n=4, c=3)
    grey = aug.grayscale(x, gen(), p=1.0)
    luminance = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    for channel in range(3):
        torch.testing.assert_close(grey[:, channel], luminance)
    # single-channel images have nothing to lose; other channel counts take the mean
    one = images(c=1)
    assert torch.equal(aug.grayscale(one, gen(), p=1.0), one)
    two = images(c=2)
    torch.testing.assert_close(aug.grayscale(two, gen(), p=1.0)[:, 1], two.mean(dim=1))
    # with p=0.5 some images are turned and the others left as they were
    many = images(n=40, c=3)
    out = aug.grayscale(many, gen(), p=0.5)
    turned = (out[:, 0] == out[:, 1]).flatten(1).all(dim=1)
    assert 0 < int(turned.sum()) < 40
    assert torch.equal(out[~turned], many[~turned])


def test_distort_moves_inner_vertices_within_the_fraction_and_keeps_the_border():
    x = images(n=8, c=3, h=32, w=32)
    out = aug.distort(x, gen(), grid=4, max_fraction=1 / 16)
    # the border vertices stay, so the outermost rows and columns are unchanged
    torch.testing.assert_close(out[..., 0, :], x[..., 0, :])
    torch.testing.assert_close(out[..., -1, :], x[..., -1, :])
    torch.testing.assert_close(out[..., :, 0], x[..., :, 0])
    torch.testing.assert_close(out[..., :, -1], x[..., :, -1])
    assert not torch.allclose(out[..., 1:-1, 1:-1], x[..., 1:-1, 1:-1])
    # grid=2 has one inner vertex, the centre: a dot there moves with it, by at
    # most max_fraction of the size in each direction
    dot = torch.zeros(20, 1, 41, 41)
    dot[:, 0, 20, 20] = 1.0
    moved = aug.distort(dot, gen(), grid=2, max_fraction=0.1)
    rows = torch.arange(41.0)[:, None]
    mass = moved[:, 0].sum(dim=(1, 2))
    centre_row = (moved[:, 0] * rows).sum(dim=(1, 2)) / mass
    centre_col = (moved[:, 0] * rows.T).sum(dim=(1, 2)) / mass
    assert torch.all((centre_row - 20).abs() <= 0.1 * 41 + 0.5)
    assert torch.all((centre_col - 20).abs() <= 0.1 * 41 + 0.5)
    assert (centre_row - 20).abs().max() > 1 and (centre_col - 20).abs().max() > 1
