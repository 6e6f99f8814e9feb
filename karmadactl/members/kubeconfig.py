"""Kubeconfig files, loaded and merged the way kubectl does.

`load_kubeconfig` reads one file (or the $KUBECONFIG list), picks a context and
returns a `Kubeconfig`: the server, the cluster entry and the user entry with
every relative path made absolute. Errors are one line that names the file and
the field. Credentials never appear in a message or in `repr`.
"""

from __future__ import annotations

import base64
import copy
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from karmadactl.errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.members.client import MemberClient

MAPS = ("clusters", "users", "contexts")
ENTRY_KEY = {"clusters": "cluster", "users": "user", "contexts": "context"}
CLUSTER_FILES = ("certificate-authority",)
USER_FILES = ("client-certificate", "client-key")
Origin = tuple[str, int, dict]   # file, index in its list, the entry as written


@dataclass
class _Entry:
    """One named entry of clusters/users/contexts and where it was defined."""

    file: str
    index: int
    body: dict     # paths made absolute
    raw: dict      # as written in the file (for messages)

    def where(self, kind: str, field_path: str = "") -> str:
        return f"{kind}[{self.index}].{ENTRY_KEY[kind]}{'.' + field_path if field_path else ''}"


@dataclass(repr=False)
class Kubeconfig:
    """One context of a kubeconfig, resolved: server, cluster and user entries."""

    source: str
    context: str
    server: str
    cluster: dict
    user: dict
    cluster_name: str = ""
    user_name: str = ""
    namespace: str = ""
    _cluster_origin: Origin = field(default_factory=lambda: ("", 0, {}), compare=False)
    _user_origin: Origin = field(default_factory=lambda: ("", 0, {}), compare=False)

    def __repr__(self) -> str:
        return (f"Kubeconfig(source={self.source!r}, context={self.context!r}, "
                f"server={self.server!r}, user={describe_user(self.user)!r})")

    __str__ = __repr__

    def minimal(self) -> dict:
        """A standalone kubeconfig with just this context, its cluster and user."""
        return _config(self.context, self.cluster_name or self.context, copy.deepcopy(self.cluster),
                       self.user_name or self.context, copy.deepcopy(self.user), self.namespace)

    def embedded(self) -> dict:
        """Like minimal(), with every file inlined, so it works without the files.

        certificate-authority, client-certificate and client-key become their
        *-data (base64) fields; tokenFile is read into token. Exec plugins and
        auth providers stay as they are.
        """
        cluster = copy.deepcopy(self.cluster)
        user = copy.deepcopy(self.user)
        for key in CLUSTER_FILES:
            _inline(cluster, key, self._cluster_origin, "clusters", "cluster")
        for key in USER_FILES:
            _inline(user, key, self._user_origin, "users", "user")
        if "tokenFile" in user:
            path = user.pop("tokenFile")
            if not user.get("token"):
                user["token"] = _read(path, self._user_origin, "users", "user", "tokenFile",
                                      path).decode().strip()
        return _config(self.context, self.cluster_name or self.context, cluster,
                       self.user_name or self.context, user, self.namespace)

    @classmethod
    def from_dict(cls, doc: dict, context: str | None = None, source: str = "kubeconfig",
                  base_dir: str | None = None) -> Kubeconfig:
        """See kubeconfig_from_dict."""
        return kubeconfig_from_dict(doc, context, source, base_dir)

    def check_files(self) -> None:
        """Raise InvalidInput naming the field when a file it names (CA, client certificate or key,
        token file) cannot be read."""
        for key in CLUSTER_FILES:
            _check_readable(self.cluster, key, self._cluster_origin, "clusters", "cluster")
        for key in (*USER_FILES, "tokenFile"):
            _check_readable(self.user, key, self._user_origin, "users", "user")

    def client(self, timeout: float = 10.0, name: str | None = None) -> MemberClient:
        """A client for this member (named after the context unless `name` is given)."""
        from karmadactl.members.client import MemberClient

        return MemberClient(self, timeout=timeout, name=name)


def describe_user(user: dict) -> str:
    """How a user entry authenticates, for display ("token", "exec plugin aws"); no secrets."""
    kinds = []
    if not isinstance(user, dict):
        return "anonymous"
    exec_config = user.get("exec")
    if isinstance(exec_config, dict):
        command = str(exec_config.get("command") or "?")
        kinds.append(f"exec plugin {os.path.basename(command)}")
    provider = user.get("auth-provider")
    if isinstance(provider, dict):
        kinds.append(f"auth provider {provider.get('name') or '?'}")
    if user.get("client-certificate") or user.get("client-certificate-data"):
        kinds.append("client certificate")
    if user.get("token") or user.get("tokenFile"):
        kinds.append("token")
    if user.get("username") or user.get("password"):
        kinds.append("basic auth")
    return ", ".join(kinds) or "anonymous"


