"""Learning to cluster, with the number of clusters estimated (paper 003)."""

import copy
import math
from numbers import Integral, Real

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping, ProgressBar
from skorch.dataset import Dataset
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn

from ._callbacks import LossTermScoring, WeightAveraging
from ._base import (BaseDeepClustering, TorchParametersMixin, as_tensor, image_shape_of,
                    output_width, random_generator, resolve_device, seeded_torch)
from ._net import BatchIterator, ClusteringNet
from .augment import augment, check_augmentations
from .ensemble import vote_proba
from .pair_partition import pair_error_partition
from ._set_sampling import (SetBatchIterator, class_members, expected_same_cluster_share,
                            same_cluster_share, sample_sets_from_classes)
from .losses.pairwise import (cluster_assignment_loss, cluster_count_loss, n_clusters_of,
                              pair_weights, pairwise_same_cluster_proba, same_cluster_targets)
from .modules.set_network import ConvEmbedding, SetClusteringNetwork, fully_connected_embedding

#: Sets sampled from the held-out classes for early stopping (the paper's 300 test sets).
N_VALIDATION_SETS = 300
#: Set size of the 2-D point experiment (section VI-A), used when ``set_size=None``.
DEFAULT_SET_SIZE = 72
#: Training batches over which the BatchNorm statistics are re-estimated after training.
N_RECALIBRATION_BATCHES = 50
#: ``embedding="auto"`` uses the identity up to this many features, an MLP above.
MAX_IDENTITY_FEATURES = 16
#: Seed of the orders in which ``n_orderings > 1`` reads a set: fixed, so that
#: ``predict`` is a function of the fitted model and the set alone.
ORDERING_SEED = 0


def _silent(*args, **kwargs):
    """Sink for skorch's early-stopping message when ``verbose=0``."""


class LearnedClusteringLoss(nn.Module):
    """``L_tot = L_cc + lambda L_ca`` of paper 003 section IV.

    Called as ``criterion(outputs, labels)`` with ``labels`` the cluster of
    every example of every set ``(n_sets, n)``; returns the named terms.

    Parameters
    ----------
    pairwise_weight : float
        ``lambda``.
    weights : tuple (phi_0, phi_1)
        Error weights of the binary cross-entropy, from :func:`pair_weights`.
    """

    def __init__(self, pairwise_weight, weights):
        super().__init__()
        self.pairwise_weight = pairwise_weight
        self.weights = weights

    def forward(self, outputs, labels):
        count_proba, assign_proba = outputs["count_proba"], outputs["assign_proba"]
        pairs = pairwise_same_cluster_proba(count_proba, assign_proba)
        l_ca = cluster_assignment_loss(pairs, same_cluster_targets(labels), self.weights)
        l_cc = cluster_count_loss(count_proba, n_clusters_of(labels))
        return {"loss": l_cc + self.pairwise_weight * l_ca,
                "cluster_count": l_cc, "cluster_assignment": l_ca}


