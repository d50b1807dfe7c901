"""The headless worker as a real process: `crm-tui worker` and `--once`."""
import datetime as dt
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from crm_tui import clock
from crm_tui.config import parse_config
from crm_tui.models.churn import (CATCH_UP, DONE, ONCE, SCHEDULE, ChurnAlert, WorkerRun)
from crm_tui.models.order_figures import OrderTotals
from crm_tui.models.sales_system import Order
from crm_tui.worker import Worker
from tests.conftest import at, make_customer

EVERY_TWO_SECONDS = "* * * * * */2"  # croniter's sixth field counts seconds


def crm_tui_command() -> list[str]:
    script = Path(sys.executable).with_name("crm-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "crm_tui"]


def write_config(tmp_path: Path, url: str, schedule: str = EVERY_TWO_SECONDS) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"database:\n  url: {url}\n"
                    f"churn:\n  schedule: \"{schedule}\"\n  log_file: {tmp_path / 'worker.log'}\n",
                    encoding="utf-8")
    return path


def start_worker(config: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(crm_tui_command() + ["--config", str(config), "worker", *extra],
                            cwd=config.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there in time")
        time.sleep(0.2)


def finished_runs(trigger: str) -> int:
    return WorkerRun.select().where((WorkerRun.trigger == trigger) & (WorkerRun.status == DONE)).count()


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_worker_runs_on_its_schedule_and_stops_cleanly(sqlite_db, sqlite_url, people, tmp_path,
                                                       stop_with):
    at(2025, 1, 1)
    customer = make_customer(people.manager)
    clock.set_clock(None)
    process = start_worker(write_config(tmp_path, sqlite_url.url))
    try:
        # Nothing was ever scanned: it catches up at start, then keeps time.
        wait_for(lambda: finished_runs(CATCH_UP) == 1 and finished_runs(SCHEDULE) >= 1)
    finally:
        process.send_signal(stop_with)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert stderr == ""
    [alert] = ChurnAlert.select()
    assert alert.customer_id == customer.id
    run = WorkerRun.select().where(WorkerRun.trigger == SCHEDULE).first()
    assert (run.scanned, run.finished_at >= run.started_at) == (1, True)
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    for text in (stdout, log):
        assert "scan done (catch-up): 1 customers scanned, 1 alerts added, 0 closed" in text
        assert f"worker stopped ({stop_with.name})" in text
    assert "scan done (schedule)" in log


def test_a_stop_signal_during_a_scan_lets_the_scan_finish_first(sqlite_db, sqlite_url, people,
                                                                tmp_path):
    at(2025, 1, 1)
    make_customer(people.manager)
    clock.set_clock(None)
    log_file = tmp_path / "worker.log"
    # Hold the database's write lock: the worker's catch-up scan starts and
    # waits for it (SQLite's busy timeout) while the signal arrives.
    with sqlite_db.atomic():
        process = start_worker(write_config(tmp_path, sqlite_url.url, schedule="0 2 * * 6"))
        wait_for(lambda: log_file.exists()
                 and "scan started (catch-up)" in log_file.read_text(encoding="utf-8"))
        time.sleep(0.5)
        process.terminate()
        time.sleep(0.5)
        assert process.poll() is None  # still in its scan
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    [run] = WorkerRun.select()
    assert (run.trigger, run.status, run.added) == (CATCH_UP, DONE, 1)
    assert ChurnAlert.select().count() == 1
    done = stdout.index("scan done (catch-up)")
    assert stdout.index("worker stopped (SIGTERM)") > done
    assert "next scan at" not in stdout


def test_worker_catches_up_a_missed_weekly_run_once(sqlite_db, sqlite_url, tmp_path):
    long_ago = dt.datetime.now() - dt.timedelta(days=30)
    WorkerRun.create(trigger=SCHEDULE, started_at=long_ago, finished_at=long_ago, status=DONE)
    process = start_worker(write_config(tmp_path, sqlite_url.url, schedule="0 2 * * 6"))
    try:
        wait_for(lambda: finished_runs(CATCH_UP) == 1)
        # Then it waits for Saturday 02:00.
        wait_for(lambda: "next scan at" in (tmp_path / "worker.log").read_text(encoding="utf-8"))
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0
    assert WorkerRun.select().count() == 2


def test_missed_run_is_judged_from_the_last_finished_run(sqlite_db):
    config = parse_config('churn:\n  schedule: "0 2 * * 6"\n')
    worker = Worker(config, sqlite_db, sqlite_db)
    at(2026, 7, 8, 12)  # a Wednesday; the last scheduled time was Saturday 4 July 02:00
    assert worker._missed_a_run()  # nothing ever ran
    WorkerRun.create(trigger=SCHEDULE, started_at=dt.datetime(2026, 7, 4, 2), status=DONE)
    assert not worker._missed_a_run()
    at(2026, 7, 11, 3)  # Saturday 11 July 02:00 passed while it was down
    assert worker._missed_a_run()
    # A run that failed does not count as done.
    WorkerRun.create(trigger=SCHEDULE, started_at=dt.datetime(2026, 7, 11, 2), status="failed")
    assert worker._missed_a_run()


def test_once_runs_one_scan_and_exits_0(sqlite_db, sqlite_url, people, tmp_path):
    at(2025, 1, 1)
    customer = make_customer(people.manager)
    clock.set_clock(None)
    Order.create(number="SO1", customer_id=customer.id + 1, date=dt.date(2024, 5, 1), status=6,
                 amount=Decimal("9.50"))
    result = subprocess.run(crm_tui_command() + ["--config", str(write_config(tmp_path, sqlite_url.url)),
                                                 "worker", "--once"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [run] = WorkerRun.select()
    assert (run.trigger, run.status, run.scanned, run.added) == (ONCE, DONE, 1, 1)
    assert "1 customers scanned, 1 alerts added, 0 closed" in result.stdout
    # The reports' order figures are summed again with each run.
    assert [(row.customer_id, row.orders, row.amount) for row in OrderTotals.select()] == [
        (customer.id + 1, 1, Decimal("9.50"))]
    assert "order figures refreshed: 1 customers" in result.stdout


def test_once_against_an_unreachable_database_fails_with_one_line(tmp_path):
    config = write_config(tmp_path, "postgresql://127.0.0.1:1/x")
    result = subprocess.run(crm_tui_command() + ["--config", str(config), "worker", "--once"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("crm-tui worker: cannot open database postgresql://127.0.0.1:1/x")
