"""Alembic environment: runs on the connection handed over by adapters.database.upgrade_to_head,
or on DATABASE_URL when called from the alembic command line."""

from __future__ import annotations

from alembic import context

from adapters.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from adapters.database import make_engine
    from adapters.settings import get_settings

    with make_engine(get_settings().database_url).begin() as conn:
        _run(conn)
