"""Typed Karmada objects: parse, validate, serialize (Karmada's YAML shapes)."""
