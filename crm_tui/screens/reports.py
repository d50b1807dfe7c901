"""Reports (统计报表): contribution, composition, services, churn (M4);
contracts signed and receivables (M11); funnel, forecast, performance (M15).

One screen, one tab per report (F2-F10). Each report has its filters on top
(Enter runs it), a summary line, a table and a bar chart (widgets/bars.py:
labels beside the bars, the funnel centred); Ctrl+O exports the report's
rows to CSV or XLSX. The figures come from models/reports.py,
computed by the database in a thread; the table pages through the computed
rows in memory, so sorting and searching them costs no new query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterator, Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static, TabbedContent, TabPane
from peewee import SQL

from crm_tui.i18n import t
from crm_tui.models.kinds import moment_text, money
from crm_tui import clock
from crm_tui.models import contracts, funnel, order_figures, reports
from crm_tui.models.base import database
from crm_tui.models.customers import Customer
from crm_tui.models.errors import CrmError, ValidationError
from crm_tui.models.validation import clean
from crm_tui.screens.list_export import start_export
from crm_tui.widgets.connection import in_thread, in_thread_cancellable
from crm_tui.widgets.footer import CrmFooter
from crm_tui.widgets.lazy_table import Column, LazyTable
from crm_tui.widgets.query_source import QuerySource
from crm_tui.widgets.bars import BarChart
from crm_tui.widgets.plain import PlainStatic, plain_content

# Bars drawn for the contribution report: its biggest customers.
CHART_TOP = 8


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
    bars: list[tuple[str, Any]] = field(default_factory=list)
    summary: str = ""
    # A report read page by page: the query of its rows for a table search.
    query: Any = None
    # The bars are amounts of money (written with 万 in Chinese) / a funnel.
    money: bool = False
    centred: bool = False


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
            with VerticalScroll(classes="report-chart"):
                yield BarChart(id=f"{self.key}-chart")

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
        self.draw_chart(result)
        self.after_run()

    def after_run(self) -> None:
        """What a report does once it is shown (nothing, unless it says)."""

    def show_rows(self, result: ReportResult) -> None:
        self.source.set_rows(result.rows)

    def export_count(self) -> int:
        return len(self.source.rows)

    def filter_label(self, name: str) -> str:
        return f"report.filter.{name}"

    def draw_chart(self, result: ReportResult) -> None:
        self.query_one(BarChart).show(result.bars, money=result.money, centred=result.centred)


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
        self._customers: int | None = None

    def set_query(self, query_for_filter: Any, customers: int) -> None:
        """The report's rows, and their number (its summary counted them)."""
        self._pages = QuerySource(query_for_filter, self.columns)
        self._customers = customers

    def count(self, filter_text: str) -> int:
        if self._pages is None:
            return 0
        if not filter_text and self._customers is not None:
            # Counted with the summary a moment ago: not again (a second
            # scan of a million customers). A later reload counts anew.
            customers, self._customers = self._customers, None
            return self._pages.counted(filter_text, customers)
        return self._pages.count(filter_text)

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
        # The report was shown from stale figures: sum them again, then run again.
        self.refresh_after = False

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
        wait = True if asked else reports.order_figures_to_wait_for(user)
        if wait:
            reports.update_order_figures(user, now=asked)
        self.refresh_after = wait is False
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
        if self.refresh_after:
            summary += "  " + t("report.refreshing")
        result = ReportResult([], bars, summary, money=True)
        result.query = query_for_filter
        self.customers = customers
        return result

    def show_rows(self, result: ReportResult) -> None:
        self.source.set_query(result.query, self.customers)

    def after_run(self) -> None:
        if self.refresh_after:
            self.refresh_after = False
            self.refresh_figures()

    @work(thread=True, exclusive=True, exit_on_error=False, group="report-figures")
    def refresh_figures(self) -> None:
        """Sum the recent orders again behind the report shown from stale
        figures, then show it again from the new ones."""
        reports.update_order_figures(self.app.user)
        self.app.call_from_thread(self.run)

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


