"""`crm-tui import KIND FILE --user LOGIN`: signs in as the user (password
from CRM_TUI_PASSWORD), dry run first, then the import with its refused
rows in a file; one plain line for what cannot be done."""
from __future__ import annotations

import csv
import json

from crm_tui import cli
from crm_tui.models import Customer, ImportMapping
from tests.conftest import PASSWORD
from tests.import_files import CUSTOMER_HEADERS, customer_row, write_csv


def write_config(tmp_path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(f"database:\n  url: sqlite:///{tmp_path / 'crm.sqlite3'}\nlocale: en\n",
                    encoding="utf-8")
    return str(path)


def test_dry_run_then_import_as_a_user(sqlite_db, people, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_TUI_PASSWORD", PASSWORD)
    config = write_config(tmp_path)
    path = write_csv(tmp_path / "客户.csv", CUSTOMER_HEADERS, [
        customer_row("北京远大科技有限公司"), customer_row("火星公司", region="火星", tax="2")],
        "gbk")
    command = ["--config", config, "import", "customer", str(path), "--user", "wang"]

    assert cli.main([*command, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run of 2 rows: 1 would be created, 0 updated, 0 skipped as duplicates, " \
           "1 refused." in out
    assert "客户名称\t-> name" in out and 'row 3: Region: unknown value "火星"' in out
    assert Customer.select().count() == 0
    assert not list(tmp_path.glob("*.refused-*.csv"))

    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"values": {"region": {"火星": "上海"}}}), encoding="utf-8")
    assert cli.main([*command, "--mapping", str(mapping), "--save-mapping"]) == 0
    out = capsys.readouterr().out
    assert "Imported 2 rows: 2 created" in out
    assert Customer.select().where(Customer.manager == people.manager.id).count() == 2
    assert ImportMapping.select().count() == 1

    # The next run uses the saved mapping; nothing is created twice.
    assert cli.main(command) == 0
    assert "0 created, 0 updated, 2 skipped as duplicates, 0 refused" in capsys.readouterr().out


def test_refused_rows_go_to_a_file(sqlite_db, people, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_TUI_PASSWORD", PASSWORD)
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS,
                     [customer_row("坏公司", satisfaction="7")], "utf-8-sig")
    assert cli.main(["--config", write_config(tmp_path), "import", "customer", str(path),
                     "--user", "admin"]) == 0
    out = capsys.readouterr().out
    [refused] = tmp_path.glob("in.refused-*.csv")
    assert f"refused rows with their reasons: {refused}" in out
    with refused.open(encoding="utf-8-sig", newline="") as source:
        lines = list(csv.reader(source))
    assert lines[0][-1] == "Reason refused" and lines[1][0] == "坏公司"
    assert "must be from 1 to 5" in lines[1][-1]


def test_wrong_password_unknown_kind_and_missing_file_are_one_line(sqlite_db, people, tmp_path,
                                                                    capsys, monkeypatch):
    config = write_config(tmp_path)
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS, [customer_row("甲")], "utf-8")
    monkeypatch.setenv("CRM_TUI_PASSWORD", "wrong password")
    assert cli.main(["--config", config, "import", "customer", str(path), "--user", "wang"]
                    ) == cli.EXIT_USAGE
    assert capsys.readouterr().err.startswith("crm-tui: ")
    monkeypatch.setenv("CRM_TUI_PASSWORD", PASSWORD)
    assert cli.main(["--config", config, "import", "order", str(path), "--user", "wang"]
                    ) == cli.EXIT_USAGE
    assert "order" in capsys.readouterr().err
    assert cli.main(["--config", config, "import", "customer", str(tmp_path / "none.csv"),
                     "--user", "wang"]) == cli.EXIT_USAGE
    assert capsys.readouterr().err.count("\n") == 1
    # An executive may not import customers.
    assert cli.main(["--config", config, "import", "customer", str(path), "--user", "exec"]
                    ) == cli.EXIT_USAGE
    assert Customer.select().count() == 0
    assert not list(tmp_path.glob("*.refused-*.csv"))


def test_refused_rows_into_a_folder_given(sqlite_db, people, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRM_TUI_PASSWORD", PASSWORD)
    config = write_config(tmp_path)
    path = write_csv(tmp_path / "in.csv", CUSTOMER_HEADERS,
                     [customer_row("坏公司", satisfaction="7")], "utf-8-sig")
    (tmp_path / "out").mkdir()
    assert cli.main(["--config", config, "import", "customer", str(path), "--user", "admin",
                     "--refused", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("in.refused-*.csv"))) == 1
    assert cli.main(["--config", config, "import", "customer", str(path), "--user", "admin",
                     "--refused", str(tmp_path / "nowhere")]) == cli.EXIT_USAGE
    assert "cannot write the refused rows" in capsys.readouterr().err
    # An executive may not save a mapping either: one line, no traceback.
    assert cli.main(["--config", config, "import", "customer", str(path), "--user", "exec",
                     "--save-mapping"]) == cli.EXIT_USAGE
