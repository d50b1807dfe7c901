"""The rule layer and the headless worker never load Textual."""
import subprocess
import sys


def test_models_and_worker_import_without_textual():
    code = ("import sys, importlib, pkgutil, crm_tui.models as m\n"
            "for info in pkgutil.iter_modules(m.__path__):\n"
            "    importlib.import_module('crm_tui.models.' + info.name)\n"
            "import crm_tui.db, crm_tui.config, crm_tui.worker\n"
            "bad = [name for name in sys.modules if name == 'textual' or name.startswith('textual.')]\n"
            "print(bad)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_starting_to_the_login_screen_hashes_nothing_and_loads_only_what_it_needs():
    # What `crm-tui` imports before the login screen shows. A password hash
    # costs a good part of a second; the list, forms and cron parser are not
    # needed to sign in.
    code = ("import sys, argon2\n"
            "hashed = []\n"
            "real_hash = argon2.PasswordHasher.hash\n"
            "argon2.PasswordHasher.hash = lambda self, *a, **k: hashed.append(1) or real_hash(self, *a, **k)\n"
            "import crm_tui.cli, crm_tui.db, crm_tui.app, crm_tui.screens.login\n"
            "from crm_tui.config import parse_config\n"
            "parse_config('locale: en\\n')\n"
            "late = [name for name in ('croniter', 'crm_tui.widgets.lazy_table', 'crm_tui.widgets.forms',\n"
            "                          'playhouse.db_url') if name in sys.modules]\n"
            "print(len(hashed), late)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 []"


def test_unknown_login_still_costs_one_hash_verification(monkeypatch):
    from crm_tui.models import users

    verified = []

    class CountingHasher:
        def __getattr__(self, name):
            return getattr(users.PasswordHasher(), name)

        def verify(self, hashed, password):
            verified.append(hashed)
            return users.PasswordHasher().verify(hashed, password)

    monkeypatch.setattr(users, "_hasher", CountingHasher())
    users._hasher_verify_dummy("some password")
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_an_up_to_date_database_opens_without_the_migration_runner(tmp_path):
    def code(opening: str) -> str:
        return ("import sys\n"
                "from crm_tui import db\n"
                "from crm_tui.cli import open_databases\n"
                "from crm_tui.config import Config, DatabaseConfig\n"
                f"config = Config(database=DatabaseConfig(url='sqlite:///{tmp_path / 'crm.sqlite3'}'))\n"
                f"{opening}\n"
                "print('playhouse.migrations' in sys.modules)\n")

    # What `crm-tui init` does: a new database, made by the runner.
    first = subprocess.run([sys.executable, "-c", code(
        "db.init_databases(*open_databases(config, create=True, ready=False))")],
        capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "True"
    # What every other start does.
    again = subprocess.run([sys.executable, "-c", code("open_databases(config)")],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "False"
