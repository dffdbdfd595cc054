"""Where a campaign lives: an SQLAlchemy engine with ionopt's transaction rules.

Locations
---------
``db`` may be a SQLAlchemy URL (``sqlite:///lab.db``, ``postgresql+psycopg://user:pw@host/db``;
a bare ``postgresql://`` or ``postgres://`` means the psycopg 3 driver) or a file path,
which means SQLite. Without ``db``, :func:`resolve_db` uses the ``IONOPT_DB`` environment
variable, then ``<NAME>.ionopt.db`` next to the seed data (when creating) or in the
current directory; an existing store is also found as the only ``*.ionopt.db`` in the
current directory.

Transactions
------------
Every write is one transaction (:meth:`Store.write`): all of it is stored or none of it.

* SQLite: the database file is in WAL mode (readers never block the writer), foreign keys
  are enforced and every write transaction starts with ``BEGIN IMMEDIATE``: it takes the
  database's single write lock at its start, so two writers never interleave and never
  fail on a lock upgrade; a second writer waits (busy timeout, default 300 s,
  ``IONOPT_DB_TIMEOUT_S``). pysqlite's own transaction handling is switched off (the
  documented SQLAlchemy recipe) so that BEGIN is emitted by us, also before DDL.
* PostgreSQL: READ COMMITTED; writes that must serialize (``propose``) lock the campaign
  row with ``SELECT ... FOR UPDATE`` (:meth:`Store.lock_campaign`), so a second process
  waits, then sees the first one's committed batch. ``lock_timeout`` is the same timeout.
  Creating or migrating the schema takes a transaction-level advisory lock.

A process killed at any moment therefore leaves either the whole write or nothing.

Schema version
--------------
``meta.schema_version`` records the layout (:data:`ionopt.campaign.schema.SCHEMA_VERSION`).
Opening an older store runs the known :data:`MIGRATIONS` in one transaction; a store with
a newer or unknown version is refused with a :class:`~ionopt.errors.StoreError` naming it
and both versions.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Connection, create_engine, event, inspect, select, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError

from ionopt._version import __version__
from ionopt.campaign import schema as S
from ionopt.errors import StoreError

DB_SUFFIX = ".ionopt.db"
DEFAULT_TIMEOUT_S = 300.0
#: Key of the PostgreSQL advisory lock taken while creating or migrating the schema.
_SCHEMA_LOCK_KEY = 0x10_0F_7C_A3

#: Migration steps: ``MIGRATIONS[v]`` upgrades a store from schema ``v`` to ``v + 1``
#: inside the opening transaction. Empty while only version 1 exists.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {}


def now() -> datetime:
    """The current time, UTC (what every ``created_at`` holds)."""
    return datetime.now(timezone.utc)


def timeout_s() -> float:
    """How long a writer waits for another one (``IONOPT_DB_TIMEOUT_S``, default 300 s)."""
    raw = os.environ.get("IONOPT_DB_TIMEOUT_S")
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise StoreError(f"IONOPT_DB_TIMEOUT_S: expected seconds, got {raw!r}") from None
    if value <= 0:
        raise StoreError(f"IONOPT_DB_TIMEOUT_S: expected a positive number, got {raw!r}")
    return value


# --------------------------------------------------------------------------------------
# Where is the store?
# --------------------------------------------------------------------------------------
def to_url(db: str | os.PathLike[str]) -> URL:
    """A SQLAlchemy URL from a URL string or a file path (SQLite)."""
    raw = os.fspath(db)
    if "://" in raw:
        if raw.startswith("postgres://"):
            raw = "postgresql://" + raw[len("postgres://"):]
        if raw.startswith("postgresql://"):
            raw = "postgresql+psycopg://" + raw[len("postgresql://"):]
        try:
            url = make_url(raw)
        except ArgumentError as err:
            raise StoreError(f"--db: not a database URL: {raw!r} ({err})") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise StoreError(f"--db: expected a SQLite path or a postgresql URL, got "
                             f"{url.get_backend_name()!r}")
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            raise StoreError("--db: an in-memory SQLite database cannot hold a campaign; "
                             "give a file path")
        return url
    path = Path(raw).expanduser().resolve()
    return URL.create("sqlite+pysqlite", database=str(path))


def default_db_path(name: str, near: str | os.PathLike[str] | None = None) -> Path:
    """``<NAME>.ionopt.db`` beside ``near`` (the seed data file) or in the current dir."""
    folder = Path(near).expanduser().resolve().parent if near is not None else Path.cwd()
    return folder / f"{name}{DB_SUFFIX}"


def resolve_db(db: str | os.PathLike[str] | None, *, name: str | None = None,
               near: str | os.PathLike[str] | None = None, create: bool = False) -> URL:
    """The store's URL: ``db``, else ``$IONOPT_DB``, else a ``*.ionopt.db`` file (see module)."""
    if db is None or str(db) == "":
        db = os.environ.get("IONOPT_DB") or None
    if db is not None:
        return to_url(db)
    if create:
        if not name:
            raise StoreError("campaign name: required to choose the store's file name")
        return to_url(default_db_path(name, near))
    if name:
        candidate = default_db_path(name)
        if candidate.exists():
            return to_url(candidate)
    found = sorted(Path.cwd().glob(f"*{DB_SUFFIX}"))
    if len(found) == 1:
        return to_url(found[0])
    where = f"in {Path.cwd()}"
    if not found:
        raise StoreError(f"no campaign store found {where} (no *{DB_SUFFIX} file); pass "
                         "--db PATH_OR_URL or set IONOPT_DB, or create one with "
                         "'ionopt campaign init NAME --space space.yaml'")
    names = ", ".join(p.name for p in found)
    raise StoreError(f"several campaign stores {where} ({names}); pass --db to choose one")


