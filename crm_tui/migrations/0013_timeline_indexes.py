"""Indexes for a customer's timeline: its mail and its documents read by
(customer, time), newest first from a key, without sorting every message
of a customer with a long history on each page."""

STATEMENTS = [
    "CREATE INDEX mail_message_customer_id_date ON mail_message (customer_id, date)",
    "CREATE INDEX document_customer_id_uploaded_at ON document (customer_id, uploaded_at)",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
