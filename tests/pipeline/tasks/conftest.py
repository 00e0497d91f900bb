"""The servers the distributed mode's tests share (see :mod:`server_fixtures`)."""

from tests.pipeline.tasks.server_fixtures import (  # noqa: F401
    database_url,
    postgres_admin_url,
    redis_url,
    s3_endpoint,
)
