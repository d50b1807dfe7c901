"""A version column on plan items, dictionary entries, users and roles;
when a user's lockout began; which process runs a churn scan.

Every save of those records raises the version; a save that finds another
version than the one read is refused (changed since you opened it) instead
of silently writing over what someone else saved meanwhile. The lockout's
start is shown to the administrator, who may lift it. A scan left
"running" by a process that no longer exists is marked interrupted by the
next worker.
"""
from peewee import CharField, DateTimeField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("plan_item", "version", IntegerField(default=1)),
        migrator.add_column("dictionary_entry", "version", IntegerField(default=1)),
        migrator.add_column("user", "version", IntegerField(default=1)),
        migrator.add_column("role", "version", IntegerField(default=1)),
        migrator.add_column("user", "locked_at", DateTimeField(null=True)),
        migrator.add_column("worker_run", "host", CharField(max_length=100, default="")),
        migrator.add_column("worker_run", "pid", IntegerField(null=True)),
        migrator.alter_column_type("worker_run", "status", CharField(max_length=12)),
    )
