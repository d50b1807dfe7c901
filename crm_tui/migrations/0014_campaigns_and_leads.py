"""Marketing campaigns (营销活动) and leads (营销线索); the rights to run
campaigns and to work and assign leads; the campaign types (活动类型).
Converting a lead finds the customer it names however the name is spelt
by the customer's name key (migration 0011)."""
from peewee import (CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, Model, Table, TextField)

from crm_tui.migrations.rights import grant_rights

PERMISSIONS = {
    "campaign.view": "see campaigns and their results",
    "campaign.manage": "plan, run, end and cancel campaigns",
    "lead.create": "enter leads and work own leads up to an opportunity",
    "lead.view_all": "see every lead (with lead.create: work every lead)",
    "lead.assign": "give leads to an account manager",
}
GRANTS = {
    "admin": list(PERMISSIONS),
    "executive": ["campaign.view", "lead.view_all"],
    "supervisor": ["campaign.view", "campaign.manage", "lead.create", "lead.view_all",
                   "lead.assign"],
    "manager": ["campaign.view", "lead.create"],
}
CAMPAIGN_TYPES = ["展会", "研讨会", "邮件营销", "广告", "其他"]
def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Customer(Model):
        class Meta:
            database = db
            table_name = "customer"

    class Opportunity(Model):
        class Meta:
            database = db
            table_name = "opportunity"

    class DictionaryEntry(Model):
        class Meta:
            database = db
            table_name = "dictionary_entry"

    class Campaign(Model):
        name = CharField(max_length=100)
        type = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
        start_date = DateField()
        end_date = DateField()
        budget = DecimalField(max_digits=14, decimal_places=2, null=True)
        actual_cost = DecimalField(max_digits=14, decimal_places=2, null=True)
        owner = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
        target = CharField(max_length=500, default="")
        target_view = IntegerField(null=True)
        status = CharField(max_length=12, default="planned", index=True)
        created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "campaign"

    class Lead(Model):
        company_name = CharField(max_length=100)
        contact_name = CharField(max_length=50)
        phone = CharField(max_length=30, default="")
        email = CharField(max_length=100, default="")
        region = ForeignKeyField(DictionaryEntry, backref="+", null=True, on_delete="RESTRICT")
        campaign = ForeignKeyField(Campaign, backref="+", null=True, on_delete="RESTRICT")
        owner = ForeignKeyField(User, backref="+", null=True, on_delete="RESTRICT")
        note = TextField(default="")
        status = CharField(max_length=12, default="new", index=True)
        disqualify_reason = TextField(default="")
        opportunity = ForeignKeyField(Opportunity, backref="+", null=True, on_delete="SET NULL")
        customer = ForeignKeyField(Customer, backref="+", null=True, on_delete="SET NULL")
        converted_at = DateTimeField(null=True)
        created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "lead"

    db.create_tables([Campaign, Lead])

    # Conversion finds a lead's company by customer.name_key, which
    # migration 0011 added, indexed and filled.

    entry = Table("dictionary_entry",
                  ("id", "type", "item", "value", "editable", "sort_order", "version")).bind(db)
    grant_rights(db, PERMISSIONS, GRANTS)
    # The CRM's rules speak of no particular type: the list may be edited.
    entry.insert([("活动类型", item, str(order), True, order, 1)
                  for order, item in enumerate(CAMPAIGN_TYPES, start=1)],
                 columns=[entry.type, entry.item, entry.value, entry.editable,
                          entry.sort_order, entry.version]).execute()


def down(migrator, db):
    db.execute_sql('DROP TABLE "lead"')
    db.execute_sql("DROP TABLE campaign")
