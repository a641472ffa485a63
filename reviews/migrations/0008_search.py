"""The full-text search documents (reviews/search.py): one row per story.

PostgreSQL: a table with a generated, weighted tsvector and a GIN index on it.
SQLite: an FTS5 virtual table (rowid = article id). Both are filled from the stories
already in the database.
"""

from django.db import migrations

POSTGRES_FORWARDS = [
    """
    CREATE TABLE reviews_search (
        article_id bigint PRIMARY KEY,
        title text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        notes text NOT NULL DEFAULT '',
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, title), 'A')
            || setweight(to_tsvector('english'::regconfig, body), 'B')
            || setweight(to_tsvector('english'::regconfig, notes), 'C')
        ) STORED
    )
    """,
    "CREATE INDEX reviews_search_document ON reviews_search USING gin (document)",
]
SQLITE_FORWARDS = [
    "CREATE VIRTUAL TABLE reviews_search USING fts5("
    "title, body, notes, tokenize = 'porter unicode61 remove_diacritics 2')",
]
BACKWARDS = ["DROP TABLE IF EXISTS reviews_search"]


class RunSQLOn(migrations.RunSQL):
    """RunSQL that runs only on one database vendor."""

    def __init__(self, vendor, *args, **kwargs):
        self.vendor = vendor
        super().__init__(*args, **kwargs)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"Raw SQL for {self.vendor}"


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor in ("postgresql", "sqlite"):
        from reviews import search

        search.reindex_all(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0007_jobs")]

    operations = [
        RunSQLOn("postgresql", POSTGRES_FORWARDS, BACKWARDS),
        RunSQLOn("sqlite", SQLITE_FORWARDS, BACKWARDS),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
