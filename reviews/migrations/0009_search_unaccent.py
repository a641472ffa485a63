"""PostgreSQL search ignores accents, as SQLite's FTS5 table already does.

Editors type "Jose Muller" for José Müller. A text search configuration of our own,
``newsroom_english`` (English stemming, with the ``unaccent`` dictionary in front when the
extension can be had), replaces ``english`` in the search document and in every query
(reviews/search.py, CONFIG). unaccent ships with PostgreSQL's contrib modules (in Debian's
postgresql-15) and is a trusted extension, so the database owner may create it. Where it
cannot be created, the configuration is plain English and search still works, accents and
all; the migration says so.

The document is a stored generated column, so it is dropped and added again with the new
configuration (PostgreSQL recomputes every row) and its GIN index is rebuilt.
"""

from django.db import migrations, transaction

DOCUMENT = """
    ALTER TABLE reviews_search ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('{config}'::regconfig, title), 'A')
        || setweight(to_tsvector('{config}'::regconfig, body), 'B')
        || setweight(to_tsvector('{config}'::regconfig, notes), 'C')
    ) STORED
"""


def _rebuild_document(cursor, config):
    cursor.execute("DROP INDEX IF EXISTS reviews_search_document")
    cursor.execute("ALTER TABLE reviews_search DROP COLUMN document")
    cursor.execute(DOCUMENT.format(config=config))
    cursor.execute("CREATE INDEX reviews_search_document ON reviews_search USING gin (document)")


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):  # a savepoint: a refusal is survivable
                cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            unaccent = True
        except Exception as exc:  # noqa: BLE001  any refusal (not installed, no right) means "without"
            unaccent = False
            print(f"\n  unaccent is not available ({str(exc).strip()}): search will match "
                  "accented words only as typed.")
        cursor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS newsroom_english")
        cursor.execute("CREATE TEXT SEARCH CONFIGURATION newsroom_english (COPY = pg_catalog.english)")
        if unaccent:
            cursor.execute(
                "ALTER TEXT SEARCH CONFIGURATION newsroom_english "
                "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem"
            )
        _rebuild_document(cursor, "newsroom_english")


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        _rebuild_document(cursor, "english")
        cursor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS newsroom_english")
        # The unaccent extension stays: other things in the database may use it.


class Migration(migrations.Migration):
    dependencies = [("reviews", "0008_search")]

    operations = [migrations.RunPython(forwards, backwards)]