def load_kubeconfig(path: str | None = None, context: str | None = None) -> Kubeconfig:
    """Load `path` (else $KUBECONFIG, else ~/.kube/config) and resolve `context`.

    With $KUBECONFIG naming several files they are merged as kubectl merges
    them: for clusters, users and contexts the first file defining a name wins,
    current-context comes from the first file that sets it, empty entries are
    skipped and missing files ignored. A `path` holding several paths joined
    by os.pathsep (a `source` from an earlier load) is read the same way.
    """
    files, source, must_exist = _files(path)
    docs = [(file, os.path.dirname(file), _read_file(file)) for file in files
            if must_exist or os.path.exists(file)]
    if not docs:
        raise InvalidInput(f"kubeconfig {source}: cannot read: No such file or directory")
    return _merge(docs, context, source)


def _files(path: str | None) -> tuple[list[str], str, bool]:
    """The files load_kubeconfig(path) reads, the name it gives them in messages, and whether they must exist."""
    listed = path if path and os.pathsep in path else None
    if path and not listed:
        return [os.path.abspath(os.path.expanduser(path))], path, True
    if listed or os.environ.get("KUBECONFIG"):
        source = listed or os.environ["KUBECONFIG"]
        return [os.path.abspath(os.path.expanduser(p)) for p in source.split(os.pathsep) if p], source, False
    home = str(Path.home() / ".kube" / "config")
    return [home], home, True


SETTLED_NS = 2_000_000_000


def file_stamps(path: str | None) -> tuple | None:
    """What tells whether the files load_kubeconfig(path) reads were rewritten: each one's path, mtime,
    ctime, size and inode (or None when it is missing). None when one of them changed in the last
    2 seconds: a rewrite within one tick of the file system's clock can keep all of these, so such a
    file is read again until it has settled."""
    now = time.time_ns()
    stamps: list[tuple] = []
    for file in _files(path)[0]:
        try:
            st = os.stat(file)
        except OSError:
            stamps.append((file, None))
            continue
        if now - max(st.st_mtime_ns, st.st_ctime_ns) < SETTLED_NS:
            return None
        stamps.append((file, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino))
    return tuple(stamps)


def kubeconfig_from_dict(doc: dict, context: str | None = None, source: str = "kubeconfig",
                         base_dir: str | None = None) -> Kubeconfig:
    """A Kubeconfig from an already parsed document (an embedded one from the store,
    a sandbox member's); relative paths are taken from `base_dir` (default: cwd)."""
    if not isinstance(doc, dict):
        raise InvalidInput(f"kubeconfig {source}: not a kubeconfig (expected a mapping at the top)")
    return _merge([(source, base_dir or os.getcwd(), doc)], context, source)


def _merge(docs: list[tuple[str, str, dict]], context: str | None, source: str) -> Kubeconfig:
    merged: dict[str, dict[str, _Entry]] = {kind: {} for kind in MAPS}
    current = ""
    for file, base, doc in docs:
        current = current or str(doc.get("current-context") or "")
        for kind in MAPS:
            for name, entry in _entries(doc, kind, file, base).items():
                merged[kind].setdefault(name, entry)
    return _resolve(merged, context or current, source)


def _resolve(merged: dict[str, dict[str, _Entry]], context: str, source: str) -> Kubeconfig:
    if not context:
        raise InvalidInput(f"kubeconfig {source}: no current-context; pass --context")
    ctx = merged["contexts"].get(context)
    if ctx is None:
        names = ", ".join(sorted(merged["contexts"])) or "none"
        raise InvalidInput(f'kubeconfig {source}: context "{context}" not found '
                           f'(contexts: {names})')
    cluster_name = str(ctx.body.get("cluster") or "")
    if not cluster_name:
        raise InvalidInput(f"kubeconfig {ctx.file}: {ctx.where('contexts', 'cluster')} missing")
    cluster_entry = merged["clusters"].get(cluster_name)
    if cluster_entry is None:
        raise InvalidInput(f'kubeconfig {ctx.file}: {ctx.where("contexts", "cluster")} '
                           f'"{cluster_name}" not found')
    user_name = str(ctx.body.get("user") or "")
    user_entry = merged["users"].get(user_name) if user_name else None
    if user_name and user_entry is None:
        raise InvalidInput(f'kubeconfig {ctx.file}: {ctx.where("contexts", "user")} '
                           f'"{user_name}" not found')
    cluster = cluster_entry.body
    server = cluster.get("server")
    if not server or not isinstance(server, str):
        raise InvalidInput(f"kubeconfig {cluster_entry.file}: "
                           f"{cluster_entry.where('clusters', 'server')} missing")
    user = user_entry.body if user_entry else {}
    cluster_origin = (cluster_entry.file, cluster_entry.index, cluster_entry.raw)
    user_origin = (user_entry.file, user_entry.index, user_entry.raw) if user_entry else ("", 0, {})
    config = Kubeconfig(source=source, context=context, server=server.rstrip("/"), cluster=cluster,
                        user=user, cluster_name=cluster_name, user_name=user_name,
                        namespace=str(ctx.body.get("namespace") or ""),
                        _cluster_origin=cluster_origin, _user_origin=user_origin)
    config.check_files()
    return config


