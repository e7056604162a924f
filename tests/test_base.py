"""The shared base: its helpers, and behaviour common to the estimators built on it."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklearn_deepcluster import DDCClustering, DECClustering, LearnedClusterer, TripletDECClustering
from sklearn_deepcluster._base import seeded_torch


def test_seeding_on_the_cpu_leaves_the_gpu_generators_alone(monkeypatch):
    """A CPU fit must not re-seed the CUDA generators, which it does not restore."""
    gpu_seeds = []
    monkeypatch.setattr(torch.cuda, "manual_seed_all", gpu_seeds.append)
    monkeypatch.setattr(torch.cuda, "manual_seed", gpu_seeds.append)
    with seeded_torch(5, "cpu"):
        seeded = torch.rand(3)
    assert gpu_seeds == []
    generator = torch.Generator().manual_seed(5)
    assert torch.equal(seeded, torch.rand(3, generator=generator))


@pytest.mark.parametrize("make", [
    lambda: DECClustering(3, hidden_dims=(8,), pretrain_epochs=1, max_epochs=1, random_state=0),
    lambda: DDCClustering(3, max_epochs=1, random_state=0),
    lambda: TripletDECClustering(3, hidden_dims=(8,), pretrain_epochs=1, max_epochs=1,
                                 n_augmentations=2, random_state=0),
])
def test_failed_refit_leaves_no_model_of_other_data(make):
    rng = np.random.default_rng(0)
    estimator = make().fit(rng.random((40, 3), dtype=np.float32))
    X5 = rng.random((40, 5), dtype=np.float32)
    with pytest.raises(ValueError, match="needs images"):
        estimator.set_params(architecture="conv").fit(X5)
    # the network of the 3-feature fit must not answer for 5-feature data
    with pytest.raises(NotFittedError):
        estimator.predict(X5)


@pytest.mark.parametrize("make", [
    lambda: DECClustering(3, architecture=int),
    lambda: DDCClustering(3, architecture=int),
    lambda: TripletDECClustering(3, architecture=dict),
    lambda: LearnedClusterer(optimizer=torch.nn.Linear),
])
def test_class_parameters_must_derive_from_their_base(make):
    """A class of the wrong kind (no module; a module for an optimizer) is refused before use."""
    estimator = make()
    rng = np.random.default_rng(0)
    X, y = rng.random((80, 3), dtype=np.float32), np.arange(80) % 8
    with pytest.raises(ValueError, match="must be a subclass of torch"):
        estimator.fit(X, y)


@pytest.mark.parametrize("make", [
    lambda: DECClustering(3, hidden_dims=(8,), pretrain_epochs=1, max_epochs=1, random_state=0),
    lambda: DDCClustering(3, max_epochs=1, random_state=0),
])
def test_images_are_refused_by_an_estimator_fitted_on_a_table(make):
    rng = np.random.default_rng(0)
    estimator = make().fit(rng.random((40, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"images of shape \(1, 2, 2\), but .* was fitted on a "
                                         r"2-D array"):
        estimator.predict(rng.random((40, 2, 2), dtype=np.float32))


@pytest.mark.parametrize("make", [DDCClustering, LearnedClusterer])
@pytest.mark.parametrize("callbacks", [[1], [("name", 1)], [int]])
def test_callbacks_must_be_skorch_callbacks(make, callbacks):
    rng = np.random.default_rng(0)
    X, y = rng.random((80, 3), dtype=np.float32), np.arange(80) % 8
    with pytest.raises(ValueError, match=r"callbacks\[0\] of .* must be a skorch callback"):
        make(callbacks=callbacks).fit(X, y)
