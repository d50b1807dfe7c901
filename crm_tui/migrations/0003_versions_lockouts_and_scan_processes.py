"""A version column on plan items, dictionary entries, users and roles.

Every save of those records raises it; a save that finds another version
than the one read is refused (changed since you opened it) instead of
silently writing over what someone else saved meanwhile.
"""
from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("plan_item", "version", IntegerField(default=1)),
        migrator.add_column("dictionary_entry", "version", IntegerField(default=1)),
        migrator.add_column("user", "version", IntegerField(default=1)),
        migrator.add_column("role", "version", IntegerField(default=1)),
    )
