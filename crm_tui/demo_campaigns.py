"""Campaigns and leads for the demo database, and leads at scale.

`make_campaigns` runs in the demo's build, after its customers, quotes'
products and contracts exist: campaigns in every state, made through the
model rules with the clock moved to when each step happened, with leads
in every state. Some leads are companies on file under another spelling
(股份有限公司 for 有限公司 ...) and convert onto that customer; one of
those opportunities goes on to a quote, a contract signed and a success,
so the campaign shows a won amount; another is a new company developed
into a customer.

`fill_leads_at_scale` adds campaigns and leads by the thousand straight
into the tables (`crm-tui demo-data --leads`): the states in proportion,
converted leads with their opportunities, a third of them onto customers
on file.
"""
from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from crm_tui import clock
from crm_tui import demo_vocabulary as words
from crm_tui.models import (Campaign, Contact, Customer, DictionaryEntry, Lead, Opportunity,
                            Quote, contracts, customers, sales)
from crm_tui.models import campaigns as marketing
from crm_tui.models import permissions as perm

Progress = Callable[[str], None]
# The demo's own writers (crm_tui.demo, which calls this module): insert
# rows as the model would, reserve ids for rows to come.
InsertRows = Callable[[Any, list[dict[str, Any]]], None]
ReserveIds = Callable[[Any, Any, int], list[int]]

# (name, type, days from today to the start, days it lasts, final state,
#  budget, actual cost, target, how many leads).
DEMO_CAMPAIGNS = (
    ("2025 秋季电力装备展", "展会", -200, 3, marketing.DONE, 120000, 113500,
     "华东、华南的配电设备采购负责人", 9),
    ("智能配电技术研讨会（上海）", "研讨会", -60, 1, marketing.DONE, 40000, 36800,
     "大客户和重点开发客户的技术负责人", 7),
    ("春季新品邮件推广", "邮件营销", -20, 40, marketing.RUNNING, 8000, None,
     "近一年未下单的普通客户", 6),
    ("行业媒体广告投放", "广告", -45, 90, marketing.RUNNING, 60000, 30000,
     "制造业新客户", 4),
    ("2026 华南电力展", "展会", 40, 3, marketing.PLANNED, 150000, None,
     "华南地区的新客户", 0),
    ("线上直播推介会", "其他", -30, 1, marketing.CANCELLED, 5000, None,
     "全部客户", 0),
)
# The end a lead comes to, in turn, within a campaign's leads.
LEAD_STORIES = (marketing.CONVERTED, marketing.NEW, marketing.QUALIFIED, marketing.DISQUALIFIED,
                marketing.CONTACTED, marketing.CONVERTED, marketing.NEW, marketing.CONTACTED,
                marketing.DISQUALIFIED)
DISQUALIFY_REASONS = ("电话为空号，公司已注销。", "只是索取资料，没有采购计划。",
                      "个人客户，不在我司服务范围。", "与已有线索重复。")
LEAD_NOTES = ("展台上询问配电柜价格", "索要了产品目录", "下半年有新厂区建设计划",
              "对节能改造方案感兴趣", "", "希望安排技术交流")
# Other spellings people type for a company on file.
# The longer legal forms first: 股份有限公司 also ends in 有限公司.
SPELLINGS = (("股份有限公司", ("有限公司",)), ("有限责任公司", ("有限公司", "有限责任 公司")),
             ("有限公司", ("股份有限公司", "有限责任公司", "（有限）公司")))


def make_campaigns(company: Any) -> None:
    """The demo's campaigns and leads (see the module's description)."""
    clock_before = clock.current_clock()
    try:
        made = _DemoCampaigns(company).make()
    finally:
        clock.set_clock(clock_before)
    company.progress(f"  {made[0]} campaigns, {made[1]} leads")


