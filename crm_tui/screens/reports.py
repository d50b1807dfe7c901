"""Reports (统计报表, M4): contribution, composition, services, churn.

One screen, one tab per report (F2-F5). Each report has its filters on top
(Enter runs it), a summary line, a table and a bar chart; Ctrl+O exports
the report's rows to CSV or XLSX. The figures come from models/reports.py,
computed by the database in a thread; the table pages through the computed
rows in memory, so sorting and searching them costs no new query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator, Sequence

from rich.cells import cell_len, set_cell_size
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static, TabbedContent, TabPane
from peewee import SQL
from textual_plotext import PlotextPlot

from crm_tui.i18n import t
from crm_tui.models.kinds import moment_text, money
from crm_tui import clock
from crm_tui.models import contracts, order_figures, reports
from crm_tui.models.base import database
from crm_tui.models.customers import Customer
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.validation import clean
from crm_tui.screens.list_export import start_export
from crm_tui.widgets.connection import in_thread, in_thread_cancellable
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable, QuerySource
from crm_tui.plain_text import plain
from crm_tui.widgets.plain import PlainStatic, plain_content

# Bars drawn for the contribution report: its biggest customers.
CHART_TOP = 8
LEGEND_NAME_CELLS = 10


def share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else ""


class ResultSource:
    """The rows of a computed report for a LazyTable: counted, searched and
    sorted in memory (a report's result is already the aggregate)."""

    id_key = "id"

    def __init__(self, columns: Sequence[Column]):
        self.columns = list(columns)
        self.rows: list[dict] = []
        self._view: tuple[Any, list[dict]] | None = None

    def set_rows(self, rows: list[dict]) -> None:
        self.rows = rows
        self._view = None

    def _select(self, filter_text: str, sort: Column | None, descending: bool) -> list[dict]:
        key = (id(self.rows), filter_text, sort.key if sort else None, descending)
        if self._view is not None and self._view[0] == key:
            return self._view[1]
        rows = self.rows
        if filter_text:
            text = filter_text.casefold()
            rows = [row for row in rows
                    if any(text in column.text(row).casefold() for column in self.columns)]
        if sort is not None:
            rows = sorted(rows, key=lambda row: (row.get(sort.key) is None, row.get(sort.key)),
                          reverse=descending)
        self._view = (key, rows)
        return rows

    def count(self, filter_text: str) -> int:
        return len(self._select(filter_text, None, False))

    def fetch(self, filter_text: str, sort: Column | None, descending: bool,
              offset: int, limit: int) -> list[dict]:
        return self._select(filter_text, sort, descending)[offset:offset + limit]


@dataclass
class ReportResult:
    rows: list[dict]
    # (label, value) of each bar, in order.
    bars: list[tuple[str, float]] = field(default_factory=list)
    summary: str = ""
    # A report read page by page: the query of its rows for a table search.
    query: Any = None


def _short(text: str, cells: int) -> str:
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, cells - 1).rstrip() + "…"


