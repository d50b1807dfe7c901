"""What an import of customers, contacts and interactions reads, and how
each row is judged: by the rules of the kind's own form
(`_clean_customer`, `_clean_contact`, `_clean_interaction`), in the
importing user's scope (an account manager imports only into own
customers), written with an audit row naming the import.

How a row finds what an earlier import of the same file made (so that
importing a file again creates nothing twice):

- customer: a row with a customer number updates that customer (with the
  cells it fills); a row without one is a duplicate of a customer with the
  same company name (`company_key`: width, case, spaces and legal form
  ignored) and the same phone (its digits) or the same local or national
  tax number;
- contact: the same customer, name and office phone;
- interaction: the same customer, date, place and summary.

A customer is named by its number, or by its company name when exactly
one customer has that name.
"""
from __future__ import annotations

from typing import Any

from crm_tui import clock
from crm_tui.i18n import t
from crm_tui.models import audit
from crm_tui.models import permissions as perm
from crm_tui.models.base import database
from crm_tui.models.customers import (DELETED, INTERACTION_FIELDS, NORMAL, Contact, Customer,
                                      Interaction, _clean_contact, _clean_customer,
                                      active_managers, check_new_customer_owner,
                                      check_records_editable, customer_keys, customer_references)
from crm_tui.models.dictionary import CUSTOMER_LEVEL, REGION, DictionaryEntry
from crm_tui.models.errors import CrmError, NotFound, ValidationError
from crm_tui.models.importing import (CREATED, DUPLICATE, REFUSED, UPDATED, ImportField,
                                      Importer, ImportSpec, Verdict, comparable,
                                      import_audit_rows, insert_rows,
                                      register_import)
from crm_tui.models.names import company_key
from crm_tui.models.numbering import next_numbers
from crm_tui.models.users import User, require
from crm_tui.models.validation import clean


def _entries(type_name: str) -> dict[str, Any]:
    return {comparable(item): entry_id for entry_id, item in
            DictionaryEntry.select(DictionaryEntry.id, DictionaryEntry.item)
            .where(DictionaryEntry.type == type_name).tuples()}


def _managers() -> dict[str, Any]:
    """Active account managers by display name and by login."""
    found: dict[str, Any] = {}
    for user_id, login, name in active_managers().select(User.id, User.login,
                                                         User.display_name).tuples():
        found.setdefault(comparable(name), user_id)
        found.setdefault(comparable(login), user_id)
    return found


def _manager_choices() -> list[tuple[Any, str]]:
    return [(user.id, user.display_name) for user in active_managers()]


def _digits(text: Any) -> str:
    return "".join(char for char in str(text or "") if char.isdigit())


# ----- customers -------------------------------------------------------------------

CUSTOMER_IMPORT_FIELDS = (
    ImportField("number", "customer.number", ("客户编号", "编号", "客户号", "no", "number",
                                              "customer no", "customer number", "customer id")),
    ImportField("name", "customer.name", ("客户名称", "名称", "公司名称", "企业名称", "单位名称",
                                          "客户", "公司", "company", "company name", "name",
                                          "customer", "customer name"), required=True),
    ImportField("region", "customer.region", ("地区", "区域", "所在地区", "省份", "城市", "region",
                                              "area", "province", "city"), required=True,
                lookup=lambda: _entries(REGION),
                choices=lambda: DictionaryEntry.choices(REGION)),
    ImportField("manager", "customer.manager", ("客户经理", "负责人", "业务员", "销售", "manager",
                                                "account manager", "owner", "sales rep"),
                lookup=_managers, choices=_manager_choices),
    ImportField("level", "customer.level", ("客户等级", "等级", "级别", "客户级别", "level",
                                            "customer level", "grade", "tier"), required=True,
                lookup=lambda: _entries(CUSTOMER_LEVEL),
                choices=lambda: DictionaryEntry.choices(CUSTOMER_LEVEL)),
    ImportField("satisfaction", "customer.satisfaction", ("满意度", "客户满意度", "satisfaction"),
                cell="number", required=True),
    ImportField("credit", "customer.credit", ("信用度", "信用", "信用等级", "credit",
                                              "credit rating"), cell="number", required=True),
    ImportField("address", "customer.address", ("地址", "公司地址", "详细地址", "通讯地址",
                                                "address"), required=True),
    ImportField("postcode", "customer.postcode", ("邮编", "邮政编码", "postcode", "zip",
                                                  "zip code", "postal code"), required=True),
    ImportField("phone", "customer.phone", ("电话", "联系电话", "公司电话", "电话号码", "phone",
                                            "telephone", "tel"), required=True),
    ImportField("fax", "customer.fax", ("传真", "fax")),
    ImportField("website", "customer.website", ("网址", "网站", "主页", "website", "web", "url")),
    ImportField("licence_number", "customer.licence_number", (
        "营业执照注册号", "营业执照", "营业执照号", "统一社会信用代码", "licence", "license",
        "business licence", "business license")),
    ImportField("legal_representative", "customer.legal_representative", (
        "法人", "法人代表", "法定代表人", "legal representative"), required=True),
    ImportField("registered_capital", "customer.registered_capital", (
        "注册资金", "注册资本", "registered capital", "capital"), cell="number"),
    ImportField("annual_turnover", "customer.annual_turnover", (
        "年营业额", "营业额", "年销售额", "annual turnover", "turnover", "revenue"),
        cell="number"),
    ImportField("bank", "customer.bank", ("开户银行", "开户行", "银行", "bank"), required=True),
    ImportField("bank_account", "customer.bank_account", (
        "银行帐号", "银行账号", "帐号", "账号", "bank account", "account"), required=True),
    ImportField("local_tax_number", "customer.local_tax_number", (
        "地税登记号", "地税号", "地税", "local tax number", "local tax"), required=True),
    ImportField("national_tax_number", "customer.national_tax_number", (
        "国税登记号", "国税号", "国税", "税号", "national tax number", "national tax",
        "tax number", "tax id"), required=True),
)


