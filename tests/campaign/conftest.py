"""Fixtures for the campaign-store tests: a store on SQLite and on PostgreSQL.

PostgreSQL tests need ``IONOPT_TEST_POSTGRES_URL`` (``eval "$(bash .ci/postgres.sh)"``
starts a server and prints it). Without it, or when the server cannot be reached, they
skip with a reason starting "SKIPPED: no PostgreSQL server"; with
``IONOPT_REQUIRE_POSTGRES=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_ENV = "IONOPT_TEST_POSTGRES_URL"


def _unavailable(reason: str) -> None:
    message = f"SKIPPED: no PostgreSQL server: {reason}"
    if os.environ.get("IONOPT_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (IONOPT_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The server URL from the environment, checked once per session (worker)."""
    url = os.environ.get(PG_ENV)
    if not url:
        _unavailable(f"{PG_ENV} is not set; start one with: eval \"$(bash .ci/postgres.sh)\"")
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT",
                               connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except (SQLAlchemyError, ImportError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        _unavailable(f"cannot connect to {url.split('@')[-1]} ({first})")
    return url


@pytest.fixture
def pg_url(pg_admin_url: str):
    """A fresh, empty PostgreSQL schema for one test (its own search_path; dropped after).

    A schema rather than a database: CREATE DATABASE costs ~1 s, CREATE SCHEMA ~1 ms.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"ionopt_t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    url = make_url(pg_admin_url).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> str:
    """A store location: a SQLite file path, or a URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "test.ionopt.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def camp(db, tmp_path):
    """A campaign on the paper's space with seed films and one proposed batch of two
    (films B001-01, B001-02)."""
    from campaign_helpers import fake_proposer, seed_csv, space_path

    from ionopt.campaign import Campaign

    c = Campaign.create("cse", space_path(), db=db, seed_data=seed_csv(tmp_path / "seed"))
    c.propose(2, seed=1, proposer=fake_proposer())
    yield c
    c.close()