class ReportPane(Vertical):
    """One report: filters, summary, table, chart. Subclasses say what."""

    key = ""
    columns: list[Column] = []

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.source = ResultSource(self.columns)
        self.result: ReportResult | None = None
        self.ran = False
        # The filters of the last run: a Select that says "changed" without
        # a new value (its options were filled in) runs nothing again.
        self.ran_with: dict[str, Any] | None = None

    # ----- building ----------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(classes="report-filters"):
            yield from self.filter_widgets()
        yield PlainStatic(t("report.running"), classes="report-summary")
        with Vertical(classes="report-body"):
            yield LazyTable(self.source, id=f"{self.key}-table")
            yield PlotextPlot(classes="report-chart")
            yield PlainStatic("", classes="report-legend")

    def filter_widgets(self) -> ComposeResult:
        yield from ()

    def focus_first(self) -> None:
        focusable = [widget for widget in self.query("Input, Select") if widget.focusable]
        (focusable[0] if focusable else self.query_one(LazyTable)).focus()

    # ----- what each report does (in a thread) ------------------------
    def filter_values(self) -> dict[str, Any]:
        """The filters as typed (read on the UI thread)."""
        return {widget.id.removeprefix(f"{self.key}-"): widget.value
                for widget in self.query(".report-filter")}

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        raise NotImplementedError

    def export_rows(self) -> tuple[list[str], Iterator[tuple]]:
        """Headers and rows of the report as last run (generated as written)."""
        headers = [t(column.label_key) for column in self.columns]
        rows, columns = self.source.rows, self.columns
        return headers, (tuple(row.get(column.key) for column in columns) for row in rows)

    # ----- running -----------------------------------------------------
    @work(exclusive=True, group="report-run")
    async def run(self) -> None:
        self.ran = True
        summary = self.query_one(".report-summary", Static)
        summary.remove_class("-error")
        summary.update(t("report.running"))
        self.ran_with = values = self.filter_values()
        try:
            # A newer run cancels this one, and with it the scan it started.
            result = await in_thread_cancellable(self.compute, self.app.user, values)
        except ValidationError as error:
            summary.add_class("-error")
            summary.update("; ".join(f"{t(self.filter_label(name))}: {message}"
                                     for name, message in error.errors.items()))
            return
        except CrmError as error:
            summary.add_class("-error")
            summary.update(str(error))
            return
        self.result = result
        self.show_rows(result)
        self.query_one(LazyTable).reload()
        summary.update(result.summary)
        self.draw_chart(result.bars)

    def show_rows(self, result: ReportResult) -> None:
        self.source.set_rows(result.rows)

    def export_count(self) -> int:
        return len(self.source.rows)

    def filter_label(self, name: str) -> str:
        return f"report.filter.{name}"

    def draw_chart(self, bars: list[tuple[str, float]]) -> None:
        plot = self.query_one(PlotextPlot)
        legend = self.query_one(".report-legend", Static)
        plt = plot.plt
        plt.clear_figure()
        if not bars:
            legend.update(t("report.no_data"))
            plot.refresh()
            return
        # Labels are names from the database: drawn as plain text.
        labels = [plain(label) for label, _value in bars]
        # Plotext measures text by characters, not terminal cells: Chinese
        # labels would push the axis out of line. Such bars are numbered and
        # named in the legend line below the chart instead.
        if all(label.isascii() for label in labels):
            legend.update("")
        else:
            legend.update("  ".join(f"{number} {_short(label, LEGEND_NAME_CELLS)}"
                                    for number, label in enumerate(labels, start=1)))
            labels = [str(number) for number in range(1, len(labels) + 1)]
        plt.bar(labels, [float(value) for _label, value in bars], width=0.6)
        plot.refresh()


class ContributionSource:
    """The contribution report's rows for a LazyTable, read page by page
    from the database (a hundred thousand customers are never all read):
    the report's query for the last filters, searched by customer name
    within the table. In the report's own order the first column is each
    customer's rank."""

    id_key = "id"

    def __init__(self, columns: Sequence[Column]):
        self.columns = list(columns)
        self._pages: QuerySource | None = None

    def set_query(self, query_for_filter: Any) -> None:
        self._pages = QuerySource(query_for_filter, self.columns)

    def count(self, filter_text: str) -> int:
        return self._pages.count(filter_text) if self._pages else 0

    def fetch(self, filter_text: str, sort: Column | None, descending: bool,
              offset: int, limit: int) -> list[dict]:
        if self._pages is None:
            return []
        rows = self._pages.fetch(filter_text, sort, descending, offset, limit)
        for position, row in enumerate(rows, start=offset + 1):
            row["rank"] = position if sort is None else None
        return rows


