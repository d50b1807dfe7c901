"""Eight account managers writing at once, for a few seconds: no write
fails and every write is in the database afterwards (SQLite, and
PostgreSQL when CRM_TEST_PG_URL is set).

Runs bench/concurrent_writes.py as the separate processes it starts, then
counts the rows here, independently of the benchmark's own check.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from crm_tui.config import DatabaseConfig
from crm_tui.db import bind
from crm_tui.models import Customer, Interaction, User
from tests.conftest import BACKENDS, PG_URL

BENCH = Path(__file__).resolve().parent.parent / "bench" / "concurrent_writes.py"
PROCESSES = 8
SECONDS = 3


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'writes.sqlite3'}"
        return
    from playhouse.db_url import connect

    schema = f"crm_writes_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = connect(PG_URL)
    admin.connect()
    admin.execute_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{separator}options={quote(f'-c search_path={schema}')}"
    admin.execute_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.close()


def test_eight_writers_at_once_lose_nothing(database_url, tmp_path):
    figures_path = tmp_path / "figures.json"
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--url", database_url, "--processes", str(PROCESSES),
         "--seconds", str(SECONDS), "--json", str(figures_path)],
        capture_output=True, text=True, check=False, timeout=300)
    assert figures_path.exists(), finished.stderr
    figures = json.loads(figures_path.read_text(encoding="utf-8"))

    assert figures["errors"] == 0, figures["first_errors"]
    assert figures["missing"] == {"customers": 0, "phones": 0, "interactions": 0}
    assert all(count > 0 for count in figures["by_kind"].values()), figures["by_kind"]
    assert finished.returncode == 0, finished.stdout + finished.stderr

    crm_db, _ = bind(DatabaseConfig(url=database_url))
    try:
        writers = User.select(User.id).where(User.login.startswith("writer"))
        assert writers.count() == PROCESSES
        assert (Customer.select().where(Customer.manager.in_(writers)).count()
                == figures["created_customers"] == figures["by_kind"]["create_customer"])
        assert (Interaction.select().where(Interaction.created_by.in_(writers)).count()
                == figures["interactions"] == figures["by_kind"]["add_interaction"])
        numbers = [number for (number,) in Customer.select(Customer.number).tuples()]
        assert len(numbers) == len(set(numbers))
    finally:
        crm_db.close()
