"""The sales funnel (M15): opportunity stages, expected amounts and close
dates, and the targets (业绩目标) a supervisor sets per manager and month.

- The dictionary gains the type 商机阶段, one entry per stage in funnel
  order; an entry's value is the stage's default success rate in percent.
- Opportunities gain stage, expected amount and expected close date,
  filled for those that exist: the stage from the state (unassigned: the
  first contact; being developed: needs confirmed; ended: the stage last
  reached before the end), the expected amount from the largest quote made
  for it (nothing when none was), the close date from the end for ended
  ones and from creation plus a typical 90 days for open ones.
- The target table and the right to set targets (admin, executive,
  supervisor).
"""
from peewee import (JOIN, CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, Model, PostgresqlDatabase, Table, fn)

from crm_tui.migrations.rights import grant_rights

STAGE = "商机阶段"
# (item, default success rate %), in funnel order.
STAGES = [("初步接洽", 10), ("需求确认", 30), ("方案报价", 60), ("谈判审核", 80)]
# Opportunity state -> the stage it is taken to be at.
STAGE_OF_STATE = {"unassigned": "初步接洽", "assigned": "需求确认",
                  "succeeded": "谈判审核", "failed": "初步接洽"}
TYPICAL_DAYS_TO_CLOSE = 90

PERMISSIONS = {"target.set": "set the sales targets (业绩目标) of account managers"}
GRANTS = {"admin": ["target.set"], "executive": ["target.set"], "supervisor": ["target.set"]}


def up(migrator, db):
    class DictionaryEntry(Model):
        class Meta:
            database = db
            table_name = "dictionary_entry"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Target(Model):
        manager = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        month = DateField()
        amount = DecimalField(max_digits=14, decimal_places=2)
        payments = DecimalField(max_digits=14, decimal_places=2, null=True)
        new_customers = IntegerField(null=True)
        interactions = IntegerField(null=True)
        set_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        set_at = DateTimeField()
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "target"
            indexes = ((("manager", "month"), True), (("month",), False))

    entry = Table("dictionary_entry",
                  ("id", "type", "item", "value", "editable", "sort_order", "version")).bind(db)
    entry.insert([(STAGE, item, str(rate), True, order, 1)
                  for order, (item, rate) in enumerate(STAGES, start=1)],
                 columns=[entry.type, entry.item, entry.value, entry.editable,
                          entry.sort_order, entry.version]).execute()
    stage_ids = dict(entry.select(entry.item, entry.id).where(entry.type == STAGE).tuples())

    migrator.migrate(
        migrator.add_column("opportunity", "stage_id",
                            ForeignKeyField(DictionaryEntry, null=True, on_delete="RESTRICT",
                                            field=DictionaryEntry.id)),
        migrator.add_column("opportunity", "expected_amount",
                            DecimalField(max_digits=14, decimal_places=2, null=True)),
        migrator.add_column("opportunity", "expected_close", DateField(null=True)),
        # Covering the funnel's and the forecast's GROUP BYs (see models/sales.py).
        migrator.add_index("opportunity", ("status", "stage_id", "created_at", "expected_amount",
                                           "created_by_id", "assigned_to_id"), False),
        migrator.add_index("opportunity", ("expected_close", "status", "success_rate",
                                           "expected_amount", "created_by_id", "assigned_to_id"),
                           False),
    )
    db.create_tables([Target])
    _fill_opportunities(db, stage_ids)
    grant_rights(db, PERMISSIONS, GRANTS)


def _fill_opportunities(db, stage_ids):
    opportunity = Table("opportunity", ("id", "status", "created_at", "ended_at", "stage_id",
                                        "expected_amount", "expected_close")).bind(db)
    for status, item in STAGE_OF_STATE.items():
        opportunity.update(stage_id=stage_ids[item]).where(opportunity.status == status).execute()
    # The largest quote made for an opportunity is what it was expected to bring.
    quote = Table("quote", ("id", "opportunity_id")).bind(db)
    line = Table("quote_line", ("id", "quote_id", "amount")).bind(db)
    totals = (quote.select(quote.opportunity_id, fn.SUM(line.amount).alias("total"))
              .join(line, JOIN.INNER, on=(line.quote_id == quote.id))
              .where(quote.opportunity_id.is_null(False))
              .group_by(quote.id, quote.opportunity_id))
    largest: dict[int, object] = {}
    for opportunity_id, total in totals.tuples():
        if total is not None and (opportunity_id not in largest or total > largest[opportunity_id]):
            largest[opportunity_id] = total
    for opportunity_id, total in largest.items():
        opportunity.update(expected_amount=total).where(opportunity.id == opportunity_id).execute()
    # Close dates in one statement: ended ones closed when they ended.
    if isinstance(db, PostgresqlDatabase):
        close = (f"COALESCE(CAST(ended_at AS DATE), "
                 f"CAST(created_at + INTERVAL '{TYPICAL_DAYS_TO_CLOSE} days' AS DATE))")
    else:
        close = f"COALESCE(date(ended_at), date(created_at, '+{TYPICAL_DAYS_TO_CLOSE} days'))"
    db.execute_sql(f"UPDATE opportunity SET expected_close = {close}")

