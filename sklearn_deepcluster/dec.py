"""Deep Embedded Clustering and the taxonomy's variants (papers 001 and 004)."""

import copy
import math
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.frozen import FrozenEstimator
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from torch import nn

from ._base import BaseDeepClustering, output_width, positive_ints
from ._callbacks import PhaseSwitch, TargetRefresh
from .augment import check_augmentations
from .losses.dec import kl_divergence, kmeans_loss, reconstruction_loss, target_distribution
from .modules import (ClusteringAutoencoder, ConvAutoencoder, MLPAutoencoder,
                      StridedConvAutoencoder)


class DECLoss(nn.Module):
    """Criterion of DEC and its taxonomy variants (paper 001 eq. 11).

    L = L_c + reconstruction_weight * L_r, where L_c is KL(P || Q) (eq. 5) or
    the k-means loss (eq. 2) and L_r the reconstruction loss (eq. 1). During
    pre-training (``phase == "pretrain"``) only L_r is optimised. The
    per-sample ``target`` (P, or the one-hot k-means assignments) and, for
    the k-means loss, the ``centers`` are set by :func:`refresh_target`.
    """

    def __init__(self, clustering_loss="kl", reconstruction_weight=0.0):
        super().__init__()
        self.clustering_loss = clustering_loss
        self.reconstruction_weight = reconstruction_weight
        self.phase = "pretrain"
        self.target = None
        self.centers = None

    def forward(self, outputs, index):
        if self.phase == "pretrain":
            rec = reconstruction_loss(outputs["input"], outputs["reconstruction"])
            return {"loss": rec, "reconstruction": rec}
        target = self.target[index]
        if self.clustering_loss == "kl":
            clustering = kl_divergence(target, outputs["proba"])
        else:
            clustering = kmeans_loss(outputs["embedding"], self.centers, target)
        terms = {"loss": clustering, self.clustering_loss: clustering}
        if self.reconstruction_weight > 0:
            rec = reconstruction_loss(outputs["input"], outputs["reconstruction"])
            terms["reconstruction"] = rec
            terms["loss"] = clustering + self.reconstruction_weight * rec
        return terms


def global_mean_and_std(X, rows_per_block=4096):
    """Mean and standard deviation of all values of ``X``, accumulated in float64.

    Works through blocks of rows, so the float64 temporaries stay small
    (``X.std(dtype=np.float64)`` would make a float64 copy of all of ``X``).
    """
    mean = X.mean(dtype=np.float64)
    squares = 0.0
    for rows in gen_batches(X.shape[0], rows_per_block):
        deviation = X[rows].astype(np.float64).ravel() - mean
        squares += deviation @ deviation
    return mean, math.sqrt(squares / X.size)


def encode_and_assign(module, x):
    """Inference without the decoder: the embedding and the soft assignments."""
    z = module.embed(x)
    return {"embedding": z, "proba": module.assign(z)}


def encode_assign_and_score(module, x):
    """Inference for the loss: also the per-sample reconstruction error."""
    out = encode_and_assign(module, x)
    reconstruction = module.autoencoder.decoder(out["embedding"])
    out["reconstruction_error"] = ((reconstruction - x) ** 2).mean(dim=1)
    return out


def seed_from_torch():
    """A seed drawn from torch's generator, itself seeded for the run."""
    return int(torch.randint(np.iinfo(np.int32).max, ()).item())


def seeded_generator(device):
    """A fresh ``torch.Generator`` on ``device``, seeded by :func:`seed_from_torch`."""
    return torch.Generator(device=device).manual_seed(seed_from_torch())


def kmeans_centers(z, n_clusters):
    """KMeans with 20 initialisations (DEC), seeded from torch's (seeded) generator."""
    return KMeans(n_clusters, n_init=20, random_state=seed_from_torch()).fit(z).cluster_centers_


