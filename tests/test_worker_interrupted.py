"""A scan left "running" by a process killed mid-scan is marked interrupted
when the next worker starts, and the worker's log says so. Runs whose
process is still alive, or that run on another machine, are left alone."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap

from crm_tui.models.churn import DONE, INTERRUPTED, ONCE, RUNNING, SCHEDULE, WorkerRun
from tests.test_worker import crm_tui_command, wait_for, write_config

# A process that starts a scan which never ends, as a worker does.
HANGING_SCAN = textwrap.dedent("""
    import sys, time
    from crm_tui.config import DatabaseConfig
    from crm_tui import db
    from crm_tui.models import churn
    db.bind(DatabaseConfig(url=sys.argv[1]))
    churn.scan = lambda *arguments: time.sleep(600)
    churn.run_scan(churn.SCHEDULE, 6)
""")


def test_a_killed_workers_run_is_marked_interrupted_by_the_next(sqlite_db, sqlite_url, tmp_path):
    hanging = subprocess.Popen([sys.executable, "-c", HANGING_SCAN, sqlite_url.url])
    try:
        wait_for(lambda: WorkerRun.select().where(WorkerRun.status == RUNNING).exists())
        hanging.send_signal(signal.SIGKILL)
        hanging.wait(timeout=30)
    finally:
        hanging.kill()
    # Still running as far as the database knows; one of another machine too.
    other = WorkerRun.create(trigger=SCHEDULE, started_at=WorkerRun.get().started_at,
                             status=RUNNING, host="elsewhere.example", pid=hanging.pid)
    config = write_config(tmp_path, sqlite_url.url)
    result = subprocess.run(crm_tui_command() + ["--config", str(config), "worker", "--once"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    killed = WorkerRun.get((WorkerRun.pid == hanging.pid) & (WorkerRun.host != other.host))
    assert killed.status == INTERRUPTED
    assert f"process {hanging.pid} on {socket.gethostname()}" in killed.message
    assert WorkerRun.get_by_id(other.id).status == RUNNING
    assert WorkerRun.get(WorkerRun.trigger == ONCE).status == DONE
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert f"scan {killed.id} (schedule)" in log and "marked interrupted" in log


def test_a_run_whose_process_lives_stays_running(sqlite_db):
    import os

    from crm_tui.models.churn import mark_interrupted_runs

    alive = WorkerRun.create(trigger=SCHEDULE, started_at="2026-01-01 00:00:00", status=RUNNING,
                             host=socket.gethostname()[:100], pid=os.getpid())
    assert mark_interrupted_runs() == []
    assert WorkerRun.get_by_id(alive.id).status == RUNNING
