"""The shared skorch callbacks, on a one-weight linear model whose path is computed by hand."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from sklearn_deepcluster._callbacks import WeightAveraging


class RecordWeight(Callback):
    """The weight after every training step."""

    def on_train_begin(self, net, **kwargs):
        self.weights_ = []

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.weights_.append(net.module_.weight.item())


def fit_line(callbacks):
    """``y = w x`` from w = 0 towards the training slope 2, validated on slope 1.

    The validation loss falls while w nears 1, then rises: its best epoch lies
    between the first and the last. Returns the net and the validation set.
    """
    X = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    X_valid = np.linspace(-1, 1, 4, dtype=np.float32)[:, None]
    module = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(module.weight)
    net = NeuralNetRegressor(module, optimizer=torch.optim.SGD, lr=0.1, batch_size=4,
                             max_epochs=12, iterator_train__shuffle=False,
                             train_split=predefined_split(Dataset(X_valid, X_valid)),
                             callbacks=callbacks, verbose=0)
    return net.fit(X, 2 * X), X_valid


def test_weight_averaging_validates_and_keeps_the_best_average_and_trains_as_before():
    decay, per_epoch = 0.5, 4
    raw = RecordWeight()
    averaging = WeightAveraging(decay)
    net, X_valid = fit_line([averaging, EarlyStopping(patience=100, threshold=0, load_best=True),
                             raw])
    plain = RecordWeight()
    fit_line([plain])
    assert raw.weights_ == plain.weights_  # training runs on the raw weights, as without it

    running = [raw.weights_[0]]  # the average starts at the first step's weight
    for weight in raw.weights_[1:]:
        running.append(decay * running[-1] + (1 - decay) * weight)
    averages = running[per_epoch - 1::per_epoch]  # at each epoch's end
    valid_loss = [float(np.mean((a * X_valid - X_valid) ** 2)) for a in averages]
    np.testing.assert_allclose(net.history[:, "valid_loss"], valid_loss, rtol=1e-5)

    best = int(np.argmin(valid_loss))
    assert 0 < best < len(valid_loss) - 1
    assert net.module_.weight.item() == pytest.approx(averages[best], rel=1e-6)
    assert averaging.average_ is None  # the fitted net keeps no second model
