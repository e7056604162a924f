"""The one skorch ``NeuralNet`` subclass every estimator trains with.

Modules return a ``dict`` of named tensors (``"embedding"``, ``"proba"``,
``"reconstruction"``, ...). The criterion receives that dict and the indices
of the batch's samples (passed as the target ``y``, so that per-sample state
such as DEC's target distribution can be looked up) and returns a ``dict`` of
loss terms whose ``"loss"`` entry is optimised. Every other term is logged to
the history, batch by batch, and averaged per epoch by
:class:`~sklearn_deepcluster._callbacks.LossTermScoring`.
"""

import math

import numpy as np
import scipy.sparse as sp
import torch
from skorch import NeuralNet
from skorch.utils import to_tensor


def check_finite_loss(loss, when):
    """Raise a ``FloatingPointError`` that says the fit diverged unless ``loss`` is finite.

    Parameters
    ----------
    loss : float
    when : str
        Where the loss was computed, e.g. ``"in epoch 3"``.
    """
    if not math.isfinite(loss):
        raise FloatingPointError(
            f"The loss became {loss} {when}: the fit diverged. Try a smaller lr, "
            "scaling the input (e.g. MinMaxScaler) or a different random_state."
        )


def take_rows(X, index):
    """Return rows ``index`` of ``X`` as a dense float tensor.

    Sparse matrices are densified one batch at a time, never as a whole.
    """
    if sp.issparse(X):
        return torch.from_numpy(np.asarray(X[index.numpy()].toarray(), dtype=np.float32))
    return X[index]


class BatchIterator:
    """Mini-batches by slicing, instead of collating one sample at a time.

    Used as skorch's ``iterator_train`` and ``iterator_valid``. Shuffling
    draws from torch's generator, which the estimators seed inside
    :func:`torch.random.fork_rng`.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        Holds ``X`` (a tensor or a scipy sparse matrix) and ``y`` (sample
        indices as a tensor, or None).
    batch_size : int
    shuffle : bool, default=False
    """

    def __init__(self, dataset, batch_size, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        X, y = self.dataset.X, self.dataset.y
        for start in range(0, n, self.batch_size):
            index = order[start:start + self.batch_size]
            yield take_rows(X, index), (None if y is None else y[index])


class ClusteringNet(NeuralNet):
    """``NeuralNet`` whose criterion returns named loss terms.

    ``get_loss`` calls ``criterion_(outputs, indices)``, records each term
    named in ``loss_terms`` in the batch history (NaN while the criterion does
    not compute it, e.g. a clustering term during pre-training, so that every
    epoch has the same columns) and stops the fit with a
    :class:`FloatingPointError` when the loss is not finite.

    Parameters
    ----------
    loss_terms : tuple of str
        Names of the terms to log, besides ``train_loss``.
    *args, **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    #: The estimators pass ``module`` and ``criterion`` as instances, so they
    #: are the very objects in ``module_`` and ``criterion_``. Pickled with
    #: those (these are prefixes), they load through skorch's ``map_location``:
    #: a net trained on a GPU unpickles on a machine without one, and its
    #: weights are stored once.
    cuda_dependent_attributes_ = ["module", "criterion"]

    def __init__(self, *args, loss_terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_terms = loss_terms

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if y_true is not None:  # as skorch's own get_loss: targets go to the net's device
            y_true = to_tensor(y_true, device=self.device)
        terms = self.criterion_(y_pred, y_true)
        loss = terms["loss"]
        check_finite_loss(loss.item(), f"in epoch {len(self.history)}")
        if training:
            for name in self.loss_terms:
                value = terms[name].item() if name in terms else float("nan")
                self.history.record_batch(name, value)
        return loss

    def predict_outputs(self, X, keys, forward=None):
        """Run the module over ``X`` in batches, in eval mode, without gradients.

        Parameters
        ----------
        X : tensor or sparse matrix of shape (n_samples, n_features)
        keys : sequence of str
            Which entries of the module's output dict to collect.
        forward : callable, default=None
            ``forward(module, x_batch) -> dict``; the module's ``forward``
            when None. Lets a caller skip parts it does not need (a decoder).

        Returns
        -------
        outputs : dict of str to ndarray
            Only the requested entries, concatenated over batches, so memory
            grows with ``len(X) * width of those entries`` alone.
        """
        forward = forward or (lambda module, x: module(x))
        dataset = self.get_dataset(X)
        collected = {key: [] for key in keys}
        self.module_.eval()
        with torch.no_grad():
            for xb, _ in self.get_iterator(dataset, training=False):
                out = forward(self.module_, xb.to(self.device))
                for key in keys:
                    collected[key].append(out[key].detach().cpu().numpy())
        return {key: np.concatenate(parts) for key, parts in collected.items()}
