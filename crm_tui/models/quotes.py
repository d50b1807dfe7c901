"""Quotes (报价管理): a quote to a customer, its lines of the sales system's
products, and its way from draft to accepted.

States: draft → sent → accepted | rejected | expired. Only a draft is
edited or deleted, its lines too. A sent quote whose valid-until date has
passed is expired: `expire_quotes(today)` writes that (the worker calls
it), and until it has, every check already treats such a quote as expired.
Sending records an interaction with the customer. Accepting drafts a
contract with the quote's total in the same transaction; the quote keeps a
link to it.

Every transition is one method: it checks the actor's right and the
quote's state (the state graph below), then writes with a conditional
UPDATE on status and version, with an audit row, in one transaction.
Money is Decimal throughout; a line's amount is quantity × unit price less
the discount, rounded half up to the cent.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from peewee import (SQL, Case, CharField, DateField, DateTimeField, DecimalField,
                    ForeignKeyField, IntegerField, TextField, fn)

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import BaseModel, database
from crm_tui.models.contracts import Contract
from crm_tui.models.customers import Customer, Interaction, customer_text_match
from crm_tui.models.errors import ConcurrentEdit, InvalidTransition, NotFound, PermissionDenied, ValidationError
from crm_tui.models.filters import user_match, words_in
from crm_tui.models.kinds import (CHOICE, DATE, LOOKUP, NUMBER, TEXT, Action, Column, FilterField,
                                  MailFile, RecordKind, Transitions, day_text, labelled_choices,
                                  moment_text, money, register, user_name)
from crm_tui.models.numbering import next_number
from crm_tui.models.sales import Opportunity
from crm_tui.models.sales_system import Product
from crm_tui.models.users import User, require, scoped
from crm_tui.models.validation import Field, clean
from crm_tui.models.workflow import StateMachine, Visible, record_id, visible_through

DRAFT, SENT, ACCEPTED, REJECTED, EXPIRED = "draft", "sent", "accepted", "rejected", "expired"
QUOTE_STATUSES = (DRAFT, SENT, ACCEPTED, REJECTED, EXPIRED)
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
# The opportunity choice of a quote lists at most this many.
OPPORTUNITY_CHOICES_LIMIT = 500
# A contract drafted from a quote runs for a year from the day of acceptance
# until the account manager edits its dates.
CONTRACT_DAYS = 365
# A new quote is valid for this many days unless the form says otherwise.
DEFAULT_VALID_DAYS = 30

QUOTE_TRANSITIONS = Transitions([
    (DRAFT, "edit", DRAFT), (DRAFT, "lines", DRAFT), (DRAFT, "delete", None),
    (DRAFT, "send", SENT),
    (SENT, "accept", ACCEPTED), (SENT, "reject", REJECTED), (SENT, "expire", EXPIRED),
])


def status_label(status: str) -> str:
    return t(f"quote.status.{status}")


def line_amount(quantity: int, unit_price: Decimal, discount: Decimal) -> Decimal:
    """Quantity × unit price less the discount (percent), to the cent."""
    gross = Decimal(quantity) * Decimal(unit_price)
    return (gross * (HUNDRED - Decimal(discount)) / HUNDRED).quantize(CENT, ROUND_HALF_UP)


# ----- form choices ------------------------------------------------------------

def _customer_choices(user: User) -> list[tuple[int, str]]:
    query = (Customer.visible_to(user).select(Customer.id, Customer.name)
             .order_by(Customer.name))
    return [(customer_id, name) for customer_id, name in query.tuples()]


def _opportunities_for(user: User, customer: Customer | None):
    """Assigned opportunities `user` may see; of `customer` when given: the
    customer its success created, or one of the same name."""
    query = Opportunity.visible_to(user).where(Opportunity.assigned_to.is_null(False))
    if customer is not None:
        query = query.where((Opportunity.customer == customer.id)
                            | (Opportunity.customer_name == customer.name))
    return query


def _opportunity_choices(user: User, customer_id: int | None) -> list[tuple[int, str]]:
    customer = Customer.get_or_none(Customer.id == customer_id) if customer_id else None
    query = (_opportunities_for(user, customer)
             .order_by(Opportunity.id.desc()).limit(OPPORTUNITY_CHOICES_LIMIT))
    return [(opportunity.id, f"{opportunity.customer_name}: {opportunity.summary}")
            for opportunity in query]


def _product_label(product: Product) -> str:
    model = f" {product.model}" if product.model else ""
    return f"{product.name}{model} ({money(product.price)}/{product.unit})"


def search_products(text: str, limit: int) -> list[tuple[int, str]]:
    """Products whose name or model holds every word of `text`, by name:
    what the line's product picker lists (there are thousands)."""
    query = Product.select().order_by(Product.name, Product.id).limit(limit)
    for word in text.split():
        query = query.where(Product.name.contains(word) | Product.model.contains(word))
    return [(product.id, _product_label(product)) for product in query]


