"""Imports: the column mapping saved per kind and file shape, and one row
per import run (the audit rows of what it made name it)."""
from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


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

    db.create_tables([ImportMapping, ImportRun])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "import_run"')
    db.execute_sql('DROP TABLE IF EXISTS "import_mapping"')
