"""Fixtures for the sandbox apiserver: a running Member and clients that reach it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from karmadactl.sandbox.member import Member


@pytest.fixture
def member():
    """A fresh member cluster (two nodes) served from its own thread."""
    m = Member("sbx", nodes=2, settle_delay=0.02)
    m.start()
    yield m
    m.stop()


@pytest.fixture
def api_client(member):
    """The official kubernetes ApiClient, built from the member's kubeconfig."""
    from kubernetes.config import new_client_from_config_dict

    client = new_client_from_config_dict(member.kubeconfig(), persist_config=False)
    yield client
    client.close()


@pytest.fixture
def core(api_client):
    """CoreV1Api on api_client."""
    from kubernetes import client

    return client.CoreV1Api(api_client)


@pytest.fixture
def custom(api_client):
    """CustomObjectsApi on api_client (what the typed clients refuse is read as dicts)."""
    from kubernetes import client

    return client.CustomObjectsApi(api_client)


@pytest.fixture
def raw(member):
    """Plain HTTP against the member: raw(method, path, body=None, token=True, headers=None)
    -> (status, headers, decoded body)."""

    def call(method: str, path: str, body=None, *, token: bool = True,
             headers: dict | None = None, data: bytes | None = None):
        request = urllib.request.Request(member.url + path, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {member.token}")
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, data=data, timeout=10) as response:
                status, head, payload = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            status, head, payload = err.code, dict(err.headers), err.read()
        try:
            return status, head, json.loads(payload)
        except ValueError:
            return status, head, payload.decode()

    return call
