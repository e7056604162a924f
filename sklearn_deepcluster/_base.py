"""The shared base of the deep clustering estimators.

Everything that does not depend on the method lives here: parameter and
input validation, seeding, device choice, ``n_init`` restarts (in parallel
through joblib), the skorch net, and ``predict`` / ``predict_proba`` /
``transform`` / ``score``. A method supplies its module, its criterion, its
callbacks (schedule) and its unsupervised loss.
"""

import copy
import math
import threading
import warnings
from abc import abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from joblib import Parallel, delayed
from skorch.callbacks import Callback, ProgressBar
from sklearn.base import (BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin,
                          TransformerMixin)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._callbacks import LossTermScoring
from ._net import BatchIterator, ClusteringNet, check_finite_loss

ARCHITECTURE_CONSTRAINT = [StrOptions({"auto", "mlp", "conv"}), torch.nn.Module, type]


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when available; refuse an unavailable GPU or another device."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device_type = torch.device(device).type
    except RuntimeError:
        device_type = None
    if device_type not in ("cpu", "cuda"):
        raise ValueError(f"device={device!r} is not supported; use 'cpu', 'cuda' "
                         "(or 'cuda:N'), 'auto', or a torch.device of those.")
    if device_type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available; "
                         "use device='cpu' or device='auto'.")
    return device


def output_width(module, n_features, what):
    """Width of ``module``'s output on two rows of zeros, or a ``ValueError`` saying why not.

    Checks a user's module (a ``nn.Module``: ``TorchParametersMixin`` has
    refused other classes) before training, in eval mode and without
    gradients (no random draws, no BatchNorm update): it must run on
    ``(n, n_features)`` input, on the device its parameters are on, and
    return a tensor of shape ``(n, width)``.
    """
    was_training = module.training
    device = next(module.parameters(), torch.empty(0)).device  # a user's module may be on a GPU
    module.eval()
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, n_features, device=device))
    except RuntimeError as exc:
        raise ValueError(f"{what} does not run on input of {n_features} features per "
                         f"sample: {exc}") from exc
    finally:
        module.train(was_training)
    if not (isinstance(out, torch.Tensor) and out.ndim == 2 and len(out) == 2):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"{what} must return a tensor of shape (n_samples, width); on "
                         f"input of shape (2, {n_features}) it returned {got}.")
    return out.shape[1]


