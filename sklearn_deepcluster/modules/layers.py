"""Layers shared by several networks."""

from torch import nn
from torch.nn import functional as F


class BatchNorm1d(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` that also trains on a batch of one sample.

    A one-sample training batch has no batch statistics; it is normalised
    with the running statistics (which it does not update) instead of
    raising, so that any ``batch_size`` and any remainder batch work.
    """

    def forward(self, x):
        if self.training and x.shape[0] == 1:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        return super().forward(x)
