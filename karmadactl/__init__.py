"""karmadactl: Karmada's multi-cluster propagation without a control plane."""

__version__ = "0.1.0"