class ContributionPane(ReportPane):
    key = "contribution"
    columns = [
        Column("rank", "report.column.rank", 4),
        Column("number", "report.column.number", 13, Customer.number),
        Column("name", "report.column.customer", 22, Customer.name),
        Column("manager", "report.column.manager", 8, SQL("manager")),
        Column("orders", "report.column.orders", 6, SQL("orders")),
        Column("amount", "report.column.amount", 16, SQL("amount"), format=money),
    ]
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.source = ContributionSource(self.columns)
        self.customers = 0
        # Ctrl+R: sum the recent orders again now, however fresh the figures.
        self.refresh_asked = False

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.name"))
        yield Input(id="contribution-name", classes="report-filter report-text")
        yield Label(t("report.filter.year"))
        yield Input(id="contribution-year", classes="report-filter report-year", max_length=4,
                    placeholder=t("report.filter.all"))

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        data = clean(reports.CONTRIBUTION_FILTERS, values)
        name, year = data["name"], data["year"]
        asked, self.refresh_asked = self.refresh_asked, False
        reports.update_order_figures(user, now=asked)
        customers, total = reports.contribution_summary(user, name, year)

        def query_for_filter(text: str) -> Any:
            return reports.contribution_query(user, f"{name} {text}".strip() if text else name, year)

        bars = [(row.name, row.amount) for row in reports.iter_contribution(user, name, year, CHART_TOP)]
        period = t("report.year", year=year) if year else t("report.all_years")
        summary = t("report.contribution.summary", customers=customers, amount=money(total),
                    period=period)
        as_of = order_figures.figures_as_of()
        if as_of is not None:
            summary += "  " + t("report.as_of", moment=moment_text(as_of))
        result = ReportResult([], bars, summary)
        result.query = query_for_filter
        self.customers = customers
        return result

    def show_rows(self, result: ReportResult) -> None:
        self.source.set_query(result.query)

    def export_count(self) -> int:
        return self.customers

    def export_rows(self) -> tuple[list[str], Iterator[tuple]]:
        headers = [t(column.label_key) for column in self.columns]
        query_for_filter = self.result.query

        def rows() -> Iterator[tuple]:
            ranked = enumerate(database.execute(query_for_filter("")), start=1)
            for rank, (_id, number, name, manager, orders, amount) in ranked:
                yield rank, number, name, manager, orders, amount

        return headers, rows()

    def filter_label(self, name: str) -> str:
        return "report.filter.name" if name == "name" else f"report.filter.{name}"


class CompositionPane(ReportPane):
    key = "composition"
    columns = [
        Column("label", "report.column.category", 16, "label"),
        Column("count", "report.column.customers", 10, "count"),
        Column("share", "report.column.share", 8, None),
    ]

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.dimension"))
        options = [(t(f"report.dimension.{name}"), name) for name in reports.DIMENSIONS]
        yield Select(options, value=reports.LEVEL, allow_blank=False, id="composition-dimension",
                     classes="report-filter report-select")

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        dimension = values["dimension"]
        counts = reports.composition(user, dimension)
        total = sum(row.count for row in counts)
        rows = [{"id": position, "label": row.label, "count": row.count,
                 "share": share(row.count, total)}
                for position, row in enumerate(counts, start=1)]
        summary = t("report.composition.summary", customers=total,
                    dimension=t(f"report.dimension.{dimension}"))
        return ReportResult(rows, [(row.label, row.count) for row in counts], summary)


class ServicePane(ReportPane):
    key = "services"
    columns = [
        Column("label", "report.column.service_type", 16, "label"),
        Column("count", "report.column.services", 10, "count"),
        Column("share", "report.column.share", 8, None),
    ]

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.year"))
        yield Input(id="services-year", classes="report-filter report-year", max_length=4,
                    placeholder=t("report.filter.all"))
        yield Label(t("report.filter.date_from"))
        yield Input(id="services-date_from", classes="report-filter report-date", max_length=10,
                    placeholder="YYYY-MM-DD")
        yield Label(t("report.filter.date_to"))
        yield Input(id="services-date_to", classes="report-filter report-date", max_length=10,
                    placeholder="YYYY-MM-DD")

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        first, last = reports.service_dates(values)
        counts = reports.service_composition(user, first, last)
        total = sum(row.count for row in counts)
        rows = [{"id": position, "label": row.label, "count": row.count,
                 "share": share(row.count, total)}
                for position, row in enumerate(counts, start=1)]
        period = t("report.range", first=first or "…", last=last or "…") if first or last \
            else t("report.all_dates")
        summary = t("report.services.summary", services=total, period=period)
        return ReportResult(rows, [(row.label, row.count) for row in counts], summary)


