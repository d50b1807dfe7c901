"""Quotes (报价): the quote and its lines; the rights to quote and to see
every quote."""
from peewee import (CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, Model, Table, TextField)

PERMISSIONS = {
    "quote.create": "draft, send and settle quotes of own customers",
    "quote.view_all": "see every quote (with quote.create: act on every quote)",
}
GRANTS = {
    "admin": list(PERMISSIONS),
    "executive": ["quote.view_all"],
    "supervisor": ["quote.create", "quote.view_all"],
    "manager": ["quote.create"],
}


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

    class Contract(Model):
        class Meta:
            database = db
            table_name = "contract"

    class Quote(Model):
        number = CharField(max_length=20, unique=True)
        customer = ForeignKeyField(Customer, backref="+", on_delete="RESTRICT")
        opportunity = ForeignKeyField(Opportunity, backref="+", null=True, on_delete="SET NULL")
        valid_until = DateField(index=True)
        note = TextField(default="")
        status = CharField(max_length=12, default="draft", index=True)
        contract = ForeignKeyField(Contract, backref="+", null=True, on_delete="SET NULL")
        created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "quote"

    class QuoteLine(Model):
        quote = ForeignKeyField(Quote, backref="+", on_delete="CASCADE")
        product_id = IntegerField()
        product_name = CharField(max_length=200)
        unit = CharField(max_length=10, default="")
        quantity = IntegerField()
        unit_price = DecimalField(max_digits=12, decimal_places=2)
        discount = DecimalField(max_digits=5, decimal_places=2, default=0)
        amount = DecimalField(max_digits=14, decimal_places=2)

        class Meta:
            database = db
            table_name = "quote_line"

    db.create_tables([Quote, QuoteLine])

    role = Table("role", ("id", "key")).bind(db)
    permission = Table("permission", ("id", "code", "description")).bind(db)
    grant = Table("role_permission", ("id", "role_id", "permission_id")).bind(db)
    permission.insert([(code, text) for code, text in PERMISSIONS.items()],
                      columns=[permission.code, permission.description]).execute()
    permission_ids = dict(permission.select(permission.code, permission.id)
                          .where(permission.code.in_(list(PERMISSIONS))).tuples())
    for key, codes in GRANTS.items():
        role_id = role.select(role.id).where(role.key == key).scalar()
        if role_id is not None:
            grant.insert([(role_id, permission_ids[code]) for code in codes],
                         columns=[grant.role_id, grant.permission_id]).execute()


def down(migrator, db):
    db.execute_sql("DROP TABLE quote_line")
    db.execute_sql("DROP TABLE quote")