def clustering_optimizer_settings(optimizer, lr):
    """The skorch net attributes that select the clustering phase's optimizer.

    Parameters
    ----------
    optimizer : {"adam", "sgd"}
        ``"sgd"``: SGD with momentum 0.9, as DEC (Xie et al., 2016) and
        paper 001 (§5) train the clustering phase.
    lr : float or None
        None: the pre-training's rate for Adam, DEC's 0.01 for SGD.

    Returns
    -------
    settings : dict
        Attribute names of :class:`skorch.NeuralNet` (``optimizer``, ``lr``,
        ``optimizer__momentum``) and their values; empty to keep the
        pre-training's optimizer and rate.
    """
    if optimizer == "sgd":
        return {"optimizer": torch.optim.SGD, "lr": 0.01 if lr is None else lr,
                "optimizer__momentum": 0.9}
    return {} if lr is None else {"lr": lr}


def start_clustering(net, X, n_clusters, reconstruction_weight, optimizer_settings=None):
    """End of pre-training: KMeans centres on the embedding, fresh optimizer.

    ``optimizer_settings`` (from :func:`clustering_optimizer_settings`) are
    set on the net before its optimizer is re-initialised. They are set as
    attributes: on an initialised net, skorch's ``set_params`` refuses a new
    ``optimizer`` class (skorch 1.4 raises "Something went wrong").
    """
    module = net.module_
    z = net.predict_outputs(X, ("embedding",), forward=encode_and_assign)["embedding"]
    module.centers.data = torch.as_tensor(kmeans_centers(z, n_clusters), device=net.device)
    module.reconstruct = reconstruction_weight > 0
    module.corruption = 0.0  # denoising is for pre-training only
    net.criterion_.phase = "cluster"
    for name, value in (optimizer_settings or {}).items():
        setattr(net, name, value)
    net.initialize_optimizer()


def refresh_target(net, X):
    """Recompute the criterion's target over the whole data set (paper 001 §2.6).

    KL loss: P of eq. (4) from Q over all samples. k-means loss: one Lloyd
    step, the hard assignments s_ik and the centres as the means of their
    members ("alternatingly updated"). Returns the hard labels.
    """
    module, criterion = net.module_, net.criterion_
    out = net.predict_outputs(X, ("embedding", "proba"), forward=encode_and_assign)
    q = torch.from_numpy(out["proba"]).to(net.device)
    labels = q.argmax(dim=1)
    if criterion.clustering_loss == "kl":
        criterion.target = target_distribution(q)
    else:
        z = torch.from_numpy(out["embedding"]).to(net.device)
        criterion.target = nn.functional.one_hot(labels, q.shape[1]).to(z.dtype)
        counts = criterion.target.sum(dim=0)
        means = criterion.target.T @ z / counts.clamp_min(1).unsqueeze(1)
        centers = torch.where(counts.unsqueeze(1) > 0, means, module.centers.data)
        module.centers.data = centers
        criterion.centers = centers.clone()
    return labels.cpu().numpy()


def in_clustering_phase(net):
    return net.criterion_.phase == "cluster"


