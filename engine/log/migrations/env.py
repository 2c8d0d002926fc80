"""Alembic environment for the decision log.

Engage runs the migrations itself (``engine.log.database.migrate``) on a connection that already
holds the writer lock; no ``alembic.ini`` is needed.
"""

from __future__ import annotations

from alembic import context

from engine.log.database import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