def describe_product(product_id: Any) -> str:
    product = Product.get_or_none(Product.id == record_id(product_id))
    return _product_label(product) if product else ""


def quote_fields(actor: User | None, customer_id: int | None = None,
                 new: bool = True) -> tuple[Field, ...]:
    fields = [
        Field("valid_until", "quote.valid_until", kind="date", required=True),
        Field("opportunity", "quote.opportunity", kind="choice",
              choices=lambda: _opportunity_choices(actor, customer_id)),
        Field("note", "quote.note", max_length=2000, multiline=True),
    ]
    if new:
        fields.insert(0, Field("customer", "quote.customer", kind="choice", required=True,
                               choices=lambda: _customer_choices(actor)))
    return tuple(fields)


LINE_FIELDS = (
    Field("product", "quote_line.product", kind="choice", required=True,
          search=search_products, describe=describe_product),
    Field("quantity", "quote_line.quantity", kind="int", required=True),
    Field("unit_price", "quote_line.unit_price", kind="decimal"),
    Field("discount", "quote_line.discount", kind="decimal"),
)


class Quote(Visible, StateMachine, BaseModel):
    number = CharField(max_length=20, unique=True)
    customer = ForeignKeyField(Customer, backref="quotes", on_delete="RESTRICT")
    opportunity = ForeignKeyField(Opportunity, null=True, backref="+", on_delete="SET NULL")
    valid_until = DateField(index=True)
    note = TextField(default="")
    status = CharField(max_length=12, default=DRAFT, index=True)
    # The contract drafted when the quote was accepted.
    contract = ForeignKeyField(Contract, null=True, backref="+", on_delete="SET NULL")
    created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    created_at = DateTimeField(default=clock.now)
    sent_at = DateTimeField(null=True)
    version = IntegerField(default=1)

    i18n_prefix = "quote"
    status_label = staticmethod(status_label)
    transitions = QUOTE_TRANSITIONS

    def __str__(self) -> str:
        return self.number

    # ----- scope -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User | None):
        """All quotes with quote.view_all; else those of own customers."""
        query = cls.select().join(Customer, on=(cls.customer == Customer.id))
        return scoped(query, user, perm.QUOTE_VIEW_ALL, {perm.QUOTE_CREATE},
                      lambda own: Customer.manager == own.id)

    # ----- figures -----------------------------------------------------
    def total(self) -> Decimal:
        # Summed here, in Decimal: SQLite would sum the amounts as floats.
        return sum((Decimal(line.amount) for line in self.lines()), Decimal("0.00"))

    def lines(self):
        return QuoteLine.select().where(QuoteLine.quote == self.id).order_by(QuoteLine.id)

    def mail_file(self) -> MailFile | None:
        """The quote as a spreadsheet for the customer (SPEC M10: a sent
        quote is mailed as an XLSX attachment); None unless sent."""
        if self.status != SENT or self.is_past():
            return None
        headers = [t(key) for key in ("quote_line.product", "quote.mail.unit",
                                      "quote_line.quantity", "quote_line.unit_price",
                                      "quote_line.discount", "quote_line.amount")]
        rows = [(line.product_name, line.unit, line.quantity, Decimal(line.unit_price),
                 Decimal(line.discount), Decimal(line.amount)) for line in self.lines()]
        rows.append((t("quote.total"), "", None, None, None, self.total()))
        valid_until = day_text(self.valid_until)
        return MailFile(self.customer_id, t("quote.mail.file", number=self.number), headers,
                        rows, t("quote.mail.subject", number=self.number),
                        t("quote.mail.body", number=self.number, total=money(self.total()),
                          valid_until=valid_until))

    def is_past(self, today: dt.date | None = None) -> bool:
        return self.valid_until < (today or clock.today())

    def shown_status(self, today: dt.date | None = None) -> str:
        """The state as it stands today: a sent quote past its valid-until
        date is expired even before the worker has written so."""
        if self.status == SENT and self.is_past(today):
            return EXPIRED
        return self.status

    # ----- checks (the screens ask these too) ---------------------------
    def check_owner(self, actor: User, action: str) -> None:
        """The right to quote, on an own customer's quote (read in the
        database, not from this copy); supervisors act on every quote."""
        require(actor, perm.QUOTE_CREATE)
        self._check_state(action)
        if action in ("accept", "reject") and self.is_past():
            raise InvalidTransition(t(f"quote.error.{action}", status=status_label(EXPIRED)))
        manager_id = (Customer.select(Customer.manager).where(Customer.id == self.customer_id)
                      .scalar())
        if manager_id != actor.id and not actor.has_perm(perm.QUOTE_VIEW_ALL):
            raise PermissionDenied(t("error.not_your_customer"))

    def check_acceptable_by(self, actor: User) -> None:
        """Whoever acts on the quote accepts it (SPEC M10: an account
        manager on own customers, supervisors on all); the contract draft
        it becomes is the account manager's (`Contract.draft_for_quote`)."""
        self.check_owner(actor, "accept")

    # ----- writes ------------------------------------------------------
    @classmethod
    def create_by(cls, actor: User, values: dict[str, Any]) -> "Quote":
        require(actor, perm.QUOTE_CREATE)
        data = clean(quote_fields(actor), values)
        customer = Customer.visible_to(actor).where(Customer.id == record_id(data["customer"])).first()
        if customer is None:
            raise ValidationError({"customer": t("error.not_a_choice")})
        if customer.manager_id != actor.id and not actor.has_perm(perm.QUOTE_VIEW_ALL):
            raise ValidationError({"customer": t("error.not_your_customer")})
        data["customer"] = customer.id
        data["opportunity"] = _checked_opportunity(actor, customer, data["opportunity"])
        _check_valid_until(data["valid_until"])
        with database.atomic():
            quote = cls.create(number=next_number(Quote.number, "BJ"), created_by=actor.id, created_at=clock.now(),
                               status=DRAFT, **data)
            audit.record(actor, "quote", quote.id, audit.CREATE)
        return quote

    def update_by(self, actor: User, values: dict[str, Any]) -> "Quote":
        self.check_owner(actor, "edit")
        data = clean(quote_fields(actor, self.customer_id, new=False), values, partial=True)
        if "opportunity" in data:
            customer = Customer.get_by_id(self.customer_id)
            data["opportunity"] = _checked_opportunity(actor, customer, data["opportunity"])
        if "valid_until" in data:
            _check_valid_until(data["valid_until"])
        with database.atomic():
            changes = audit.diff(self, data)
            self._change_state("edit", data)
            audit.record(actor, "quote", self.id, audit.UPDATE, changes)
        return Quote.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        self.check_owner(actor, "delete")
        with database.atomic():
            QuoteLine.delete().where(QuoteLine.quote == self.id).execute()
            self._delete_in_state("delete")
            audit.record(actor, "quote", self.id, audit.DELETE, {"number": (self.number, "")})

    def send_by(self, actor: User) -> "Quote":
        """已发送: a quote with lines, still valid, recorded as an
        interaction with the customer."""
        self.check_owner(actor, "send")
        if self.is_past():
            raise ValidationError({"valid_until": t("quote.error.past")})
        with database.atomic():
            # The row is held first, so no line changes while totalling.
            self._change_state("send", {"status": SENT, "sent_at": clock.now()})
            if not self.lines().exists():
                raise ValidationError({"lines": t("quote.error.no_lines")})
            total = self.total()
            interaction = Interaction.create(
                customer=self.customer_id, date=clock.today(), place=t("quote.interaction_place"),
                summary=t("quote.interaction_summary", number=self.number, total=money(total),
                          valid_until=day_text(self.valid_until)),
                detail="\n".join(line.text() for line in self.lines()), source="manual",
                created_by=actor.id, created_at=clock.now())
            audit.record(actor, "interaction", interaction.id, audit.CREATE)
            audit.record(actor, "quote", self.id, "send", {"total": (None, total)})
        return Quote.get_by_id(self.id)

    def accept_by(self, actor: User) -> "Quote":
        """已接受: the customer took the quote; a contract draft for its
        total is made in the same transaction and linked."""
        self.check_acceptable_by(actor)
        with database.atomic():
            self._change_state("accept", {"status": ACCEPTED},
                               Quote.valid_until >= clock.today())
            contract = Contract.draft_for_quote(actor, self._contract_values())
            Quote.update(contract=contract.id).where(Quote.id == self.id).execute()
            audit.record(actor, "quote", self.id, "accept", {"contract": (None, contract.number)})
        return Quote.get_by_id(self.id)

    def reject_by(self, actor: User) -> "Quote":
        self.check_owner(actor, "reject")
        with database.atomic():
            self._change_state("reject", {"status": REJECTED},
                               Quote.valid_until >= clock.today())
            audit.record(actor, "quote", self.id, "reject")
        return Quote.get_by_id(self.id)

    def _contract_values(self) -> dict[str, Any]:
        start = clock.today()
        lines = "\n".join(line.text() for line in self.lines())
        note = t("quote.contract_note", number=self.number, lines=lines)
        return {"title": t("quote.contract_title", number=self.number),
                "customer": self.customer_id, "amount": str(self.total()),
                "start_date": start.isoformat(),
                "end_date": (start + dt.timedelta(days=CONTRACT_DAYS)).isoformat(),
                "note": note[:2000]}

    def add_line_by(self, actor: User, values: dict[str, Any]) -> "QuoteLine":
        self.check_owner(actor, "lines")
        data = _clean_line(values)
        with database.atomic():
            self.hold("lines")
            line = QuoteLine.create(quote=self.id, **data)
            audit.record(actor, "quote_line", line.id, audit.CREATE,
                         {"product": (None, data["product_name"]),
                          "amount": (None, data["amount"])})
        return line


