"""Saved views: a named filter, sort and choice of columns of one list, kept
per user; an administrator may publish a view to everyone (saved_view.publish)."""
from peewee import (BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model,
                    Table, TextField)

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
    db.execute_sql("DROP TABLE saved_view")
    db.execute_sql("DELETE FROM role_permission WHERE permission_id IN "
                   "(SELECT id FROM permission WHERE code = 'saved_view.publish')")
    db.execute_sql("DELETE FROM permission WHERE code = 'saved_view.publish'")