def _marks(phone: Any, local_tax: Any, national_tax: Any) -> frozenset[str]:
    """What, besides the name, makes two customers one: the phone's
    digits and either tax number."""
    marks = {f"tax:{number.strip()}" for number in (local_tax, national_tax)
             if number and str(number).strip()}
    if _digits(phone):
        marks.add(f"phone:{_digits(phone)}")
    return frozenset(marks)


class CustomerImporter(Importer):
    def __init__(self, actor: User):
        require(actor, perm.CUSTOMER_EDIT)
        self.actor = actor
        self.references = customer_references()
        # The last customer number this import gave (see next_numbers).
        self.last_number: str | None = None
        self.by_number: dict[str, int] = {}
        # company_key -> [(number or "", marks)], of the database and of this file.
        self.by_key: dict[str, list[tuple[str, frozenset[str]]]] = {}
        query = (Customer.select(Customer.id, Customer.number, Customer.name, Customer.phone,
                                 Customer.local_tax_number, Customer.national_tax_number)
                 .where(Customer.status != DELETED).tuples())
        for customer_id, number, name, phone, local_tax, national_tax in query.iterator():
            self.by_number[number] = customer_id
            self.by_key.setdefault(company_key(name), []).append(
                (number, _marks(phone, local_tax, national_tax)))

    def judge(self, values: dict[str, Any]) -> Verdict:
        number = str(values.pop("number", "") or "").strip()
        if number:
            return self._judge_update(number, values)
        if not values.get("manager") and self.actor.id in self.references.managers:
            values["manager"] = self.actor.id  # an account manager's own, as in the form
        data = _clean_customer(values, references=self.references)
        check_new_customer_owner(self.rights, data)
        key = company_key(data["name"])
        marks = _marks(data["phone"], data["local_tax_number"], data["national_tax_number"])
        for found_number, found_marks in self.by_key.get(key, []):
            if marks & found_marks:
                return Verdict(DUPLICATE, reason=t("importing.duplicate_of", number=found_number)
                               if found_number else t("importing.duplicate_in_file"))
        self.by_key.setdefault(key, []).append(("", marks))
        return Verdict(CREATED, data=data)

    def _judge_update(self, number: str, values: dict[str, Any]) -> Verdict:
        customer_id = self.by_number.get(number)
        customer = Customer.get_or_none(Customer.id == customer_id) if customer_id else None
        if customer is None:
            raise NotFound(t("importing.error.no_customer", number=number))
        # Cells left empty leave the field as it is.
        filled = {name: value for name, value in values.items() if value not in ("", None)}
        data = customer.checked_changes(self.rights, filled, self.references)
        if not audit.diff(customer, data):
            return Verdict(DUPLICATE, reason=t("importing.unchanged", number=number))
        return Verdict(UPDATED, data=filled, record_id=customer.id)

    def write(self, verdicts: list[Verdict], label: str) -> None:
        created = [verdict for verdict in verdicts if verdict.outcome == CREATED]
        if created:
            now = clock.now()
            numbers = next_numbers(Customer.number, "KH", len(created), self.last_number)
            self.last_number = numbers[-1]
            rows = [{**verdict.data, "number": number, "status": NORMAL, "created_at": now,
                     "version": 1, **customer_keys(verdict.data)}
                    for verdict, number in zip(created, numbers)]
            insert_rows(Customer, rows)
            ids = dict(Customer.select(Customer.number, Customer.id)
                       .where(Customer.number.in_(numbers)).tuples())
            import_audit_rows(self.actor, "customer", [ids[number] for number in numbers],
                              audit.CREATE, label)
            for verdict, number in zip(created, numbers):
                verdict.record_id = ids[number]
                self.by_number[number] = ids[number]
        for verdict in verdicts:
            if verdict.outcome == UPDATED:
                _update(self.actor, Customer.get_by_id(verdict.record_id), verdict, label,
                        lambda customer, data: customer.update_by(self.actor, data))


