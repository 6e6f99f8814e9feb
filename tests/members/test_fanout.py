"""members.fanout: one client per member for a Fleet's lifetime, a bounded fan-out, errors per member."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
import time

import pytest
import yaml

from karmadactl.apis.cluster import Cluster
from karmadactl.errors import InvalidInput, NotFound, StoreError
from karmadactl.members.fanout import Fleet, fan_out
from tests.fakefleet import FakeFleet

CLUSTERS = [Cluster(name=n, api_endpoint=f"https://{n}.fake:6443") for n in ("m1", "m2", "m3")]


def version(cluster, client) -> str:
    return client.version()["gitVersion"]


def test_each_member_answers_or_gets_its_error_in_the_order_asked():
    fake = FakeFleet("m1", "m2", "m3")
    fake["m2"].fault = "unreachable"
    with Fleet(None, factory=fake.factory) as fleet:
        read = fleet.each(CLUSTERS, version, at_once=2)
    assert list(read.values.items()) == [("m1", "v1.31.0"), ("m3", "v1.31.0")]
    assert read.errors == {"m2": "cluster m2: connection refused"}


def test_a_member_whose_client_cannot_be_made_is_an_error_of_its_own():
    fake = FakeFleet("m1", "m2")

    def factory(cluster):
        if cluster.name == "m1":
            raise InvalidInput("kubeconfig /gone: cannot read: No such file or directory")
        return fake.factory(cluster)

    with Fleet(None, factory=factory) as fleet:
        read = fleet.each(CLUSTERS[:2], version, at_once=8)
    assert read.values == {"m2": "v1.31.0"}
    assert read.errors == {"m1": "kubeconfig /gone: cannot read: No such file or directory"}


def test_clients_are_made_once_per_fleet_and_closed_at_its_end():
    fake = FakeFleet("m1", "m2", "m3")
    with Fleet(None, factory=fake.factory) as fleet:
        fleet.each(CLUSTERS, version, at_once=8)
        fleet.each(CLUSTERS, version, at_once=8)
        assert fake.made == {"m1": 1, "m2": 1, "m3": 1}
        assert all(m.closed == 0 for m in fake.members.values())
    assert all(m.closed == 1 for m in fake.members.values())


def test_a_member_whose_stored_connection_changed_gets_a_new_client():
    fake = FakeFleet("m1")
    with Fleet(None, factory=fake.factory) as fleet:
        first = fleet.client(CLUSTERS[0])
        assert fleet.client(dataclasses.replace(CLUSTERS[0], labels={"team": "a"})) is first   # not a connection
        fleet.client(dataclasses.replace(CLUSTERS[0], api_endpoint="https://m1.moved:6443"))
        assert fake.made == {"m1": 2} and fake["m1"].closed == 1          # the old client closed at once


def test_the_real_factory_makes_a_client_again_when_the_kubeconfig_changed(tmp_path):
    path = tmp_path / "m1.kubeconfig"

    def write(server: str) -> None:
        path.write_text(f"apiVersion: v1\nkind: Config\ncurrent-context: m1\nclusters:\n"
                        f"- name: m1\n  cluster: {{server: '{server}'}}\ncontexts:\n"
                        f"- name: m1\n  context: {{cluster: m1, user: m1}}\nusers:\n- name: m1\n  user: {{token: t}}\n")

    write("https://127.0.0.1:1")
    cluster = Cluster(name="m1", api_endpoint="https://127.0.0.1:1", kubeconfig=str(path), context="m1")
    with Fleet(None) as fleet:
        first = fleet.client(cluster)
        assert fleet.client(cluster) is first and first.server == "https://127.0.0.1:1"
        write("https://127.0.0.1:2")
        assert fleet.client(cluster).server == "https://127.0.0.1:2"


def test_no_more_than_at_once_run_together():
    running, most = [0], [0]
    guard = threading.Lock()

    def work(item: int) -> int:
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with guard:
            running[0] -= 1
        return item * 2

    assert fan_out(list(range(10)), work, at_once=3) == [i * 2 for i in range(10)]
    assert most[0] == 3


@pytest.mark.parametrize("error", [KeyboardInterrupt, StoreError])
def test_an_interrupt_or_a_store_error_starts_no_member_more_lets_running_ones_finish_and_goes_on(error):
    cancelled = threading.Event()
    started, finished = [], []
    first_running = threading.Event()

    def work(item: int) -> None:
        started.append(item)
        if item == 0:
            first_running.set()
            time.sleep(0.05)
            finished.append(item)         # still running when the error comes: it finishes
        elif item == 1:
            first_running.wait()
            if error is KeyboardInterrupt:
                os.kill(os.getpid(), signal.SIGINT)      # Ctrl-C: the main thread is interrupted
            else:
                raise error("database is locked")
        else:
            time.sleep(0.01)

    with pytest.raises(error):
        fan_out(list(range(20)), work, at_once=2, cancelled=cancelled)
    assert cancelled.is_set() and finished == [0]
    assert len(started) < 20


def test_a_store_error_is_not_a_member_error():
    fake = FakeFleet("m1")

    def fails(cluster, client):
        raise StoreError("database is locked")

    with Fleet(None, factory=fake.factory) as fleet, pytest.raises(StoreError):
        fleet.each(CLUSTERS[:1], fails, at_once=1)


def kubeconfig_text(server: str) -> str:
    return (f"apiVersion: v1\nkind: Config\ncurrent-context: m1\nclusters:\n"
            f"- name: m1\n  cluster: {{server: '{server}'}}\ncontexts:\n"
            f"- name: m1\n  context: {{cluster: m1, user: m1}}\nusers:\n- name: m1\n  user: {{token: t}}\n")


def test_an_unchanged_kubeconfig_is_parsed_once_and_a_rewritten_one_again(tmp_path, monkeypatch):
    from karmadactl.members import kubeconfig

    monkeypatch.setattr(kubeconfig, "SETTLED_NS", 0)      # the files' times below are set, not waited for
    parsed = []
    read_file = kubeconfig._read_file
    monkeypatch.setattr(kubeconfig, "_read_file", lambda file: parsed.append(file) or read_file(file))
    path = tmp_path / "m1.kubeconfig"
    path.write_text(kubeconfig_text("https://127.0.0.1:1"))
    os.utime(path, ns=(1_000_000_000_000, 1_000_000_000_000))
    cluster = Cluster(name="m1", api_endpoint="https://127.0.0.1:1", kubeconfig=str(path), context="m1")
    with Fleet(None) as fleet:
        first = fleet.client(cluster)
        assert all(fleet.client(cluster) is first for _ in range(20))
        assert parsed == [str(path)]
        path.write_text(kubeconfig_text("https://127.0.0.1:2"))          # the same size, in place
        os.utime(path, ns=(1_000_000_000_000, 1_001_000_000_000))
        second = fleet.client(cluster)
        assert second is not first and second.server == "https://127.0.0.1:2" and len(parsed) == 2
        assert fleet.client(cluster) is second and len(parsed) == 2


def test_a_kubeconfig_just_written_is_read_again_until_it_has_settled(tmp_path, monkeypatch):
    from karmadactl.members import kubeconfig

    parsed = []
    read_file = kubeconfig._read_file
    monkeypatch.setattr(kubeconfig, "_read_file", lambda file: parsed.append(file) or read_file(file))
    path = tmp_path / "m1.kubeconfig"
    path.write_text(kubeconfig_text("https://127.0.0.1:1"))
    cluster = Cluster(name="m1", api_endpoint="https://127.0.0.1:1", kubeconfig=str(path), context="m1")
    with Fleet(None) as fleet:
        first = fleet.client(cluster)
        assert fleet.client(cluster) is first and len(parsed) == 2        # read again, the same client


def test_a_certificate_file_gone_is_an_error_even_with_the_kubeconfig_unchanged(tmp_path, monkeypatch):
    from karmadactl.members import kubeconfig

    monkeypatch.setattr(kubeconfig, "SETTLED_NS", 0)
    ca = tmp_path / "ca.crt"
    ca.write_text("not read until a request\n")
    path = tmp_path / "m1.kubeconfig"
    path.write_text(kubeconfig_text("https://127.0.0.1:1").replace("{server: ", "{certificate-authority: ca.crt, "
                                                                   "server: "))
    os.utime(path, ns=(1_000_000_000_000, 1_000_000_000_000))
    cluster = Cluster(name="m1", api_endpoint="https://127.0.0.1:1", kubeconfig=str(path), context="m1")
    with Fleet(None) as fleet:
        fleet.client(cluster)
        ca.unlink()
        with pytest.raises(InvalidInput, match=r'clusters\[0\]\.cluster\.certificate-authority "ca.crt" cannot be read'):
            fleet.client(cluster)


class SecretStore:
    """A store holding just secrets, as embedded credentials need."""

    def __init__(self, **secrets: dict):
        self.secrets, self.reads = secrets, 0

    @contextlib.contextmanager
    def read(self):
        self.reads += 1
        yield self

    def get_secret(self, name: str) -> dict | None:
        return yaml.safe_load(yaml.safe_dump(self.secrets.get(name)))


def test_embedded_credentials_are_read_each_time_and_parsed_again_only_when_changed(monkeypatch):
    from karmadactl.members import kubeconfig

    parsed = []
    merge = kubeconfig._merge
    monkeypatch.setattr(kubeconfig, "_merge", lambda *args: parsed.append(args[2]) or merge(*args))
    store = SecretStore(m1=yaml.safe_load(kubeconfig_text("https://127.0.0.1:1")))
    cluster = Cluster(name="m1", api_endpoint="https://127.0.0.1:1", embedded=True)
    with Fleet(store) as fleet:
        first = fleet.client(cluster)
        assert all(fleet.client(cluster) is first for _ in range(5))
        assert store.reads == 6 and parsed == ["store secret m1"]
        store.secrets["m1"] = yaml.safe_load(kubeconfig_text("https://127.0.0.1:2"))     # joined again
        assert fleet.client(cluster).server == "https://127.0.0.1:2" and len(parsed) == 2
        del store.secrets["m1"]
        with pytest.raises(NotFound, match="embedded credentials are missing"):
            fleet.client(cluster)


def test_a_nested_fan_out_runs_inside_another():
    def outer(item: int) -> list[int]:
        return fan_out(list(range(5)), lambda inner: item * 10 + inner, at_once=5)

    assert fan_out(list(range(6)), outer, at_once=6) == [[i * 10 + j for j in range(5)] for i in range(6)]


def test_the_first_failing_item_in_order_is_the_error_raised():
    gate = threading.Event()

    def work(item: int) -> int:
        if item == 1:
            gate.wait(1)
            raise ValueError("one")
        if item == 2:
            gate.set()
            raise ValueError("two")
        return item

    with pytest.raises(ValueError, match="one"):
        fan_out([0, 1, 2], work, at_once=3)
