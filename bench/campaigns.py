"""Campaigns and leads at scale: the lists, a campaign's results and the
lookup of a customer on file by its name key, each beside its floor
measured in the same run.

    crm-tui --config c.yaml init
    crm-tui --config c.yaml demo-data --customers 100000 --orders 0 --contracts 0 --leads 50000
    python bench/campaigns.py --url sqlite:////tmp/crm-campaigns.sqlite3

Measured:

- the Leads list as its screen asks it (count, first page, last page
  through the kind's own QuerySource) for an administrator, who sees every
  lead, and for the account manager with the most leads, beside plain
  counts and hand-written pages;
- the Campaigns list's first page (each row with its lead count);
- `campaign_results()` of the campaign with the most leads, beside the
  same figures by hand-written SQL;
- `customers_named()` (what conversion asks) beside a hand lookup on the
  name key index, and beside a scan comparing names (what a lookup
  without the stored key would cost).

Each figure is the best of --repeat runs, in milliseconds, with the ratio
to its floor.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import administrator, best_ms  # noqa: E402
from peewee import fn  # noqa: E402

from crm_tui.config import DatabaseConfig  # noqa: E402
from crm_tui.db import bind  # noqa: E402
from crm_tui.models import Campaign, Customer, Lead, User, database  # noqa: E402
from crm_tui.models.base import is_postgres  # noqa: E402
from crm_tui.models.campaigns import CAMPAIGN, LEAD, campaign_results  # noqa: E402
from crm_tui.models.customers import customers_named  # noqa: E402
from crm_tui.models.names import company_key  # noqa: E402
from crm_tui.widgets.lazy_table import PAGE_SIZE  # noqa: E402
from crm_tui.widgets.query_source import QuerySource  # noqa: E402

RESULTS_SQL = """
SELECT (SELECT COUNT(*) FROM "lead" WHERE campaign_id = {id}),
       (SELECT COUNT(*) FROM "lead" l JOIN opportunity o ON o.id = l.opportunity_id
         WHERE l.campaign_id = {id}),
       (SELECT COUNT(*) FROM "lead" l JOIN opportunity o ON o.id = l.opportunity_id
         WHERE l.campaign_id = {id} AND o.status = 'succeeded'),
       (SELECT COALESCE(SUM(c.amount), 0) FROM contract c WHERE c.status IN
          ('in_force', 'completed', 'terminated') AND c.id IN
          (SELECT q.contract_id FROM quote q JOIN "lead" l ON l.opportunity_id = q.opportunity_id
            WHERE l.campaign_id = {id}))
"""


def row(what: str, ms: float, floor_what: str, floor_ms: float) -> None:
    ratio = ms / floor_ms if floor_ms else float("nan")
    print(f"{what:<46} {ms:9.1f} ms   {floor_what:<28} {floor_ms:9.1f} ms   {ratio:5.2f}x")


def list_rows(title: str, kind, user, where: str, args) -> None:
    sql = database.execute_sql
    source = QuerySource(lambda text: kind.query(user, text, {"status": None, "parent": None}),
                         kind.columns)
    count_ms, count = best_ms(lambda: source.count(""), args.repeat)
    floor_ms, floor = best_ms(lambda: sql(f'SELECT COUNT(*) FROM "lead" {where}').fetchone()[0],
                              args.repeat)
    assert count == floor, (count, floor)
    row(f"{title}: count ({count:,})", count_ms, "plain COUNT(*)", floor_ms)
    first_ms, _ = best_ms(lambda: source.fetch("", None, False, 0, PAGE_SIZE), args.repeat)
    hand_ms, _ = best_ms(lambda: sql(
        f'SELECT * FROM "lead" {where} ORDER BY id DESC LIMIT {PAGE_SIZE}').fetchall(),
        args.repeat)
    row(f"{title}: first page", first_ms, "hand page", hand_ms)
    last = (count - 1) // PAGE_SIZE * PAGE_SIZE
    last_ms, _ = best_ms(lambda: source.fetch("", None, False, last, PAGE_SIZE), args.repeat)
    hand_last_ms, _ = best_ms(lambda: sql(
        f'SELECT * FROM "lead" {where} ORDER BY id ASC LIMIT {PAGE_SIZE}').fetchall(),
        args.repeat)
    row(f"{title}: End (last page)", last_ms, "hand keyset page", hand_last_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bind(DatabaseConfig(url=args.url))
    admin = administrator()
    sql = database.execute_sql
    print(f"{'PostgreSQL' if is_postgres() else 'SQLite'}: {Customer.select().count():,} "
          f"customers, {Campaign.select().count():,} campaigns, {Lead.select().count():,} leads")

    list_rows("leads, administrator", LEAD, admin, "", args)
    owner_id, _ = (Lead.select(Lead.owner, fn.COUNT(Lead.id)).group_by(Lead.owner)
                   .order_by(fn.COUNT(Lead.id).desc()).tuples().first())
    manager = User.get_by_id(owner_id)
    list_rows("leads, one account manager", LEAD, manager, f"WHERE owner_id = {owner_id}", args)

    campaigns = QuerySource(lambda text: CAMPAIGN.query(admin, text, {}), CAMPAIGN.columns)
    page_ms, _ = best_ms(lambda: campaigns.fetch("", None, False, 0, PAGE_SIZE), args.repeat)
    hand_ms, _ = best_ms(lambda: sql(
        f"SELECT * FROM campaign ORDER BY start_date DESC LIMIT {PAGE_SIZE}").fetchall(),
        args.repeat)
    row("campaigns: first page with lead counts", page_ms, "page without counts", hand_ms)

    biggest_id, leads = (Lead.select(Lead.campaign, fn.COUNT(Lead.id)).group_by(Lead.campaign)
                         .order_by(fn.COUNT(Lead.id).desc()).tuples().first())
    campaign = Campaign.get_by_id(biggest_id)
    results_ms, results = best_ms(lambda: campaign_results(campaign), args.repeat)
    hand_ms, hand = best_ms(lambda: sql(RESULTS_SQL.format(id=biggest_id)).fetchone(),
                            args.repeat)
    assert (results.leads, results.opportunities, results.won) == tuple(hand[:3]), (results, hand)
    row(f"campaign results ({leads:,} leads)", results_ms, "hand SQL", hand_ms)

    name = Customer.select(Customer.name).order_by(Customer.id.desc()).scalar() + " 股份有限公司"
    key = company_key(name)
    lookup_ms, found = best_ms(lambda: customers_named(name).first(), args.repeat)
    hand_ms, _ = best_ms(lambda: sql("SELECT id FROM customer WHERE name_key = ? "
                                     .replace("?", "%s" if is_postgres() else "?"),
                                     (key,)).fetchone(), args.repeat)
    assert found is not None
    row("conversion: customer by name key", lookup_ms, "hand indexed lookup", hand_ms)
    # Every name read and keyed (the scan cannot stop at a first match:
    # there may be several).
    scan_ms, _ = best_ms(lambda: [customer_id for customer_id, other in sql(
        "SELECT id, name FROM customer") if company_key(other) == key], 1)
    row("  without the stored key: every name keyed", scan_ms, "(that scan)", scan_ms)


if __name__ == "__main__":
    main()