class ManagerFilter:
    """A report filtered to one account manager or all; `managers_of(user)`
    gives the choices, as (id, name)."""

    # The managers whose figures the user may read (an account manager: only
    # themselves); the churn report lists those with churns instead.
    managers_of = staticmethod(funnel.report_managers)

    def manager_filter(self) -> ComposeResult:
        yield Label(t("report.filter.manager"))
        yield Select([], prompt=t("report.all_managers"), id=f"{self.key}-manager",
                     classes="report-filter report-select")

    def on_mount(self) -> None:
        self.load_managers()

    @work(group="report-managers")
    async def load_managers(self) -> None:
        try:
            managers = await in_thread(self.managers_of, self.app.user)
        except CrmError:
            return
        self.query_one(f"#{self.key}-manager", Select).set_options(
            [(plain_content(name, multiline=False), manager_id) for manager_id, name in managers])

    def filter_values(self) -> dict[str, Any]:
        values = super().filter_values()
        if values.get("manager") is Select.NULL:
            values["manager"] = None
        return values


class ChurnPane(ManagerFilter, ReportPane):
    key = "churn"
    managers_of = staticmethod(reports.churn_managers)
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
        yield from self.manager_filter()

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
        return ReportResult(rows, [(f"{year}-{month:02d}", amount)
                                   for month, amount in by_month.items()],
                            summary, money=True)


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
        return ReportResult(rows, bars, summary, money=True)


def _percent(part: Decimal | None, whole: Decimal | None) -> str:
    if part is None or not whole:
        return ""
    return f"{Decimal(part) * 100 / Decimal(whole):.1f}%"


def _year(values: dict[str, Any]) -> int:
    year = clean(reports.CONTRIBUTION_FILTERS, {"name": "", "year": values["year"]})["year"]
    return year or clock.today().year


class FunnelPane(ManagerFilter, ReportPane):
    """销售漏斗: per stage, how many stand there and came this far."""

    key = "funnel"
    columns = [
        Column("label", "report.column.stage", 12, "label"),
        Column("rate", "report.column.rate", 5, "rate"),
        Column("now", "report.column.now", 6, "now"),
        Column("amount", "report.column.expected", 16, "amount", format=money),
        Column("reached", "report.column.reached", 7, "reached"),
        Column("conversion", "report.column.conversion", 7, "conversion"),
    ]

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.date_from"))
        yield Input(id="funnel-date_from", classes="report-filter report-date", max_length=10,
                    placeholder="YYYY-MM-DD")
        yield Label(t("report.filter.date_to"))
        yield Input(id="funnel-date_to", classes="report-filter report-date", max_length=10,
                    placeholder="YYYY-MM-DD")
        yield from self.manager_filter()

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        dates = clean(funnel.PERIOD_FILTERS, {"date_from": values["date_from"],
                                              "date_to": values["date_to"]})
        first, last = dates["date_from"], dates["date_to"]
        found = funnel.funnel(user, first, last, values["manager"])
        rows = [{"id": index, "label": row.label,
                 "rate": "" if row.rate is None else f"{row.rate}%", "now": row.now,
                 "amount": row.amount, "reached": row.reached,
                 "conversion": "" if row.conversion is None else f"{row.conversion}%"}
                for index, row in enumerate(found.rows, start=1)]
        period = t("report.range", first=first or "…", last=last or "…") if first or last \
            else t("report.all_dates")
        summary = t("report.funnel.summary", total=found.total, won=found.rows[-1].now,
                    failed=found.failed, period=period)
        # The funnel: how many came this far, narrowing step by step.
        bars = [(row.label, row.reached) for row in found.rows]
        return ReportResult(rows, bars, summary, centred=True)


