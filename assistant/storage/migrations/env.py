"""Alembic's entry point: migrations always run on the connection ``migrations.upgrade`` holds (and has locked)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