def _update(actor: User, record: Any, verdict: Verdict, label: str, run: Any) -> None:
    """Run one update of an import, refusing the row (not the batch) when
    the record changed since it was judged."""
    try:
        with database.atomic():
            run(record, verdict.data)
            import_audit_rows(actor, type(record)._meta.table_name, [record.id],
                              audit.UPDATE, label)
    except CrmError as error:
        verdict.outcome, verdict.reason = REFUSED, str(error)


CUSTOMER_IMPORT = register_import(ImportSpec(
    kind="customer", title="importing.kind.customer", permission=perm.CUSTOMER_EDIT,
    fields=CUSTOMER_IMPORT_FIELDS, begin=CustomerImporter, matching="importing.matching.customer"))


# ----- the customer a contact or an interaction belongs to -------------------------

CUSTOMER_REFERENCE_FIELDS = (
    ImportField("customer_number", "importing.customer_number", (
        "客户编号", "编号", "customer no", "customer number", "customer id")),
    ImportField("customer_name", "importing.customer_name", (
        "客户名称", "公司名称", "企业名称", "客户", "公司", "company", "company name", "customer",
        "customer name")),
)


class CustomerFinder:
    """Finds the customer a row names and checks the user may write its
    records (scope per row)."""

    def __init__(self, actor: User):
        self.rights: Any = actor
        self.by_number: dict[str, Customer] = {}
        self.by_key: dict[str, list[Customer]] = {}
        query = (Customer.select(Customer.id, Customer.number, Customer.name, Customer.manager,
                                 Customer.status).where(Customer.status != DELETED))
        for customer in query.iterator():
            self.by_number[customer.number] = customer
            self.by_key.setdefault(company_key(customer.name), []).append(customer)

    def customer(self, values: dict[str, Any]) -> Customer:
        number = str(values.pop("customer_number", "") or "").strip()
        name = str(values.pop("customer_name", "") or "").strip()
        if number:
            found = self.by_number.get(number)
            if found is None:
                raise NotFound(t("importing.error.no_customer", number=number))
        elif name:
            matches = self.by_key.get(company_key(name), [])
            if len(matches) != 1:
                raise ValidationError({"customer_name": t(
                    "importing.error.customer_name_unknown" if not matches
                    else "importing.error.customer_name_shared", name=name)})
            found = matches[0]
        else:
            raise ValidationError({"customer_name": t("error.required")})
        check_records_editable(self.rights, found)
        return found


# ----- contacts ------------------------------------------------------------------

SEX_WORDS = {"m": "M", "男": "M", "male": "M", "先生": "M", "f": "F", "女": "F",
             "female": "F", "女士": "F", "小姐": "F"}

CONTACT_IMPORT_FIELDS = (
    *CUSTOMER_REFERENCE_FIELDS,
    ImportField("name", "contact.name", ("联系人", "姓名", "联系人姓名", "name", "contact",
                                         "contact name", "full name"), required=True),
    ImportField("sex", "contact.sex", ("性别", "sex", "gender"), required=True,
                lookup=lambda: dict(SEX_WORDS),
                choices=lambda: [("M", t("contact.sex.M")), ("F", t("contact.sex.F"))]),
    ImportField("position", "contact.position", ("职位", "职务", "岗位", "position", "title",
                                                 "job title"), required=True),
    ImportField("office_phone", "contact.office_phone", (
        "办公电话", "电话", "座机", "联系电话", "office phone", "phone", "work phone"),
        required=True),
    ImportField("mobile", "contact.mobile", ("手机", "手机号", "移动电话", "mobile", "cell",
                                             "mobile phone")),
    ImportField("email", "contact.email", ("邮箱", "电子邮件", "电子邮箱", "email", "e-mail",
                                           "mail")),
    ImportField("note", "contact.note", ("备注", "说明", "note", "notes", "remark"),
                cell="multiline"),
)


