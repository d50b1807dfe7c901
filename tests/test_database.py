"""The database layer: migrations, the schema they build, SQLite settings."""
import subprocess
import sys

from playhouse.schema_diff import diff_models

from crm_tui.db import TEXT_SEARCH_INDEXES, init_databases, migrate, pending_migrations
from crm_tui.models.base import is_postgres
from crm_tui.models import CRM_MODELS, SALES_MODELS, DictionaryEntry, Permission, Role, RolePermission
from crm_tui.models.base import is_postgres


def test_migrations_are_applied_once_and_safe_to_run_again(crm_db):
    assert pending_migrations(crm_db) == []
    assert migrate(crm_db) == []
    assert init_databases(crm_db, crm_db) == []
    assert Role.select().count() == 4


def test_migrated_schema_equals_the_models(crm_db):
    # Tables, columns and indexes the models declare all exist, nothing extra
    # but the text search's own indexes.
    diff = diff_models(crm_db, CRM_MODELS + SALES_MODELS)
    diff = diff._replace(drop_indexes=[index for index in diff.drop_indexes
                                       if index.name not in TEXT_SEARCH_INDEXES])
    assert not diff, str(diff)


def test_seeded_roles_and_dictionary(crm_db):
    assert {r.key for r in Role.select()} == {"admin", "executive", "supervisor", "manager"}
    admin_grants = RolePermission.select().join(Role).where(Role.key == "admin").count()
    assert admin_grants == Permission.select().count()
    levels = [e.item for e in DictionaryEntry.of_type("客户等级")]
    assert levels == ["普通客户", "重点开发客户", "大客户", "合作伙伴", "战略合作伙伴"]
    assert [e.item for e in DictionaryEntry.of_type("服务类型")] == ["咨询", "建议", "投诉"]


def test_sqlite_settings_for_many_users(crm_db):
    if is_postgres(crm_db):
        return
    pragma = lambda name: crm_db.execute_sql(f"pragma {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") >= 10000


def test_init_command_twice(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: sqlite:///{tmp_path / 'crm.sqlite3'}\n")
    run = lambda: subprocess.run([sys.executable, "-m", "crm_tui", "--config", str(config), "init"],  # noqa: E731
                                 capture_output=True, text=True)
    first, second = run(), run()
    assert first.returncode == 0 and "0001_initial" in first.stdout
    assert second.returncode == 0 and second.stdout.splitlines()[0] == "the database is up to date"


def test_unreachable_database_is_one_line(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("database:\n  url: postgresql://nobody@127.0.0.1:1/none\n")
    result = subprocess.run([sys.executable, "-m", "crm_tui", "--config", str(config), "init"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("crm-tui: cannot open database postgresql://nobody@127.0.0.1:1/none")
