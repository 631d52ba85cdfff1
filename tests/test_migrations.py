"""The Alembic revisions build exactly the schema the models describe.

``flask db upgrade`` runs on an EMPTY database (a fresh SQLite file, and a throwaway
PostgreSQL database), then Alembic compares the migrated schema with ``db.metadata``:
any difference means a model changed without a revision (run
``flask --app wsgi db migrate -m "what and why"`` and review the file), or a revision
that does not match its models.
"""

import os
import secrets
from pprint import pformat

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from interaction.core.db import db
from tests.helpers import make_test_app, server_unavailable

PG_ADMIN_URL = os.environ.get("INTERACTION_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _differences(app) -> list:
    """Alembic's list of differences between the live schema and the models."""
    with app.app_context(), db.engine.connect() as connection:
        # Tables a database makes for an index the models declare by DDL events (SQLite's FTS5 of core.search).
        unmodelled = db.metadata.info.get("interaction.unmodelled_tables", set())
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, type_, _parent: not (type_ == "table" and name in unmodelled)})
        return compare_metadata(context, db.metadata)


def _upgrade_and_compare(url: str):
    app = make_test_app(url)
    try:
        with app.app_context():
            flask_migrate.upgrade()
            tables = set(inspect(db.engine).get_table_names())
        missing = sorted(t.name for t in db.metadata.sorted_tables if t.name not in tables)
        assert not missing, (
            f"`flask db upgrade` on an empty database did not create the tables {missing}: "
            "generate a revision with `flask --app wsgi db migrate -m ...` and review it"
        )
        assert "alembic_version" in tables, "the upgrade did not record its revision"
        differences = _differences(app)
        assert differences == [], (
            "the migrated schema and the models disagree; write a revision for these differences:\n"
            + pformat(differences, width=120)
        )
    finally:
        with app.app_context():
            db.engine.dispose()


def test_upgrade_on_empty_sqlite_matches_models(tmp_path):
    _upgrade_and_compare(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.fixture
def empty_postgres_url():
    psycopg = pytest.importorskip("psycopg")
    name = f"interaction_mig_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        server_unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__})")
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_upgrade_on_empty_postgresql_matches_models(empty_postgres_url):
    _upgrade_and_compare(empty_postgres_url)