class _DemoCampaigns:
    def __init__(self, company: Any):
        self.company = company
        self.rng = company.rng
        self.supervisor = company.supervisor
        self.types = {entry.item: entry.id
                      for entry in DictionaryEntry.of_type(marketing.CAMPAIGN_TYPE)}
        self.on_file = [customer for customer in company.customers
                        if customer.status == customers.NORMAL]
        self.rng.shuffle(self.on_file)
        self.leads = 0
        self.first_won = False

    def at(self, day: dt.date) -> None:
        moment = self.company.work_time(min(day, self.company.today))
        clock.set_clock(lambda: moment)

    def make(self) -> tuple[int, int]:
        for story in DEMO_CAMPAIGNS:
            self.campaign(*story)
        return len(DEMO_CAMPAIGNS), self.leads

    def campaign(self, name: str, type_name: str, start_in: int, days: int, state: str,
                 budget: int, cost: int | None, target: str, lead_count: int) -> None:
        today = self.company.today
        start = today + dt.timedelta(days=start_in)
        end = start + dt.timedelta(days=days)
        self.at(start - dt.timedelta(days=30) if start_in < 0 else today)
        campaign = Campaign.create_by(self.supervisor, {
            "name": name, "type": self.types[type_name], "start_date": start.isoformat(),
            "end_date": end.isoformat(), "budget": str(budget), "actual_cost": "",
            "owner": self.supervisor.id, "target": target})
        if state == marketing.PLANNED:
            return
        if state == marketing.CANCELLED:
            campaign.cancel_by(self.supervisor)
            return
        self.at(start)
        campaign = campaign.start_by(self.supervisor)
        for index in range(lead_count):
            self.lead(campaign, start, LEAD_STORIES[index % len(LEAD_STORIES)], index)
        if state == marketing.DONE:
            self.at(end + dt.timedelta(days=1))
            campaign = Campaign.get_by_id(campaign.id).finish_by(self.supervisor)
        if cost is not None:
            self.at(min(end + dt.timedelta(days=7), today))
            Campaign.get_by_id(campaign.id).update_by(self.supervisor,
                                                      {"actual_cost": str(cost)})

    def lead(self, campaign: Campaign, start: dt.date, story: str, index: int) -> None:
        company, rng = self.company, self.rng
        self.at(start + dt.timedelta(days=index % 3))
        # Every other converted lead is a customer on file, typed otherwise.
        customer = self.on_file.pop() if story == marketing.CONVERTED and index % 2 == 0 \
            else None
        if customer is not None:
            fields, owner = customer.company.fields, customer.manager
            name = other_spelling(customer.name, rng)
        else:
            fields = company.maker.company(rng.randrange(5), company.taken_names).fields
            name, owner = fields["name"], company.pick_manager()
        person = company.maker.person()
        lead = Lead.create_by(self.supervisor, {
            "company_name": name, "contact_name": person.name, "phone": company.maker.mobile(),
            "email": f"{person.latin}@example.com.cn" if index % 3 else "",
            "region": fields["region"], "owner": owner.id,
            "note": rng.choice(LEAD_NOTES)}, campaign)
        self.leads += 1
        if story == marketing.NEW:
            return
        self.at(start + dt.timedelta(days=3 + index % 3))
        if story == marketing.DISQUALIFIED:
            lead.disqualify_by(owner, {"reason": rng.choice(DISQUALIFY_REASONS)})
            return
        lead = lead.contact_by(owner)
        if story == marketing.CONTACTED:
            return
        self.at(start + dt.timedelta(days=8 + index % 3))
        lead = lead.qualify_by(owner)
        if story == marketing.QUALIFIED:
            return
        self.at(start + dt.timedelta(days=12 + index % 3))
        product = rng.choice(company.products)["name"]
        summary, description = rng.choice(words.OPPORTUNITIES)
        opportunity = lead.convert_by(owner, {
            "summary": summary.format(product=product),
            "success_rate": str(rng.randrange(2, 8) * 10),
            "description": description.format(product=product, count=rng.randrange(5, 60))})
        self.at(start + dt.timedelta(days=14 + index % 3))
        opportunity = opportunity.assign_by(self.supervisor, owner)
        # The demo has companies spelt alike: the lead may have found another.
        won = (customer is not None and not self.first_won
               and Lead.get_by_id(lead.id).customer_id == customer.id)
        self.plan(opportunity, owner, start + dt.timedelta(days=15), 3 if won else 2)
        if won:
            self.first_won = True
            # The lead's contact person joins the customer's contacts.
            Contact.create_by(owner, customer.id, {
                "name": person.name, "sex": person.sex, "position": "采购经理",
                "office_phone": lead.phone, "mobile": lead.phone, "email": "", "note": ""})
            self.won_with_contract(Opportunity.get_by_id(opportunity.id), customer, start)

    def plan(self, opportunity: Opportunity, owner: Any, first: dt.date, steps: int) -> None:
        """The first steps of the development plan, done and their results written."""
        for number, (content, result) in enumerate(words.PLAN_STEPS[:steps]):
            day = min(first + dt.timedelta(days=3 * number), self.company.today)
            self.at(day)
            item = opportunity.add_plan_item(owner, {"date": day.isoformat(), "content": content})
            item.record_result_by(owner, {"result": result})

    def won_with_contract(self, opportunity: Opportunity, customer: Any,
                          start: dt.date) -> None:
        """The opportunity's quote accepted, its contract signed, its
        development ended in success."""
        company, manager = self.company, customer.manager
        product = company.products[0]
        self.at(start + dt.timedelta(days=20))
        valid_until = (clock.today() + dt.timedelta(days=30)).isoformat()
        quote = Quote.create_by(manager, {"customer": customer.id, "valid_until": valid_until,
                                          "opportunity": opportunity.id, "note": ""})
        # A sale worth about three times what the campaign cost.
        quantity = max(1, int(Decimal(340000) / Decimal(product["price"])))
        quote.add_line_by(manager, {"product": product["id"], "quantity": str(quantity),
                                    "unit_price": "", "discount": "5"})
        quote = Quote.get_by_id(quote.id).send_by(manager)
        self.at(start + dt.timedelta(days=26))
        quote = quote.accept_by(manager)
        contract = contracts.Contract.get_by_id(quote.contract_id)
        contract.add_instalment_by(manager, {
            "due_date": (clock.today() + dt.timedelta(days=60)).isoformat(),
            "amount": str(contract.amount)})
        contract = contract.submit_by(manager).approve_by(self.supervisor, {"comment": "同意"})
        self.at(start + dt.timedelta(days=30))
        contract.sign_by(manager, {"sign_date": clock.today().isoformat()})
        opportunity.succeed_by(manager, {})


