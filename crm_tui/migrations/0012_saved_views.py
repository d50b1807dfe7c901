"""Saved views: a named filter, sort and choice of columns of one list, kept
per user; an administrator may publish a view to everyone (saved_view.publish)."""
from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    TextField)

from crm_tui.migrations.rights import grant_rights

PERMISSIONS = {
    "saved_view.publish": "publish saved views of lists to every user",
}
GRANTS = {
    "admin": list(PERMISSIONS),
}


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class SavedView(Model):
        owner = ForeignKeyField(User, backref="+", on_delete="CASCADE")
        kind = CharField(max_length=40)
        name = CharField(max_length=60)
        filter_text = TextField(default="")
        sort = CharField(max_length=60, default="")
        descending = BooleanField(default=False)
        columns = TextField(default="")
        shared = BooleanField(default=False, index=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        version = IntegerField(default=1)

        class Meta:
            database = db
            table_name = "saved_view"
            indexes = ((("owner", "kind", "name"), True),)

    db.create_tables([SavedView])

    grant_rights(db, PERMISSIONS, GRANTS)


def down(migrator, db):
    db.execute_sql("DROP TABLE saved_view")
    db.execute_sql("DELETE FROM role_permission WHERE permission_id IN "
                   "(SELECT id FROM permission WHERE code = 'saved_view.publish')")
    db.execute_sql("DELETE FROM permission WHERE code = 'saved_view.publish'")
