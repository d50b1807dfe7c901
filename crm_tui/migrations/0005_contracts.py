"""Contracts (合同): the contract, its approval steps, its payment plan and the
payments received; the rights to draft, see and approve them; the ways a
payment arrives (回款方式)."""
from peewee import (CharField, DateField, DateTimeField, DecimalField, ForeignKeyField,
                    IntegerField, Model, Table, TextField)

PERMISSIONS = {
    "contract.create": "draft contracts of own customers, submit them, record payments",
    "contract.view_all": "see every contract",
    "contract.approve": "approve or reject submitted contracts",
    "contract.approve_large": "approve contracts above the executive approval amount",
}
GRANTS = {
    "admin": list(PERMISSIONS),
    "executive": ["contract.view_all", "contract.approve_large"],
    "supervisor": ["contract.view_all", "contract.approve"],
    "manager": ["contract.create"],
}
PAYMENT_METHODS = ["银行转账", "承兑汇票", "现金"]


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Customer(Model):
        class Meta:
            database = db
            table_name = "customer"

    class Contact(Model):
        class Meta:
            database = db
            table_name = "contact"

    class DictionaryEntry(Model):
        class Meta:
            database = db
            table_name = "dictionary_entry"

    class Contract(Model):
        number = CharField(max_length=20, unique=True)
        title = CharField(max_length=200)
        customer = ForeignKeyField(Customer, backref="+", on_delete="RESTRICT")
        amount = DecimalField(max_digits=14, decimal_places=2)
        start_date = DateField()
        end_date = DateField()
        sign_date = DateField(null=True)
        payment_terms = CharField(max_length=500, default="")
        our_signer = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
        customer_signer = ForeignKeyField(Contact, backref="+", null=True, on_delete="SET NULL")
        note = TextField(default="")
        status = CharField(max_length=12, default="draft", index=True)
        created_by = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
        created_at = DateTimeField()
        supervisor_approved_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
        termination_reason = TextField(default="")
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "contract"

    class ContractStep(Model):
        contract = ForeignKeyField(Contract, backref="+", on_delete="CASCADE")
        step = CharField(max_length=12)
        actor = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
        at = DateTimeField()
        comment = TextField(default="")

        class Meta:
            database = db
            table_name = "contract_step"

    class Instalment(Model):
        contract = ForeignKeyField(Contract, backref="+", on_delete="CASCADE")
        due_date = DateField(index=True)
        amount = DecimalField(max_digits=14, decimal_places=2)
        note = CharField(max_length=200, default="")

        class Meta:
            database = db
            table_name = "instalment"

    class Payment(Model):
        contract = ForeignKeyField(Contract, backref="+", on_delete="CASCADE")
        instalment = ForeignKeyField(Instalment, backref="+", on_delete="CASCADE")
        date = DateField()
        amount = DecimalField(max_digits=14, decimal_places=2)
        method = ForeignKeyField(DictionaryEntry, backref="+", on_delete="RESTRICT")
        reference = CharField(max_length=100, default="")
        recorded_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
        recorded_at = DateTimeField()

        class Meta:
            database = db
            table_name = "payment"

    db.create_tables([Contract, ContractStep, Instalment, Payment])

    role = Table("role", ("id", "key")).bind(db)
    permission = Table("permission", ("id", "code", "description")).bind(db)
    grant = Table("role_permission", ("id", "role_id", "permission_id")).bind(db)
    entry = Table("dictionary_entry",
                  ("id", "type", "item", "value", "editable", "sort_order", "version")).bind(db)
    permission.insert([(code, text) for code, text in PERMISSIONS.items()],
                      columns=[permission.code, permission.description]).execute()
    permission_ids = dict(permission.select(permission.code, permission.id)
                          .where(permission.code.in_(list(PERMISSIONS))).tuples())
    for key, codes in GRANTS.items():
        role_id = role.select(role.id).where(role.key == key).scalar()
        if role_id is not None:
            grant.insert([(role_id, permission_ids[code]) for code in codes],
                         columns=[grant.role_id, grant.permission_id]).execute()
    # The CRM's rules speak of no particular method: the list may be edited.
    entry.insert([("回款方式", item, str(order), True, order, 1)
                  for order, item in enumerate(PAYMENT_METHODS, start=1)],
                 columns=[entry.type, entry.item, entry.value, entry.editable,
                          entry.sort_order, entry.version]).execute()


def down(migrator, db):
    db.execute_sql("DROP TABLE payment")
    db.execute_sql("DROP TABLE instalment")
    db.execute_sql("DROP TABLE contract_step")
    db.execute_sql("DROP TABLE contract")