class QuoteLine(BaseModel):
    """One line of a quote: a product of the sales system (kept by id, name
    and unit as quoted, since the sales system may be another database)."""

    quote = ForeignKeyField(Quote, backref="quote_lines", on_delete="CASCADE")
    product_id = IntegerField()
    product_name = CharField(max_length=200)
    unit = CharField(max_length=10, default="")
    quantity = IntegerField()
    unit_price = DecimalField(max_digits=12, decimal_places=2)
    discount = DecimalField(max_digits=5, decimal_places=2, default=0)
    amount = DecimalField(max_digits=14, decimal_places=2)

    def text(self) -> str:
        discount = f" -{Decimal(self.discount).normalize():f}%" if self.discount else ""
        return (f"{self.product_name} × {self.quantity} {self.unit} @ {money(self.unit_price)}"
                f"{discount} = {money(self.amount)}")

    def quote_of(self) -> Quote:
        return Quote.get_by_id(self.quote_id)

    def update_by(self, actor: User, values: dict[str, Any]) -> "QuoteLine":
        quote = self.quote_of()
        quote.check_owner(actor, "lines")
        data = _clean_line(values)
        with database.atomic():
            quote.hold("lines")
            changes = audit.diff(self, data)
            QuoteLine.update(**data).where(QuoteLine.id == self.id).execute()
            audit.record(actor, "quote_line", self.id, audit.UPDATE, changes)
        return QuoteLine.get_by_id(self.id)

    def delete_by(self, actor: User) -> None:
        quote = self.quote_of()
        quote.check_owner(actor, "lines")
        with database.atomic():
            quote.hold("lines")
            if QuoteLine.delete().where(QuoteLine.id == self.id).execute() != 1:
                raise NotFound(t("error.not_found"))
            audit.record(actor, "quote_line", self.id, audit.DELETE,
                         {"product": (self.product_name, None)})


