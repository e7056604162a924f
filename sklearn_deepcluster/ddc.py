"""Deep Divergence-based Clustering, DDC and DDC-VOTE (paper 000)."""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from ._base import BaseDeepClustering, output_width
from ._net import take_rows
from .ensemble import align_labels, vote
from .losses.divergence import ddc_loss
from .modules.ddc import DDCNet, he_init, lenet_body, mlp_body
from .modules.layers import channels_last

#: Width of the layers of the fully connected network (section 3.1); the
#: last is the hidden layer the kernel is computed on.
MLP_HIDDEN_DIMS = (200, 200, 500)

#: Default learning rates of Adam: the paper's 1e-5 for the fully connected
#: network (section 4.5); 1e-2 for the convolutional one, where the paper's
#: 1e-3 did worse here (see the ``lr`` parameter).
CONV_LEARNING_RATE = 1e-2
MLP_LEARNING_RATE = 1e-5

#: Seed of the fixed batch order in which the final loss is evaluated, the
#: same for every run so that runs are compared on the same batches.
LOSS_BATCH_SEED = 0


class DDCLoss(nn.Module):
    """Criterion of DDC: eq. (4) on the batch, with every term reported.

    Parameters
    ----------
    sigma : float
        Squared kernel width relative to the median squared pairwise distance.
    loss_weights : tuple of 3 float
        Weights of d_hid,alpha, triu(A A^T) and d_hid,m.
    """

    def __init__(self, sigma=0.15, loss_weights=(1.0, 1.0, 1.0)):
        super().__init__()
        self.sigma = sigma
        self.loss_weights = tuple(loss_weights)

    def forward(self, outputs, index=None):
        return ddc_loss(outputs["embedding"], outputs["proba"], self.sigma, self.loss_weights)


