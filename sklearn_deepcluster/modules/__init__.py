"""torch ``nn.Module`` building blocks; nothing here knows about scikit-learn."""

from .autoencoder import (ClusteringAutoencoder, ConvAutoencoder, MLPAutoencoder,
                          StridedConvAutoencoder)

__all__ = ["ClusteringAutoencoder", "ConvAutoencoder", "MLPAutoencoder",
           "StridedConvAutoencoder"]