# ----- rules shared by the writes ---------------------------------------------

def _check_valid_until(valid_until: dt.date) -> None:
    if valid_until < clock.today():
        raise ValidationError({"valid_until": t("quote.error.past")})


def _checked_opportunity(actor: User, customer: Customer, value: Any) -> int | None:
    """An opportunity, if any, is an assigned one of the same customer that
    the actor may see."""
    if value is None:
        return None
    opportunity_id = record_id(value)
    found = _opportunities_for(actor, customer).where(Opportunity.id == opportunity_id).exists()
    if not found:
        raise ValidationError({"opportunity": t("quote.error.opportunity")})
    return opportunity_id


def _clean_line(values: dict[str, Any]) -> dict[str, Any]:
    data = clean(LINE_FIELDS, values)
    errors = {}
    product = Product.get_or_none(Product.id == record_id(data["product"]))
    if product is None:
        errors["product"] = t("error.not_a_choice")
    if data["quantity"] <= 0:
        errors["quantity"] = t("quote.error.quantity")
    unit_price = data["unit_price"]
    if unit_price is None and product is not None:
        unit_price = Decimal(product.price).quantize(CENT)
    if unit_price is not None and unit_price < 0:
        errors["unit_price"] = t("quote.error.price")
    discount = data["discount"] if data["discount"] is not None else Decimal("0.00")
    if not Decimal(0) <= discount <= HUNDRED:
        errors["discount"] = t("quote.error.discount")
    if errors:
        raise ValidationError(errors)
    return {"product_id": product.id, "product_name": product.name[:200],
            "unit": product.unit[:10], "quantity": data["quantity"],
            "unit_price": unit_price, "discount": discount,
            "amount": line_amount(data["quantity"], unit_price, discount)}


