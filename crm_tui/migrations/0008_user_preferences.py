"""What each user chose for themselves and keeps from one session to the
next: the colour theme and the language of the screens."""
from peewee import CharField, ForeignKeyField, Model


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class UserPreference(Model):
        user = ForeignKeyField(User, backref="+", unique=True, on_delete="CASCADE")
        theme = CharField(max_length=60, default="")
        locale = CharField(max_length=10, default="")

        class Meta:
            database = db
            table_name = "user_preference"

    db.create_tables([UserPreference])


def down(migrator, db):
    db.execute_sql("DROP TABLE user_preference")
