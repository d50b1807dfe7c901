"""Imports: the column mapping saved per kind and file shape, and one row
per import run (the audit rows of what it made name it). Mail
attachments: the files a message carried, and the document each became."""
from peewee import (BigIntegerField, CharField, DateTimeField, ForeignKeyField, IntegerField,
                    Model, TextField)


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class ImportMapping(Model):
        kind = CharField(max_length=40)
        shape = CharField(max_length=64)
        mapping = TextField()
        saved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        saved_at = DateTimeField()

        class Meta:
            database = db
            table_name = "import_mapping"
            indexes = ((("kind", "shape"), True),)

    class ImportRun(Model):
        kind = CharField(max_length=40)
        file_name = CharField(max_length=250)
        actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)
        created = IntegerField(default=0)
        updated = IntegerField(default=0)
        duplicates = IntegerField(default=0)
        refused = IntegerField(default=0)

        class Meta:
            database = db
            table_name = "import_run"

    class MailMessage(Model):
        class Meta:
            database = db
            table_name = "mail_message"

    class Document(Model):
        class Meta:
            database = db
            table_name = "document"

    class MailAttachment(Model):
        mail = ForeignKeyField(MailMessage, backref="+", on_delete="CASCADE")
        name = CharField(max_length=250)
        size = BigIntegerField()
        sha256 = CharField(max_length=64)
        document = ForeignKeyField(Document, null=True, backref="+", on_delete="SET NULL")
        status = CharField(max_length=12)

        class Meta:
            database = db
            table_name = "mail_attachment"

    db.create_tables([ImportMapping, ImportRun, MailAttachment])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "mail_attachment"')
    db.execute_sql('DROP TABLE IF EXISTS "import_run"')
    db.execute_sql('DROP TABLE IF EXISTS "import_mapping"')