class ForecastPane(ManagerFilter, ReportPane):
    """销售额预测: open opportunities by month of expected close."""

    key = "forecast"
    columns = [
        Column("month", "report.column.month", 7, "month"),
        Column("count", "report.column.count", 5, "count"),
        Column("expected", "report.column.expected", 15, "expected", format=money),
        Column("weighted", "report.column.weighted", 15, "weighted", format=money),
        Column("target", "report.column.target", 15, "target", format=money),
        Column("of_target", "report.column.of_target", 7, "of_target"),
    ]

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.from_month"))
        yield Input(id="forecast-month", classes="report-filter report-month", max_length=7,
                    placeholder=f"{clock.today():%Y-%m}")
        yield from self.manager_filter()

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        first = funnel.forecast_start({"month": values["month"]})
        found = funnel.forecast(user, first, values["manager"])
        rows = [{"id": index, **row._asdict(), "of_target": _percent(row.weighted, row.target)}
                for index, row in enumerate(found, start=1)]
        total = {name: sum((getattr(row, name) or Decimal(0) for row in found), Decimal(0))
                 for name in ("expected", "weighted", "target")}
        summary = t("report.forecast.summary", first=found[0].month, last=found[-1].month,
                    count=sum(row.count for row in found),
                    expected=money(total["expected"]), weighted=money(total["weighted"]),
                    target=money(total["target"]))
        bars = [(row.month, row.weighted) for row in found]
        return ReportResult(rows, bars, summary, money=True)


class PerformancePane(ManagerFilter, ReportPane):
    """销售业绩: per manager and month, against the targets."""

    key = "performance"
    columns = [
        Column("month", "report.column.month", 7, "month"),
        Column("manager", "report.column.manager", 8, "manager"),
        Column("contracts", "report.column.contracts_signed", 6, "contracts"),
        Column("signed", "report.column.signed", 14, "signed", format=money),
        Column("target", "report.column.target", 14, "target", format=money),
        Column("of_target", "report.column.of_target", 7, "of_target"),
        Column("payments", "report.column.payments", 14, "payments", format=money),
        Column("payments_target", "target.payments", 14, "payments_target", format=money),
        Column("new_customers", "report.column.new_customers", 6, "new_customers"),
        Column("new_target", "target.new_customers", 6, "new_target"),
        Column("interactions", "report.column.interactions", 6, "interactions"),
        Column("interactions_target", "target.interactions", 6, "interactions_target"),
    ]

    def filter_widgets(self) -> ComposeResult:
        yield Label(t("report.filter.year"))
        yield Input(str(clock.today().year), id="performance-year",
                    classes="report-filter report-year", max_length=4)
        yield from self.manager_filter()

    def compute(self, user: Any, values: dict[str, Any]) -> ReportResult:
        year = _year(values)
        found = funnel.performance(user, year, values["manager"])
        rows = []
        signed_by_manager: dict[str, Decimal] = {}
        for index, row in enumerate(found, start=1):
            target = row.target
            rows.append({
                "id": index, "month": row.month, "manager": row.manager,
                "contracts": row.contracts, "signed": row.signed,
                "target": target.amount if target else None,
                "of_target": _percent(row.signed, target.amount if target else None),
                "payments": row.payments,
                "payments_target": target.payments if target else None,
                "new_customers": row.new_customers,
                "new_target": target.new_customers if target else None,
                "interactions": row.interactions,
                "interactions_target": target.interactions if target else None})
            signed_by_manager[row.manager] = signed_by_manager.get(row.manager, Decimal(0)) \
                + row.signed
        summary = t("report.performance.summary", year=year,
                    contracts=sum(row.contracts for row in found),
                    signed=money(sum((row.signed for row in found), Decimal(0))),
                    payments=money(sum((row.payments for row in found), Decimal(0))))
        return ReportResult(rows, list(signed_by_manager.items()), summary, money=True)


PANES: dict[str, type[ReportPane]] = {
    pane.key: pane for pane in (ContributionPane, CompositionPane, ServicePane, ChurnPane,
                                SignedContractsPane, ReceivablesPane, FunnelPane,
                                ForecastPane, PerformancePane)}
FUNCTION_KEYS = ("f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10")


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
            # The keys typed meanwhile wait (crm_tui.typeahead) until this
            # handler is done and the new tab's first filter has the focus.
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