def _read_file(file: str) -> dict:
    import yaml

    try:
        text = Path(file).read_text()
    except OSError as e:
        raise InvalidInput(f"kubeconfig {file}: cannot read: {e.strerror or e}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise InvalidInput(f"kubeconfig {file}: not valid YAML{line}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise InvalidInput(f"kubeconfig {file}: not a kubeconfig (expected a mapping at the top)")
    return doc


def _entries(doc: dict, kind: str, file: str, base: str) -> dict[str, _Entry]:
    """The named entries of one map of one file, with relative paths made absolute."""
    items = doc.get(kind) or []
    if not isinstance(items, list):
        raise InvalidInput(f"kubeconfig {file}: {kind} must be a list")
    result: dict[str, _Entry] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput(f"kubeconfig {file}: {kind}[{i}] must be a mapping")
        name = item.get("name")
        if not name:
            continue  # kubectl skips unnamed entries
        body = item.get(ENTRY_KEY[kind]) or {}
        if not isinstance(body, dict):
            raise InvalidInput(f"kubeconfig {file}: {kind}[{i}].{ENTRY_KEY[kind]} "
                               "must be a mapping")
        resolved = _absolute_paths(copy.deepcopy(body), kind, base)
        result.setdefault(str(name), _Entry(file, i, resolved, body))
    return result


def _absolute_paths(body: dict, kind: str, base: str) -> dict:
    keys = {"clusters": CLUSTER_FILES, "users": (*USER_FILES, "tokenFile")}.get(kind, ())
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            body[key] = os.path.normpath(os.path.join(base, os.path.expanduser(value)))
    exec_config = body.get("exec") if kind == "users" else None
    if isinstance(exec_config, dict):
        command = exec_config.get("command")
        if isinstance(command, str) and "/" in command and not os.path.isabs(command):
            exec_config["command"] = os.path.normpath(os.path.join(base, command))
    return body


def _original(origin: Origin, key: str) -> str:
    """The value of `key` as written in the file (for messages)."""
    return str(origin[2].get(key) or "")


def _check_readable(body: dict, key: str, origin: Origin, kind: str, entry: str) -> None:
    if body.get(key) and not body.get(_data_key(key)):
        path = body[key]
        if not os.access(path, os.R_OK) or not os.path.isfile(path):
            shown = _original(origin, key) or path
            raise InvalidInput(f'kubeconfig {origin[0]}: {kind}[{origin[1]}].{entry}.{key} '
                               f'"{shown}" cannot be read')


def _data_key(key: str) -> str:
    return "token" if key == "tokenFile" else f"{key}-data"


def _read(path: str, origin: Origin, kind: str, entry: str, key: str, shown: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        shown = _original(origin, key) or shown
        raise InvalidInput(f'kubeconfig {origin[0]}: {kind}[{origin[1]}].{entry}.{key} '
                           f'"{shown}" cannot be read') from None


def _inline(body: dict, key: str, origin: Origin, kind: str, entry: str) -> None:
    if key not in body:
        return
    path = body.pop(key)
    if body.get(_data_key(key)):
        return  # data wins over the file, as in kubectl
    data = _read(path, origin, kind, entry, key, path)
    body[_data_key(key)] = base64.b64encode(data).decode()


def _config(context: str, cluster_name: str, cluster: dict, user_name: str, user: dict,
            namespace: str) -> dict[str, Any]:
    ctx: dict[str, Any] = {"cluster": cluster_name, "user": user_name}
    if namespace:
        ctx["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": cluster}],
        "users": [{"name": user_name, "user": user}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
        "preferences": {},
    }


SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def in_cluster(directory: str = SERVICE_ACCOUNT_DIR) -> Kubeconfig:
    """The pod's own cluster, as the kubernetes client's in-cluster loader reads it: the API server from
    KUBERNETES_SERVICE_HOST/PORT, the service account's token (a file, read again as it rotates) and CA."""
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise InvalidInput("in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set "
                           "(not in a pod?); pass --kubeconfig")
    token, ca = os.path.join(directory, "token"), os.path.join(directory, "ca.crt")
    if not os.path.exists(token):
        raise InvalidInput(f"in-cluster config: no service account token at {token}; pass --kubeconfig")
    server = f"https://{'[' + host + ']' if ':' in host else host}:{port}"
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "in-cluster",
           "clusters": [{"name": "in-cluster", "cluster": {"server": server, "certificate-authority": ca}}],
           "users": [{"name": "in-cluster", "user": {"tokenFile": token}}],
           "contexts": [{"name": "in-cluster", "context": {"cluster": "in-cluster", "user": "in-cluster"}}]}
    return kubeconfig_from_dict(doc, source="in-cluster config", base_dir=directory)
