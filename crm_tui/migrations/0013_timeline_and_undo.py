"""A customer's timeline and undo.

- Indexes: a customer's mail and documents read by (customer, time),
  newest first from a key, without sorting every message of a customer
  with a long history on each page.
- audit_log.change: the rows one change wrote share it, so that the change
  can be undone as a whole (rows written before it have "": they are told
  apart by actor, time, record and action).
- audit.undo_any: undo anyone's change (the administrator); everyone may
  undo their own last change.
"""
from peewee import CharField

from crm_tui.migrations.rights import grant_rights

STATEMENTS = [
    "CREATE INDEX mail_message_customer_id_date ON mail_message (customer_id, date)",
    "CREATE INDEX document_customer_id_uploaded_at ON document (customer_id, uploaded_at)",
]
PERMISSIONS = {"audit.undo_any": "undo any user's change from the audit log"}
GRANTS = {"admin": list(PERMISSIONS)}


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
    migrator.migrate(migrator.add_column("audit_log", "change", CharField(max_length=32,
                                                                           default="")))
    db.execute_sql("CREATE INDEX audit_log_change ON audit_log (change)")

    grant_rights(db, PERMISSIONS, GRANTS)
