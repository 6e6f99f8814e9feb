"""OverridePolicy rules -> changes to one manifest (pure; Karmada's pkg/util/overridemanager).

`manager.apply_overrides` is the way in: it picks the ClusterOverridePolicies and
OverridePolicies that apply to one object in one member cluster and applies their
rules to a private copy of the manifest. `overriders` holds one function per
overrider kind, `image` the image-reference parser those functions share.
"""

from __future__ import annotations

from karmadactl.errors import KarmadaError


class OverrideError(KarmadaError):
    """An overrider cannot be applied to this manifest; the message names the overrider and path."""
