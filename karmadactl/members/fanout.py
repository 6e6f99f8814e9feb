"""One door to the fleet: a client per member, made once and reused, and one bounded fan-out.

A `Fleet` makes each member's client from its stored Cluster (its kubeconfig
reference, or the credentials embedded in the store) through a factory that
tests replace with fakes, keeps it for its own lifetime (one pass, or a whole
`watch`), makes it afresh when what it was built from changed, and closes
every client at the end. `Fleet.each` calls a function per member, a bounded
number at a time, and collects each member's result or the reason it could
not be read: one member failing never stops the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from karmadactl.errors import KarmadaError, NotFound, StoreError

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.cluster import Cluster
    from karmadactl.members.kubeconfig import Kubeconfig

T = TypeVar("T")
Item = TypeVar("Item")
Factory = Callable[["Cluster"], Any]     # a stored Cluster -> a client with MemberClient's methods


def embedded_kubeconfig(store: Any, cluster: Cluster) -> Kubeconfig:
    """The kubeconfig `join --embed` copied into the store's secrets."""
    return _parsed(cluster, embedded_secret(store, cluster))


def embedded_secret(store: Any, cluster: Cluster) -> dict:
    """The store's secret holding the kubeconfig `join --embed` copied."""
    with store.read() as tx:
        secret = tx.get_secret(cluster.name)
    if not secret:
        raise NotFound(f"cluster {cluster.name}: its embedded credentials are missing from the store; "
                       "join it again with --kubeconfig")
    return secret


class PullCluster(KarmadaError):
    """A Pull cluster's member is reached by its agent only (`karmadactl agent`), never from here."""


def check_reachable(cluster: Cluster, agent_of: str | None = None) -> None:
    """The one check that keeps the central side away from Pull clusters; an agent reaches its own."""
    if not reaches(cluster, agent_of):
        raise PullCluster(f"cluster {cluster.name} is in Pull mode: its agent reaches it, not karmadactl here")


def reaches(cluster: Cluster | None, agent_of: str | None = None) -> bool:
    """Whether a pass (an agent's when `agent_of` names its cluster) talks to the member; a cluster no
    longer stored is reached for nothing but forgetting its Works."""
    return cluster is None or not cluster.pull or cluster.name == agent_of


def kubeconfig_of(store: Any, cluster: Cluster) -> Kubeconfig:
    """What a stored cluster's client is made from: its kubeconfig reference or embedded credentials."""
    check_reachable(cluster)
    return _parsed(cluster, embedded_secret(store, cluster) if cluster.embedded else None)


def _parsed(cluster: Cluster, secret: dict | None) -> Kubeconfig:
    """The kubeconfig of an embedded cluster's `secret`, or the one its kubeconfig reference names."""
    from karmadactl.members.kubeconfig import Kubeconfig, load_kubeconfig

    if secret is not None:
        return Kubeconfig.from_dict(secret, source=f"store secret {cluster.name}")
    return load_kubeconfig(cluster.kubeconfig or None, cluster.context or None)


def connect(store: Any, cluster: Cluster) -> Any:
    """A MemberClient for a stored cluster (not cached: the caller closes it)."""
    return kubeconfig_of(store, cluster).client(name=cluster.name)


def connection(cluster: Cluster) -> tuple[str, str, str, bool]:
    """The connection a Cluster stores: endpoint, kubeconfig reference, context, embedded or not."""
    return cluster.api_endpoint, cluster.kubeconfig, cluster.context, cluster.embedded


def fan_out(items: Sequence[Item], fn: Callable[[Item], T], *, at_once: int,
            cancelled: threading.Event | None = None) -> list[T]:
    """fn(item) for every item, at most `at_once` at a time; the results in the items' order.

    When fn raises (a store error, a bug) or the caller is interrupted (SIGINT),
    `cancelled` is set, no item starts any more, the running ones finish (fn may
    watch `cancelled` to stop early), and the exception goes on.
    """
    stop = cancelled if cancelled is not None else threading.Event()
    results: dict[int, T] = {}

    def one(index: int) -> None:
        if not stop.is_set():
            results[index] = fn(items[index])

    if not items:
        return []
    pool = ThreadPoolExecutor(max_workers=max(1, min(at_once, len(items))))
    try:
        for future in [pool.submit(one, i) for i in range(len(items))]:
            future.result()
    except BaseException:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True)
    return [results[i] for i in range(len(items)) if i in results]