class ContactImporter(Importer):
    def __init__(self, actor: User):
        require(actor, perm.CUSTOMER_EDIT)
        self.actor = actor
        self.customers = CustomerFinder(actor)
        self.keys = {(customer_id, comparable(name), _digits(phone)) for customer_id, name, phone
                     in Contact.select(Contact.customer, Contact.name, Contact.office_phone)
                     .tuples().iterator()}

    def judge(self, values: dict[str, Any]) -> Verdict:
        self.customers.rights = self.rights
        customer = self.customers.customer(values)
        data = _clean_contact(values)
        key = (customer.id, comparable(data["name"]), _digits(data["office_phone"]))
        if key in self.keys:
            return Verdict(DUPLICATE, reason=t("importing.duplicate_contact",
                                               number=customer.number))
        self.keys.add(key)
        return Verdict(CREATED, data={**data, "customer": customer.id})

    def write(self, verdicts: list[Verdict], label: str) -> None:
        rows = [verdict.data for verdict in verdicts if verdict.outcome == CREATED]
        if not rows:
            return
        _still_writable(self.actor, {row["customer"] for row in rows})
        ids = [row[0] for row in Contact.insert_many(rows).returning(Contact.id)
               .tuples().execute()]
        import_audit_rows(self.actor, "contact", ids, audit.CREATE, label)


def _still_writable(actor: User, customer_ids: set[int]) -> None:
    """Refuse the batch when one of its customers was deleted or given to
    another manager since the rows were judged (the import stops; a new
    run judges the rows again)."""
    for customer in Customer.select().where(Customer.id.in_(list(customer_ids))):
        check_records_editable(actor, customer)
    if len(customer_ids) != Customer.select().where(Customer.id.in_(list(customer_ids))).count():
        raise NotFound(t("error.not_found"))


CONTACT_IMPORT = register_import(ImportSpec(
    kind="contact", title="importing.kind.contact", permission=perm.CUSTOMER_EDIT,
    fields=CONTACT_IMPORT_FIELDS, begin=ContactImporter, matching="importing.matching.contact"))


# ----- interactions --------------------------------------------------------------

INTERACTION_IMPORT_FIELDS = (
    *CUSTOMER_REFERENCE_FIELDS,
    ImportField("date", "interaction.date", ("日期", "时间", "交往日期", "拜访日期", "date",
                                             "visit date"), cell="date", required=True),
    ImportField("place", "interaction.place", ("地点", "交往地点", "place", "location", "where"),
                required=True),
    ImportField("summary", "interaction.summary", ("概要", "摘要", "主题", "内容概要", "summary",
                                                   "subject", "topic"), required=True),
    ImportField("contact", "interaction.contact", ("联系人", "contact", "contact name")),
    ImportField("detail", "interaction.detail", ("详细信息", "详情", "内容", "detail", "details",
                                                 "description"), cell="multiline"),
    ImportField("note", "interaction.note", ("备注", "note", "notes", "remark"),
                cell="multiline"),
)


class InteractionImporter(Importer):
    def __init__(self, actor: User):
        require(actor, perm.CUSTOMER_EDIT)
        self.actor = actor
        self.customers = CustomerFinder(actor)
        self.contacts = {(customer_id, comparable(name)): contact_id
                         for contact_id, customer_id, name in
                         Contact.select(Contact.id, Contact.customer, Contact.name)
                         .tuples().iterator()}
        self.keys = {(customer_id, str(date), comparable(place), comparable(summary))
                     for customer_id, date, place, summary in
                     Interaction.select(Interaction.customer, Interaction.date,
                                        Interaction.place, Interaction.summary)
                     .tuples().iterator()}

    def judge(self, values: dict[str, Any]) -> Verdict:
        self.customers.rights = self.rights
        customer = self.customers.customer(values)
        contact_name = str(values.pop("contact", "") or "")
        data = clean(INTERACTION_FIELDS, values)
        if contact_name:
            contact_id = self.contacts.get((customer.id, comparable(contact_name)))
            if contact_id is None:
                raise ValidationError({"contact": t("importing.error.no_contact",
                                                    name=contact_name)})
            data["contact"] = contact_id
        key = (customer.id, str(data["date"]), comparable(data["place"]),
               comparable(data["summary"]))
        if key in self.keys:
            return Verdict(DUPLICATE, reason=t("importing.duplicate_interaction",
                                               number=customer.number))
        self.keys.add(key)
        return Verdict(CREATED, data={**data, "customer": customer.id})

    def write(self, verdicts: list[Verdict], label: str) -> None:
        now = clock.now()
        rows = [{**verdict.data, "source": "import", "created_by": self.actor.id,
                 "created_at": now} for verdict in verdicts if verdict.outcome == CREATED]
        if not rows:
            return
        _still_writable(self.actor, {row["customer"] for row in rows})
        ids = [row[0] for row in Interaction.insert_many(rows).returning(Interaction.id)
               .tuples().execute()]
        import_audit_rows(self.actor, "interaction", ids, audit.CREATE, label)


INTERACTION_IMPORT = register_import(ImportSpec(
    kind="interaction", title="importing.kind.interaction", permission=perm.CUSTOMER_EDIT,
    fields=INTERACTION_IMPORT_FIELDS, begin=InteractionImporter,
    matching="importing.matching.interaction"))