def other_spelling(name: str, rng: random.Random) -> str:
    """`name` as someone else types it: another legal form, or full-width
    brackets and a space; the same `company_key`."""
    for ending, others in SPELLINGS:
        if name.endswith(ending):
            return name[: -len(ending)] + others[int(rng.random() * len(others))]
    return name.replace("(", "（").replace(")", "）") + " " if rng.random() < 0.5 else name


# ----- at scale ------------------------------------------------------------------

LEADS_PER_CAMPAIGN = 200
# States of generated leads, with their weights.
SCALE_LEAD_STATES = ((marketing.NEW, 25), (marketing.CONTACTED, 20), (marketing.QUALIFIED, 10),
                     (marketing.CONVERTED, 25), (marketing.DISQUALIFIED, 20))
SCALE_BATCH = 2_000


def fill_leads_at_scale(count: int, maker: Any, insert_rows: InsertRows,
                        reserve_ids: ReserveIds, progress: Progress = print) -> int:
    """Add about `count` / 200 campaigns (mostly ended) and `count` leads
    to the bound database, with companies from the demo's `maker` (a
    demo.CompanyMaker); returns how many opportunities the converted leads
    became."""
    if count <= 0:
        return 0
    started = time.perf_counter()
    rng = maker.rng
    managers = [manager.id for manager in customers.active_managers()]
    if not managers:
        raise ValueError("leads need an account manager to work them")
    # Who runs the campaigns and enters the leads: a supervisor, or without
    # one an account manager (then each lead is entered by its own).
    supervisor = _a_user_with(perm.LEAD_ASSIGN)
    runner = supervisor.id if supervisor else managers[0]
    today = clock.today()
    campaign_ids = _scale_campaigns(-(-count // LEADS_PER_CAMPAIGN), rng, runner, today)
    on_file = _customers_sample(rng, count // 8 + 1)
    states = [state for state, weight in SCALE_LEAD_STATES for _ in range(weight)]
    opportunities = made = 0
    while made < count:
        size = min(SCALE_BATCH, count - made)
        leads, converted = [], []
        for _ in range(size):
            state = states[int(rng.random() * len(states))]
            campaign_id = campaign_ids[int(rng.random() * len(campaign_ids))]
            created = dt.datetime.combine(today - dt.timedelta(days=rng.randrange(1, 700)),
                                          dt.time(rng.randrange(9, 18), rng.randrange(60)))
            customer = (on_file[int(rng.random() * len(on_file))]
                        if on_file and state == marketing.CONVERTED and rng.random() < 0.35
                        else None)
            if customer is not None:
                name, owner, region = other_spelling(customer[1], rng), customer[2], None
            else:
                fields = maker.company(rng.randrange(5)).fields
                name, region = fields["name"], fields["region"]
                owner = managers[int(rng.random() * len(managers))]
            person = maker.person()
            leads.append({
                "company_name": name, "contact_name": person.name, "phone": maker.mobile(),
                "email": "", "region": region,
                "campaign": campaign_id, "owner": owner, "note": "", "status": state,
                "disqualify_reason": (rng.choice(DISQUALIFY_REASONS)
                                      if state == marketing.DISQUALIFIED else ""),
                "customer": customer[0] if customer else None,
                "converted_at": created + dt.timedelta(days=12)
                if state == marketing.CONVERTED else None,
                "created_by": runner if supervisor else owner, "created_at": created,
                "version": 1 + LEAD_STEPS[state]})
            if state == marketing.CONVERTED:
                converted.append((leads[-1], person, customer))
        with Lead._meta.database.atomic():
            opportunity_ids = _scale_opportunities(converted, rng, insert_rows, reserve_ids)
            for (lead, _person, _customer), opportunity_id in zip(converted, opportunity_ids):
                lead["opportunity"] = opportunity_id
            insert_rows(Lead, leads)
        opportunities += len(converted)
        made += size
        progress(f"  leads {made:,} / {count:,} ({time.perf_counter() - started:.1f} s)")
    return opportunities


# How many changes (version steps) bring a lead to each state.
LEAD_STEPS = {marketing.NEW: 0, marketing.CONTACTED: 1, marketing.QUALIFIED: 2,
              marketing.CONVERTED: 3, marketing.DISQUALIFIED: 1}


def _a_user_with(code: str):
    from crm_tui.models import User

    for user in User.select().where(User.active == True).order_by(User.id):  # noqa: E712
        if user.has_perm(code):
            return user
    return None


def _scale_campaigns(count: int, rng: random.Random, runner: int,
                     today: dt.date) -> list[int]:
    types = [entry.id for entry in DictionaryEntry.of_type(marketing.CAMPAIGN_TYPE)]
    cities = [city for region in words.CITIES_BY_REGION.values() for city in region]
    ids = []
    with Campaign._meta.database.atomic():
        for number in range(count):
            start = today - dt.timedelta(days=rng.randrange(10, 700))
            type_id = types[number % len(types)]
            city = cities[int(rng.random() * len(cities))]
            budget = Decimal(rng.randrange(5, 200) * 1000)
            running = start > today - dt.timedelta(days=40)
            campaign = Campaign.create(
                name=f"{start:%Y} {city.name}推介活动 {number + 1}", type=type_id,
                start_date=start, end_date=start + dt.timedelta(days=rng.randrange(1, 30)),
                budget=budget, actual_cost=None if running else budget * Decimal("0.9"),
                owner=runner, status=marketing.RUNNING if running else marketing.DONE,
                created_by=runner,
                created_at=dt.datetime.combine(start - dt.timedelta(days=30), dt.time(10)),
                version=2 if running else 3)
            ids.append(campaign.id)
    return ids


def _customers_sample(rng: random.Random, count: int) -> list[tuple[int, str, int]]:
    """Up to `count` customers on file as (id, name, manager id), spread
    over the id range without reading every customer."""
    largest = Customer.select(Customer.id).order_by(Customer.id.desc()).scalar() or 0
    if not largest:
        return []
    wanted = sorted({rng.randrange(1, largest + 1) for _ in range(count)})
    found = []
    for start in range(0, len(wanted), 500):
        query = (Customer.select(Customer.id, Customer.name, Customer.manager)
                 .where(Customer.id.in_(wanted[start:start + 500])
                        & (Customer.status == customers.NORMAL)))
        found += list(query.tuples())
    return found


def _scale_opportunities(converted: list, rng: random.Random, insert_rows: InsertRows,
                         reserve_ids: ReserveIds) -> list[int]:
    """The opportunities of converted leads, unassigned or in development,
    of the customer on file when the lead named one. Returns their ids."""
    ids = reserve_ids(Opportunity._meta.database.obj, Opportunity, len(converted))
    rows = []
    for (lead, person, customer), opportunity_id in zip(converted, ids):
        summary, description = words.OPPORTUNITIES[int(rng.random() * len(words.OPPORTUNITIES))]
        assigned = rng.random() < 0.6
        rows.append({
            "id": opportunity_id, "source": "营销线索",
            "customer_name": customer[1] if customer else lead["company_name"],
            "success_rate": rng.randrange(1, 10) * 10,
            "summary": summary.format(product="配电柜"),
            "contact": person.name, "contact_phone": lead["phone"],
            "description": description.format(product="配电柜", count=rng.randrange(5, 60)),
            "created_by": lead["owner"], "created_at": lead["converted_at"],
            "assigned_to": lead["owner"] if assigned else None,
            "assigned_at": lead["converted_at"] + dt.timedelta(days=1) if assigned else None,
            "status": sales.ASSIGNED if assigned else sales.UNASSIGNED,
            "customer": customer[0] if customer else None, "version": 2 if assigned else 1})
    insert_rows(Opportunity, rows)
    return ids


__all__ = ["fill_leads_at_scale", "make_campaigns", "other_spelling"]
