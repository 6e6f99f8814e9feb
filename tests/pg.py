"""A PostgreSQL server for the tests (a pytest plugin, loaded from tests/conftest.py).

``postgres_url`` (session) is KARMADACTL_TEST_POSTGRES when set; otherwise a
throwaway server this module starts itself: initdb into a temporary directory
(as the ``postgres`` user when the tests run as root, since initdb refuses
root), pg_ctl start on a free localhost port with trust authentication, one
database ``karmadactl``, stopped and removed at the end of the session. When
no server can be had, every test that needs one is skipped with the reason
("PostgreSQL: ..."), never passed.

``empty_postgres(url)`` drops karmadactl's tables so a test starts from an
empty store.

Under pytest-xdist each worker is a session of its own: it starts its own
throwaway server, or, with KARMADACTL_TEST_POSTGRES, uses a database of its
own on that server (``per_worker``), so one worker's emptying never reaches
another's tests.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

ENV_URL = "KARMADACTL_TEST_POSTGRES"
DATABASE = "karmadactl"
SERVER_USER = "postgres"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def find_binary(name: str) -> str:
    """pg_ctl/initdb from PATH, else the newest /usr/lib/postgresql/*/bin (Debian keeps them there)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    candidates.sort(key=lambda p: _major(Path(p).parent.parent.name))
    if not candidates:
        raise Unavailable(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return candidates[-1]


def _major(text: str) -> int:
    return int(text) if text.isdigit() else -1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A private PostgreSQL cluster in a temporary directory."""

    def __init__(self) -> None:
        self.initdb = find_binary("initdb")
        self.pg_ctl = find_binary("pg_ctl")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise Unavailable(f"running as root and there is no {SERVER_USER!r} user to run initdb as") from None
        self.dir = Path(tempfile.mkdtemp(prefix="karmadactl-pg-"))  # not under pytest's 0700 root-owned tree
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port = 0
        self.started = False

    def _run(self, *cmd: str, timeout: float = 60) -> None:
        argv = list(cmd)
        if self.as_root:
            if shutil.which("runuser"):
                argv = ["runuser", "-u", SERVER_USER, "--", *argv]
            else:
                argv = ["su", SERVER_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]
        result = subprocess.run(argv, cwd=self.dir, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise Unavailable(f"{Path(cmd[0]).name} failed: {detail[-1] if detail else result.returncode}")

    def start(self) -> str:
        if self.as_root:
            os.chown(self.dir, self.owner.pw_uid, self.owner.pw_gid)
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        self.port = free_port()
        options = (f"-p {self.port} -h 127.0.0.1 -k {self.dir} -F "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start",
                  timeout=90)
        self.started = True
        admin = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        create_database(admin, DATABASE)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def stop(self) -> None:
        try:
            if self.started:
                self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (Unavailable, subprocess.TimeoutExpired):
            pass
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def create_database(admin_url: str, name: str) -> None:
    import psycopg
    from sqlalchemy import make_url

    u = make_url(admin_url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database,
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def per_worker(url: str) -> str:
    """The URL itself, or under pytest-xdist a database of this worker's own on the same server
    (`<database>_gw0`, ...), made when missing."""
    import psycopg
    from sqlalchemy import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    u = make_url(url)
    name = f"{u.database}_{worker}"
    try:
        create_database(u.set(database="postgres").render_as_string(hide_password=False), name)
    except psycopg.errors.DuplicateDatabase:
        pass
    return u.set(database=name).render_as_string(hide_password=False)


def empty_postgres(url: str) -> str:
    """Drop karmadactl's tables (only those) and return the URL."""
    from sqlalchemy import create_engine

    from karmadactl.store.schema import metadata

    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()
    return url


def _need_driver() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("the psycopg driver is not installed (pip install 'karmadactl[postgres]')") from None


@pytest.fixture(scope="session")
def postgres_url():
    """A URL of a running PostgreSQL database (postgresql+psycopg://...), or the test is skipped."""
    try:
        _need_driver()
    except Unavailable as e:
        pytest.skip(f"PostgreSQL: {e}")
    given = os.environ.get(ENV_URL)
    if given:
        yield per_worker(given)
        return
    server = None
    try:
        server = Server()
        url = server.start()
    except (Unavailable, OSError, subprocess.TimeoutExpired) as e:
        if server is not None:
            server.stop()
        pytest.skip(f"PostgreSQL: could not start a throwaway server: {e}")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def postgres_store(postgres_url: str) -> str:
    """An empty karmadactl store in PostgreSQL (the tables dropped before the test)."""
    return empty_postgres(postgres_url)
