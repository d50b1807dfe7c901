"""The app's own look at the agenda: while a user is signed in, every
`INTERVAL_SECONDS` the agenda is read in a thread worker and the user is
told of what came due since the last look (a plan item whose day has come,
a service just assigned, an instalment now overdue ...)."""
from __future__ import annotations

from textual.app import App
from textual.worker import Worker

from crm_tui.i18n import t
from crm_tui.models.agenda import agenda, newly_due
from crm_tui.widgets.connection import connected

INTERVAL_SECONDS = 60.0


class AgendaCheck:
    def __init__(self, app: App):
        self.app = app
        # The keys of the items on the agenda at the last look; None before
        # the first look, which tells nothing (the agenda screen shows it).
        self.seen: set[tuple] | None = None
        self.timer = None

    def start(self) -> None:
        self.seen = None
        self.run()
        if self.timer is None:
            self.timer = self.app.set_interval(INTERVAL_SECONDS, self.run)

    def run(self) -> Worker:
        return self.app.run_worker(self._look, name="agenda-check", group="agenda-check",
                                   thread=True, exclusive=True, exit_on_error=False)

    def _look(self) -> None:
        app = self.app
        user = app.user
        if user is None or getattr(app, "locked", False):
            return  # told after signing in or unlocking
        try:
            with connected():
                now = agenda(user)
        except Exception:  # the next look tries again; the app goes on
            return
        before, self.seen = self.seen, {item.key for item in now.items}
        if before is None:
            return
        fresh = newly_due(before, now)
        if fresh:
            message = t("agenda.notify.new", count=len(fresh), first=fresh[0].text)
            app.call_from_thread(app.notify, message, title=t("agenda.notify.title"),
                                 severity="warning", timeout=30)


def start_agenda_timer(app: App) -> AgendaCheck:
    """Start the app's agenda look once; call when a user has signed in."""
    check = getattr(app, "agenda_check", None)
    if check is None:
        check = AgendaCheck(app)
        app.agenda_check = check
    check.start()
    return check
