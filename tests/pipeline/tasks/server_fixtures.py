"""Fixtures for the servers the distributed mode's tests use (started once per run, when
present; a test that needs an absent one skips, saying why)."""

from __future__ import annotations

import pytest

from tests.pipeline.tasks import servers


def _server(kind: str, start):
    reason = servers.missing(kind)
    if reason:
        pytest.skip(reason)
    with start() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_admin_url():
    """A throwaway PostgreSQL server's admin URL (skips when PostgreSQL is absent)."""
    yield from _server("postgres", servers.postgres_server)


@pytest.fixture
def database_url(postgres_admin_url):
    """A fresh, empty database on the throwaway server."""
    return servers.new_database(postgres_admin_url)


@pytest.fixture(scope="session")
def redis_url():
    """A throwaway Redis server's URL (skips when redis-server is absent)."""
    yield from _server("redis", servers.redis_server)


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 emulator on loopback (skips when moto is absent)."""
    yield from _server("s3", servers.s3_server)
