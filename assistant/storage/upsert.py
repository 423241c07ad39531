"""Insert-or-replace by primary key, in the dialect of the connection (SQLite and PostgreSQL both say ON CONFLICT)."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(target: Connection | str, table: Table, values: dict, keep: tuple[str, ...] = ()):
    """The statement writing ``values`` over the row with the same primary key; columns in ``keep`` stay as they were.
    ``target`` is the connection that will run it, or its dialect's name."""
    name = target if isinstance(target, str) else target.dialect.name
    dialect = postgresql if name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    keys = [c.name for c in table.primary_key]
    changed = {name: statement.excluded[name] for name in values if name not in keys and name not in keep}
    return statement.on_conflict_do_update(index_elements=keys, set_=changed)