def describe_url(url: URL) -> str:
    """The store's location for messages: a file path, or the URL without its password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


# --------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------
class Store:
    """An open campaign store (one engine); use :meth:`read` and :meth:`write`.

    Parameters
    ----------
    db : str or path-like
        A URL or SQLite file path (see :func:`to_url`).
    create : bool
        Create the file and tables when absent (else a missing store is a StoreError).
    """

    def __init__(self, db: str | os.PathLike[str] | URL, *, create: bool = False) -> None:
        self.url = db if isinstance(db, URL) else to_url(db)
        self.where = describe_url(self.url)
        self.dialect = self.url.get_backend_name()
        self.timeout_s = timeout_s()
        if self.dialect == "sqlite":
            path = Path(self.url.database)
            if not path.exists():
                if not create:
                    raise StoreError(f"{path}: no campaign store here; create one with "
                                     "'ionopt campaign init NAME --space space.yaml --db "
                                     f"{path}'")
                path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = self._sqlite_engine()
        else:
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise StoreError("PostgreSQL stores need psycopg 3: pip install "
                                 "'ionopt[postgres]'") from None
            self.engine = create_engine(self.url, pool_pre_ping=True,
                                        connect_args={"connect_timeout": 15})
        try:
            self._check_schema(create)
        except BaseException:
            self.engine.dispose()
            raise

    # ---- engines -------------------------------------------------------------------------
    def _sqlite_engine(self) -> Engine:
        engine = create_engine(self.url, connect_args={"timeout": self.timeout_s})
        busy_ms = int(self.timeout_s * 1000)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, connection_record):  # noqa: ANN001
            # Let SQLAlchemy (the "begin" hook below) emit BEGIN, not pysqlite.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):  # noqa: ANN001
            mode = conn.get_execution_options().get("ionopt_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # ---- transactions --------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as err:
            first = str(err.orig).strip().splitlines()[0] if err.orig is not None else str(err)
            raise StoreError(f"{self.where}: a concurrent write conflicted ({first}); "
                             "nothing was stored, try again") from err
        except OperationalError as err:
            text_ = str(err.orig) if err.orig is not None else str(err)
            if "locked" in text_ or "busy" in text_ or "lock timeout" in text_:
                raise StoreError(f"{self.where}: the store is busy (another ionopt process "
                                 f"held it for more than {self.timeout_s:g} s); try again, "
                                 "or raise IONOPT_DB_TIMEOUT_S") from err
            first = text_.strip().splitlines()[0] if text_.strip() else type(err).__name__
            raise StoreError(f"{self.where}: database error: {first}") from err

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot on SQLite and PostgreSQL)."""
        with self._errors(), self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed whole on success, rolled back on any error."""
        with self._errors(), self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(ionopt_begin="IMMEDIATE")
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(
                        f"SET LOCAL lock_timeout = '{int(self.timeout_s * 1000)}ms'")
                yield conn

    def lock_campaign(self, conn: Connection, campaign_id: int) -> None:
        """Serialize writers of one campaign until the transaction ends.

        PostgreSQL: ``SELECT ... FOR UPDATE`` on the campaign row. SQLite: nothing to do,
        :meth:`write` already holds the database's write lock (``BEGIN IMMEDIATE``).
        """
        if self.dialect == "postgresql":
            conn.execute(select(S.campaign.c.id).where(S.campaign.c.id == campaign_id)
                         .with_for_update())

    # ---- schema --------------------------------------------------------------------------
    @staticmethod
    def _version(conn: Connection) -> int | None:
        if not inspect(conn).has_table("meta"):
            return None
        raw = conn.execute(select(S.meta.c.value).where(S.meta.c.key == "schema_version")
                           ).scalar_one_or_none()
        if raw is None:
            return 0
        try:
            return int(raw)
        except ValueError:
            return -1

    def _check_schema(self, create: bool) -> None:
        with self.read() as conn:
            version = self._version(conn)
        if version == S.SCHEMA_VERSION:
            return
        if version is None and not create:
            raise StoreError(f"{self.where}: not a campaign store (no ionopt tables); create "
                             "one with 'ionopt campaign init NAME --space space.yaml'")
        self._refuse_unknown(version)
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                             {"k": _SCHEMA_LOCK_KEY})
            version = self._version(conn)  # again, under the lock
            if version == S.SCHEMA_VERSION:
                return
            if version is None:
                clash = sorted(set(S.TABLES) & set(inspect(conn).get_table_names()))
                if clash:
                    raise StoreError(f"{self.where}: holds tables named like ionopt's "
                                     f"({', '.join(clash)}) but no ionopt schema version; "
                                     "refusing to touch it: use another database or schema")
                S.metadata.create_all(conn)
                conn.execute(S.meta.insert(), [
                    {"key": "schema_version", "value": str(S.SCHEMA_VERSION)},
                    {"key": "created_by", "value": f"ionopt {__version__}"},
                    {"key": "created_at", "value": now().isoformat()},
                ])
                return
            self._refuse_unknown(version)
            for step in range(version, S.SCHEMA_VERSION):
                MIGRATIONS[step](conn)
            conn.execute(S.meta.update().where(S.meta.c.key == "schema_version")
                         .values(value=str(S.SCHEMA_VERSION)))
            conn.execute(S.meta.insert(), [{"key": f"migrated_{version}_to_{S.SCHEMA_VERSION}",
                                            "value": now().isoformat()}])

    def _refuse_unknown(self, version: int | None) -> None:
        if version is None or version == S.SCHEMA_VERSION:
            return
        if version > S.SCHEMA_VERSION:
            raise StoreError(f"{self.where}: store schema version {version} is newer than "
                             f"this ionopt ({__version__}) understands (version "
                             f"{S.SCHEMA_VERSION}); upgrade ionopt to open it")
        missing = [v for v in range(max(version, 0), S.SCHEMA_VERSION) if v not in MIGRATIONS]
        if version < 0 or missing:
            raise StoreError(f"{self.where}: store schema version {version} cannot be "
                             f"migrated to version {S.SCHEMA_VERSION} by this ionopt "
                             f"({__version__}); export it with the ionopt that wrote it")

