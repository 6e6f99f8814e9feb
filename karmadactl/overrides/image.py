"""Container image references as Karmada's imageOverrider sees them (pkg/util/imageparser).

An image is `[registry/]repository[:tag][@digest]`. The registry is the first path
segment only when it contains "." or ":" or is "localhost"; there is no docker.io
normalisation ("nginx" stays "nginx"). When a reference has both a tag and a
digest, only the tag is kept, as Karmada does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from karmadactl.overrides import OverrideError

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE = re.compile(rf"(?:({_DOMAIN})/)?({_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
                        rf"(?::({_TAG}))?(?:@({_DIGEST}))?")
_ANCHORED_TAG = re.compile(_TAG)
_ANCHORED_DIGEST = re.compile(_DIGEST)
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
NAME_MAX = 255

REGISTRY, REPOSITORY, TAG = "Registry", "Repository", "Tag"


@dataclass(frozen=True)
class ImageRef:
    registry: str = ""
    repository: str = ""
    tag: str = ""
    digest: str = ""

    @property
    def full_repository(self) -> str:
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def tag_or_digest(self) -> str:
        return self.tag or self.digest

    def __str__(self) -> str:
        if self.tag:
            return f"{self.full_repository}:{self.tag}"
        if self.digest:
            return f"{self.full_repository}@{self.digest}"
        return self.full_repository


def split_registry(name: str) -> tuple[str, str]:
    """Karmada's SplitHostname: ("registry", "repository") of a name without tag or digest."""
    head, slash, rest = name.partition("/")
    if not slash or (not any(c in head for c in ".:") and head != "localhost"):
        return "", name
    return head, rest


def parse_image(reference: str) -> ImageRef:
    """Parse an image reference the way Karmada does; OverrideError when it is not a valid one."""
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        if not reference:
            raise OverrideError("invalid image reference \"\": repository name must have at least one component")
        if _REFERENCE.fullmatch(reference.lower()):
            raise OverrideError(f'invalid image reference "{reference}": repository name must be lowercase')
        raise OverrideError(f'invalid image reference "{reference}": invalid reference format')
    domain, path, tag, digest = match.groups()
    name = f"{domain}/{path}" if domain else path
    if len(name) > NAME_MAX:
        raise OverrideError(f'invalid image reference "{reference}": repository name must not be more than '
                            f"{NAME_MAX} characters")
    if digest:
        _check_digest(digest, reference)
    registry, repository = split_registry(name)
    if tag:
        return ImageRef(registry, repository, tag=tag)
    return ImageRef(registry, repository, digest=digest or "")


def _check_digest(digest: str, reference: str) -> None:
    algorithm, _, hex_part = digest.partition(":")
    length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        raise OverrideError(f'invalid image reference "{reference}": unsupported digest algorithm "{algorithm}"')
    if len(hex_part) != length:
        raise OverrideError(f'invalid image reference "{reference}": invalid checksum digest length')


def _set_tag_or_digest(ref: ImageRef, value: str) -> ImageRef:
    """A tag-shaped value sets the tag, a digest-shaped one the digest; anything else changes nothing."""
    if _ANCHORED_TAG.fullmatch(value):
        return replace(ref, tag=value, digest="")
    if _ANCHORED_DIGEST.fullmatch(value):
        return replace(ref, tag="", digest=value)
    return ref


def apply_component(ref: ImageRef, component: str, operator: str, value: str) -> ImageRef:
    """One imageOverrider on one image: add appends `value` to the component as a string, replace
    sets it, remove clears it. For Tag the result may be a tag or a "sha256:..." digest."""
    if component == REGISTRY:
        new = {"add": ref.registry + value, "replace": value, "remove": ""}.get(operator, ref.registry)
        return replace(ref, registry=new)
    if component == REPOSITORY:
        new = {"add": ref.repository + value, "replace": value, "remove": ""}.get(operator, ref.repository)
        return replace(ref, repository=new)
    if component == TAG:
        if operator == "add":
            return _set_tag_or_digest(ref, ref.tag_or_digest + value)
        if operator == "replace":
            return _set_tag_or_digest(ref, value)
        if operator == "remove":
            return replace(ref, tag="") if ref.tag else replace(ref, digest="")
        return ref
    raise OverrideError(f'unsupported image component "{component}"')