class DECClustering(BaseDeepClustering):
    """Deep Embedded Clustering, with the building blocks of paper 001.

    An autoencoder is pre-trained on reconstruction (eq. 1); KMeans
    (``n_init=20``) on its code gives the initial centres; then the encoder
    and the centres are trained on the cluster assignment hardening loss
    KL(P || Q) (eqs. 3-5), where the target P is recomputed over the
    **whole** data set every ``update_interval`` iterations, until fewer than
    ``tol`` of the labels change between two refreshes.

    One parameter away are the taxonomy's other choices (paper 001 §2):
    ``architecture="conv"`` (convolutional autoencoder, paper 004),
    ``reconstruction_weight > 0`` (joint training, eq. 11, as in paper 001 §4
    and IDEC), ``clustering_loss="kmeans"`` (eq. 2 with alternating centre
    updates, §2.6), ``final_kmeans=True`` (re-cluster the embedding, §2.7) and
    ``pretrained=`` (reuse the autoencoder of a fitted estimator).

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    architecture : {"auto", "mlp", "conv", "strided-conv"} or nn.Module class or instance, \
default="auto"
        ``"mlp"``: fully connected autoencoder ``d-hidden_dims-embedding_dim``.
        ``"conv"``: the convolutional autoencoder of paper 004 (needs images).
        ``"strided-conv"``: DCEC's convolutional autoencoder (stride-2
        convolutions, no pooling;
        :class:`~sklearn_deepcluster.modules.StridedConvAutoencoder`), about
        7 times cheaper per training step than ``"conv"`` on 28x28 images on
        CPU (needs images). Paper 001's joint method with it and DEC-DA's
        ``batch_augmentations=("affine",)`` on all of MNIST (raw input,
        30 + 20 epochs), seeds 0-2: ACC 0.924 ± 0.035 (0.974 / 0.904 /
        0.896), about 17 minutes a fit on 2 CPU threads
        (``benchmarks/results/dec-conv_mnist_strided_affine.md``); rerun
        with the current code on 1 thread, seeds 1-3: 0.973 / 0.974 /
        0.973 (``dec-conv_mnist_strided_affine_rerun.md``), and seed 1 on
        2 threads 0.904 again: the thread count, not the code, decides
        between the two (``dec-conv_mnist_strided_affine_2threads.md``).
        ``"auto"``: ``"conv"`` for images, ``"mlp"`` otherwise. A module (or a
        class called with ``n_features, embedding_dim``) must have ``encoder``
        (flat input to code) and ``decoder`` (code to flat input) sub-modules.
    image_shape : tuple (C, H, W), default=None
        Shape of one image when ``X`` is given flat.
    hidden_dims : tuple of int, default=(500, 500, 2000)
        Hidden layers of the MLP encoder (mirrored in the decoder).
    embedding_dim : int, default=10
        Dimension of the code z, where clustering happens.
    alpha : float, default=1.0
        Degrees of freedom of the Student's t kernel (nu in eq. 3).
    pretrain_epochs : int, default=100
        Epochs of reconstruction pre-training (ignored with ``pretrained``).
        The code KMeans starts from can need many: on USPS, with
        ``architecture="strided-conv", reconstruction_weight=1.0,
        batch_augmentations=("affine",), standardize=False,
        final_kmeans=True, max_epochs=50``, seeds 0-2, 200 epochs left two
        seeds with the zeros split over two clusters and 7 merged with 9
        (ACC 0.978 / 0.825 / 0.817); DEC-DA's 500 gave 0.980 / 0.980 / 0.981
        (``benchmarks/results/dec-conv_usps_strided_affine_*.md``).
    corruption : float, default=0.0
        Dropout rate on the input during pre-training: a denoising
        autoencoder, as DEC pre-trains (Xie et al. 2016, §3.2, 20%). Off by
        default: on digits, seeds 0-2, 0.2 gave mean ACC 0.757 against 0.784
        without it (end-to-end pre-training, 100 epochs;
        ``benchmarks/dec_pretraining_digits.py``).
    max_epochs : int, default=100
        Upper bound on epochs of the clustering phase.
    update_interval : int, default=140
        Iterations between recomputations of the target over the whole data
        (DEC's setting for MNIST). On digits (7 batches an epoch), seeds 0-2,
        20 gave ACC 0.802 ± 0.030 against 0.784 ± 0.022 with 140, from the
        same pre-trained autoencoders
        (``benchmarks/dec_clustering_phase_digits.py``).
    tol : float, default=1e-3
        Stop when fewer than this fraction of labels changed between refreshes.
    reconstruction_weight : float, default=0.0
        Weight of the reconstruction loss during clustering; 0 is DEC, > 0 is
        joint training (paper 001 eq. 11 with weight (1-alpha)/alpha).
    clustering_loss : {"kl", "kmeans"}, default="kl"
        Cluster assignment hardening (eq. 5) or the k-means loss (eq. 2).
        The k-means loss can collapse the code without a reconstruction term;
        use it with ``reconstruction_weight > 0``.
    final_kmeans : bool, default=False
        Re-cluster the final embedding with KMeans (§2.7); the centres then
        become ``cluster_centers_`` and ``predict`` assigns to them.
    pretrained : DECClustering, default=None
        A fitted estimator whose autoencoder's weights are loaded instead of
        pre-training. They go into the network this estimator builds from its
        own ``architecture``, ``hidden_dims`` and ``embedding_dim``, which must
        therefore give the same autoencoder as ``pretrained``'s. Inside
        ``GridSearchCV`` or ``cross_val_score``, which clone every parameter,
        wrap it as ``sklearn.frozen.FrozenEstimator(fitted)``.
    standardize : bool, default=True
        Shift and scale the input to zero mean and unit variance, with one
        mean and one standard deviation over all training values (not per
        feature, which would blow up near-constant pixels). The same shift and
        scale are applied in ``predict``, ``transform`` and ``score``. An
        autoencoder reused through ``pretrained`` sees the standardised input.
        Not in DEC; on by default since 2026-12-05 (it was off before; see
        ``clustering_optimizer`` for the two defaults together). The same
        transform applied before the fit
        (``benchmarks/run.py --standardize``) measured better: digits, seeds 0-2,
        ACC 0.808 ± 0.018 against 0.792 ± 0.015; full MNIST, seeds 0-2
        (80 + 30 epochs), 0.888 ± 0.038 against 0.847 ± 0.037
        (``benchmarks/results/dec_*std*``). Through this parameter, full
        MNIST with ``pretrain_epochs=60, max_epochs=30``, seeds 0-2: ACC
        0.883 ± 0.034, each fit about 18 minutes on 2 CPU cores
        (``dec_mnist_std_param.md``).
    batch_augmentations : tuple of str, default=None
        Not in DEC: names from
        :data:`~sklearn_deepcluster.augment.ALL_AUGMENTATIONS` (e.g.
        ``("affine",)``, DEC-DA's choice for digits). Every training
        batch, in both phases, is replaced by a random augmentation of it:
        the autoencoder reconstructs the augmented images, and the clustering
        loss compares their assignments with the targets P computed on the
        clean data (DEC-DA, Guo et al., 2018). ``predict``, the targets,
        ``loss_`` and ``score`` see the data as given. Needs images (with
        ``architecture="mlp"`` for DEC's fully connected autoencoder on
        them). None: no augmentation. With the clustering phase on SGD it is
        the largest lever measured for DEC on MNIST: all 70,000 images, MLP,
        raw input, 40 + 60 epochs, ``("affine",)``, seeds 0-1: ACC 0.964 /
        0.980, NMI 0.925 / 0.947 (32 minutes a fit on one CPU thread;
        ``dec_mnist_affine_sgd.md``). With Adam it was not a lever: MNIST
        with ``("shift", "rotate")``, seeds 0-1, ACC 0.839 ± 0.009; digits
        0.806 ± 0.047 (``dec_*_batch_aug.md``). On the 8x8 digits
        ``("affine",)`` with SGD gave 0.770 ± 0.013 against 0.822 ± 0.007
        without (``dec_digits_sgd*.md``).
    batch_size : int, default=256
    lr : float, default=1e-3
        Learning rate of Adam: in pre-training, and in the clustering phase
        unless ``clustering_optimizer`` or ``clustering_lr`` say otherwise.
    clustering_optimizer : {"adam", "sgd"}, default="sgd"
        Optimizer of the clustering phase, re-initialised when it starts.
        ``"sgd"`` is DEC's (Xie et al., 2016) and paper 001's (§5): SGD with
        momentum 0.9, by default at learning rate 0.01. ``"adam"`` is IDEC's
        choice, and was this package's default (with ``standardize=False``)
        until 2026-12-05; results from before then used it. On digits, seeds
        0-2 (``benchmarks/results/dec_digits_*.md``), ACC: Adam and raw input
        (the old defaults) 0.792 ± 0.015; SGD 0.822 ± 0.007; SGD and
        standardised input (the defaults now) 0.867 ± 0.027 (0.839 / 0.859 /
        0.904). On all of MNIST with ``architecture="mlp",
        batch_augmentations=("affine",), pretrain_epochs=40, max_epochs=60``
        and raw input, seeds 0-1: ACC 0.972 ± 0.008 with SGD
        (``benchmarks/results/dec_mnist_affine_sgd.md``), where Adam with
        ``("shift", "rotate")`` gave 0.839 ± 0.009 (``dec_mnist_batch_aug.md``).
    clustering_lr : float, default=None
        Learning rate of the clustering phase. None: ``lr`` with Adam, 0.01
        with SGD.
    device : {"cpu", "cuda", "auto"}, default="cpu"
    random_state : int, RandomState instance or None, default=None
        Seeds weights, shuffling and KMeans through local generators.
    verbose : int, default=0
        0 is silent; >= 1 shows skorch's progress bar and per-epoch loss terms.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks, copied into each run's net.
    n_init : int, default=1
        Independent runs; the one with the lowest final loss is kept.
    n_jobs : int, default=None
        Runs in parallel through joblib.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
    cluster_centers_ : ndarray of shape (n_clusters, embedding_dim)
        Centres in the embedding space.
    input_mean_ : float
        Value subtracted from the input (0.0 without ``standardize``).
    input_scale_ : float
        Value the centred input is divided by (1.0 without ``standardize``,
        or for constant training data).
    n_features_in_ : int
    image_shape_ : tuple or None
    net_ : skorch.NeuralNet
        The trained net of the kept run.
    history_ : list of dict
        Per epoch: ``phase``, ``train_loss``, each loss term
        (``reconstruction``, ``kl`` or ``kmeans``); ``label_change`` (the
        fraction of labels changed) only in epochs in which the
        targets were refreshed.
    loss_ : float
        Final unsupervised loss on the training data (used to choose runs).
    n_iter_ : int
        Epochs run, pre-training included.
    run_losses_ : ndarray of shape (n_init,)
    run_labels_ : list of ndarray

    Notes
    -----
    Measurements quoted here from before 2026-12-05 ran with the defaults
    of then: Adam in the clustering phase and the input as given
    (``clustering_optimizer="adam", standardize=False``) unless they say
    otherwise.

    Deviations from DEC (Xie et al., 2016): the autoencoder is pre-trained
    end to end with Adam (not layer-wise with SGD; the denoising of DEC's
    pre-training is ``corruption``, off by default, see above), and the
    input is standardised (``standardize``). The clustering phase uses DEC's
    SGD with momentum (``clustering_optimizer="sgd"``; Adam, as in IDEC, is
    ``"adam"``).
    The reconstruction loss is the mean squared error per entry (eq. 1
    divided by ``n * d``); the KL loss is averaged over samples. Training
    stops at the end of the epoch in which the label change fell below
    ``tol`` (the targets are not refreshed again in that epoch).
    Paper 001 (§5) trains its variants with SGD (learning rate 0.01, momentum
    0.9, L2 regularisation); here pre-training uses Adam at 1e-3 and the
    clustering phase SGD at 0.01 with momentum 0.9, both without weight
    decay, for every variant. ``architecture="conv"`` is paper 004's network
    ("architecture 7") trained with DEC's defaults above; paper 004's best
    MNIST setting also changes the training: a 32-d code, batches of 32,
    joint training (eq. 11 with alpha 0.05, i.e. ``reconstruction_weight``
    19), target updates every 5 epochs and 30 KMeans restarts.
    Paper 001 clusters MNIST in a 120-dimensional space; ``embedding_dim``
    keeps DEC's 10 for every network. On digits the joint conv variant
    (``reconstruction_weight=1.0, final_kmeans=True``) gave ACC 0.832 ± 0.003
    with ``embedding_dim=120`` against 0.821 ± 0.018 with 10, seeds 0-2
    (``benchmarks/results/dec-conv_digits_all.md``).

    DEC's own greedy layer-wise denoising pre-training (100 epochs per layer,
    20% dropout; ``benchmarks/dec_layerwise_pretraining_digits.py``) measured
    on digits, seeds 0-2: ACC 0.810 ± 0.001 without end-to-end fine-tuning,
    0.786 ± 0.030 with 100 epochs of it, 0.800 ± 0.051 with 300, against
    0.792 ± 0.015 for the end-to-end pre-training used here: no setting
    reaches 0.85, so the simpler end-to-end pre-training is kept.

    References
    ----------
    .. [1] Aljalbout et al., "Clustering with Deep Learning: Taxonomy and New
       Methods", 2018.
    .. [2] Xie, Girshick, Farhadi, "Unsupervised Deep Embedding for Clustering
       Analysis", ICML 2016.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_deepcluster import DECClustering
    >>> X = load_digits().data / 16
    >>> dec = DECClustering(n_clusters=10, hidden_dims=(64,), pretrain_epochs=5,
    ...                     max_epochs=5, random_state=0).fit(X)
    >>> dec.labels_.shape
    (1797,)
    """

    _parameter_constraints = {
        **BaseDeepClustering._parameter_constraints,
        "architecture": [StrOptions({"auto", "mlp", "conv", "strided-conv"}), nn.Module, type],
        "hidden_dims": [tuple, list],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "corruption": [Interval(Real, 0, 1, closed="left")],
        "update_interval": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, 1, closed="both")],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "clustering_loss": [StrOptions({"kl", "kmeans"})],
        "final_kmeans": ["boolean"],
        "pretrained": [HasMethods(["fit", "transform"]), None],
        "standardize": ["boolean"],
        "batch_augmentations": [tuple, list, None],
        "clustering_optimizer": [StrOptions({"adam", "sgd"})],
        "clustering_lr": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, n_clusters=8, *, architecture="auto", image_shape=None,
                 hidden_dims=(500, 500, 2000), embedding_dim=10, alpha=1.0,
                 pretrain_epochs=100, corruption=0.0, max_epochs=100, update_interval=140,
                 tol=1e-3,
                 reconstruction_weight=0.0, clustering_loss="kl", final_kmeans=False,
                 pretrained=None, standardize=True, batch_augmentations=None, batch_size=256,
                 lr=1e-3, clustering_optimizer="sgd", clustering_lr=None, device="cpu",
                 random_state=None, verbose=0, callbacks=None, n_init=1, n_jobs=None):
        self.n_clusters = n_clusters
        self.architecture = architecture
        self.image_shape = image_shape
        self.hidden_dims = hidden_dims
        self.embedding_dim = embedding_dim
        self.alpha = alpha
        self.pretrain_epochs = pretrain_epochs
        self.corruption = corruption
        self.max_epochs = max_epochs
        self.update_interval = update_interval
        self.tol = tol
        self.reconstruction_weight = reconstruction_weight
        self.clustering_loss = clustering_loss
        self.final_kmeans = final_kmeans
        self.pretrained = pretrained
        self.standardize = standardize
        self.batch_augmentations = batch_augmentations
        self.batch_size = batch_size
        self.lr = lr
        self.clustering_optimizer = clustering_optimizer
        self.clustering_lr = clustering_lr
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.n_init = n_init
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ input
    def _validate_input(self, X, reset):
        """Validate ``X`` as the base does, then standardise it (``standardize``)."""
        X = super()._validate_input(X, reset)
        if reset:
            mean, scale = global_mean_and_std(X) if self.standardize else (0.0, 1.0)
            self.input_mean_ = float(mean)
            self.input_scale_ = float(scale) if scale > 0 else 1.0
        if (self.input_mean_, self.input_scale_) == (0.0, 1.0):
            return X
        X = X - np.float32(self.input_mean_)  # one copy: the caller's array stays as it was
        X /= np.float32(self.input_scale_)
        return X

    # ------------------------------------------------------------ the method
    def _check_method_params(self, X):
        check_augmentations(self.batch_augmentations or (), "batch_augmentations")
        if self.batch_augmentations and self.image_shape_ is None:
            raise ValueError("batch_augmentations need images: pass X of shape (n, H, W) or "
                             "(n, C, H, W), or flat rows with image_shape (and "
                             "architecture='mlp' for the fully connected autoencoder).")
        if self.pretrained is None:
            return
        wrapped = (self.pretrained.estimator if isinstance(self.pretrained, FrozenEstimator)
                   else self.pretrained)
        if not isinstance(wrapped, DECClustering):
            raise ValueError("pretrained must be a fitted DECClustering (or subclass) estimator, "
                             f"got {type(wrapped).__name__}.")
        source = getattr(self.pretrained, "net_", None)
        if source is None:
            raise ValueError(
                "pretrained must be a fitted DECClustering (or subclass) estimator; this one "
                "is not fitted. GridSearchCV, cross_val_score and clone clone every "
                "parameter, which leaves an estimator unfitted: pass "
                "sklearn.frozen.FrozenEstimator(fitted_estimator) to keep it fitted.")
        if self.pretrained.n_features_in_ != self.n_features_in_:
            raise ValueError(f"pretrained was fitted on {self.pretrained.n_features_in_} features, "
                             f"X has {self.n_features_in_}.")
        shapes = (getattr(self.pretrained, "image_shape_", None), self.image_shape_)
        if None not in shapes and shapes[0] != shapes[1]:
            raise ValueError(f"pretrained was fitted on images of shape {shapes[0]}, X has "
                             f"images of shape {shapes[1]}.")

    def _build_autoencoder(self):
        architecture = self._resolve_architecture()
        if architecture == "mlp":
            return MLPAutoencoder(self.n_features_in_,
                                  positive_ints(self.hidden_dims, "hidden_dims"),
                                  self._embedding_dim())
        if architecture == "conv":
            return ConvAutoencoder(self.image_shape_, self._embedding_dim())
        if architecture == "strided-conv":
            return StridedConvAutoencoder(self.image_shape_, self._embedding_dim())
        if isinstance(architecture, nn.Module):
            module = copy.deepcopy(architecture)  # refits never share weights
        else:
            module = architecture(self.n_features_in_, self._embedding_dim())
        return self._checked_user_autoencoder(module)

    def _checked_user_autoencoder(self, module):
        """A user's autoencoder, once its parts are known to fit the data and the code."""
        parts = [getattr(module, name, None) for name in ("encoder", "decoder")]
        if not all(isinstance(part, nn.Module) for part in parts):
            raise ValueError(f"architecture={self.architecture!r} must have an `encoder` and "
                             "a `decoder` sub-module (see modules.MLPAutoencoder).")
        width = output_width(module.encoder, self.n_features_in_, "architecture's encoder")
        if width != self._embedding_dim():
            raise ValueError(f"architecture's encoder gives codes of width {width}, but "
                             f"embedding_dim={self._embedding_dim()}.")
        out = output_width(module.decoder, width, "architecture's decoder")
        if out != self.n_features_in_:
            raise ValueError(f"architecture's decoder gives {out} features per sample; the "
                             f"input has {self.n_features_in_}.")
        return module

    def _embedding_dim(self):
        """The width of the code z for this data."""
        return self.embedding_dim

    def _build_module(self):
        return ClusteringAutoencoder(self._build_autoencoder(), self.n_clusters,
                                     self._embedding_dim(), self.alpha, self.corruption,
                                     self.image_shape_, self.batch_augmentations or ())

    def _loss_terms(self):
        return ("reconstruction", self.clustering_loss)

    def _build_criterion(self):
        return DECLoss(self.clustering_loss, self.reconstruction_weight)

    def _n_pretrain_epochs(self):
        return 0 if self.pretrained is not None else self.pretrain_epochs

    def _total_epochs(self):
        return self._n_pretrain_epochs() + self.max_epochs

    def _clustering_start_params(self):
        """Keyword arguments of :func:`start_clustering` for this estimator."""
        return {"n_clusters": self.n_clusters,
                "reconstruction_weight": self.reconstruction_weight,
                "optimizer_settings": clustering_optimizer_settings(self.clustering_optimizer,
                                                                    self.clustering_lr)}

    def _method_callbacks(self):
        switch = partial(start_clustering, **self._clustering_start_params())
        return [
            PhaseSwitch(self._n_pretrain_epochs(), switch),
            TargetRefresh(self.update_interval, self.tol, refresh_target, in_clustering_phase),
        ]

    def _before_training(self, net, X):
        if self.batch_augmentations:
            net.module_.generator = seeded_generator(net.device)
        if self.pretrained is not None:
            source = self.pretrained.net_.module_.autoencoder.state_dict()
            try:
                net.module_.autoencoder.load_state_dict(source)
            except RuntimeError as exc:
                raise ValueError(
                    "pretrained has an autoencoder of another architecture than the one this "
                    "estimator builds; its weights are loaded, not its network, so set "
                    "architecture, hidden_dims and embedding_dim as in pretrained "
                    f"({self._autoencoder_params(self.pretrained)} there, "
                    f"{self._autoencoder_params(self)} here). {exc}") from exc

    @staticmethod
    def _autoencoder_params(estimator):
        """The parameters that decide an estimator's autoencoder, for messages."""
        return ", ".join(f"{name}={getattr(estimator, name)!r}"
                         for name in ("architecture", "hidden_dims", "embedding_dim"))

    def _finish_run(self, net, X):
        if not in_clustering_phase(net):  # max_epochs == 0: centres still to be set
            start_clustering(net, X, **self._clustering_start_params())
        if self.final_kmeans:
            z = net.predict_outputs(X, ("embedding",), forward=encode_and_assign)["embedding"]
            net.module_.centers.data = torch.as_tensor(kmeans_centers(z, self.n_clusters),
                                                       device=net.device)
        net.module_.generator = None  # training randomness is not part of the fitted model

    def _inference(self, net, X, keys):
        return net.predict_outputs(X, keys, forward=encode_and_assign)

    def _unsupervised_loss(self, net, X):
        """KL(P || Q) (or the k-means loss) on all of X, plus the weighted reconstruction."""
        clustering, reconstruction, _ = self._terms_on_all_data(net, X)
        return clustering + self.reconstruction_weight * reconstruction

    def _terms_on_all_data(self, net, X):
        """The clustering loss, the mean reconstruction error and Q of ``net`` on all of X."""
        keys = ("embedding", "proba", "reconstruction_error")
        out = net.predict_outputs(X, keys, forward=encode_assign_and_score)
        q = torch.from_numpy(out["proba"]).double()
        if self.clustering_loss == "kl":
            clustering = kl_divergence(target_distribution(q), q).item()
        else:
            centers = net.module_.centers.detach().cpu().double()
            z = torch.from_numpy(out["embedding"]).double()
            clustering = torch.cdist(z, centers).pow(2).min(dim=1).values.mean().item()
        return clustering, float(out["reconstruction_error"].mean()), q

    def _set_fitted(self, runs, best):
        super()._set_fitted(runs, best)
        self.cluster_centers_ = self.net_.module_.centers.detach().cpu().numpy()
