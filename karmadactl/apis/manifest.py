"""One object as a user gave it, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Manifest:
    source: str      # "deploy.yaml", "deploy.yaml (document 2)", "list.json (items[3])"
    obj: dict
