"""Karmada's FederatedHPA algorithm (Kubernetes' HPA across member clusters); pure."""