def positive_ints(values, name):
    """``values`` as a tuple of int, or a ``ValueError`` unless each is a positive integer."""
    values = tuple(values)
    if not all(isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(f"{name} must hold positive integers, got {values!r}.")
    return tuple(int(v) for v in values)


#: Held by :func:`seeded_torch`: torch's random generator is global to the
#: process, so seeded blocks in several threads (joblib's threading backend)
#: take turns instead of drawing from each other's seed.
_TORCH_RANDOM_STATE_LOCK = threading.RLock()


@contextmanager
def seeded_torch(seed, device="cpu"):
    """Seed torch for the block and restore the global random state after it.

    Module initialisation, dropout and shuffling then depend on ``seed``
    alone, while the caller's global torch state is left as it was: only
    the CPU generator and, on CUDA, that device's generator are seeded. On CUDA,
    cuDNN is also held to deterministic algorithms for the block (its
    default convolution backward passes are not), and its flags restored.
    Seeded blocks of different threads run one at a time (processes, as
    joblib's default backend uses, still run in parallel).
    """
    torch_device = torch.device(device)
    cuda = torch_device.type == "cuda"
    gpu = torch_device.index or 0
    cudnn = torch.backends.cudnn
    with _TORCH_RANDOM_STATE_LOCK, torch.random.fork_rng(devices=[gpu] if cuda else []):
        flags = (cudnn.deterministic, cudnn.benchmark)
        # only the generators fork_rng restores: torch.manual_seed would also
        # re-seed every GPU's (or queue that until CUDA starts)
        torch.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(gpu):
                torch.cuda.manual_seed(seed)
            cudnn.deterministic, cudnn.benchmark = True, False
        try:
            yield
        finally:
            cudnn.deterministic, cudnn.benchmark = flags


def random_generator(random_state):
    """``check_random_state``, except that ``None`` gives a fresh, unseeded generator.

    scikit-learn maps ``None`` to numpy's global generator; drawing from it
    would change the global state, which the estimators leave alone.
    """
    if random_state is None:
        return np.random.RandomState()
    return check_random_state(random_state)


def image_shape_of(array):
    """``(C, H, W)`` of the images in ``array`` of shape (n, H, W) or (n, C, H, W), else None."""
    if array.ndim == 3:
        return (1, *array.shape[1:])
    if array.ndim == 4:
        return tuple(array.shape[1:])
    return None


def as_tensor(X):
    """A float32 torch view of a validated array; sparse matrices stay CSR."""
    if sp.issparse(X):
        return X.tocsr()
    return torch.from_numpy(np.require(X, dtype=np.float32, requirements=["C", "W"]))


class TorchParametersMixin:
    """``_validate_params`` that also checks the parameters naming torch or skorch objects.

    ``type`` in ``_parameter_constraints`` lets any class through, ``int``
    included, and ``list`` any list of callbacks: those would fail inside
    the fit with an unrelated message. ``_class_parameters`` maps each
    class-valued parameter to the class it must derive from when it is
    given as a class; every item of ``callbacks`` must be a skorch callback.
    """

    _class_parameters = {}

    def _validate_params(self):
        super()._validate_params()
        for name, base in self._class_parameters.items():
            value = getattr(self, name)
            if isinstance(value, type) and not issubclass(value, base):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be a subclass of "
                    f"{base.__module__}.{base.__qualname__} when it is a class. Got "
                    f"{value.__module__}.{value.__qualname__} instead.")
        for i, item in enumerate(self.callbacks or ()):
            callback = item[1] if isinstance(item, tuple) and len(item) == 2 else item
            if not (isinstance(callback, Callback)
                    or isinstance(callback, type) and issubclass(callback, Callback)):
                raise InvalidParameterError(
                    f"callbacks[{i}] of {type(self).__name__} must be a skorch callback (an "
                    "instance or subclass of skorch.callbacks.Callback, or a (name, callback) "
                    f"pair). Got {item!r} instead.")


