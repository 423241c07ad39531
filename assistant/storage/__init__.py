"""The service's records in one database: a SQLite file by default, PostgreSQL shared by a fleet of replicas.

``Records`` (conversations, questions, feedback, gaps, statistics) over a ``Database`` whose schema is versioned
with Alembic (``migrations/``) and applied at start-up under a lock.
"""

from .database import Database, RecordsUnavailable, database_url, redacted
from .gaps import Gap, GapQuestion, group_similar
from .records import INTERNAL, Caller, ForeignRecord, Records

__all__ = ["INTERNAL", "Caller", "Database", "ForeignRecord", "Gap", "GapQuestion", "RecordsUnavailable", "Records",
           "database_url", "group_similar", "redacted"]