def expire_quotes(today: dt.date | None = None) -> int:
    """已过期: every sent quote whose valid-until date is before `today`,
    each with an audit row (no user: the schedule did it). Returns how many."""
    today = today or clock.today()
    expired = 0
    with database.atomic():
        for quote in Quote.select().where(Quote.status == SENT, Quote.valid_until < today):
            try:
                quote._change_state("expire", {"status": EXPIRED})
            except (InvalidTransition, NotFound, ConcurrentEdit):
                # Accepted or rejected by a user at the same moment: theirs stands.
                continue
            audit.record(None, "quote", quote.id, "expire")
            expired += 1
    return expired


# ----- the record kinds --------------------------------------------------------

def _shown_status_sql(today: dt.date):
    """SQL for `Quote.shown_status`: the list shows and filters it."""
    return Case(None, [((Quote.status == SENT) & (Quote.valid_until < today), EXPIRED)],
                Quote.status)


def _quote_rows(quote: Quote) -> list[tuple[str, Any]]:
    customer = Customer.get_by_id(quote.customer_id)
    opportunity = Opportunity.get_or_none(Opportunity.id == quote.opportunity_id)
    contract = Contract.get_or_none(Contract.id == quote.contract_id)
    return [
        ("quote.number", quote.number),
        ("quote.customer", customer.name),
        ("quote.status", status_label(quote.shown_status())),
        ("quote.total", money(quote.total())),
        ("quote.valid_until", day_text(quote.valid_until)),
        ("quote.opportunity", opportunity.summary if opportunity else ""),
        ("quote.contract", contract.number if contract else ""),
        ("quote.created_by", f"{user_name(quote.created_by_id)}  {moment_text(quote.created_at)}"),
        ("quote.sent_at", moment_text(quote.sent_at)),
        ("quote.note", quote.note.replace("\n", " ")),
    ]


