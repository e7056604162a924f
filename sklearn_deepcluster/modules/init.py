"""Weight initialisation applied to a whole module tree."""

from torch import nn


def xavier_init(module):
    """Glorot-uniform weights and zero biases for every linear and conv layer."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module
