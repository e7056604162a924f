"""skorch callbacks shared by the estimators.

Each callback has one job and keeps its state on itself, reset in
``on_train_begin``; nothing refers back to the scikit-learn estimator.
"""

import copy

import numpy as np
from skorch.callbacks import Callback, PassthroughScoring
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


class PhaseSwitch(Callback):
    """Call ``switch(net)`` once, before epoch ``at_epoch + 1`` begins.

    Used for the pre-training → clustering schedule of paper 001 §2.5
    ("pre-training, fine-tuning" or "joint training" after pre-training).
    Every epoch records its ``phase`` in the history.

    Parameters
    ----------
    at_epoch : int
        Number of epochs of the first phase. 0 switches before the first epoch.
    switch : callable
        ``switch(net, X)``: moves the criterion and module to the next phase
        (e.g. initialises cluster centres) and re-initialises the optimizer.
    names : tuple of str, default=("pretrain", "cluster")
    """

    def __init__(self, at_epoch, switch, names=("pretrain", "cluster")):
        self.at_epoch = at_epoch
        self.switch = switch
        self.names = names

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self.switched_ = False

    def on_epoch_begin(self, net, **kwargs):
        if not self.switched_ and len(net.history) > self.at_epoch:
            self.switch(net, self.X_)
            self.switched_ = True
        net.history.record("phase", self.names[int(self.switched_)])

    def on_train_end(self, net, **kwargs):
        self.X_ = None


class TargetRefresh(Callback):
    """Refresh the criterion's per-sample target over the whole data set.

    Every ``update_interval`` training iterations of the clustering phase,
    ``refresh(net, X)`` recomputes the target (DEC's P of paper 001 eq. 4, or
    the hard assignments of the k-means loss) over **all** of ``X`` and
    returns the current hard labels. The fraction of labels that changed since
    the previous refresh is recorded as the epoch's ``label_change`` (the last
    refresh of the epoch); when it falls below ``tol`` the targets are no
    longer refreshed and training stops once that epoch has ended, so every
    other callback still sees its ``on_epoch_end`` (DEC's convergence
    criterion).

    Parameters
    ----------
    update_interval : int
        Iterations (mini-batches) between refreshes.
    tol : float
        Stop when fewer than this fraction of labels changed.
    refresh : callable
        ``refresh(net, X) -> labels``.
    active : callable
        ``active(net) -> bool``; refreshes only while it is true (the
        clustering phase).
    """

    def __init__(self, update_interval, tol, refresh, active):
        self.update_interval = update_interval
        self.tol = tol
        self.refresh = refresh
        self.active = active

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.X_ = X
        self.iteration_ = 0
        self.labels_ = None
        self.converged_ = False

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if self.converged_ or not training or not self.active(net):
            return  # once converged, the epoch ends on the targets that converged
        if self.iteration_ % self.update_interval == 0:
            labels = self.refresh(net, self.X_)
            if self.labels_ is not None:
                change = float(np.mean(labels != self.labels_))
                net.history.record("label_change", change)
                self.converged_ = change < self.tol
            self.labels_ = labels
        self.iteration_ += 1

    def on_epoch_begin(self, net, **kwargs):
        if self.converged_:
            net.history.pop()  # the row skorch has just opened for an epoch not run
            raise KeyboardInterrupt  # skorch's way to end fit() early

    def on_train_end(self, net, **kwargs):
        self.X_ = None


class LossTermScoring(PassthroughScoring):
    """skorch's ``PassthroughScoring``, averaged over the batches that computed the term.

    A criterion may skip a term on some batches (TripletDEC's triplet term on
    a batch of one sample), which the net logs as NaN there. The epoch's value
    is the batch-size weighted mean over the other batches, and NaN only when
    no batch computed the term (a clustering term during pre-training).
    """

    def get_avg_score(self, history):
        size_key = "train_batch_size" if self.on_train else "valid_batch_size"
        sizes, scores = (np.asarray(column, dtype=float) for column in
                         zip(*history[-1, "batches", :, [size_key, self.name]]))
        computed = ~np.isnan(scores)
        if not computed.any():
            return float("nan")
        return float(np.average(scores[computed], weights=sizes[computed]))


class WeightAveraging(Callback):
    """Validate, checkpoint and return an exponential moving average of the weights.

    After every training batch the average is updated,
    ``w_avg <- decay * w_avg + (1 - decay) * w``, by torch's
    ``AveragedModel`` with ``get_ema_multi_avg_fn`` (BatchNorm's running
    statistics are averaged alike). The validation batches run on the
    averaged weights, so the epoch's ``valid_loss``, and a checkpoint that
    skorch's ``EarlyStopping`` takes in ``on_epoch_end``, are those of the
    average; the next epoch trains on from the raw weights. When training
    ends the module holds the averaged weights. Put it before
    ``EarlyStopping`` in the callbacks, so that early stopping's
    ``on_train_end`` then restores the best averaged checkpoint.

    Parameters
    ----------
    decay : float in [0, 1)
        Weight of the old average at each update; it averages over about
        ``1 / (1 - decay)`` iterations.
    """

    def __init__(self, decay):
        self.decay = decay

    def on_train_begin(self, net, **kwargs):
        self.average_ = AveragedModel(net.module_, multi_avg_fn=get_ema_multi_avg_fn(self.decay),
                                      use_buffers=True)
        self.raw_weights_ = None

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.average_.update_parameters(net.module_)

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training and self.raw_weights_ is None:
            self.raw_weights_ = copy.deepcopy(net.module_.state_dict())
            net.module_.load_state_dict(self.average_.module.state_dict())

    def on_epoch_begin(self, net, **kwargs):
        if self.raw_weights_ is not None:
            net.module_.load_state_dict(self.raw_weights_)
            self.raw_weights_ = None

    def on_train_end(self, net, **kwargs):
        net.module_.load_state_dict(self.average_.module.state_dict())
        self.average_ = self.raw_weights_ = None  # not part of the fitted model
