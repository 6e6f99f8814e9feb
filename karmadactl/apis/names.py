"""Kubernetes' rules for names, label keys and values and annotations; pure.

The rules are those of k8s.io/apimachinery/pkg/util/validation/validation.go
(IsDNS1123Subdomain, IsDNS1123Label, IsDNS1035Label, IsQualifiedName,
IsValidLabelValue, IsConfigMapKey) and of the per-kind name functions in
k8s.io/kubernetes/pkg/apis/core/validation/validation.go. Every function
returns the problems as strings ("" when there is none), never raises.
"""

from __future__ import annotations

import re

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
DNS1035_LABEL_MAX = 63
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63
CONFIG_KEY_MAX = 253
ANNOTATIONS_TOTAL_MAX = 256 * 1024        # TotalAnnotationSizeLimitB

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(rf"^{_LABEL}\Z")
_DNS1123_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*\Z")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_QUALIFIED_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+\Z")

# Kinds whose names follow another rule than a DNS-1123 subdomain.
DNS1035_NAMED = {"Service"}
PATH_SEGMENT_NAMED = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def _clip(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


def dns1123_label(value: str) -> str:
    if len(value) > DNS1123_LABEL_MAX:
        return f"must be no more than {DNS1123_LABEL_MAX} characters"
    if not _DNS1123_LABEL.match(value):
        return (f'invalid value "{_clip(value)}": a lowercase RFC 1123 label must consist of lower case '
                "alphanumeric characters or '-', and must start and end with an alphanumeric character")
    return ""


def dns1123_subdomain(value: str) -> str:
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        return f"must be no more than {DNS1123_SUBDOMAIN_MAX} characters"
    if not _DNS1123_SUBDOMAIN.match(value):
        return (f'invalid value "{_clip(value)}": a lowercase RFC 1123 subdomain must consist of lower case '
                "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
    return ""


def dns1035_label(value: str) -> str:
    if len(value) > DNS1035_LABEL_MAX:
        return f"must be no more than {DNS1035_LABEL_MAX} characters"
    if not _DNS1035_LABEL.match(value):
        return (f'invalid value "{_clip(value)}": a DNS-1035 label must consist of lower case alphanumeric '
                "characters or '-', start with an alphabetic character, and end with an alphanumeric character")
    return ""


def path_segment(value: str) -> str:
    if value in (".", ".."):
        return f'may not be "{value}"'
    for bad in ("/", "%"):
        if bad in value:
            return f'may not contain "{bad}"'
    return ""


def object_name(kind: str, group: str, value: str) -> str:
    """The rule kube-apiserver applies to metadata.name of this kind."""
    if group == "" and kind == "Namespace":
        return dns1123_label(value)
    if group == "" and kind in DNS1035_NAMED:
        return dns1035_label(value)
    if group == "rbac.authorization.k8s.io" and kind in PATH_SEGMENT_NAMED:
        return path_segment(value)
    return dns1123_subdomain(value)


def qualified_name(value: str) -> str:
    """A label or annotation key: an optional DNS subdomain prefix and '/', then a name of at most 63."""
    prefix, slash, name = value.rpartition("/")
    if slash:
        if not prefix:
            return f'invalid key "{_clip(value)}": prefix part must be non-empty'
        problem = dns1123_subdomain(prefix)
        if problem:
            return f'invalid key "{_clip(value)}": prefix part {problem}'
    if not name:
        return f'invalid key "{_clip(value)}": name part must be non-empty'
    if len(name) > QUALIFIED_NAME_MAX:
        return f'invalid key "{_clip(value)}": name part must be no more than {QUALIFIED_NAME_MAX} characters'
    if not _QUALIFIED_PART.match(name):
        return (f'invalid key "{_clip(value)}": name part must consist of alphanumeric characters, '
                "'-', '_' or '.', and must start and end with an alphanumeric character")
    return ""


def label_value(value: str) -> str:
    if len(value) > LABEL_VALUE_MAX:
        return f"must be no more than {LABEL_VALUE_MAX} characters"
    if not _LABEL_VALUE.match(value):
        return (f'invalid value "{_clip(value)}": a valid label must be an empty string or consist of '
                "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character")
    return ""


def config_key(value: str) -> str:
    """A key of a ConfigMap's or Secret's data."""
    if len(value) > CONFIG_KEY_MAX:
        return f"must be no more than {CONFIG_KEY_MAX} characters"
    if not _CONFIG_KEY.match(value):
        return f"invalid key \"{_clip(value)}\": must consist of alphanumeric characters, '-', '_' or '.'"
    return ""
