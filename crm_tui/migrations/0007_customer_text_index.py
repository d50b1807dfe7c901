"""A text index on customer numbers and names, for the list's search.

SQLite: an FTS5 table with the trigram tokenizer (any substring of three
characters or more, Chinese included, found without reading every
customer), its content read from the customer table and kept in step by
triggers. PostgreSQL: trigram (pg_trgm) GIN indexes, which ILIKE '%...%'
uses by itself.
"""
from peewee import PostgresqlDatabase

SQLITE = [
    "CREATE VIRTUAL TABLE customer_text USING fts5("
    "number, name, content='customer', content_rowid='id', tokenize='trigram')",
    "INSERT INTO customer_text (customer_text) VALUES ('rebuild')",
    "CREATE TRIGGER customer_text_insert AFTER INSERT ON customer BEGIN "
    "INSERT INTO customer_text (rowid, number, name) VALUES (new.id, new.number, new.name); END",
    "CREATE TRIGGER customer_text_delete AFTER DELETE ON customer BEGIN "
    "INSERT INTO customer_text (customer_text, rowid, number, name) "
    "VALUES ('delete', old.id, old.number, old.name); END",
    "CREATE TRIGGER customer_text_update AFTER UPDATE OF number, name ON customer BEGIN "
    "INSERT INTO customer_text (customer_text, rowid, number, name) "
    "VALUES ('delete', old.id, old.number, old.name); "
    "INSERT INTO customer_text (rowid, number, name) VALUES (new.id, new.number, new.name); END",
]

POSTGRESQL = [
    # In public, whatever the search path: one extension serves every schema.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public",
    "CREATE INDEX customer_number_trigram ON customer USING gin (number public.gin_trgm_ops)",
    "CREATE INDEX customer_name_trigram ON customer USING gin (name public.gin_trgm_ops)",
]


def up(migrator, db):
    for statement in POSTGRESQL if isinstance(db, PostgresqlDatabase) else SQLITE:
        db.execute_sql(statement)
