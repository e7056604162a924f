"""Deep clustering methods as scikit-learn estimators."""

from .ddc import DDCClustering
from .dec import DECClustering
from .learned import LearnedClusterer
from .triplet_dec import TripletDECClustering

__all__ = ["DDCClustering", "DECClustering", "LearnedClusterer", "TripletDECClustering"]
__version__ = "0.1.0"
