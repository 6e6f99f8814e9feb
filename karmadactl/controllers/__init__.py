"""The stages with I/O: cluster registry, detector, binding, execution, status, health."""
