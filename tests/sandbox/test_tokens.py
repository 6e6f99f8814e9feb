"""The sandbox's TokenRequest API: a ServiceAccount's token, accepted until it expires or the account goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from karmadactl.sandbox.tokens import ServiceAccountTokens

TOKEN = "/api/v1/namespaces/default/serviceaccounts/agent/token"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_service_account_token_opens_the_api_until_the_account_is_deleted(raw):
    status, _, body = raw("POST", TOKEN, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                          "spec": {}})
    assert status == 404 and body["reason"] == "NotFound" and 'serviceaccounts "agent" not found' in body["message"]

    raw("POST", "/api/v1/namespaces/default/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent"}})
    status, _, body = raw("POST", TOKEN, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                          "spec": {"expirationSeconds": 7200}})
    assert status == 201 and body["kind"] == "TokenRequest" and body["spec"]["expirationSeconds"] == 7200
    token = body["status"]["token"]
    assert body["status"]["expirationTimestamp"] > datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert raw("GET", "/api/v1/namespaces", token=False, headers=bearer(token))[0] == 200
    assert raw("GET", "/api/v1/namespaces", token=False, headers=bearer("not-" + token))[0] == 401
    raw("DELETE", "/api/v1/namespaces/default/serviceaccounts/agent")
    assert raw("GET", "/api/v1/namespaces", token=False, headers=bearer(token))[0] == 401


def test_a_token_shorter_than_ten_minutes_is_refused(raw):
    raw("POST", "/api/v1/namespaces/default/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent"}})
    status, _, body = raw("POST", TOKEN, {"spec": {"expirationSeconds": 60}})
    assert status == 400 and "less than 10 minutes" in body["message"]


def test_an_expired_token_or_one_of_a_recreated_account_is_refused():
    accounts = {("ns", "sa"): {"metadata": {"name": "sa", "uid": "u1"}}}
    tokens = ServiceAccountTokens(lambda namespace, name: accounts.get((namespace, name)))
    now = datetime.now(UTC)
    token = tokens.request("ns", "sa", {"spec": {"expirationSeconds": 600}}, now)["status"]["token"]
    assert tokens.accepts(token, now + timedelta(seconds=599))
    assert not tokens.accepts(token, now + timedelta(seconds=600))
    accounts[("ns", "sa")] = {"metadata": {"name": "sa", "uid": "u2"}}
    assert not tokens.accepts(token, now)