class RecalibrateBatchNorm(Callback):
    """Re-estimate the BatchNorm running statistics once training ends.

    The running averages lag behind weights that still change quickly, which
    can make the eval-mode outputs (used by ``predict``) much worse than the
    training-mode ones. After training (and after early stopping restored the
    best parameters) the statistics are reset and recomputed as plain
    averages over ``n_batches`` freshly sampled training batches, without
    gradients.
    """

    def __init__(self, n_batches):
        self.n_batches = n_batches

    def on_train_end(self, net, X=None, y=None, **kwargs):
        norms = [m for m in net.module_.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
        net.module_.train()
        dataset, done = net.get_dataset(X, y), 0
        with torch.no_grad():
            while done < self.n_batches:  # an "epoch" of the iterator may be shorter
                before = done
                for xb, _ in net.get_iterator(dataset, training=True):
                    net.module_(xb.to(net.device))
                    done += 1
                    if done == self.n_batches:
                        break
                if done == before:
                    break
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        net.module_.eval()


class SetAugmentation:
    """Augment every image of a batch of sets ``(n_sets, n, C*H*W)`` (section VI-C)."""

    def __init__(self, image_shape, names):
        self.image_shape = tuple(image_shape)
        self.names = tuple(names)

    def __call__(self, x, generator):
        images = x.reshape(-1, *self.image_shape)
        return augment(images, generator, self.names).reshape(x.shape)


class SetsByIndex:
    """Sets ``examples[index[s]]``, gathered only when a batch of them is taken.

    Stands for the dense ``(n_sets, set_size, n_features)`` array of sampled
    validation sets, which for large images would take gigabytes.
    """

    def __init__(self, examples, index):
        self.examples = examples
        self.index = index

    def __len__(self):
        return len(self.index)

    def __getitem__(self, rows):
        return self.examples[self.index[rows]]


class HeldOutSets:
    """skorch ``train_split``: the training data as given, fixed validation sets beside it."""

    def __init__(self, X_valid, y_valid):
        self.X_valid = X_valid
        self.y_valid = y_valid

    def __call__(self, dataset, y=None, **fit_params):
        return dataset, Dataset(self.X_valid, self.y_valid)


def _mean_pair_proba(count_proba, assign_proba):
    """``P_ij`` of each reading of a set (``LearnedClusterer._read_set``), averaged.

    Clipped to [0, 1]: softmax outputs in float32 can sum to a hair above 1.
    """
    pairs = pairwise_same_cluster_proba(torch.from_numpy(count_proba),
                                        torch.from_numpy(assign_proba))
    return pairs.mean(dim=0).clamp(0, 1).numpy()


def _relabel_rows(y):
    """Each row of ``y`` relabelled to ``0..k-1``, in the order of the sorted labels."""
    out = np.empty(y.shape, dtype=np.int64)
    for s, row in enumerate(y):
        out[s] = np.unique(row, return_inverse=True)[1].ravel()
    return out


class LearnedClusterer(TorchParametersMixin, BaseEstimator):
    """Learning to cluster (Meier, Stadelmann and Dürr, paper 003).

    A network trained on **labelled** data to cluster **sets** of examples,
    including sets from classes it has never seen, and to estimate how many
    clusters a set holds. Each example goes through an embedding network; a
    fully connected layer (``hidden_size`` units, LeakyReLU(0.3)) and
    ``n_layers`` residual bi-directional LSTM layers (Fig. 2) let every
    example see the whole set; per-``k`` softmax heads give
    ``P(l | x_i, k)`` for ``k = 1..max_clusters`` and a cluster-count network
    fed from the second-to-last LSTM layer gives ``P(k)`` (Table I).

    Training minimises ``L_tot = L_cc + lambda L_ca`` (section IV): the
    categorical cross-entropy of ``P(k)`` and the weighted binary
    cross-entropy of ``P_ij = sum_k P(k) sum_l P(l | x_i, k) P(l | x_j, k)``,
    the probability that two examples share a cluster, against
    ``y_ij``, with error weights ``phi_0, phi_1`` (summing to 2) from the
    estimated expected ``y_ij``. Training sets are sampled as in section V:
    ``k`` uniform in ``1..max_clusters``, ``k`` distinct classes,
    ``min_per_cluster`` examples each, filled up to ``set_size`` with
    examples of random chosen classes, shuffled.

    Parameters
    ----------
    max_clusters : int, default=5
        ``k_max``, the largest number of clusters a set may hold; at least 2
        (with 1 there is nothing to learn: every set is one cluster).
    set_size : int, default=None
        ``n``, examples per training set. None: 72 (section VI-A) for
        class-labelled ``X``, the sets' own size for labelled sets.
    embedding : {"auto", "identity", "mlp", "conv"} or nn.Module class or instance, default="auto"
        Embedding network (a). ``"identity"``: none (low-dimensional points);
        ``"mlp"``: two layers ``FC 256 - LeakyReLU(0.3) - BatchNorm`` (the fully
        connected part of Table III); ``"conv"``: the CNN of Table III
        (needs images); ``"auto"``: ``"conv"`` for images, ``"identity"`` up
        to 16 features, ``"mlp"`` above. A module maps a batch of flat
        examples ``(m, n_features)`` to ``(m, E)``; a class is called with
        ``n_features``.
    image_shape : tuple (C, H, W), default=None
        Shape of one image when examples are given flat.
    n_layers : int, default=14
        ``m``, the number of residual bi-LSTM layers.
    hidden_size : int, default=288
        Width of the clustering network (even).
    pairwise_weight : float, default=5.0
        ``lambda`` in ``L_tot = L_cc + lambda L_ca``.
    min_per_cluster : int, default=2
        ``n_m``, examples every cluster of a training set has at least.
    sets_per_batch : int, default=200
        ``N``, sets per mini-batch (200 in section VI-A).
    max_iter : int, default=20000
        Training iterations (mini-batches), rounded down to a multiple of
        ``validation_interval``; fewer than ``validation_interval`` are all
        run, with one validation after them.
    validation_interval : int, default=100
        Iterations between two evaluations on the validation sets (one skorch
        epoch).
    n_iter_no_change : int, default=15000
        Early stopping: training stops when the validation loss has not
        improved for this many iterations; the best parameters are kept.
    validation_fraction : float, default=0.1
        Share of the classes (or of the labelled sets) held out for early
        stopping. 0 trains for ``max_iter`` iterations without validation.
    ema_decay : float in [0, 1), default=None
        Not in the paper. None: validate and keep the trained weights, as in
        the paper. A float: keep an exponential moving average of the weights,
        ``w_avg <- ema_decay * w_avg + (1 - ema_decay) * w`` after every
        iteration (over about ``1 / (1 - ema_decay)`` iterations); the
        validation loss, early stopping's checkpoint and the fitted model are
        the average's (:class:`~sklearn_deepcluster._callbacks.WeightAveraging`).
        Training itself is unchanged. See Notes.
    n_orderings : int, default=1
        ``predict``, ``predict_proba`` and ``predict_n_clusters`` read the
        set in this many orders (as given, then fixed random permutations)
        and combine the outputs: ``P(k)`` is averaged, and ``P(l | x_i, k)``
        of the chosen ``k`` is averaged after each order's cluster ids are
        renamed to agree with those of the given order
        (:func:`~sklearn_deepcluster.ensemble.vote_proba`). 1: the paper's
        single pass. Training is unchanged.
    set_order : {"given", "principal"}, default="given"
        Order in which the bi-LSTMs read each set, in training and in
        ``predict``: ``"given"``, the paper's; ``"principal"``, sorted by the
        examples' projections on the first principal component of the
        embedded set, the axis signed by the projections' skew
        (``sklearn_deepcluster.modules.set_network.principal_order``), so
        that the outputs no longer depend on the order in which the set is
        given (``n_orderings`` then only changes ties). Not in the paper; see
        Notes.
    set_transforms : list of callables, default=None
        Test-time symmetries, not in the paper: each maps one set (as passed
        to ``predict``) to another of the same shape with the same
        clustering, e.g. :func:`~sklearn_deepcluster.set_transforms.square_rotations`
        for :func:`~sklearn_deepcluster.datasets.make_point_sets`, or
        :func:`~sklearn_deepcluster.set_transforms.flip_images` for photographed
        objects, or copies distorted as in training
        (:func:`~sklearn_deepcluster.set_transforms.random_distortions`).
        ``predict``, ``predict_proba`` and ``predict_n_clusters`` combine the
        outputs for the set and each transformed copy (each read in
        ``n_orderings`` orders) as ``n_orderings`` combines orders;
        ``predict_pair_proba`` averages their ``P_ij``. Use only
        symmetries of the training distribution. None: the set alone.
        Training is unchanged. See Notes.
    decoding : {"count", "pairwise"}, default="count"
        How ``predict`` turns the outputs into labels. ``"count"``, the
        paper's: the most probable ``k`` of ``P(k)``, then each example's most
        probable index in that ``k``'s head. ``"pairwise"``, not in the paper:
        the labels with the fewest expected errors on pairs under ``P_ij``
        (:meth:`predict_pair_proba`, the probability that ``L_ca`` trains),
        found by moving one example at a time from each ``k``'s head
        (:func:`~sklearn_deepcluster.pair_partition.pair_error_partition`);
        the number of clusters follows from the labels. ``predict_proba`` and
        ``predict_n_clusters`` are the same for both. See Notes.
    augmentations : tuple of str, default=None
        Image augmentations from :mod:`sklearn_deepcluster.augment` (e.g.
        ``("distort", "flip")``, the paper's for COIL-100) applied to every
        training set, drawn afresh each time; None: no augmentation.
    lr : float, default=5.0
        Learning rate of ``optimizer``.
    optimizer : torch optimizer class, default=torch.optim.Adadelta
        Adadelta with lr 5.0 in section V.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks (copied for each fit).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, set sampling, the class split and dropout.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    verbose : int, default=0
        ``>= 1``: skorch's progress bar and per-epoch loss terms.

    Attributes
    ----------
    net_ : ClusteringNet
        The trained skorch net; ``net_.module_`` is the set network.
    n_features_in_ : int
        Features per example.
    image_shape_ : tuple or None
        ``(C, H, W)`` when the examples are images.
    classes_ : ndarray
        The training classes (class-labelled ``X``).
    set_size_ : int
        Examples per training set.
    pair_weights_ : tuple (phi_0, phi_1)
        Error weights of ``L_ca``.
    expected_same_cluster_ : float
        ``phi~``, the estimated expected ``y_ij``.
    validation_classes_ : ndarray or None
        The classes held out for early stopping (None for labelled sets, or
        when none are held out).
    history_ : list of dict
        Per-epoch ``train_loss``, ``valid_loss``, ``cluster_count``,
        ``cluster_assignment``.
    n_iter_ : int
        Training iterations run.

    See Also
    --------
    sklearn_deepcluster.datasets.make_point_sets : the 2-D point sets of section VI-A.

    Notes
    -----
    The defaults are the paper's network (``n_layers=14``,
    ``hidden_size=288``, 200 sets per batch, Adadelta with lr 5.0); it trained
    the 2-D point sets for 128,700 iterations (123 h on a GPU). On a CPU one
    iteration of this network on sets of 72 points costs about 6 s; the
    benchmarks in ``benchmarks/learned_*.py`` train 4 layers of 128 with Adam
    (lr 1e-3) instead, and say so in their results. The gap to the paper on
    the point sets is one of compute: 4 x 128 with 64 sets per batch reached
    NMI 0.930 / MR 0.057 after 21,600 iterations (105 min on this CPU;
    with the paper's 200 sets per batch, 9,500 iterations in 111 min gave
    NMI 0.919 / MR 0.063), while 6 x 256 with 200 sets per batch on one
    H100 reached NMI 0.969 / MR 0.025 after 10,700 iterations in 6.5 minutes
    (``benchmarks/results/learned_point_sets_cuda.md``). On the CPU, in 20
    minutes on one thread each, 4 x 256 and 6 x 128 (32 sets per batch)
    reached a higher validation loss than 4 x 128 with 64
    (``benchmarks/results/learned_validation_curve.txt``). On COIL-100 sets
    (n = 20, 16 sets per batch, 8,000 iterations, the paper's augmentation)
    the paper's 14 x 288 cost about 1.4 times the CPU time of 4 x 128;
    over four object splits it gave NMI 0.797, MR 0.158
    against 0.778 / 0.180, the paper 0.867 / 0.116
    (``benchmarks/results/learned_coil100.md``). Trained longer, 4 x 128
    gained: with the paper's augmentation and the CNN reading 8x8 block
    means (a sixth of the CPU time per step), 36,000 iterations gave NMI
    0.822, MR 0.140 against 0.793 / 0.165 after 8,000; allowed 60,000, early
    stopping kept later checkpoints with a lower but noisy validation loss,
    and those gave 0.794 / 0.152. With ``ema_decay=0.999`` the 36,000-iteration
    runs gave NMI 0.827, MR 0.128, and read with ``decoding="pairwise"`` and
    distorted copies 0.863 / 0.101 (see the deviations below). A larger
    batch did not pay there: 32 sets per batch for 24,000 iterations gave
    0.851 / 0.113 over two trainings, against 0.862 / 0.106 over four with 16.
    Nor did the paper's Adadelta at lr 5.0 in place of Adam: two trainings
    gave NMI 0.867 and 0.836, MR 0.109 and 0.128 (0.851 / 0.119 on average);
    it trains more slowly (last training loss 1.4-2.4 against 0.6-0.9).

    Deviations from the paper:

    - ``P(l | x_i, k)`` for all ``k`` comes from one linear layer whose
      outputs are split into the ``k_max`` softmax groups; this is the same
      function as ``k_max`` separate heads.
    - The cluster-count bi-LSTM has 64 units per direction (128 outputs per
      step, as in Table I), so the first and last outputs concatenate to 256.
    - Early stopping evaluates 300 fixed sets sampled once from the held-out
      classes; when fewer than ``max_clusters`` classes are held out, these
      sets have at most as many clusters as there are held-out classes. With
      too few classes to hold any out, training runs ``max_iter`` iterations.
    - ``phi~`` is estimated by sampling cluster sizes from the training
      sampler (it does not depend on the data) until the 95% confidence
      interval is narrower than 0.005, as in section IV; for labelled sets
      it is the exact mean over the training sets.
    - Within a training set, examples of a class are drawn without
      replacement while the class has enough of them (the paper does not say).
    - After training, the BatchNorm running statistics are re-estimated
      over 50 fresh training batches (they lag behind fast-changing weights,
      which made ``predict`` far worse than the training-mode network).
    - Image augmentation uses the transforms of
      :mod:`sklearn_deepcluster.augment`. The paper's COIL-100 run used
      Augmentor's random grid distortion and a left-right flip, which is
      ``augmentations=("distort", "flip")`` (:func:`~sklearn_deepcluster.augment.distort`
      moves the mesh vertices as Augmentor does and interpolates the
      displacement bilinearly). On our COIL-100 benchmark (32 x 32 images,
      4 x 128 network, 8,000 iterations) it was level with no augmentation
      over four object splits: NMI 0.778, MR 0.180 against 0.771 / 0.169,
      single splits moving by up to 0.055 either way
      (``benchmarks/results/learned_coil100.md``). Flips, rotations and
      scaling did not help within 105 minutes on a CPU (NMI 0.588 against
      0.632 without).
      Nor did turning a fifth of the training images grey
      (``augmentations=("grayscale",)``, 8,000 iterations): NMI 0.646
      against 0.635 on that split's test objects, whose colours are faint,
      but 0.712 against 0.854 on its validation objects
      (``learned_coil100_objects.txt``).
    - The uncertainty estimate of Fig. 5 (Monte-Carlo dropout) is not
      implemented.
    - ``predict`` returns the network's cluster indices for the most
      probable ``k``; an index may be unused, so labels need not be
      consecutive.
    - ``predict(X, n_clusters=k)`` (not in the paper) reads the head of a
      known ``k``, for comparisons with methods that are given ``k``, such
      as KMeans.
    - ``ema_decay`` is not in the paper, which validates and keeps the
      trained weights. Averaging the weights smooths the validation loss
      that early stopping reads: on the COIL-100 recipe above (36,000
      iterations, four object splits) consecutive checks differed by 1.3-2.1%
      at the median against 8.6-11.4% without (up to iteration 22,000 to
      28,800), and the test scores went from NMI 0.822, MR 0.140 to
      0.827 / 0.128 (given the true k, 0.863 / 0.112 to 0.866 / 0.107);
      single splits moved by -0.005 to +0.017 NMI. One run per split: a gain
      smaller than the 0.04 NMI by which reruns of an 8,000-iteration recipe
      moved.
    - ``decoding="pairwise"`` and ``predict_pair_proba`` are not in the
      paper, which labels a set by the most probable ``k`` and that ``k``'s
      head. ``P_ij`` is what ``L_ca`` trains; the labels with the fewest
      expected errors on pairs under it are a local search of correlation
      clustering (Gionis et al. 2007) started from every ``k``'s head. On
      the four COIL-100 models above (``ema_decay=0.999``) it raised NMI on
      every split, on the test objects and on the validation objects alike
      (+0.018 to +0.041; on two more trainings, test objects, +0.022 to
      +0.041), and over the four splits took the test objects from
      NMI 0.827, MR 0.128 to 0.851 / 0.110; with ``set_transforms=[flip_images]
      + random_distortions(6)`` (the mirror image and six copies distorted as
      in training, test-time) to 0.863 / 0.101, against the paper's 0.867 /
      0.116; a second training of each split, read so, gave 0.859 / 0.106,
      a third and a fourth (on another CPU) 0.853 / 0.115 and 0.873 / 0.102,
      so 0.862 / 0.106 over the four trainings (scikit-learn's NMI; the
      paper's geometric form, recorded for the last two, is 0.002-0.003
      higher), and two networks' ``P_ij`` averaged 0.889 / 0.083 and
      0.897 / 0.082
      (``benchmarks/learned_coil100_ensemble.py``). On four 60,000-iteration
      models without the average it also raised NMI on every split and
      group, 0.794 to 0.822 on the test objects
      (``benchmarks/results/learned_coil100_objects.txt``). On sets of unseen
      MNIST digits, where the network scores NMI 0.23, it changed nothing.
    - ``n_orderings > 1`` is not in the paper. The bi-LSTMs read a set in
      order, so their outputs depend on it; averaging over orders reduces
      that variance. On the point sets, the 4 x 128 network above (a rerun:
      NMI 0.924, MR 0.058) reached NMI 0.940, MR 0.051 with 8 orders, with
      no gain beyond 8 (``benchmarks/results/learned_orderings.txt``); on
      COIL-100, NMI 0.599 became 0.611 with 16. A 6 x 256 network trained
      for 5 minutes on one H100 went from NMI 0.963 / MR 0.028 to
      0.973 / 0.022 with 8 orders (``learned_orderings_cuda.txt``).
    - ``set_order="principal"`` is not in the paper either: each set is
      sorted along the first principal component of its embedding before the
      bi-LSTMs, which makes the network invariant to the order of the set
      (up to ties). On the point sets, 4 x 128 trained 105 minutes on one
      CPU thread reached NMI 0.958 / MR 0.033 / k exact 95% against 0.924 /
      0.058 / 91% in the given order, and 38,000 iterations in 91 minutes on
      two threads, the learning rate decayed linearly to 0 over the last
      20%, NMI 0.974 / MR 0.022 / k exact 95% (46,000 in 117 minutes:
      0.977 / 0.020 / 95%); on COIL-100 (40 minutes) NMI
      0.630 against 0.599 (``benchmarks/results/learned_point_sets.md``,
      ``learned_coil100.md``).
    - ``set_transforms`` is not in the paper either. Given
      ``square_rotations()``, the 46,000-iteration network above went from
      NMI 0.977 / MR 0.020 / k exact 95% to 0.986 / 0.011 / 98% on the same
      300 test sets, and from MR 0.021 and 0.015 to 0.012 and 0.011 on two
      other draws of 300; the 38,000-iteration one from 0.974 / 0.022 / 95%
      to 0.984 / 0.014 / 98% (``benchmarks/results/learned_orderings.txt``). The
      square's reflections are not symmetries of those sets: they mirror
      interleaved half moons, which training never shows. On COIL-100,
      ``[flip_images]`` lifted the paper's network trained with random flips
      from NMI 0.797 / MR 0.158 to 0.802 / 0.155 over four object splits
      (``benchmarks/results/learned_coil100_objects.txt``).

    References
    ----------
    .. [1] B. Meier, T. Stadelmann and O. Dürr, "Learning to Cluster", 2018.

    Examples
    --------
    >>> from sklearn_deepcluster import LearnedClusterer
    >>> from sklearn_deepcluster.datasets import make_point_sets
    >>> X, y = make_point_sets(n_sets=64, n_points=16, max_clusters=2, random_state=0)
    >>> est = LearnedClusterer(max_clusters=2, n_layers=1, hidden_size=8, sets_per_batch=8,
    ...                        max_iter=2, random_state=0).fit(X, y)
    >>> est.predict(X[0]).shape
    (16,)
    >>> est.predict_n_clusters(X[0]).shape
    (2,)
    """

    _parameter_constraints = {
        "max_clusters": [Interval(Integral, 2, None, closed="left")],
        "set_size": [Interval(Integral, 2, None, closed="left"), None],
        "embedding": [StrOptions({"auto", "identity", "mlp", "conv"}), nn.Module, type],
        "image_shape": [tuple, list, None],
        "n_layers": [Interval(Integral, 0, None, closed="left")],
        "hidden_size": [Interval(Integral, 2, None, closed="left")],
        "pairwise_weight": [Interval(Real, 0, None, closed="left")],
        "min_per_cluster": [Interval(Integral, 1, None, closed="left")],
        "sets_per_batch": [Interval(Integral, 2, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "validation_interval": [Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "ema_decay": [Interval(Real, 0, 1, closed="left"), None],
        "n_orderings": [Interval(Integral, 1, None, closed="left")],
        "set_order": [StrOptions({"given", "principal"})],
        "set_transforms": [list, tuple, None],
        "decoding": [StrOptions({"count", "pairwise"})],
        "augmentations": [tuple, list, None],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [type],
        "callbacks": [list, tuple, None],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "verbose": ["verbose"],
    }

    _class_parameters = {"embedding": nn.Module, "optimizer": torch.optim.Optimizer}

    _accept_sparse = False

    #: Checks of ``parametrize_with_checks`` known to fail, with the reason
    #: (read by ``tests/test_common.py``).
    _expected_failed_checks = {
        "check_methods_subset_invariance": "predict clusters X as one set: each example's "
                                           "output depends on the whole set",
        "check_methods_sample_order_invariance": "predict clusters X as one set with "
                                                 "bi-LSTMs, which read it in order",
    }

    # The input validation of the unsupervised estimators, shared as is.
    _validate_input = BaseDeepClustering._validate_input
    _resolve_image_shape = BaseDeepClustering._resolve_image_shape

    def __init__(self, max_clusters=5, set_size=None, embedding="auto", image_shape=None,
                 n_layers=14, hidden_size=288, pairwise_weight=5.0, min_per_cluster=2,
                 sets_per_batch=200, max_iter=20000, validation_interval=100,
                 n_iter_no_change=15000, validation_fraction=0.1, ema_decay=None,
                 n_orderings=1, set_order="given", set_transforms=None, decoding="count",
                 augmentations=None, lr=5.0, optimizer=torch.optim.Adadelta, callbacks=None,
                 random_state=None, device="cpu", verbose=0):
        self.max_clusters = max_clusters
        self.set_size = set_size
        self.embedding = embedding
        self.image_shape = image_shape
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.pairwise_weight = pairwise_weight
        self.min_per_cluster = min_per_cluster
        self.sets_per_batch = sets_per_batch
        self.max_iter = max_iter
        self.validation_interval = validation_interval
        self.n_iter_no_change = n_iter_no_change
        self.validation_fraction = validation_fraction
        self.ema_decay = ema_decay
        self.n_orderings = n_orderings
        self.set_order = set_order
        self.set_transforms = set_transforms
        self.decoding = decoding
        self.augmentations = augmentations
        self.lr = lr
        self.optimizer = optimizer
        self.callbacks = callbacks
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ input
    def _validate_training_data(self, X, y):
        """Flat float32 examples and int64 labels; labelled sets keep their set axis."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None: give the class of every example (n_samples,), or the "
                             "cluster of every example of every set (n_sets, set_size).")
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:  # a column vector is class labels
            X = np.asarray(X)
            if X.ndim < 3 or X.shape[:2] != y.shape:
                raise ValueError(f"Labelled sets need X of shape (n_sets, set_size, ...) "
                                 f"matching y of shape {y.shape}; got X of shape {X.shape}.")
            n_sets, set_size = y.shape
            if self.set_size is not None and self.set_size != set_size:
                raise ValueError(f"set_size={self.set_size} but the labelled sets have "
                                 f"{set_size} examples each.")
            flat = self._validate_input(X.reshape(n_sets * set_size, *X.shape[2:]), reset=True)
            check_classification_targets(y.ravel())
            labels = _relabel_rows(y)
            too_many = int(labels.max(axis=1).max()) + 1
            if too_many > self.max_clusters:
                raise ValueError(f"A labelled set holds {too_many} clusters, more than "
                                 f"max_clusters={self.max_clusters}.")
            if hasattr(self, "classes_"):
                del self.classes_  # of an earlier fit on class-labelled data
            return flat.reshape(n_sets, set_size, -1), labels
        X = self._validate_input(X, reset=True)
        y = column_or_1d(y, warn=True)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} examples but y has {len(y)} labels.")
        check_classification_targets(y)
        classes, labels = np.unique(y, return_inverse=True)
        counts = np.bincount(labels)
        if (counts < self.min_per_cluster).any():
            raise ValueError(f"Classes {classes[counts < self.min_per_cluster].tolist()} have "
                             f"fewer than min_per_cluster={self.min_per_cluster} examples; "
                             "remove them or lower min_per_cluster.")
        if len(classes) < self.max_clusters:
            raise ValueError(f"y has {len(classes)} classes, fewer than max_clusters="
                             f"{self.max_clusters}: a training set needs that many distinct "
                             "classes.")
        set_size = DEFAULT_SET_SIZE if self.set_size is None else self.set_size
        if set_size < self.min_per_cluster * self.max_clusters:
            raise ValueError(f"set_size={set_size} is too small to give each of "
                             f"max_clusters={self.max_clusters} clusters min_per_cluster="
                             f"{self.min_per_cluster} examples.")
        if set_size > len(X):
            raise ValueError(f"set_size={set_size} is larger than the {len(X)} training "
                             "examples.")
        self.classes_ = classes
        return X, labels.astype(np.int64)

    # -------------------------------------------------------------- building
    def _resolve_embedding(self, n_features):
        """The embedding module (a) and its output width."""
        embedding = self.embedding
        if embedding == "auto":
            if self.image_shape_ is not None:
                embedding = "conv"
            else:
                embedding = "identity" if n_features <= MAX_IDENTITY_FEATURES else "mlp"
        if embedding == "identity":
            return nn.Identity(), n_features
        if embedding == "mlp":
            module = fully_connected_embedding(n_features)
            return module, module[-1].num_features
        if embedding == "conv":
            if self.image_shape_ is None:
                raise ValueError("embedding='conv' needs images: pass examples of shape "
                                 "(H, W) or (C, H, W), or flat ones with image_shape=(C, H, W).")
            module = ConvEmbedding(self.image_shape_)
            return module, module.out_features
        module = embedding(n_features) if isinstance(embedding, type) else copy.deepcopy(embedding)
        return module, output_width(module, n_features, "embedding")

    def _augmentation(self):
        """The training-set augmentation, or None."""
        if not self.augmentations:
            return None
        check_augmentations(self.augmentations)
        if self.image_shape_ is None:
            raise ValueError("augmentations need images: pass examples of shape (H, W) or "
                             "(C, H, W), or flat ones with image_shape=(C, H, W).")
        return SetAugmentation(self.image_shape_, self.augmentations)

    def _split(self, X, labels):
        """Training data and validation sets (held-out classes, or held-out sets)."""
        self.validation_classes_ = None
        if labels.ndim == 2:
            n_valid = int(round(self.validation_fraction * len(labels)))
            if n_valid == 0:
                return X, labels, None
            order = torch.randperm(len(labels))
            valid, train = order[:n_valid], order[n_valid:]
            if len(train) == 0:
                raise ValueError("validation_fraction leaves no labelled set for training.")
            return X[train], labels[train], (X[valid], labels[valid])
        n_classes = int(labels.max()) + 1
        n_valid = min(int(round(self.validation_fraction * n_classes)),
                      n_classes - self.max_clusters)
        if n_valid < 1:
            return X, labels, None
        valid_classes = torch.randperm(n_classes)[:n_valid].sort().values
        self.validation_classes_ = self.classes_[valid_classes.numpy()]
        is_valid = torch.isin(labels, valid_classes)
        remap = torch.full((n_classes,), -1, dtype=torch.int64)
        remap[valid_classes] = torch.arange(n_valid)
        train_classes = torch.nonzero(remap < 0).ravel()
        remap[train_classes] = torch.arange(len(train_classes))
        X_valid, y_valid = X[is_valid], remap[labels[is_valid]]
        index, set_labels = sample_sets_from_classes(
            class_members(y_valid), N_VALIDATION_SETS, self.set_size_, self.max_clusters,
            self.min_per_cluster)
        return X[~is_valid], remap[labels[~is_valid]], (SetsByIndex(X_valid, index), set_labels)

    # -------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Learn to cluster from labelled examples or labelled sets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or images (n_samples, H, W)
            or (n_samples, C, H, W); or labelled sets of shape
            (n_sets, set_size, n_features) or (n_sets, set_size, [C,] H, W).
        y : array-like of shape (n_samples,) or (n_sets, set_size)
            The class of every example (training sets are then sampled from
            the classes, section V), or the cluster of every example of every
            set.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        if self.hidden_size % 2:
            raise ValueError(f"hidden_size={self.hidden_size} must be even: each direction "
                             "of a residual bi-LSTM has hidden_size / 2 units.")
        X, labels = self._validate_training_data(X, y)
        self.set_size_ = X.shape[1] if labels.ndim == 2 else (
            DEFAULT_SET_SIZE if self.set_size is None else self.set_size)
        self.device_ = resolve_device(self.device)
        seed = int(random_generator(self.random_state).randint(np.iinfo(np.int32).max))
        X, labels = as_tensor(X), torch.from_numpy(labels)
        with seeded_torch(seed, self.device_):
            X_train, y_train, valid = self._split(X, labels)
            if labels.ndim == 2:
                phi = same_cluster_share(y_train)
                if not 0 < phi < 1:
                    kind = "one cluster" if phi == 1 else "all singletons"
                    raise ValueError(f"Every labelled set is {kind}: the sets need pairs in "
                                     "the same cluster and pairs in different clusters to "
                                     "learn from.")
            else:
                phi = expected_same_cluster_share(self.set_size_, self.max_clusters,
                                                  self.min_per_cluster)
            self.expected_same_cluster_ = phi
            self.pair_weights_ = pair_weights(phi)
            self.net_ = self._build_net(valid)
            self.net_.initialize()
            self.net_.partial_fit(X_train, y=y_train)
        self.net_.train_split = None  # the validation sets are not part of the fitted model
        self.history_ = [{k: v for k, v in row.items() if k != "batches"}
                         for row in self.net_.history]
        self.n_iter_ = len(self.history_) * self._batches_per_epoch()
        return self

    def _batches_per_epoch(self):
        return min(self.validation_interval, self.max_iter)

    def _build_net(self, valid):
        embedding, width = self._resolve_embedding(self.n_features_in_)
        module = SetClusteringNetwork(embedding, width, self.max_clusters,
                                      n_layers=self.n_layers, hidden_size=self.hidden_size,
                                      set_order=self.set_order)
        loss_terms = ("cluster_count", "cluster_assignment")
        callbacks = [LossTermScoring(name, on_train=True) for name in loss_terms]
        per_epoch = self._batches_per_epoch()
        if self.ema_decay is not None:
            callbacks.append(WeightAveraging(self.ema_decay))
        if valid is not None:
            callbacks.append(EarlyStopping(
                patience=max(1, math.ceil(self.n_iter_no_change / per_epoch)), threshold=0,
                load_best=True, sink=print if self.verbose else _silent))
        callbacks.append(RecalibrateBatchNorm(N_RECALIBRATION_BATCHES))
        callbacks += [copy.deepcopy(cb) for cb in (self.callbacks or ())]
        if self.verbose:
            callbacks.append(ProgressBar())
        return ClusteringNet(
            module=module,
            criterion=LearnedClusteringLoss(self.pairwise_weight, self.pair_weights_),
            optimizer=self.optimizer,
            lr=self.lr,
            max_epochs=max(1, self.max_iter // per_epoch),
            batch_size=self.sets_per_batch,
            train_split=None if valid is None else HeldOutSets(*valid),
            iterator_train=SetBatchIterator,
            iterator_train__n_batches=per_epoch,
            iterator_train__set_size=self.set_size_,
            iterator_train__max_clusters=self.max_clusters,
            iterator_train__min_per_cluster=self.min_per_cluster,
            iterator_train__augment=self._augmentation(),
            iterator_valid=BatchIterator,
            callbacks=callbacks,
            device=self.device_,
            verbose=int(bool(self.verbose)),
            loss_terms=loss_terms,
        )

    # ---------------------------------------------------------------- predict
    def _check_n_clusters(self, n_clusters):
        """``n_clusters`` of ``predict`` and ``predict_proba``: None or 1..max_clusters."""
        if n_clusters is not None and not (
                isinstance(n_clusters, Integral) and not isinstance(n_clusters, bool)
                and 1 <= n_clusters <= self.max_clusters):
            raise ValueError(f"n_clusters={n_clusters!r} is not an integer in "
                             f"[1, max_clusters={self.max_clusters}]: the network has a head "
                             "for each k up to max_clusters only.")

    def _read_set(self, X):
        """The network's outputs for every reading of the single set ``X``.

        The readings are ``n_orderings`` orders of the set and of each
        ``set_transforms`` copy. Returns ``P(k)`` of shape
        ``(n_readings, max_clusters)`` and ``P(l | x_i, k)`` of shape
        ``(n_readings, n, max_clusters, max_clusters)``, its rows back in the
        given order of the set.
        """
        check_is_fitted(self, "net_")
        self._validate_params()
        if np.ndim(X) > 2 and image_shape_of(np.asarray(X)) != self.image_shape_:
            shapes = [(self.n_features_in_,)]
            if self.image_shape_ is not None:
                shapes.append(self.image_shape_)
                if self.image_shape_[0] == 1:
                    shapes.append(self.image_shape_[1:])
            one_set = " or ".join(str(("n", *shape)).replace("'", "") for shape in shapes)
            raise ValueError(f"X of shape {np.shape(X)} holds several sets or is not one set: "
                             f"{type(self).__name__} clusters one set of shape {one_set} per "
                             "call; call it once per set.")
        copies = self._transformed_copies(X)
        n = len(copies[0])
        rng = np.random.RandomState(ORDERING_SEED)
        orders = np.stack([np.arange(n)] + [rng.permutation(n)
                                           for _ in range(self.n_orderings - 1)])
        read = torch.cat([as_tensor(copy)[torch.from_numpy(orders)] for copy in copies])
        out = self.net_.predict_outputs(read, ("count_proba", "assign_proba"))
        # each reading's rows back to the given order (copies keep the order of the set)
        undo = np.tile(np.argsort(orders, axis=1), (len(copies), 1))
        assign = np.take_along_axis(out["assign_proba"], undo[:, :, None, None], axis=1)
        return out["count_proba"], assign

    def _set_outputs(self, X, n_clusters=None):
        """``P(k)`` and ``P(l | x_i, k)`` for the single set ``X``, over all readings.

        ``k`` is ``n_clusters`` when given, else the most probable. ``P(k)``
        is averaged over the readings (``_read_set``), ``P(l | x_i, k)``
        averaged after aligning the cluster ids of each reading to the first;
        the second output has shape ``(n, max_clusters)``, with zeros in the
        columns ``l >= k``.
        """
        self._check_n_clusters(n_clusters)
        count_proba, assign = self._read_set(X)
        count_proba = count_proba.mean(axis=0)
        k = int(count_proba.argmax()) + 1 if n_clusters is None else int(n_clusters)
        proba = np.zeros(assign.shape[1:3], dtype=assign.dtype)
        proba[:, :k] = vote_proba(assign[:, :, k - 1, :k])
        return count_proba, proba

    def _transformed_copies(self, X):
        """The validated set, then its ``set_transforms`` copies (arrays of one shape)."""
        copies = [self._validate_input(X, reset=False)]
        for i, transform in enumerate(self.set_transforms or ()):
            if not callable(transform):
                raise TypeError(f"set_transforms[{i}] is {transform!r}, which is not callable: "
                                "give functions that map one set to another of its shape.")
            copy = self._validate_input(transform(X), reset=False)
            if copy.shape != copies[0].shape:
                raise ValueError(f"set_transforms[{i}] turned a set of {len(copies[0])} "
                                 f"examples into {len(copy)}: a set transform must return "
                                 "the same number of examples, in the same order.")
            copies.append(copy)
        return copies

    def predict_n_clusters(self, X):
        """Distribution of the number of clusters in the set ``X``, ``P(k)``.

        Parameters
        ----------
        X : array-like of shape (n, n_features), or images (n, H, W) or (n, C, H, W)
            One set.

        Returns
        -------
        proba : ndarray of shape (max_clusters,)
            ``proba[c - 1] = P(k = c)``, averaged over ``n_orderings``
            orders (and ``set_transforms`` copies); ``proba.argmax() + 1``
            is the estimate.
        """
        return self._set_outputs(X)[0]

    def predict_proba(self, X, n_clusters=None):
        """Cluster-index distributions ``P(l | x_i, k)``.

        Parameters
        ----------
        X : array-like of shape (n, n_features), or images (n, H, W) or (n, C, H, W)
            One set.
        n_clusters : int, default=None
            ``k``, when it is known (1 to ``max_clusters``): the head of that
            ``k`` is read, as KMeans is given ``n_clusters``. None: the most
            probable ``k`` (``predict_n_clusters``), as in the paper.

        Returns
        -------
        proba : ndarray of shape (n, max_clusters)
            Row ``i`` is ``P(l | x_i, k)`` (with ``n_orderings > 1`` or
            ``set_transforms``, the aligned average over the orders and
            copies); the columns ``l >= k`` are 0.
        """
        return self._set_outputs(X, n_clusters)[1]

    def predict_pair_proba(self, X):
        """``P_ij``, the probability that examples ``i`` and ``j`` of the set ``X`` share a cluster.

        ``P_ij = sum_k P(k) sum_l P(l | x_i, k) P(l | x_j, k)`` (section IV),
        the quantity ``L_ca`` trains, averaged over ``n_orderings`` orders
        and ``set_transforms`` copies (cluster ids need no alignment here).

        Parameters
        ----------
        X : array-like of shape (n, n_features), or images (n, H, W) or (n, C, H, W)
            One set.

        Returns
        -------
        pair_proba : ndarray of shape (n, n)
            Symmetric; on the diagonal, ``P_ii`` is below 1 where the
            assignments are uncertain.
        """
        return _mean_pair_proba(*self._read_set(X))

    def predict(self, X, n_clusters=None):
        """Cluster the set ``X`` jointly.

        Parameters
        ----------
        X : array-like of shape (n, n_features), or images (n, H, W) or (n, C, H, W)
            One set; it may hold examples of classes unseen in training.
        n_clusters : int, default=None
            The number of clusters, when it is known (1 to ``max_clusters``):
            the head of that ``k`` is read (``decoding="count"``), or the
            search starts from it and keeps at most that many clusters
            (``decoding="pairwise"``). None: estimated, as ``decoding`` says.

        Returns
        -------
        labels : ndarray of shape (n,)
            Cluster index of each example, below that number of clusters.
        """
        if self.decoding == "count":
            return self.predict_proba(X, n_clusters).argmax(axis=1)
        self._check_n_clusters(n_clusters)
        count_proba, assign = self._read_set(X)
        pairs = _mean_pair_proba(count_proba, assign)
        ks = range(1, self.max_clusters + 1) if n_clusters is None else [int(n_clusters)]
        starts = [vote_proba(assign[:, :, k - 1, :k]).argmax(axis=1) for k in ks]
        return pair_error_partition(pairs, starts, max(ks))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        return tags