class BaseDeepClustering(TorchParametersMixin, ClassNamePrefixFeaturesOutMixin, ClusterMixin,
                         TransformerMixin, BaseEstimator):
    """Base class of the unsupervised deep clustering estimators.

    Subclasses implement ``_build_module``, ``_build_criterion``,
    ``_method_callbacks``, ``_total_epochs`` and ``_unsupervised_loss``, and
    may override ``_inference`` (what ``predict`` runs) and ``_finish_run``.
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "architecture": ARCHITECTURE_CONSTRAINT,
        "image_shape": [tuple, list, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, None],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
    }

    _class_parameters = {"architecture": nn.Module}

    #: scipy.sparse input is batched without densifying the whole matrix.
    _accept_sparse = False

    #: Checks of ``parametrize_with_checks`` that fail, and why.
    _expected_failed_checks = {
        "check_methods_sample_order_invariance": (
            "float32 matrix products on some CPUs (AVX-512 kernels) round a row differently "
            "with its place in the batch, ~1e-7 relative, above the check's rtol=1e-7; "
            "test_predictions_do_not_depend_on_sample_order checks it to float32 precision"),
    }

    # ------------------------------------------------------------------ input
    def _validate_input(self, X, reset):
        """Validate ``X`` with scikit-learn and flatten images to rows.

        Images may come as ``(n, H, W)``, ``(n, C, H, W)`` or flat
        ``(n, C*H*W)`` with ``image_shape=(C, H, W)``. With ``reset`` (a new
        fit), the network of an earlier fit is dropped first, so that a fit
        that fails leaves no model of other data.
        """
        if reset and hasattr(self, "net_"):
            del self.net_
        shape = None
        if not sp.issparse(X) and not hasattr(X, "iloc"):
            array = np.asarray(X)
            shape = image_shape_of(array)
            if shape is not None:
                X = array.reshape(len(array), math.prod(array.shape[1:]))  # also for n = 0
        X = validate_data(
            self, X, reset=reset, dtype=np.float32,
            accept_sparse=["csr", "csc", "coo"] if self._accept_sparse else False,
            ensure_min_samples=2 if reset else 1,
        )
        if reset:
            self.image_shape_ = self._resolve_image_shape(shape)
        elif shape is not None and self.image_shape_ is None:
            raise ValueError(f"X holds images of shape {shape}, but {type(self).__name__} "
                             "was fitted on a 2-D array (n_samples, n_features); pass X "
                             "in that form.")
        elif shape is not None and shape != self.image_shape_:
            raise ValueError(f"X holds images of shape {shape}, but {type(self).__name__} "
                             f"was fitted on images of shape {self.image_shape_}.")
        return X

    def _resolve_image_shape(self, shape_from_input):
        declared = (None if self.image_shape is None
                    else positive_ints(self.image_shape, "image_shape"))
        if declared is not None:
            if len(declared) == 2:
                declared = (1, *declared)
            if len(declared) != 3 or int(np.prod(declared)) != self.n_features_in_:
                raise ValueError(f"image_shape={self.image_shape} does not match X with "
                                 f"{self.n_features_in_} features per sample; expected "
                                 "(C, H, W) with C*H*W equal to the number of features.")
            if shape_from_input is not None and shape_from_input != declared:
                raise ValueError(f"image_shape={self.image_shape} contradicts the shape of the "
                                 f"images in X, {shape_from_input}.")
            return declared
        return shape_from_input

    def _resolve_architecture(self):
        """The architecture's name or the user's module, with ``"auto"`` resolved."""
        architecture = self.architecture
        if architecture == "auto":
            return "conv" if self.image_shape_ is not None else "mlp"
        if isinstance(architecture, str) and architecture != "mlp" and self.image_shape_ is None:
            raise ValueError(f"architecture={architecture!r} needs images: pass X of shape "
                             "(n, H, W) or (n, C, H, W), or flat X with image_shape=(C, H, W).")
        return architecture

    # -------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Train the network and cluster ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or images of shape
            (n_samples, H, W) or (n_samples, C, H, W). A scipy sparse matrix
            only where the estimator accepts one (``DDCClustering``).
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X = self._validate_input(X, reset=True)
        if X.shape[0] < self.n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}.")
        self._check_method_params(X)
        self.device_ = resolve_device(self.device)
        seeds = random_generator(self.random_state).randint(np.iinfo(np.int32).max,
                                                            size=self.n_init)
        X_tensor = as_tensor(X)
        runs = Parallel(n_jobs=self.n_jobs if self.n_init > 1 else None)(
            delayed(self._fit_run)(X_tensor, int(seed)) for seed in seeds
        )
        best = min(range(len(runs)), key=lambda i: runs[i]["loss"])
        self._set_fitted(runs, best)
        # transform's width, for get_feature_names_out: from the kept net only
        self._n_features_out = self._inference(self.net_, X_tensor[:1],
                                               ("embedding",))["embedding"].shape[1]
        n_found = len(np.unique(self.labels_))
        if n_found < self.n_clusters:
            warnings.warn(
                f"{type(self).__name__} put the data in {n_found} distinct cluster(s), fewer "
                f"than n_clusters={self.n_clusters}: the fit may have collapsed. Try scaling "
                "the input (e.g. MinMaxScaler), more epochs or another random_state.",
                ConvergenceWarning)
        return self

    def _check_method_params(self, X):
        """Hook for checks that need the data (e.g. a reused autoencoder's input size)."""

    def _fit_run(self, X, seed):
        """One complete training run from ``seed``; returns its net, labels and loss."""
        with seeded_torch(seed, self.device_):
            loss_terms = self._loss_terms()
            callbacks = [LossTermScoring(name, on_train=True) for name in loss_terms]
            callbacks += self._method_callbacks()
            callbacks += [copy.deepcopy(cb) for cb in (self.callbacks or ())]
            if self.verbose:
                callbacks.append(ProgressBar())
            net = ClusteringNet(
                module=self._build_module(),
                criterion=self._build_criterion(),
                optimizer=torch.optim.Adam,
                lr=self._learning_rate(),
                max_epochs=self._total_epochs(),
                batch_size=self.batch_size,
                train_split=None,
                iterator_train=BatchIterator,
                iterator_train__shuffle=True,
                iterator_valid=BatchIterator,
                callbacks=callbacks,
                device=self.device_,
                verbose=int(bool(self.verbose)),
                loss_terms=loss_terms,
            )
            net.initialize()
            self._before_training(net, X)
            net.partial_fit(X, y=torch.arange(X.shape[0]))
            self._finish_run(net, X)
            labels = self._inference(net, X, ("proba",))["proba"].argmax(axis=1)
            loss = self._unsupervised_loss(net, X)
        check_finite_loss(loss, "on the training data after training")
        return {"net": net, "labels": labels, "loss": loss}

    def _set_fitted(self, runs, best):
        run = runs[best]
        self.net_ = run["net"]
        self.labels_ = run["labels"]
        self.loss_ = float(run["loss"])
        self.history_ = [{k: v for k, v in row.items() if k != "batches"}
                         for row in self.net_.history]
        self.n_iter_ = len(self.history_)
        self.run_losses_ = np.array([r["loss"] for r in runs])
        self.run_labels_ = [r["labels"] for r in runs]

    def _before_training(self, net, X):
        """Hook run once the net is initialised, before the first epoch."""

    def _finish_run(self, net, X):
        """Hook run after training, before the run's labels are computed."""

    def _inference(self, net, X, keys):
        """Outputs ``keys`` of the trained module over ``X`` (a tensor or CSR)."""
        return net.predict_outputs(X, keys)

    # --------------------------------------------------------------- abstract
    @abstractmethod
    def _build_module(self):
        """The ``nn.Module`` to train; its forward returns a dict of outputs."""

    @abstractmethod
    def _build_criterion(self):
        """The criterion: ``criterion(outputs, indices) -> dict of loss terms``."""

    def _loss_terms(self):
        """Names of the loss terms logged per epoch, besides ``train_loss``."""
        return ()

    def _method_callbacks(self):
        """skorch callbacks implementing the method's schedule."""
        return []

    def _total_epochs(self):
        return self.max_epochs

    def _learning_rate(self):
        """Adam's learning rate; a method may resolve ``lr=None`` to its own default."""
        return self.lr

    @abstractmethod
    def _unsupervised_loss(self, net, X):
        """The method's unsupervised loss of ``net`` on all of ``X`` (a float)."""

    # ---------------------------------------------------------------- predict
    def _fitted_input(self, X):
        """``X`` validated against the fitted estimator, as a tensor (or CSR).

        Call it before reading a fitted attribute: unfitted (or after a refit
        that failed), it raises ``NotFittedError``.
        """
        check_is_fitted(self, "net_")
        return as_tensor(self._validate_input(X, reset=False))

    def _fitted_outputs(self, X, keys):
        X = self._fitted_input(X)
        return self._inference(self.net_, X, keys)

    def predict(self, X):
        """Cluster index of each sample, through the trained network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or images in the shape
            of the fit; a sparse matrix where the estimator accepts one

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self.predict_proba(X).argmax(axis=1)

    def predict_proba(self, X):
        """Soft cluster assignments, computed in batches without gradients.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_clusters)
        """
        return self._fitted_outputs(X, ("proba",))["proba"]

    def transform(self, X):
        """The learned embedding of ``X``.

        Its columns are named ``<class name>0``, ``<class name>1``, ... by
        ``get_feature_names_out``, which ``Pipeline`` and ``set_output`` use.

        Returns
        -------
        embedding : ndarray of shape (n_samples, embedding width)
        """
        return self._fitted_outputs(X, ("embedding",))["embedding"]

    def score(self, X, y=None):
        """Minus the method's unsupervised loss on ``X`` (higher is better).

        Lets ``GridSearchCV`` choose hyper-parameters without labels.
        """
        X = self._fitted_input(X)
        return -float(self._unsupervised_loss(self.net_, X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self._accept_sparse
        return tags