class ChurnPane(ReportPane):
    key = "churn"
    columns = [
        Column("lost_date", "report.column.lost_date", 10, "lost_date"),
        Column("number", "report.column.number", 13, "number"),
        Column("customer", "report.column.customer", 18, "customer"),
        Column("manager", "report.column.manager", 8, "manager"),
        Column("reason", "report.column.reason", 24, "reason"),
    ]

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.customer"))
        yield Input(id="churn-customer", classes="report-filter report-text")
        yield Label(t("report.filter.manager"))
        yield Select([], prompt=t("report.all_managers"), id="churn-manager",
                     classes="report-filter report-select")

    def on_mount(self) -> None:
        self.load_managers()

    @work(group="churn-managers")
    async def load_managers(self) -> None:
        try:
            managers = await in_thread(reports.churn_managers, self.app.user)
        except CrmError:
            return
        self.query_one("#churn-manager", Select).set_options(
            [(plain_content(name, multiline=False), manager_id) for manager_id, name in managers])

    def filter_values(self) -> dict[str, Any]:
        values = super().filter_values()
        if values["manager"] is Select.NULL:
            values["manager"] = None
        return values

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        data = clean(reports.CHURN_FILTERS, {"customer": values["customer"]})
        manager = values["manager"]
        rows = [{"id": row.alert_id, **row._asdict()}
                for row in reports.iter_churn(user, data["customer"], manager)]
        months = reports.churn_by_month(user, data["customer"], manager)
        summary = t("report.churn.summary", count=len(rows))
        return ReportResult(rows, [(row.label, row.count) for row in months], summary)


class SignedContractsPane(ReportPane):
    """Contracts signed by month and account manager (M11)."""

    key = "signed"
    columns = [
        Column("month", "report.column.month", 6, "month"),
        Column("manager", "report.column.manager", 10, "manager"),
        Column("count", "report.column.contracts", 8, "count"),
        Column("amount", "report.column.amount", 16, "amount", format=money),
    ]

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.year"))
        yield Input(str(clock.today().year), id="signed-year",
                    classes="report-filter report-year", max_length=4)

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        year = clean(reports.CONTRIBUTION_FILTERS, {"name": "", "year": values["year"]})["year"]
        year = year or clock.today().year
        found = contracts.signed_by_month(user, year)
        rows = [{"id": index, **row.__dict__} for index, row in enumerate(found, start=1)]
        by_month: dict[int, Decimal] = {}
        for row in found:
            by_month[row.month] = by_month.get(row.month, Decimal(0)) + row.amount
        total = sum(by_month.values(), Decimal(0))
        summary = t("report.signed.summary", year=year, count=sum(row.count for row in found),
                    amount=money(total))
        return ReportResult(rows, [(str(month), amount) for month, amount in by_month.items()],
                            summary)


class ReceivablesPane(ReportPane):
    """Receivables of contracts in force: due, received, outstanding, and
    what is overdue by age (1-30, 31-90, over 90 days)."""

    key = "receivables"
    columns = [
        Column("number", "contract.number", 13, "number"),
        Column("customer", "report.column.customer", 14, "customer"),
        Column("due", "report.column.due", 12, "due", format=money),
        Column("received", "report.column.received", 12, "received", format=money),
        Column("outstanding", "report.column.outstanding", 12, "outstanding", format=money),
        *[Column(f"overdue_{index}", f"report.column.overdue_{index}", 12, f"overdue_{index}",
                 format=money) for index in range(len(contracts.AGE_BUCKETS))],
    ]

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        rows = []
        buckets = [Decimal(0)] * len(contracts.AGE_BUCKETS)
        for row in contracts.receivables(user):
            rows.append({"id": row.contract_id, "number": row.number, "customer": row.customer,
                         "due": row.due, "received": row.received,
                         "outstanding": row.outstanding,
                         **{f"overdue_{index}": amount
                            for index, amount in enumerate(row.overdue)}})
            buckets = [total + amount for total, amount in zip(buckets, row.overdue)]
        summary = t("report.receivables.summary", contracts=len(rows),
                    outstanding=money(sum((row["outstanding"] for row in rows), Decimal(0))),
                    overdue=money(sum(buckets, Decimal(0))))
        bars = [(t(f"report.column.overdue_{index}"), amount)
                for index, amount in enumerate(buckets)]
        return ReportResult(rows, bars, summary)


PANES: dict[str, type[ReportPane]] = {
    pane.key: pane for pane in (ContributionPane, CompositionPane, ServicePane, ChurnPane,
                                SignedContractsPane, ReceivablesPane)}