@dataclass
class Results(Generic[T]):
    """What a fan-out read: each member's result, or why it could not be read (in the order asked)."""

    values: dict[str, T] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class Fleet:
    """The member clusters' clients for one pass (or one `watch`); a context manager that closes them."""

    def __init__(self, store: Any, factory: Factory | None = None, *, agent_of: str | None = None):
        self.store = store
        self.factory = factory
        self.agent_of = agent_of      # an agent's fleet: the one Pull cluster it may reach
        self._clients: dict[str, tuple[object, Any]] = {}     # member -> (what it was built from, client)
        self._configs: dict[str, tuple[object, Kubeconfig]] = {}   # member -> (what it was read from, kubeconfig)
        self._guard = threading.Lock()

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reaches(self, cluster: Cluster) -> bool:
        """Whether this fleet talks to the member: every Push cluster, and an agent's own Pull cluster."""
        return reaches(cluster, self.agent_of)

    def client(self, cluster: Cluster) -> Any:
        """The member's client, made on first use and again when its connection changed.

        Raises KarmadaError when it cannot be made (a kubeconfig gone, credentials missing, a Pull
        cluster that is not this agent's)."""
        check_reachable(cluster, self.agent_of)
        source = self._source(cluster)
        with self._guard:
            cached = self._clients.get(cluster.name)
        if cached is not None and cached[0] == source:
            return cached[1]
        if self.factory is not None:
            client = self.factory(cluster)
        else:
            client = cast("Kubeconfig", source).client(name=cluster.name)
        with self._guard:
            self._clients[cluster.name] = (source, client)
        if cached is not None:
            cached[1].close()
        return client

    def each(self, clusters: Sequence[Cluster], fn: Callable[[Cluster, Any], T], *, at_once: int,
             cancelled: threading.Event | None = None) -> Results[T]:
        """fn(cluster, client) for each member, at most `at_once` at a time.

        A member whose client cannot be made, or whose fn raises a KarmadaError
        (unreachable, an HTTP error), gets the error's message in `errors`; the
        others go on. A store error, a bug or an interrupt stops the fan-out as
        fan_out does."""
        def one(cluster: Cluster) -> tuple[str, bool, Any]:
            try:
                return cluster.name, True, fn(cluster, self.client(cluster))
            except StoreError:
                raise
            except KarmadaError as e:
                return cluster.name, False, str(e)

        results: Results[T] = Results()
        for name, ok, value in fan_out(clusters, one, at_once=at_once, cancelled=cancelled):
            if ok:
                results.values[name] = value
            else:
                results.errors[name] = value
        return results

    def close(self) -> None:
        with self._guard:
            clients, self._clients = list(self._clients.values()), {}
            self._configs = {}
        for _, client in clients:
            client.close()

    def _source(self, cluster: Cluster) -> object:
        """What the member's client is built from: its kubeconfig, read again (a file rewritten, a join
        that changed the credentials, make a new client); with an injected factory, the stored connection."""
        if self.factory is not None:
            return connection(cluster)
        return self._kubeconfig(cluster)

    def _kubeconfig(self, cluster: Cluster) -> Kubeconfig:
        """kubeconfig_of(cluster), parsed again only when the stored connection, the kubeconfig files
        or the embedded credentials changed."""
        from karmadactl.members.kubeconfig import file_stamps

        secret = embedded_secret(self.store, cluster) if cluster.embedded else None
        read_from = secret if secret is not None else file_stamps(cluster.kubeconfig or None)
        origin = (connection(cluster), read_from)
        with self._guard:
            known = self._configs.get(cluster.name)
        if known is not None and read_from is not None and known[0] == origin:
            known[1].check_files()
            return known[1]
        config = _parsed(cluster, secret)
        with self._guard:
            self._configs[cluster.name] = (origin, config)
        return config