def _quote_total():
    """A quote's total, as SQL: the sum of its lines."""
    return (QuoteLine.select(fn.COALESCE(fn.SUM(QuoteLine.amount), 0))
            .where(QuoteLine.quote == Quote.id))


def _quotes_query(user: User, search: str, within: dict[str, Any]):
    total = _quote_total()
    shown = _shown_status_sql(clock.today())
    query = (Quote.visible_to(user)
             .select_extend(Customer.name.alias("customer_name"), total.alias("total"),
                            shown.alias("shown_status"))
             .order_by(Quote.id.desc()))
    if within.get("status"):
        query = query.where(shown == within["status"])
    if within.get("parent") is not None:
        query = query.where(Quote.customer == within["parent"])
    for word in search.split():
        query = query.where(Quote.number.contains(word) | Customer.name.contains(word))
    return query


def find_quotes(user: User, text: str, limit: int) -> list[tuple[int, str, str]]:
    """Quotes whose number contains `text`, for the palette."""
    text = text.strip()
    if not text:
        return []
    query = (Quote.visible_to(user).select_extend(Customer.name.alias("customer_name"))
             .where(Quote.number.contains(text)).order_by(Quote.id.desc()).limit(limit)
             .objects())
    return [(quote.id, f"{quote.number} {quote.customer_name}",
             t("quote.palette", status=status_label(quote.shown_status()))) for quote in query]


def _new_quote_values(parent: Customer | None, _actor: User) -> dict[str, Any]:
    valid_until = clock.today() + dt.timedelta(days=DEFAULT_VALID_DAYS)
    values: dict[str, Any] = {"valid_until": valid_until.isoformat()}
    if parent is not None:
        values["customer"] = parent.id
    return values


def _quote_form_values(quote: Quote, _actor: User) -> dict[str, Any]:
    return {"valid_until": quote.valid_until, "opportunity": quote.opportunity_id,
            "note": quote.note}


QUOTE_FILTERS = (
    FilterField("number", ("编号", "报价单号"), TEXT, Quote.number),
    FilterField("customer", ("客户",), TEXT, Customer.name, match=customer_text_match("name")),
    # The state as shown: a sent quote past its date is expired.
    FilterField("status", ("状态",), CHOICE, lambda: _shown_status_sql(clock.today()),
                choices=labelled_choices(QUOTE_STATUSES, "quote.status.")),
    FilterField("total", ("总额", "金额"), NUMBER, lambda: _quote_total()),
    FilterField("valid", ("有效期", "有效期至"), DATE, Quote.valid_until),
    FilterField("created", ("创建", "创建时间"), DATE, Quote.created_at),
    FilterField("creator", ("创建人",), LOOKUP, match=user_match(Quote.created_by)),
)

