"""The headless churn worker: `crm-tui worker [--once]`.

Runs the churn scan (crm_tui.models.churn.scan) on the cron schedule of
config.yaml (churn.schedule, server local time; a sixth field counts
seconds), logs every run to churn.log_file (in logs.folder) and stdout, and records it as a
WorkerRun row. At start it catches up once when a scheduled run was missed
while it was down. SIGTERM or SIGINT stop it between runs, or after the
running scan's transaction has committed; it then exits with status 0.

No Textual here: the worker runs on servers without a terminal.
"""
from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import time
from pathlib import Path

from croniter import croniter

from crm_tui import clock
from crm_tui.config import Config
from crm_tui.models import churn, contracts, order_figures, quotes
from crm_tui.private import private_file

EXIT_OK, EXIT_FAILED = 0, 1
# How often the waiting loop looks at the clock and the stop flag.
TICK_SECONDS = 1.0

log = logging.getLogger("crm_tui.worker")


def main(config: Config, once: bool = False) -> int:
    """Bind the database, then run one scan (`once`) or the schedule."""
    from crm_tui import db

    try:
        # Never creates or upgrades a database: that is `crm-tui init`'s work.
        crm_db, sales_db = db.bind(config)
        db.check_ready(crm_db, config.database.effective_url)
    except db.DatabaseUnavailable as error:
        print(f"crm-tui worker: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        handlers = _start_logging(config.worker_log_path)
    except OSError as error:
        print(f"crm-tui worker: cannot write the log file {str(config.worker_log_path)!r}: "
              f"{error.strerror}", file=sys.stderr)
        return EXIT_FAILED
    try:
        worker = Worker(config, crm_db, sales_db)
        worker.mark_interrupted_runs()
        if once:
            return EXIT_OK if worker.run(churn.ONCE) else EXIT_FAILED
        return worker.run_on_schedule()
    finally:
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()


def _start_logging(log_file: Path | str | None) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_file:
        # The log names customers: owner-only when it is made, and so are
        # the folders made for it.
        handlers.append(logging.FileHandler(private_file(log_file), encoding="utf-8"))
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    for handler in handlers:
        handler.setFormatter(formatter)
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handlers


class Worker:
    def __init__(self, config: Config, crm_db, sales_db):
        self.schedule = config.churn.schedule
        self.months = config.churn.months_without_orders
        self.grace_days = config.churn.grace_days
        self.databases = [crm_db] if sales_db is crm_db else [crm_db, sales_db]
        self.stop_signal: str | None = None

    # ----- one scan ------------------------------------------------------
    def run(self, trigger: str) -> bool:
        """One scan, logged and recorded; False when it failed."""
        log.info("scan started (%s)", trigger)
        started = time.perf_counter()
        try:
            run, result = churn.run_scan(trigger, self.months, self.grace_days)
            self.expire_quotes()
            self.mark_overdue_instalments()
            self.refresh_order_figures()
        except Exception as error:  # a lost connection must not end the worker
            log.error("scan failed (%s) after %.2f s: %s", trigger, time.perf_counter() - started,
                      _first_line(error))
            return False
        finally:
            # A fresh connection for the next run: a database restarted in
            # between costs one failed run, not every run after it.
            for database in self.databases:
                database.close()
        log.info("scan done (%s): %d customers scanned, %d alerts added, %d closed, %.2f s",
                 trigger, result.scanned, result.added, result.closed, result.seconds)
        return True

    def mark_interrupted_runs(self) -> None:
        """Say in the run log which earlier scans were cut off (a worker or
        an app killed mid-scan), so none stays "running" for ever."""
        try:
            interrupted = churn.mark_interrupted_runs()
        except Exception as error:
            log.error("cannot check for interrupted scans: %s", _first_line(error))
            return
        finally:
            for database in self.databases:
                database.close()
        for run in interrupted:
            log.warning("scan %d (%s) started %s was interrupted: process %s ended during it; "
                        "marked interrupted", run.id, run.trigger,
                        run.started_at.strftime("%Y-%m-%d %H:%M:%S"), run.pid)

    def expire_quotes(self) -> None:
        """Sent quotes past their valid-until date become expired (the
        screens treat them so already); a failure here fails no scan."""
        try:
            expired = quotes.expire_quotes(clock.today())
        except Exception as error:
            log.error("quote expiry failed: %s", _first_line(error))
            return
        log.info("quotes expired: %d", expired)

    def mark_overdue_instalments(self) -> None:
        """Instalments newly past due and unpaid are marked overdue (the
        screens show them live); a failure here fails no scan."""
        try:
            marked = contracts.mark_overdue_instalments(clock.today())
        except Exception as error:
            log.error("overdue instalments check failed: %s", _first_line(error))
            return
        log.info("instalments newly overdue: %d", marked)

    def refresh_order_figures(self) -> None:
        """Sum every order again for the reports (they read the figures
        between runs); a failure here fails no scan."""
        try:
            result = order_figures.refresh(order_figures.FULL)
        except Exception as error:
            log.error("order figures refresh failed: %s", _first_line(error))
            return
        log.info("order figures refreshed: %d customers, %.2f s", result.customers, result.seconds)

    # ----- the schedule ----------------------------------------------------
    def run_on_schedule(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        log.info("worker started: schedule '%s', alert after %d months without orders",
                 self.schedule, self.months)
        if self._missed_a_run() and not self.stop_signal:
            self.run(churn.CATCH_UP)
        while not self.stop_signal:
            next_run = croniter(self.schedule, clock.now()).get_next(dt.datetime)
            log.info("next scan at %s", next_run.strftime("%Y-%m-%d %H:%M:%S"))
            if self._sleep_until(next_run):
                self.run(churn.SCHEDULE)
        log.info("worker stopped (%s)", self.stop_signal)
        return EXIT_OK

    def _on_signal(self, signum, frame) -> None:
        # Only a flag: a scan in progress finishes its transaction first.
        self.stop_signal = signal.Signals(signum).name

    def _missed_a_run(self) -> bool:
        """True when the last scheduled time passed with no scan after it
        (or no scan was ever made)."""
        try:
            last = churn.last_finished_run()
        except Exception as error:
            log.error("cannot read the last run: %s", _first_line(error))
            return False
        finally:
            for database in self.databases:
                database.close()
        previous = croniter(self.schedule, clock.now()).get_prev(dt.datetime)
        if last is None:
            log.info("no earlier scan recorded: catching up")
            return True
        if last.started_at < previous:
            log.info("the scan due at %s was missed (last scan %s): catching up",
                     previous.strftime("%Y-%m-%d %H:%M:%S"),
                     last.started_at.strftime("%Y-%m-%d %H:%M:%S"))
            return True
        return False

    def _sleep_until(self, moment: dt.datetime) -> bool:
        """Wait for `moment`; False when a stop signal came first."""
        while not self.stop_signal:
            remaining = (moment - clock.now()).total_seconds()
            if remaining <= 0:
                return True
            time.sleep(min(TICK_SECONDS, remaining))
        return False


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