class DDCClustering(BaseDeepClustering):
    """Deep Divergence-based Clustering (DDC) and DDC-VOTE.

    A network with a softmax output over ``n_clusters`` is trained from
    scratch, without pre-training, on the loss of eq. (4)::

        L = d_hid,alpha + triu(A A^T) + d_hid,m

    on each mini-batch: d_hid,alpha is the argument of the Cauchy-Schwarz
    divergence between the clusters (eq. 3), estimated with a Gaussian kernel
    on the hidden layer and weighted by the soft assignments A; triu(A A^T)
    pushes the assignment vectors of different samples to be orthogonal;
    d_hid,m is eq. (3) with the closeness m_qi = exp(-||alpha_q - e_i||^2)
    of each assignment to the simplex corners in place of A. The kernel's
    squared width is ``sigma`` times the median squared pairwise distance of
    the batch's hidden representation, recomputed at every evaluation
    (section 4.5; see Notes).

    ``n_init`` runs keep the one with the lowest loss (section 4.5); with
    ``vote=k``, the ``k`` lowest-loss runs are aligned to the best one with
    the Hungarian method and combined by majority vote (DDC-VOTE).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters (the width of the softmax layer).
    architecture : {"auto", "mlp", "conv"} or nn.Module class or instance, default="auto"
        ``"conv"``: the LeNet-style network of section 3.1 (two 5x5
        convolutions with 32 and 64 filters, each followed by 2x2 max-pooling
        and ReLU, then a fully connected layer of ``n_hidden`` units with
        BatchNorm and ReLU); needs images. ``"mlp"``: fully connected layers
        200-200-500 with BatchNorm on the 500-unit hidden layer.
        ``"auto"``: ``"conv"`` for images, ``"mlp"`` otherwise. A module (or
        a class called with ``n_features, n_hidden``) maps flat input
        ``(n, n_features)`` to the hidden representation; the softmax layer
        is added on top of it.
    image_shape : tuple (C, H, W), default=None
        Shape of one image when ``X`` is given flat.
    sigma : float, default=0.15
        Squared kernel width as a fraction of the median squared pairwise
        Euclidean distance of the hidden representations in the batch (as
        in the authors' code; see Notes).
    loss_weights : tuple of 3 float, default=(1.0, 1.0, 1.0)
        Finite, non-negative weights of (d_hid,alpha, triu(A A^T), d_hid,m);
        a 0 switches a term off (Table 2). Every term is logged in
        ``history_`` regardless.
    n_hidden : int, default=100
        Width of the hidden layer of the convolutional network (the ``"mlp"``
        network uses the paper's 500), or the output width of a user module.
        On digits, seeds 0-2, 500 with the paper's 20 runs (``n_init=20``)
        gave ACC 0.811 / 0.865 / 0.909 for the run chosen by loss (0.748 /
        0.755 / 0.823 with 100; ``benchmarks/results/ddc-vote_digits_*.md``).
    vote : int, default=None
        DDC-VOTE: combine the ``vote`` lowest-loss of the ``n_init`` runs
        (the paper uses 3 of 20). None keeps the lowest-loss run alone.
        More voters are not better everywhere: with all 20 runs voting, ACC
        rose on digits from 0.885 (3 voters) to 0.916 over seeds 0-7 (higher
        on every seed) and fell from 0.866 to 0.845 on the 10,000 MNIST test
        images (seeds 0-2; ``benchmarks/results/ddc_vote_size.txt``).
    batch_size : int, default=100
        Mini-batch size, at least 2; the kernel is computed within a batch
        (a batch of one sample has a constant loss, and a last batch of one
        adds nothing to the gradient). The paper's
        100 was best of those tried on digits (seeds 0-7, ACC 0.853): 50,
        200 and 300 gave 0.795, 0.761 and 0.735
        (``benchmarks/results/ddc_digits_sensitivity.txt``).
    lr : float, default=None
        Learning rate of Adam. None uses 1e-2 for the convolutional network
        (and for a user module) and the paper's 1e-5 for the fully connected
        one. The paper's 1e-3 for the convolutional network (section 4.5)
        did worse here on data sets of up to 10,000 images. On all 70,000
        MNIST images it chose better runs by loss: to reproduce the paper's
        choice of one run among ``n_init=20`` there, pass ``lr=1e-3`` (see
        Notes).
    max_epochs : int, default=100
        Epochs (passes over the data).
    device : {"cpu", "cuda", "auto"}, default="cpu"
    random_state : int, RandomState instance or None, default=None
        Seeds weights and shuffling through local generators.
    verbose : int, default=0
        0 is silent; >= 1 shows skorch's progress bar and per-epoch loss terms.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks, copied into each run's net.
    n_init : int, default=1
        Independent runs; the one with the lowest final loss is kept (the
        paper: 20). One run depends much on its seed: on digits, with the
        defaults, seeds 0-7 gave ACC 0.765 to 0.933 (mean 0.853), and the
        lowest loss among 20 runs 0.877 ± 0.052 (0.769 to 0.933;
        ``benchmarks/results/ddc_digits_sensitivity.txt``,
        ``ddc-vote_digits_lr1e-2*.md``). A few runs are not enough there:
        the lowest loss among 2 to 12 runs gave 0.828 to 0.854. On the
        10,000 MNIST test images (10 epochs) each added run helped on
        average: 0.684 for one run, 0.751 for 3, 0.780 for 10, 0.838 for
        20 (seeds 0-7; ``ddc_n_init_curve.txt``).
    n_jobs : int, default=None
        Runs in parallel through joblib. On one GPU the runs share the
        device, so this gains little there (four workers ran four runs 1.3x
        faster than one after another on an H100,
        ``benchmarks/results/ddc_n_jobs_cuda.txt``); on a CPU each worker
        needs its own cores.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Labels of the lowest-loss run, or the DDC-VOTE labels when ``vote``
        is set.
    n_features_in_ : int
    image_shape_ : tuple or None
    net_ : skorch.NeuralNet
        The trained net of the lowest-loss run.
    history_ : list of dict
        Per epoch of that run: ``train_loss``, ``d_hid_alpha``, ``triu``,
        ``d_hid_m`` and ``kernel_width`` (averaged over the batches).
    loss_ : float
        Final loss (eq. 4) of that run on the training data, averaged over
        mini-batches of ``batch_size`` in a fixed order, in eval mode.
    n_iter_ : int
        Epochs run.
    run_losses_ : ndarray of shape (n_init,)
    run_labels_ : list of ndarray
        Labels of every run, in the run's own cluster ids.
    vote_nets_ : list of skorch.NeuralNet
        Only with ``vote``: the nets of the voting runs, lowest loss first.
    vote_mappings_ : list of ndarray of shape (n_clusters,)
        Only with ``vote``: for each voting run, its cluster ids renamed to
        those of the lowest-loss run (Hungarian alignment on the training
        data).

    Notes
    -----
    With ``vote`` set, ``predict`` runs every voting net on the new samples,
    renames their clusters with ``vote_mappings_`` (fixed at fit time) and
    takes the majority, ties going to the lowest-loss run, so that
    ``predict`` on the training data gives ``labels_``. ``predict_proba``
    then returns the mean of the renamed softmax outputs; its argmax can
    differ from the vote where the runs disagree. ``transform`` and
    ``score`` always use the lowest-loss run.

    Selection by loss matters: good runs are rare, but the final loss finds
    them. On the 10,000 MNIST test images (10 epochs, lr 1e-3), 32 runs on
    a GPU had mean ACC 0.714; the lowest loss picked the best of them
    (0.930 / NMI 0.884), the second lowest the next best (0.877)
    (``benchmarks/results/ddc_hidden_order_mnist-test_cuda.txt``). With lr
    1e-2, ``n_init=20`` kept runs of 0.947 / 0.799 / 0.868 there (seeds
    0-2). On all 70,000 MNIST images, ``n_init=20, vote=3`` with 10 epochs
    per run and ``lr=1e-3`` kept the best of its 20 runs on all three seeds
    tried, ACC 0.871 / 0.877 / 0.878, NMI 0.858 / 0.866 / 0.872 (paper
    0.866 / 0.83); the vote gave 0.862 / 0.877 / 0.858
    (``benchmarks/results/ddc_mnist_vote20.md``). The lowest of 20 losses
    with 1e-2 was below that with 1e-3 on the test images (three seeds of
    three) and on digits (two of three), where 1e-2 chose the better run on
    every seed, and above it on all 70,000 images (three seeds of three),
    where 1e-2 chose the worse run on every seed: comparing ``loss_``
    across learning rates is a guide, not a rule. Annealing the rate to 0
    (a cosine schedule passed through ``callbacks``) did not rank runs
    better on the test images, where DDC-VOTE gave 0.862 against 0.866,
    nor on digits, where the run chosen among 20 gave 0.864 against 0.891
    (seeds 0-2). On all 70,000 images it did (correlation of loss and ACC
    about -0.6 against about 0): the chosen run rose from 0.814 to 0.847,
    DDC-VOTE stayed at 0.877 (``benchmarks/results/ddc_vote_size.txt``).
    The paper's own repeats of its protocol (Table 2: five experiments of
    20 runs, all three terms) gave the run chosen by loss 0.808 ± 0.065 on
    MNIST, at most 0.875.

    The hidden layer is Linear -> BatchNorm -> ReLU; the authors' later code
    orders it Linear -> ReLU -> BatchNorm, which gave the same mean ACC on
    the MNIST test images with lr 1e-3 (0.681 over 29 CPU runs against
    0.687 over 15; 0.700 against 0.714 over 32 GPU runs each;
    ``benchmarks/results/ddc_hidden_order_mnist-test.txt``, ``..._cuda.txt``).

    The input is used as given; every benchmark here scales pixels to
    [0, 1]. Standardising them over all pixels, which lifts DECClustering,
    lowered DDC on digits from 0.853 to 0.772 (mean over seeds 0-7, lower
    on every seed; ``benchmarks/results/ddc_digits_std_all.md``).

    Deviations from the paper (the comparisons in the items before the one
    on the learning rate were measured with the paper's 1e-3):

    - triu(A A^T) is the *mean* of the n(n-1)/2 inner products of a batch,
      not their sum, as in the authors' later code (Trosten et al.'s
      ``mvc``): with batches of 100 the sum is thousands of times larger
      than the two divergence terms (each at most (k-1)/2). Weighting the
      mean by 4950 restores the sum (``loss_weights=(1, 4950, 1)``): on the
      10,000 MNIST test images (10 epochs, one run, seeds 0-2) it gave ACC
      0.561 against 0.720 (results file named in the next item). The
      divergence terms keep the paper's 1/k of eq. (3); that code divides
      them by k(k-1)/2 instead, which for k=10 is ``loss_weights=(1, 4.5,
      1)`` here: ACC 0.693 on the same images and 0.753 ± 0.056 on digits,
      against 0.720 and 0.772 ± 0.029 (``ddc_digits_all.md``).
    - The kernel's squared width is ``sigma`` times the median *squared*
      distance, as in the authors' code, rather than the width being
      ``sigma`` times the median distance, as section 4.5 reads. The literal
      reading is ``sigma=0.0225``. On the 10,000 MNIST test images
      (10 epochs, one run, seeds 0-2) it gave ACC 0.641 / NMI 0.640 against
      0.720 / 0.771 (``benchmarks/results/ddc_kernel_width_mnist-test_10000.md``).
    - The median that sets the kernel width is a constant for the gradient.
    - The convolutions are padded ("same") for images smaller than 13 pixels
      a side, where the unpadded LeNet layers would leave no feature map.
    - BatchNorm normalises a training batch of a single sample with its
      running statistics.
    - Training runs for ``max_epochs`` epochs (the paper: 70,000 iterations,
      which is ``max_epochs=100`` on the 70,000 MNIST images; one such run,
      seed 0, gave ACC 0.697 against 0.664 after 10 epochs,
      ``benchmarks/results/ddc_mnist_70k_iterations.md``).
      The final loss, used to choose among runs, is measured in eval mode
      over the whole training set in fixed batches, where the paper does not
      say how it was measured.
    - The convolutional network's learning rate is 1e-2, not the paper's
      1e-3. Over 20 runs for each of seeds 0-2 (60 runs), 1e-2 raised the
      mean ACC of a run from 0.730 to 0.811 on digits (100 epochs) and from
      0.689 to 0.711 on the 10,000 MNIST test images (10 epochs), and the
      run chosen by loss among 20 from 0.775 to 0.891 ± 0.020 and from
      0.719 to 0.871 ± 0.060. One run, seeds 0-2: USPS (20 epochs) 0.624 to
      0.674, COIL-20 (32 x 32, 50 epochs) 0.627 to 0.706, where KMeans
      gives 0.668 and 0.685 (``benchmarks/results/ddc-vote_digits_lr1e-2.md``,
      ``ddc_mnist-test_vote20_lr1e-2.md``, ``ddc_usps_lr.md``,
      ``ddc_coil20_lr.md``; one setting at a time on digits, 2e-3 to 3e-2:
      ``ddc_digits_sensitivity.txt``). On all 70,000 MNIST images (10
      epochs, 20 runs, seeds 0-2) the runs ended at higher losses, which
      ranked them poorly: the run chosen by loss 0.711 / 0.864 / 0.869
      against 0.871 / 0.877 / 0.878 with 1e-3, while DDC-VOTE gave 0.857 /
      0.904 / 0.870 (0.877) against 0.862 / 0.877 / 0.858 (0.866) and the
      runs' mean 0.690 / 0.745 / 0.744 against 0.710 / 0.712 / 0.735
      (``ddc_mnist_vote20_lr1e-2.md``).
    - The fully connected network keeps the paper's 1e-5: with 1e-3 it also
      reaches low losses on wrong partitions of the circles of Fig. 3, so
      the loss no longer picks the right run; with 1e-5 it does
      (``benchmarks/results/ddc-mlp_circles_lr.md``). 1e-5 needs many
      iterations (the paper: 70,000); on small data raise ``max_epochs``.

    References
    ----------
    .. [1] Kampffmeyer, Løkse, Bianchi, Livi, Salberg, Jenssen, "Deep
       divergence-based approach to clustering", Neural Networks 113, 2019.

    Examples
    --------
    >>> from sklearn.datasets import make_circles
    >>> from sklearn_deepcluster import DDCClustering
    >>> X, y = make_circles(400, factor=0.3, noise=0.05, random_state=0)
    >>> ddc = DDCClustering(n_clusters=2, max_epochs=5, random_state=0).fit(X)
    >>> ddc.labels_.shape
    (400,)
    """

    _parameter_constraints = {
        **BaseDeepClustering._parameter_constraints,
        "lr": [Interval(Real, 0, None, closed="neither"), None],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "loss_weights": [tuple, list],
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "vote": [Interval(Integral, 1, None, closed="left"), None],
        # eq. (4) compares the samples of a batch: one sample gives a constant loss
        "batch_size": [Interval(Integral, 2, None, closed="left")],
    }

    _accept_sparse = True

    #: Checks of ``parametrize_with_checks`` known to fail, with the reason
    #: (read by ``tests/test_common.py``).
    _expected_failed_checks = {
        **BaseDeepClustering._expected_failed_checks,
        "check_estimator_sparse_array": "the check assumes predict_proba belongs to a "
                                        "classifier and reads classifier tags a clusterer lacks",
        "check_estimator_sparse_matrix": "the check assumes predict_proba belongs to a "
                                         "classifier and reads classifier tags a clusterer lacks",
        "check_methods_subset_invariance": "float32 matrix products differ by ~1e-6 between "
                                           "batch sizes, above rtol=1e-4 for values near 0 in "
                                           "the 500-wide hidden layer",
    }

    def __init__(self, n_clusters=8, *, architecture="auto", image_shape=None, sigma=0.15,
                 loss_weights=(1.0, 1.0, 1.0), n_hidden=100, vote=None, batch_size=100,
                 lr=None, max_epochs=100, device="cpu", random_state=None, verbose=0,
                 callbacks=None, n_init=1, n_jobs=None):
        self.n_clusters = n_clusters
        self.architecture = architecture
        self.image_shape = image_shape
        self.sigma = sigma
        self.loss_weights = loss_weights
        self.n_hidden = n_hidden
        self.vote = vote
        self.batch_size = batch_size
        self.lr = lr
        self.max_epochs = max_epochs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.n_init = n_init
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ the method
    def _check_method_params(self, X):
        weights = tuple(self.loss_weights)
        if len(weights) != 3 or not all(isinstance(w, Real) and 0 <= w < math.inf
                                        for w in weights):
            raise ValueError("loss_weights must be 3 finite non-negative numbers (weights of "
                             f"d_hid,alpha, triu(AA^T) and d_hid,m), got {self.loss_weights!r}.")
        if self.vote is not None and self.vote > self.n_init:
            raise ValueError(f"vote={self.vote} needs at least as many runs: n_init={self.n_init}.")

    def _build_module(self):
        architecture = self._resolve_architecture()
        if architecture == "conv":
            n_hidden = self.n_hidden
            body = lenet_body(self.image_shape_, n_hidden)
        elif architecture == "mlp":
            n_hidden = MLP_HIDDEN_DIMS[-1]
            body = mlp_body(self.n_features_in_, MLP_HIDDEN_DIMS)
        else:
            body = (copy.deepcopy(architecture) if isinstance(architecture, nn.Module)
                    else architecture(self.n_features_in_, self.n_hidden))
            width = output_width(body, self.n_features_in_, "architecture")
            return DDCNet(body, width, self.n_clusters)
        return channels_last(he_init(DDCNet(body, n_hidden, self.n_clusters)))

    def _learning_rate(self):
        if self.lr is not None:
            return self.lr
        return MLP_LEARNING_RATE if self._resolve_architecture() == "mlp" else CONV_LEARNING_RATE

    def _build_criterion(self):
        return DDCLoss(self.sigma, self.loss_weights)

    def _loss_terms(self):
        return ("d_hid_alpha", "triu", "d_hid_m", "kernel_width")

    def _unsupervised_loss(self, net, X):
        """Eq. (4) over all of X: the size-weighted mean over fixed mini-batches."""
        n = X.shape[0]
        order = torch.randperm(n, generator=torch.Generator().manual_seed(LOSS_BATCH_SEED))
        module, criterion = net.module_, net.criterion_
        module.eval()
        total = 0.0
        with torch.no_grad():
            for start in range(0, n, self.batch_size):
                index = order[start:start + self.batch_size]
                outputs = module(take_rows(X, index).to(net.device))
                total += len(index) * criterion(outputs)["loss"].item()
        return total / n

    # -------------------------------------------------------------- DDC-VOTE
    def _set_fitted(self, runs, best):
        super()._set_fitted(runs, best)
        if self.vote is None:
            for name in ("vote_nets_", "vote_mappings_"):
                self.__dict__.pop(name, None)
            return
        chosen = np.argsort(self.run_losses_, kind="stable")[:self.vote]
        reference = runs[chosen[0]]["labels"]
        self.vote_nets_ = [runs[i]["net"] for i in chosen]
        self.vote_mappings_ = []
        for i in chosen:
            _, mapping = align_labels(runs[i]["labels"], reference, n_clusters=self.n_clusters,
                                      return_mapping=True)
            self.vote_mappings_.append(np.array([mapping[c] for c in range(self.n_clusters)]))
        self.labels_ = vote([m[runs[i]["labels"]] for i, m in zip(chosen, self.vote_mappings_)],
                            align=False)

    def _voter_probas(self, X):
        """Softmax outputs of every voting net on ``X``, columns renamed to the reference's ids."""
        X = self._fitted_input(X)
        probas = []
        for net, mapping in zip(self.vote_nets_, self.vote_mappings_):
            proba = self._inference(net, X, ("proba",))["proba"]
            renamed = np.empty_like(proba)
            renamed[:, mapping] = proba
            probas.append(renamed)
        return probas

    def predict(self, X):
        """Cluster index of each sample; the DDC-VOTE majority when ``vote`` is set.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features), or images

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        if not hasattr(self, "vote_nets_"):
            return super().predict(X)
        return vote([proba.argmax(axis=1) for proba in self._voter_probas(X)], align=False)

    def predict_proba(self, X):
        """Softmax cluster assignments; with ``vote``, the mean over the aligned voting runs.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features), or images

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
        """
        if not hasattr(self, "vote_nets_"):
            return super().predict_proba(X)
        return np.mean(self._voter_probas(X), axis=0)
