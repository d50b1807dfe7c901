"""Received mail the CRM could not read or had to clean: why, and the
message as received (its raw bytes up to a size, and their SHA-256)."""
from peewee import BlobField, CharField, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("mail_message", "problem", TextField(default="")),
        migrator.add_column("mail_message", "original", BlobField(null=True)),
        migrator.add_column("mail_message", "original_sha256",
                            CharField(max_length=64, default="")),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("mail_message", "original_sha256"),
        migrator.drop_column("mail_message", "original"),
        migrator.drop_column("mail_message", "problem"),
    )
