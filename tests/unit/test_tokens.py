"""Bootstrap tokens for `register`: format, expiry, lookup by id or whole token, what `list` shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from karmadactl.commands import token as tokens
from karmadactl.errors import InvalidInput, NotFound

NOW = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    from karmadactl.store import Store

    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as s:
        yield s


def test_a_new_token_has_karmadas_format_and_defaults(store):
    created = tokens.create(store, description="edge sites", now=NOW)
    assert tokens.TOKEN_PATTERN.match(created.token)
    assert created.expires == NOW + timedelta(hours=24)
    assert created.usages == ("signing", "authentication")
    assert created.groups == ("system:bootstrappers:karmada:default-cluster-token",)
    with store.read() as tx:
        secret = tx.get_secret(f"bootstrap-token-{created.id}")
    assert secret["type"] == "bootstrap.kubernetes.io/token"
    assert secret["stringData"]["token-secret"] == created.secret
    assert secret["stringData"]["expiration"] == "2026-12-08T10:00:00Z"
    assert created.secret not in repr(created)


def test_ttl_zero_never_expires(store):
    forever = tokens.create(store, ttl=timedelta(0), now=NOW)
    assert forever.expires is None
    assert tokens.check(store, forever.token, NOW + timedelta(days=3650)) == forever


@pytest.mark.parametrize(("after", "valid"), [(timedelta(0), True), (timedelta(minutes=59, seconds=59), True),
                                              (timedelta(hours=1), False), (timedelta(days=1), False)])
def test_an_expired_token_is_refused(store, after, valid):
    created = tokens.create(store, ttl=timedelta(hours=1), now=NOW)
    if valid:
        assert tokens.check(store, created.token, NOW + after).id == created.id
    else:
        with pytest.raises(InvalidInput, match="expired") as refused:
            tokens.check(store, created.token, NOW + after)
        assert created.secret not in str(refused.value)


@pytest.mark.parametrize("value", ["", "abcdef", "abcdef.0123456789abcdeF", "abcdef:0123456789abcdef",
                                   "abcde.0123456789abcdef", "abcdef.0123456789abcdef0"])
def test_a_malformed_token_is_refused(store, value):
    with pytest.raises(InvalidInput, match="expected a bootstrap token"):
        tokens.check(store, value, NOW)


def test_a_wrong_secret_or_unknown_id_is_refused_without_showing_it(store):
    created = tokens.create(store, now=NOW)
    wrong = f"{created.id}.{'0' * 16}"
    for value in (wrong, "zzzzzz.0123456789abcdef"):
        with pytest.raises(InvalidInput, match="is not valid") as refused:
            tokens.check(store, value, NOW)
        assert value.split(".")[1] not in str(refused.value)


def test_delete_by_id_or_whole_token(store):
    first, second = tokens.create(store, now=NOW), tokens.create(store, now=NOW)
    assert tokens.delete(store, first.id) == first.id
    assert tokens.delete(store, second.token) == second.id
    assert tokens.list_tokens(store) == []
    with pytest.raises(NotFound, match=f'bootstrap token "{first.id}" not found'):
        tokens.delete(store, first.id)
    with pytest.raises(InvalidInput, match="didn't match pattern"):
        tokens.delete(store, "not-a-token")


def test_list_shows_ids_never_secrets(store):
    kept = tokens.create(store, description="edge", now=NOW)
    forever = tokens.create(store, ttl=timedelta(0), now=NOW)
    with store.write() as tx:
        tx.put_secret("edge1", {"a": "cluster credentials, not a token"})
    rows = {t.id: tokens.table_row(t, NOW + timedelta(hours=1)) for t in tokens.list_tokens(store)}
    assert set(rows) == {kept.id, forever.id}
    assert rows[kept.id] == [kept.id, "23h", "2026-12-08T10:00:00Z", "signing,authentication", "edge",
                             "system:bootstrappers:karmada:default-cluster-token"]
    assert rows[forever.id][1:3] == ["<forever>", "<never>"] and rows[forever.id][4] == "<none>"
    assert not any(t.secret in " ".join(r) for t in (kept, forever) for r in rows.values())


@pytest.mark.parametrize(("seconds", "shown"), [(-5, "<invalid>"), (-0.5, "0s"), (59, "59s"), (60, "1m"),
                                                (3599, "59m"), (3600, "1h"), (86399, "23h"), (86400, "1d"),
                                                (365 * 86400, "1y")])
def test_ttl_is_kubernetes_short_human_duration(seconds, shown):
    assert tokens.short_duration(timedelta(seconds=seconds)) == shown


def test_register_command_hides_the_store_password():
    created = tokens.BootstrapToken(id="abcdef", secret="0123456789abcdef")
    line = tokens.register_command("postgresql://team:s3cret@db:5432/karmada", created)
    assert "s3cret" not in line and "abcdef.0123456789abcdef" in line and "register CLUSTER_NAME" in line
