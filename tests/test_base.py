"""The shared helpers of ``_base``, tested without training."""

import torch

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
