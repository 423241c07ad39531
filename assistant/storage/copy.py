"""``eclaireur db copy``: move the records from one database to another (a SQLite install to PostgreSQL).

Table by table in dependency order, in batches, each row written over the one with the same key: a second run
copies nothing twice and brings rows changed since (a replaced opinion) up to date. Only the records are copied
(``COPIED_TABLES``): the fleet's working state (rate buckets, the build lease, the bot's state) and caches are
rebuilt by the running processes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from .database import Database
from .schema import COPIED_TABLES
from .upsert import upsert

BATCH = 1000


@dataclass(frozen=True)
class CopiedTable:
    table: str
    copied: int  # rows read from the source and written to the target
    in_target: int  # rows of the table in the target afterwards


def copy_records(source: Database, target: Database, batch: int = BATCH) -> list[CopiedTable]:
    """Copy every record table of ``source`` into ``target`` (migrated first); what was copied, per table."""
    source.upgrade()
    target.upgrade()
    report = []
    for table in COPIED_TABLES:
        copied = 0
        with source.engine.connect() as reading:
            rows = reading.execution_options(yield_per=batch).execute(select(table).order_by(*table.primary_key.columns))
            for chunk in rows.partitions(batch):
                with target.transaction() as writing:
                    for row in chunk:
                        writing.execute(upsert(writing, table, dict(row._mapping)))
                copied += len(chunk)
        with target.transaction() as counting:
            in_target = counting.execute(select(func.count()).select_from(table)).scalar_one()
        report.append(CopiedTable(table.name, copied, in_target))
    return report
