"""The app's own periodic churn scan: while a user is signed in, the scan
runs every churn.check_interval_minutes in a thread worker and the user is
told when new alerts concern their customers.

The churn screens are drawn from the record kind
(`crm_tui.models.churn.CHURN_ALERT`).
"""
from __future__ import annotations

from textual.app import App
from textual.worker import Worker

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import churn
from crm_tui.models.churn import new_alerts_since
from crm_tui.widgets.connection import connected


class ChurnCheck:
    """Runs the churn scan every churn.check_interval_minutes in a thread
    worker, and tells the signed-in user when new alerts concern their
    customers (raised by this scan or by any other since the last look)."""

    def __init__(self, app: App):
        self.app = app
        self.seen_until = clock.now()
        self.timer = None

    def start(self) -> None:
        minutes = self.app.config.churn.check_interval_minutes
        if minutes > 0 and self.timer is None:
            self.timer = self.app.set_interval(minutes * 60, self.run)

    def run(self) -> Worker:
        return self.app.run_worker(self._scan_and_tell, name="churn-scan", group="churn-scan",
                                   thread=True, exclusive=True, exit_on_error=False)

    def _scan_and_tell(self) -> None:
        app = self.app
        try:
            with connected():
                churn.run_scan(churn.APP, app.config.churn.months_without_orders,
                               app.config.churn.grace_days)
                user = app.user
                if user is None or getattr(app, "locked", False):
                    return  # told after signing in or unlocking
                now = clock.now()
                count = new_alerts_since(user, self.seen_until).count()
        except Exception as error:  # shown, never a crash of the app
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            app.call_from_thread(app.notify, t("churn.notify.failed", message=message),
                                 title=t("churn.notify.title"), severity="error")
            return
        self.seen_until = now
        if count:
            app.call_from_thread(app.notify, t("churn.notify.new", count=count),
                                 title=t("churn.notify.title"), severity="warning", timeout=30)


def start_churn_timer(app: App) -> ChurnCheck:
    """Start the app's churn check once (config churn.check_interval_minutes;
    0 leaves it off). Call when a user has signed in."""
    check = getattr(app, "churn_check", None)
    if check is None:
        check = ChurnCheck(app)
        app.churn_check = check
    check.start()
    return check