QUOTE = register(RecordKind(
    name="quote", title="quote.list_title", opens="quote", child="quote_line",
    mail_file=lambda quote: quote.mail_file(),
    parent="customer", status_filters=QUOTE_STATUSES, status_label=status_label,
    transitions=QUOTE_TRANSITIONS,
    columns=[
        Column("number", "quote.number", 13, Quote.number),
        Column("customer_name", "quote.customer", 18, SQL("customer_name"), max_width=40),
        Column("total", "quote.total", 14, SQL("total"), format=money),
        Column("shown_status", "quote.status", 8, SQL("shown_status"), format=status_label),
        Column("valid_until", "quote.valid_until", 10, Quote.valid_until, format=day_text),
    ],
    query=_quotes_query, get=Quote.get_visible,
    filters=QUOTE_FILTERS, search=words_in(Quote.number, Customer.name),
    words=lambda quote: {"number": quote.number},
    heading=lambda quote: t("quote.heading", number=quote.number,
                            status=status_label(quote.shown_status())),
    rows=_quote_rows, find=find_quotes,
    actions=[
        Action("new", "n", "quote.action.new", on_row=False,
               check=lambda _parent, actor: require(actor, perm.QUOTE_CREATE),
               form=lambda parent, actor: quote_fields(actor, parent.id if parent else None),
               prefill=_new_quote_values, title="quote.new_title",
               done=lambda quote: t("quote.created", number=quote.number),
               run=lambda _parent, actor, values: Quote.create_by(actor, values)),
        Action("edit", "e", "quote.action.edit",
               check=lambda quote, actor: quote.check_owner(actor, "edit"),
               form=lambda quote, actor: quote_fields(actor, quote.customer_id, new=False),
               prefill=_quote_form_values, title="quote.edit_title", done="quote.saved",
               run=lambda quote, actor, values: quote.update_by(actor, values)),
        Action("send", "u", "quote.action.send",
               check=lambda quote, actor: quote.check_owner(actor, "send"),
               ask="quote.send_question", done="quote.sent",
               run=lambda quote, actor, _values: quote.send_by(actor)),
        Action("accept", "a", "quote.action.accept",
               check=lambda quote, actor: quote.check_acceptable_by(actor),
               ask="quote.accept_question",
               done=lambda quote: t("quote.accepted",
                                    contract=Contract.get_by_id(quote.contract_id).number),
               run=lambda quote, actor, _values: quote.accept_by(actor)),
        Action("reject", "r", "quote.action.reject",
               check=lambda quote, actor: quote.check_owner(actor, "reject"),
               ask="quote.reject_question", done="quote.rejected",
               run=lambda quote, actor, _values: quote.reject_by(actor)),
        Action("delete", "d", "quote.action.delete", leaves=True,
               check=lambda quote, actor: quote.check_owner(actor, "delete"),
               ask="quote.delete_question", done="quote.deleted",
               run=lambda quote, actor, _values: quote.delete_by(actor)),
    ],
))


def _quote_lines(_user: User, search: str, within: dict[str, Any]):
    query = (QuoteLine.select().where(QuoteLine.quote == within.get("parent"))
             .order_by(QuoteLine.id))
    for word in search.split():
        query = query.where(QuoteLine.product_name.contains(word))
    return query


def _check_line(line: QuoteLine, actor: User) -> None:
    line.quote_of().check_owner(actor, "lines")


def _percent(value: Any) -> str:
    return "" if value is None else f"{Decimal(value):.2f}%"


QUOTE_LINE = register(RecordKind(
    name="quote_line", title="quote_line.title", parent="quote", changes=("quote",),
    columns=[
        Column("product_name", "quote_line.product", 24, QuoteLine.product_name, max_width=50),
        Column("quantity", "quote_line.quantity", 6, QuoteLine.quantity),
        Column("unit_price", "quote_line.unit_price", 12, QuoteLine.unit_price, format=money),
        Column("discount", "quote_line.discount", 7, QuoteLine.discount, format=_percent),
        Column("amount", "quote_line.amount", 14, QuoteLine.amount, format=money),
    ],
    query=_quote_lines, get=visible_through(QuoteLine.quote),
    words=lambda line: {"product": line.product_name, "amount": money(line.amount)},
    actions=[
        Action("add", "i", "quote_line.action.add", on_row=False,
               check=lambda quote, actor: quote.check_owner(actor, "lines"),
               form=lambda _quote, _actor: LINE_FIELDS, title="quote_line.add_title",
               prefill=lambda _quote, _actor: {"quantity": "1", "discount": "0"},
               done="quote_line.saved",
               run=lambda quote, actor, values: quote.add_line_by(actor, values)),
        Action("edit", "o", "quote_line.action.edit", check=_check_line,
               form=lambda _line, _actor: LINE_FIELDS,
               prefill=lambda line, _actor: {"product": line.product_id,
                                             "quantity": line.quantity,
                                             "unit_price": line.unit_price,
                                             "discount": line.discount},
               title="quote_line.edit_title", done="quote_line.saved",
               run=lambda line, actor, values: line.update_by(actor, values)),
        Action("delete", "x", "quote_line.action.delete", check=_check_line,
               ask="quote_line.delete_question", done="quote_line.deleted",
               run=lambda line, actor, _values: line.delete_by(actor)),
    ],
))