FUNCTION_KEYS = ("f2", "f3", "f4", "f5", "f6", "f7")


class ReportsScreen(Screen):
    """The reports, one tab each."""

    BINDINGS = [
        # The tab bar shows these keys; the footer keeps room for the others.
        *[Binding(key, f"show('{name}')", t(f"report.{name}.tab"), show=False,
                  id=f"reports.{name}")
          for key, name in zip(FUNCTION_KEYS, PANES)],
        Binding("ctrl+r", "run", "report.run", id="reports.run"),
        Binding("ctrl+o", "export", "report.export", id="reports.export"),
        Binding("ctrl+g", "layout", "report.layout", id="reports.layout"),
    ]

    LAYOUTS = ("", "-table-only", "-chart-only")

    def __init__(self, report: str = "contribution"):
        super().__init__()
        self.initial = report
        self.layout_index = 0

    def compose(self) -> ComposeResult:
        yield Static(t("report.title"), classes="screen-title")
        # Only the report shown is built now; each other one when its tab
        # is first opened (a report's filters, table and chart are dozens
        # of widgets, and most visits look at one report).
        with TabbedContent(initial=f"tab-{self.initial}", id="report-tabs"):
            for key, pane in zip(FUNCTION_KEYS, PANES.values()):
                with TabPane(f"{key.upper()} {t(f'report.{pane.key}.tab')}", id=f"tab-{pane.key}"):
                    if pane.key == self.initial:
                        yield self.new_pane(pane.key)
        yield CrmFooter()

    def new_pane(self, key: str) -> ReportPane:
        return PANES[key](id=f"report-{key}", classes="report-pane")

    @property
    def active_key(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    @property
    def pane(self) -> ReportPane:
        return self.query_one(f"#report-{self.active_key}", ReportPane)

    async def on_mount(self) -> None:
        await self._activated()

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self) -> None:
        await self._activated()

    async def _activated(self) -> None:
        key = self.active_key
        tab = self.query_one(f"#tab-{key}", TabPane)
        if not tab.query(ReportPane):
            await tab.mount(self.new_pane(key))
            self._show_layout()
        pane = self.pane
        if not pane.ran:
            pane.run()
        pane.focus_first()

    # ----- filters run the report -------------------------------------
    @on(Input.Submitted, ".report-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pane.run()

    @on(Select.Changed, ".report-filter")
    def _filter_changed(self, event: Select.Changed) -> None:
        """A choice made in a report's Select runs that report (not the
        active one: the churn report fills its manager list in the
        background, whichever tab is shown)."""
        event.stop()
        pane = next(node for node in event.select.ancestors if isinstance(node, ReportPane))
        if pane.ran and pane.filter_values() != pane.ran_with:
            pane.run()

    @on(LazyTable.RowChosen)
    def _row_chosen(self, event: LazyTable.RowChosen) -> None:
        """Enter on a customer's row (contribution, churn) opens the customer."""
        event.stop()
        row = event.table.current_row or {}
        if row.get("number"):
            customer = Customer.get_or_none(Customer.number == row["number"])
            if customer is not None:
                self.app.open_customer(customer)

    # ----- actions -----------------------------------------------------
    def action_show(self, name: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{name}"

    def action_run(self) -> None:
        pane = self.pane
        if isinstance(pane, ContributionPane):
            pane.refresh_asked = True
        pane.run()

    def action_layout(self) -> None:
        """Table and chart; the table alone; the chart alone."""
        self.layout_index = (self.layout_index + 1) % len(self.LAYOUTS)
        self._show_layout()

    def _show_layout(self) -> None:
        for body in self.query(".report-body"):
            body.set_class(False, *filter(None, self.LAYOUTS))
            if self.LAYOUTS[self.layout_index]:
                body.add_class(self.LAYOUTS[self.layout_index])

    def action_export(self) -> None:
        """Write the report's rows, as last run, to a CSV or XLSX file."""
        pane = self.pane
        if pane.result is None:
            self.notify(t("report.export.nothing"), severity="warning")
            return
        headers, rows = pane.export_rows()
        count = pane.export_count()
        start_export(self.app, lambda: (headers, rows, count), pane.key)


__all__ = ["ReportsScreen", "ResultSource"]
