"""The CRM's tables as first released.

A frozen copy of the models of that time (generated from a schema diff):
later model changes come as new migrations, never as edits here. Python-side
defaults (the clock's now) are the models' business, not the schema's.
"""
from peewee import *


def up(migrator, db):
    class Role(Model):
        key = CharField(unique=True, max_length=40)
        name = CharField(max_length=60)
        class Meta:
            database = db
            table_name = 'role'
    db.create_tables([Role])

    class User(Model):
        login = CharField(unique=True, max_length=40)
        display_name = CharField(max_length=60)
        role = ForeignKeyField(Role)
        active = BooleanField(default=True)
        password_hash = CharField(max_length=200)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class AuditLog(Model):
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField(index=True)
        table_name = CharField(max_length=60)
        row_id = IntegerField()
        action = CharField(max_length=40)
        field = CharField(max_length=60, default='')
        old = TextField(default='')
        new = TextField(default='')
        class Meta:
            database = db
            table_name = 'audit_log'
            indexes = ((('table_name', 'row_id'), False),)
    db.create_tables([AuditLog])

    class DictionaryEntry(Model):
        type = CharField(index=True, max_length=40)
        item = CharField(max_length=60)
        value = CharField(max_length=60)
        editable = BooleanField(default=True)
        sort_order = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'dictionary_entry'
            indexes = ((('type', 'item'), True),)
    db.create_tables([DictionaryEntry])

    class Customer(Model):
        number = CharField(unique=True, max_length=20)
        name = CharField(index=True, max_length=100)
        region = ForeignKeyField(DictionaryEntry, on_delete='RESTRICT')
        manager = ForeignKeyField(User, on_delete='RESTRICT')
        level = ForeignKeyField(DictionaryEntry, on_delete='RESTRICT')
        satisfaction = IntegerField()
        credit = IntegerField()
        address = CharField(max_length=200)
        postcode = CharField(max_length=10)
        phone = CharField(max_length=30)
        fax = CharField(max_length=30, default='')
        website = CharField(max_length=100, default='')
        licence_number = CharField(max_length=50, default='')
        legal_representative = CharField(max_length=50)
        registered_capital = DecimalField(null=True, max_digits=14, decimal_places=2)
        annual_turnover = DecimalField(null=True, max_digits=14, decimal_places=2)
        bank = CharField(max_length=100)
        bank_account = CharField(max_length=50)
        local_tax_number = CharField(max_length=50)
        national_tax_number = CharField(max_length=50)
        status = CharField(index=True, max_length=10, default='normal')
        lost_at = DateField(null=True)
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'customer'
            indexes = ((('manager', 'status'), False),)
    db.create_tables([Customer])

    class ChurnAlert(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        last_order_date = DateField(null=True)
        created_at = DateTimeField()
        status = CharField(index=True, max_length=10, default='warning')
        reason = TextField(default='')
        lost_date = DateField(null=True)
        closed_at = DateTimeField(null=True)
        closed_note = CharField(max_length=200, default='')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'churn_alert'
    db.create_tables([ChurnAlert])
    # At most one open alert per customer, guaranteed by the database.
    db.execute_sql(
        "CREATE UNIQUE INDEX churn_alert_one_open ON churn_alert (customer_id) "
        "WHERE status IN ('warning', 'deferred')")

    class ChurnMeasure(Model):
        alert = ForeignKeyField(ChurnAlert, on_delete='CASCADE')
        text = TextField()
        author = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'churn_measure'
    db.create_tables([ChurnMeasure])

    class Contact(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        name = CharField(max_length=50)
        sex = CharField(max_length=1)
        position = CharField(max_length=50)
        office_phone = CharField(max_length=30)
        mobile = CharField(max_length=30, default='')
        email = CharField(index=True, max_length=100, default='')
        note = TextField(default='')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'contact'
    db.create_tables([Contact])

    class Document(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        name = CharField(max_length=250)
        size = BigIntegerField()
        sha256 = CharField(index=True, max_length=64)
        uploaded_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        uploaded_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'document'
    db.create_tables([Document])

    class Interaction(Model):
        customer = ForeignKeyField(Customer, on_delete='CASCADE')
        contact = ForeignKeyField(Contact, null=True, on_delete='SET NULL')
        date = DateField(index=True)
        place = CharField(max_length=100)
        summary = CharField(max_length=200)
        detail = TextField(default='')
        note = TextField(default='')
        source = CharField(max_length=10, default='manual')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'interaction'
            indexes = ((('customer', 'date'), False),)
    db.create_tables([Interaction])

    class MailMessage(Model):
        message_id = CharField(unique=True, max_length=250)
        direction = CharField(max_length=3)
        sender = CharField(max_length=250)
        recipients = TextField(default='')
        subject = CharField(max_length=250, default='')
        body = TextField(default='')
        date = DateTimeField()
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, on_delete='SET NULL')
        interaction = ForeignKeyField(Interaction, null=True, on_delete='SET NULL')
        status = CharField(index=True, max_length=10)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'mail_message'
    db.create_tables([MailMessage])

    class Opportunity(Model):
        source = CharField(max_length=100, default='')
        customer_name = CharField(index=True, max_length=100)
        success_rate = IntegerField()
        summary = CharField(max_length=200)
        contact = CharField(max_length=50, default='')
        contact_phone = CharField(max_length=30, default='')
        description = TextField()
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField()
        assigned_to = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        assigned_at = DateTimeField(null=True)
        status = CharField(index=True, max_length=12, default='unassigned')
        ended_at = DateTimeField(null=True)
        customer = ForeignKeyField(Customer, null=True, on_delete='SET NULL')
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'opportunity'
    db.create_tables([Opportunity])

    class Permission(Model):
        code = CharField(unique=True, max_length=60)
        description = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'permission'
    db.create_tables([Permission])

    class PlanItem(Model):
        opportunity = ForeignKeyField(Opportunity, on_delete='CASCADE')
        date = DateField()
        content = TextField()
        result = TextField(default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'plan_item'
    db.create_tables([PlanItem])

    class RolePermission(Model):
        role = ForeignKeyField(Role, on_delete='CASCADE')
        permission = ForeignKeyField(Permission, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'role_permission'
            indexes = ((('role', 'permission'), True),)
    db.create_tables([RolePermission])

    class Service(Model):
        type = ForeignKeyField(DictionaryEntry, on_delete='RESTRICT')
        summary = CharField(max_length=200)
        customer = ForeignKeyField(Customer, on_delete='RESTRICT')
        request = TextField()
        status = CharField(index=True, max_length=10, default='new')
        created_by = ForeignKeyField(User, on_delete='RESTRICT')
        created_at = DateTimeField(index=True)
        assigned_to = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        assigned_at = DateTimeField(null=True)
        handling = TextField(default='')
        handled_by = ForeignKeyField(User, null=True, on_delete='RESTRICT')
        handled_at = DateTimeField(null=True)
        result = TextField(default='')
        satisfaction = IntegerField(null=True)
        archived_at = DateTimeField(null=True)
        version = IntegerField(default=1)
        class Meta:
            database = db
            table_name = 'service'
    db.create_tables([Service])

    class ServiceEvent(Model):
        service = ForeignKeyField(Service, on_delete='CASCADE')
        kind = CharField(max_length=10)
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField()
        text = TextField(default='')
        satisfaction = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'service_event'
    db.create_tables([ServiceEvent])

    class WorkerRun(Model):
        trigger = CharField(max_length=10)
        started_at = DateTimeField(index=True)
        finished_at = DateTimeField(null=True)
        scanned = IntegerField(default=0)
        added = IntegerField(default=0)
        closed = IntegerField(default=0)
        status = CharField(max_length=10, default='running')
        message = TextField(default='')
        class Meta:
            database = db
            table_name = 'worker_run'
    db.create_tables([WorkerRun])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('worker_run'))
    migrator.migrate(migrator.drop_table('service_event'))
    migrator.migrate(migrator.drop_table('service'))
    migrator.migrate(migrator.drop_table('role_permission'))
    migrator.migrate(migrator.drop_table('plan_item'))
    migrator.migrate(migrator.drop_table('permission'))
    migrator.migrate(migrator.drop_table('opportunity'))
    migrator.migrate(migrator.drop_table('mail_message'))
    migrator.migrate(migrator.drop_table('interaction'))
    migrator.migrate(migrator.drop_table('document'))
    migrator.migrate(migrator.drop_table('contact'))
    migrator.migrate(migrator.drop_table('churn_measure'))
    migrator.migrate(migrator.drop_table('churn_alert'))
    migrator.migrate(migrator.drop_table('customer'))
    migrator.migrate(migrator.drop_table('dictionary_entry'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('role'))
