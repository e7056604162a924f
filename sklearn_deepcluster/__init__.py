"""Deep clustering methods as scikit-learn estimators."""

from .dec import DECClustering

__all__ = ["DECClustering"]
__version__ = "0.1.0"
