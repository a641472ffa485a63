"""Full-text search over every story's title, current text and notes.

One search document per story lives in the table ``reviews_search`` (created by migration
0008 with SQL of its own, so no model stands for it):

- PostgreSQL: a plain table (article_id, title, body, notes) plus a stored generated
  ``document`` tsvector (title weight A, body B, notes C) with a GIN index. The database
  recomputes the vector whenever a row is written, so it can never drift from the text.
  Its configuration, ``newsroom_english`` (migration 0009), stems English and ignores
  accents (``unaccent``), as the SQLite table does. Ranking is ``ts_rank_cd``; snippets come from ``ts_headline``; the query goes through
  ``websearch_to_tsquery``, which never raises on user input, and each word searched as a
  prefix through ``to_tsquery`` with a quoted word of letters and digits only
  (``'soleiman':*``), which cannot raise either.
- SQLite: an FTS5 virtual table (rowid = article id, porter stemming like PostgreSQL's
  English configuration). Ranking is ``bm25()`` (title weighted highest); snippets come
  from ``highlight()`` and ``snippet()``; the MATCH string is built here from the words of
  the query, each one quoted, so FTS5 syntax in user input is never interpreted.

Prefixes: a word typed outside quotes of at least MIN_PREFIX_CHARS letters or digits also
finds the longer words it starts ("soleiman" finds "Soleimani"), on both databases; phrases
and words in quotes stay exact, exclusions exclude whole words only. A story that matches
the query with whole words ranks above every story that matches only through a prefix
(``_ranks``); each group is ranked as before. Both databases stem the typed word before
matching the prefix, as they stem whole words.

The document is rewritten (one DELETE and one INSERT … SELECT) whenever a story is created,
revised or retitled and whenever a note or reply is written or deleted: the signal handlers
below catch every save through the ORM, including the story form's retitle and Django
admin. Bulk writers that bypass signals (``bulk_create``: generate_data) call
``reindex_range`` / ``reindex_all`` themselves; migration 0008 backfills.

Snippets are safe HTML: the database wraps matches in two private sentinel characters
(which the document never contains: they are stripped when it is written), the text is
escaped here, and only then are the sentinels turned into ``<mark>``. (PostgreSQL's
headline drops what its parser takes for HTML tags; a title it would change that way is
shown unmarked rather than altered.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db import connection as default_connection
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Annotation, Article, Reply

TABLE = "reviews_search"
CONFIG = "newsroom_english"  # PostgreSQL text search configuration (migration 0009: English, accents ignored)
START, STOP = "\x02", "\x03"  # marks around matched words, from the database to _markup
MAX_FIELD_CHARS = 100_000  # words beyond this in a story's text (or its notes) are not indexed
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 16
# A search ranks at most this many matches: the most recently changed ones (see ranked_ids).
RANK_WINDOW = 500
# PostgreSQL reads the window in slices of the most recently changed stories (_window_postgres).
FIRST_SLICE = 1000
MAX_SLICES = 3
MAX_SLICED_STORIES = 20_000
# bm25() column weights (title, body, notes) and ts_rank_cd's normalisation (1: divide by
# 1 + log(document length), so long stories do not win on length alone).
BM25_WEIGHTS = "10.0, 1.0, 2.0"
PG_NORMALIZATION = 1
NOTE_SEPARATOR = " · "  # between notes in the document, so snippets show where one ends

# --- the query ------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]", re.UNICODE)
# A word that may match as a prefix: letters and digits only (punctuation at either end is
# dropped: "soleiman," and "bus*" qualify), at least MIN_PREFIX_CHARS of them.
_PREFIX_WORD = re.compile(r"[\W_]*([^\W_]+)[\W_]*", re.UNICODE)
# Shorter words are whole words only: a prefix of one or two letters stands for thousands
# of words, each one a list of stories to read from the index.
MIN_PREFIX_CHARS = 3


@dataclass(frozen=True)
class Query:
    """A user's search, parsed the way PostgreSQL's websearch_to_tsquery reads it: words
    and "quoted phrases" must all match, ``or`` between two makes either do, and a leading
    ``-`` excludes. Each term keeps its raw words; each database tokenises them itself.

    A word typed outside quotes also matches longer words it starts (see prefix): the
    query has two forms, whole words only (fts5, websearch) and with those prefixes
    (fts5_prefix, tsquery_sql)."""

    groups: tuple[tuple[str, ...], ...] = ()  # all groups must match; one term of each
    negatives: tuple[str, ...] = ()
    quoted: frozenset[str] = frozenset()  # terms typed in double quotes: exact, never prefixes

    def __bool__(self):
        return bool(self.groups or self.negatives)

    def prefix(self, term: str) -> str | None:
        """The word a positive term matches the start of, or None if it is whole words only
        (quoted, a phrase, punctuation inside, or shorter than MIN_PREFIX_CHARS)."""
        if term in self.quoted:
            return None
        found = _PREFIX_WORD.fullmatch(term)
        return found.group(1) if found and len(found.group(1)) >= MIN_PREFIX_CHARS else None

    @property
    def has_prefixes(self) -> bool:
        return any(self.prefix(t) for group in self.groups for t in group)

    def fts5(self) -> str:
        """The FTS5 MATCH string for the positive part, whole words only (empty when there
        is none)."""
        return self._fts5(prefixes=False)

    def fts5_prefix(self) -> str:
        """The FTS5 MATCH string with the prefixes: ``"soleiman"*`` (FTS5 stems the word,
        then takes every token that starts with it)."""
        return self._fts5(prefixes=True)

    def _fts5(self, prefixes: bool) -> str:
        groups = []
        for group in self.groups:
            terms = [_fts5_string(t, self.prefix(t) if prefixes else None) for t in group]
            groups.append(terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")")
        out = " AND ".join(groups)
        if out:
            for term in self.negatives:
                out += " NOT " + _fts5_string(term)
        return out

    def fts5_negatives(self) -> str:
        return " OR ".join(_fts5_string(t) for t in self.negatives)

    def websearch(self) -> str:
        """The same query rewritten for websearch_to_tsquery, with nothing left to guess
        (whole words only)."""
        parts = [" or ".join(_websearch_term(t) for t in group) for group in self.groups]
        parts += ["-" + _websearch_term(t) for t in self.negatives]
        return " ".join(parts)

    def websearch_negatives(self) -> str:
        return " or ".join(_websearch_term(t) for t in self.negatives)

    def tsquery_sql(self) -> tuple[str, list[str]]:
        """A PostgreSQL expression (and its parameters) for the tsquery with the prefixes.

        websearch_to_tsquery knows no prefixes, so the groups with a prefix word are built
        apart and ANDed (``&&``) with websearch_to_tsquery of the rest: each prefix word
        through ``to_tsquery('…', '''word'':*')`` (letters and digits only, so nothing in it
        is tsquery syntax), the group's other terms through websearch_to_tsquery each,
        ORed (``||``). Negatives stay in the websearch part: whole words. Every function is
        immutable. A word that is a stop word yields an empty tsquery, which ``&&`` and
        ``||`` skip, as websearch_to_tsquery drops it.

        With a prefix the expression is a scalar subquery, which the planner cannot see
        into. Given a constant prefix query, PostgreSQL costs its GIN lookup as a scan of
        the whole index and, for a common prefix, tests the documents one by one instead
        (at 100,000 stories: a sequential scan reading every document, over a second, where
        "rare" searches and exports take their matches; the slice test reading a
        thousand). Unseen, the query is costed as one ordinary index entry, and the GIN
        index answers it as it answers whole words. Without a prefix the query stays a
        constant, planned as before."""
        rest, prefixed, params = [], [], []
        for group in self.groups:
            if not any(self.prefix(t) for t in group):
                rest.append(group)
                continue
            alternatives = []
            for term in group:
                word = self.prefix(term)
                if word:
                    alternatives.append(f"to_tsquery('{CONFIG}', %s)")
                    params.append(f"'{word}':*")
                else:
                    alternatives.append(f"websearch_to_tsquery('{CONFIG}', %s)")
                    params.append(_websearch_term(term))
            prefixed.append("(" + " || ".join(alternatives) + ")")
        whole = Query(tuple(rest), self.negatives, self.quoted).websearch()
        if not prefixed:
            return f"websearch_to_tsquery('{CONFIG}', %s)", [whole]
        if whole:
            prefixed.insert(0, f"websearch_to_tsquery('{CONFIG}', %s)")
            params.insert(0, whole)
        return "(SELECT " + " && ".join(prefixed) + ")", params


def _fts5_string(term: str, prefix: str | None = None) -> str:
    # Inside double quotes FTS5 reads nothing but words: the tokenizer splits the string
    # and the words must appear in order (a phrase). Terms never contain a double quote.
    # A prefix is letters and digits only; the * after the closing quote makes it one.
    if prefix:
        return f'"{prefix}"*'
    return '"' + term.replace('"', " ") + '"'


def _websearch_term(term: str) -> str:
    return f'"{term}"' if " " in term else term


def parse(text: str) -> Query:
    """Parse a search box's text. Never raises; terms without a letter or digit are dropped.
    A NUL character separates words: neither FTS5 (an "unterminated string") nor PostgreSQL
    accepts one in a query."""
    text = (text or "")[:MAX_QUERY_CHARS].replace("\x00", " ")
    groups: list[list[str]] = []
    negatives: list[str] = []
    exact: set[str] = set()  # terms typed in quotes
    join_next = False  # the previous token was "or"
    i, n = 0, len(text)
    count = 0
    while i < n and count < MAX_QUERY_TERMS:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negate = False
        while i < n and text[i] in "-+!":
            negate = negate or text[i] in "-!"
            i += 1
        if i < n and text[i] == '"':
            close = text.find('"', i + 1)
            close = n if close < 0 else close
            raw, i = text[i + 1 : close], close + 1
            words = [w for w in re.split(r'[\s"]+', raw) if _WORD.search(w)]
            term = " ".join(words)
            quoted = True
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] != '"':
                j += 1
            raw, i = text[i:j], j
            term = raw if _WORD.search(raw) else ""
            quoted = False
        if not term:
            continue
        if not quoted and not negate and term.lower() == "or":
            join_next = bool(groups)
            continue
        count += 1
        if quoted:
            exact.add(term)
        if negate:
            negatives.append(term)
            join_next = False
        elif join_next and groups:
            groups[-1].append(term)
            join_next = False
        else:
            groups.append([term])
    return Query(tuple(tuple(g) for g in groups), tuple(negatives), frozenset(exact))


# --- searching ------------------------------------------------------------------------------


def _is_postgres(connection=None) -> bool:
    return (connection or default_connection).vendor == "postgresql"


def _matching_ids_sql(match: str | tuple[str, list[str]]) -> RawSQL:
    """The ids of the stories matching an FTS5 MATCH string (SQLite) or, on PostgreSQL, a
    websearch_to_tsquery string or a tsquery expression and its parameters (tsquery_sql)."""
    if not _is_postgres():
        return RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", [match])
    tsquery, params = match if isinstance(match, tuple) else (f"websearch_to_tsquery('{CONFIG}', %s)", [match])
    return RawSQL(f"SELECT article_id FROM {TABLE} WHERE document @@ {tsquery}", params)


def _prefix_match(query: Query) -> str | tuple[str, list[str]]:
    """The query with its prefixes, for _matching_ids_sql: what the queue lists."""
    return query.tsquery_sql() if _is_postgres() else query.fts5_prefix()


def matching(articles, query: Query):
    """Every story in articles that matches query (which has words to find), prefixes
    included, unranked: for "export all that match", where the ranking window (ranked_ids)
    must not cut the list."""
    return articles.filter(pk__in=_matching_ids_sql(_prefix_match(query)))


def exclude(articles, query: Query):
    """A search of exclusions only ("-parking"): every story without those (whole) words."""
    negatives = query.websearch_negatives() if _is_postgres() else query.fts5_negatives()
    return articles.exclude(pk__in=_matching_ids_sql(negatives))


def ranked_ids(articles, query: Query) -> list[int]:
    """Ids of the stories in articles matching query (which has words to find), best first.

    Ranking every match of a common word would read every matching document, so ranking
    covers the RANK_WINDOW most recently changed matches (prefixes included): _window finds
    their ids (the index answers "which stories match", the filters and the recency order
    come from the story table) and one more query ranks just those. With fewer matches every
    one is ranked. Stories matching with whole words come first, then those matching only
    through a prefix; ties go to the story changed last. (The window holds the most recent
    matches of either kind: a rare whole word whose longer forms are common, such as
    "soleiman" among many newer "Soleimani" stories, may fall outside it; typed in quotes it
    is searched as a whole word only.)
    """
    window = _window(articles, query)
    ranks = _ranks(window, query)
    recency = {pk: i for i, pk in enumerate(window)}
    return sorted(ranks, key=lambda pk: (-ranks[pk][0], -ranks[pk][1], recency[pk]))


def _window(articles, query: Query) -> list[int]:
    """The ids of the RANK_WINDOW most recently changed stories matching query."""
    if _is_postgres():
        return _window_postgres(articles, query)
    table = default_connection.ops.quote_name(Article._meta.db_table)
    # "+rowid", as in _ranks: with a filter, SQLite would otherwise walk the stories newest
    # first and run the whole MATCH again for each one (a prefix costing most).
    where = [f"+{TABLE}.rowid = {table}.id", f"{TABLE} MATCH %s"]
    # ``extra``: Django has no other way to join a table that has no model.
    joined = articles.extra(tables=[TABLE], where=where, params=[query.fts5_prefix()])
    return list(joined.order_by("-updated_at", "-id").values_list("pk", flat=True)[:RANK_WINDOW])


def _window_postgres(articles, query: Query) -> list[int]:
    """The window on PostgreSQL, read in slices of the most recently changed stories.

    Left to itself the planner walks the stories newest first and reads each one's document
    to test it (a document is a few kilobytes stored out of line), so a search matching one
    story in twenty read ten thousand documents. Here the stories are taken a slice at a
    time (the filters and the recency order come from the story table) and the GIN index is
    intersected with each slice (_matching_among), which reads no document at all. The
    first slice's share of matches sizes the next; a search too rare for a few slices to
    fill the window looks up its matches first instead (_window_by_matches). At most
    MAX_SLICES slices: the number of queries does not grow with the number of stories.
    """
    recent = articles.order_by("-updated_at", "-id").values_list("pk", flat=True)
    found: list[int] = []
    start, size = 0, FIRST_SLICE
    for _ in range(MAX_SLICES):
        ids = list(recent[start : start + size])
        matched = _matching_among(ids, query) - set(found)  # a story moved between slices
        found.extend(pk for pk in ids if pk in matched)
        if len(found) >= RANK_WINDOW or len(ids) < size:
            return found[:RANK_WINDOW]
        start += size
        if not found:
            break
        # Enough stories to fill the window at the rate seen so far, and half as many again.
        size = math.ceil((RANK_WINDOW - len(found)) * start / len(found) * 1.5)
        if start + size > MAX_SLICED_STORIES:
            break
    return _window_by_matches(articles, query)


def _matching_among(ids: list[int], query: Query) -> set[int]:
    """Which of these stories match query: the GIN index ANDed with the primary key index."""
    if not ids:
        return set()
    with transaction.atomic(), default_connection.cursor() as cursor:
        # A plain index scan on the primary key would read every one of these stories'
        # documents to test it; without it the planner combines the two indexes' bitmaps
        # (or reads just the matches' rows). SET LOCAL ends with this transaction; it is put
        # back by hand in case the caller's transaction goes on.
        cursor.execute("SELECT current_setting('enable_indexscan'), "
                       "set_config('enable_indexscan', 'off', true)")
        before = cursor.fetchone()[0]
        tsquery, params = query.tsquery_sql()
        cursor.execute(
            f"SELECT article_id FROM {TABLE} WHERE document @@ {tsquery} AND article_id = ANY(%s)",
            [*params, ids],
        )
        matched = {pk for (pk,) in cursor.fetchall()}
        cursor.execute("SELECT set_config('enable_indexscan', %s, true)", [before])
    return matched


def _window_by_matches(articles, query: Query) -> list[int]:
    """The window of a rare search: its matches first (OFFSET 0 keeps the planner from
    folding them back into a walk over every story), then the filters and the order."""
    matches = _matching_ids_sql(query.tsquery_sql())
    found = articles.filter(pk__in=RawSQL(matches.sql + " OFFSET 0", matches.params)).order_by("-updated_at", "-id")
    return list(found.values_list("pk", flat=True)[:RANK_WINDOW])


def _ranks(ids: list[int], query: Query) -> dict[int, tuple[int, float]]:
    """(1 if it matches with whole words, else 0; relevance) of each of these stories that
    matches query, prefixes included. Higher is better. The relevance of a whole-word match
    is its rank for the whole-word query, as without prefixes; that of a prefix-only match
    is its rank for the query with prefixes."""
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    with default_connection.cursor() as cursor:
        if _is_postgres():
            # The match is tested in the SELECT list, not the WHERE clause: there the planner
            # may read every story the GIN index offers (thousands, each document fetched to
            # check a phrase) and only then keep these ids. The whole-word test is made once,
            # in the subquery (OFFSET 0 keeps it there), and a whole-word match is never
            # tested against the prefixes.
            tsquery, params = query.tsquery_sql()
            cursor.execute(
                f"SELECT article_id, whole, CASE "
                f"WHEN whole THEN ts_rank_cd(document, e, {PG_NORMALIZATION}) "
                f"WHEN document @@ p THEN ts_rank_cd(document, p, {PG_NORMALIZATION}) END "
                f"FROM (SELECT article_id, document, document @@ e AS whole, e, p "
                f"FROM {TABLE}, (SELECT websearch_to_tsquery('{CONFIG}', %s) AS e, {tsquery} AS p) AS q "
                f"WHERE article_id IN ({marks}) OFFSET 0) AS s",
                [query.websearch(), *params, *ids],
            )
            rows = cursor.fetchall()
        else:
            # bm25() belongs to its statement's MATCH: one SELECT per form of the query.
            # "+rowid": FTS5 would take "rowid IN" as one lookup per id and run the whole
            # MATCH again for each (a prefix merging the index's lists of every word it
            # starts, each time: seconds at 20,000 stories); this way it runs the MATCH once
            # and SQLite keeps the ids asked for.
            sql = (f"SELECT rowid, %s, -bm25({TABLE}, {BM25_WEIGHTS}) FROM {TABLE} "
                   f"WHERE {TABLE} MATCH %s AND +rowid IN ({marks})")
            whole, prefixed = query.fts5(), query.fts5_prefix()
            if prefixed == whole:
                cursor.execute(sql, [True, whole, *ids])
            else:
                cursor.execute(f"{sql} UNION ALL {sql}", [True, whole, *ids, False, prefixed, *ids])
            rows = cursor.fetchall()
    ranks: dict[int, tuple[int, float]] = {}
    for pk, is_whole, rank in rows:
        if rank is not None:
            ranks[pk] = max(ranks.get(pk, (0, -math.inf)), (1 if is_whole else 0, rank))
    return ranks


@dataclass(frozen=True)
class Hit:
    """Where a story matched, as safe HTML with the matched words in <mark>; None where
    that part of the story did not match."""

    title: SafeString | None = None
    body: SafeString | None = None
    notes: SafeString | None = None


def _markup(text: str | None) -> SafeString | None:
    """Escape text and turn the sentinel pairs into <mark>; None if nothing was marked."""
    if not text or START not in text:
        return None
    out, marking = [], False
    for piece in re.split(f"([{START}{STOP}])", " ".join(text.split())):
        if piece == START:
            if not marking:
                out.append("<mark>")
                marking = True
        elif piece == STOP:
            if marking:
                out.append("</mark>")
                marking = False
        elif piece:
            out.append(escape(piece))
    if marking:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308  every piece of text was escaped above


def hits(article_ids, query: Query) -> dict[int, Hit]:
    """Highlighted snippets of the given stories for query, in one SQL query."""
    ids = [int(i) for i in article_ids]
    if not ids or not query.groups:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    with default_connection.cursor() as cursor:
        if _is_postgres():
            common = f'StartSel="{START}", StopSel="{STOP}"'
            tsquery, params = query.tsquery_sql()
            cursor.execute(
                f"SELECT article_id, title, "
                f"ts_headline('{CONFIG}', title, q, %s), "
                f"ts_headline('{CONFIG}', body, q, %s), "
                f"ts_headline('{CONFIG}', notes, q, %s) "
                f"FROM {TABLE}, (SELECT {tsquery} AS q) AS tsq "
                f"WHERE article_id IN ({marks})",  # no @@ here: see _ranks; these ids matched
                [
                    f"{common}, HighlightAll=true",
                    f'{common}, MaxFragments=2, MaxWords=22, MinWords=8, FragmentDelimiter=" … "',
                    f'{common}, MaxFragments=1, MaxWords=20, MinWords=8',
                    *params,
                    *ids,
                ],
            )
        else:
            cursor.execute(
                f"SELECT rowid, title, highlight({TABLE}, 0, %s, %s), "
                f"snippet({TABLE}, 1, %s, %s, '…', 28), snippet({TABLE}, 2, %s, %s, '…', 20) "
                f"FROM {TABLE} WHERE {TABLE} MATCH %s AND +rowid IN ({marks})",  # see _ranks
                [START, STOP, START, STOP, START, STOP, query.fts5_prefix(), *ids],
            )
        rows = cursor.fetchall()
    return {
        pk: Hit(title=_markup(marked) if _unmarked(marked) == title else None,
                body=_markup(body), notes=_markup(notes))
        for pk, title, marked, body, notes in rows
    }


def _unmarked(text: str | None) -> str:
    return (text or "").replace(START, "").replace(STOP, "")


# --- keeping the documents current ----------------------------------------------------------


def _document_select(connection, where: str) -> str:
    """SELECT (id, title, body, notes) for the stories matching where (over alias a)."""
    if _is_postgres(connection):
        concat = "string_agg(x.body, %s ORDER BY x.o1, x.o2)"
    else:
        concat = "group_concat(x.body, %s)"
    notes = (
        f"(SELECT {concat} FROM ("
        "SELECT n.body AS body, n.id AS o1, 0 AS o2 FROM reviews_annotation n "
        "WHERE n.article_id = a.id "
        "UNION ALL SELECT r.body, r.annotation_id, r.id FROM reviews_reply r "
        "JOIN reviews_annotation n2 ON n2.id = r.annotation_id WHERE n2.article_id = a.id"
        ") x)"
    )

    def clean(expr):
        return f"replace(replace(substr(coalesce({expr}, ''), 1, {MAX_FIELD_CHARS}), %s, ''), %s, '')"

    return (
        f"SELECT a.id, {clean('a.title')}, {clean('rv.text')}, {clean(notes)} "
        "FROM reviews_article a LEFT JOIN reviews_revision rv ON rv.id = a.current_revision_id "
        f"WHERE {where}"
    )


def _reindex(connection, where: str, params: list) -> None:
    """Replace the documents of the stories whose id matches where ("{col} IN (…)")."""
    postgres = _is_postgres(connection)
    key = "article_id" if postgres else "rowid"
    select = _document_select(connection, where.format(col="a.id"))
    sentinels = [START, STOP]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if postgres:
            # Two requests writing notes on one story at once would otherwise both delete
            # its old document and both insert a new one: the second insert breaks the
            # primary key, or (if it came first) the document misses the other's note.
            # Locking the story rows (in id order, so two reindexes cannot deadlock) makes
            # the second wait for the first to commit; its statements then see that note.
            # NO KEY UPDATE, not UPDATE: a request that added a note already holds KEY SHARE
            # on the story (the foreign key check), and two such requests each asking for
            # FOR UPDATE would deadlock. (SQLite already lets one writer at a time in.)
            cursor.execute(
                f"SELECT id FROM reviews_article a WHERE {where.format(col='a.id')} "
                "ORDER BY id FOR NO KEY UPDATE",
                params,
            )
        # Rows of stories that no longer exist go too.
        cursor.execute(f"DELETE FROM {TABLE} WHERE {where.format(col=key)}", params)
        cursor.execute(
            f"INSERT INTO {TABLE} ({key}, title, body, notes) {select}",
            [*sentinels, *sentinels, NOTE_SEPARATOR, *sentinels, *params],
        )


def reindex(article_ids, connection=None) -> None:
    """Rewrite the search documents of these stories from their current state."""
    ids = sorted({int(i) for i in article_ids if i is not None})
    connection = connection or default_connection
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        _reindex(connection, "{col} IN (" + ", ".join(["%s"] * len(part)) + ")", part)


def reindex_range(first_id: int, last_id: int, connection=None) -> None:
    """Rewrite the documents of the stories with first_id <= id <= last_id (bulk loads)."""
    _reindex(connection or default_connection, "{col} BETWEEN %s AND %s", [first_id, last_id])


def reindex_all(connection=None, batch: int = 5000) -> int:
    """Rebuild every document (migration backfill, repairs). Returns the number of stories."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute("SELECT min(id), max(id), count(*) FROM reviews_article")
        low, high, count = cursor.fetchone()
    if count:
        for start in range(low, high + 1, batch):
            reindex_range(start, start + batch - 1, connection)
    return count


# Signals: every ORM save of a story's title or current revision, and of a note or reply.
# bulk_create and queryset.update() send none; their callers reindex themselves.


@receiver(post_save, sender=Article, dispatch_uid="search-article-saved")
def _article_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if raw:
        return
    if created or update_fields is None or {"title", "current_revision"} & set(update_fields):
        reindex([instance.pk])


@receiver(post_delete, sender=Article, dispatch_uid="search-article-deleted")
def _article_deleted(sender, instance, **kwargs):
    key = "article_id" if _is_postgres() else "rowid"
    with default_connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE {key} = %s", [instance.pk])


@receiver(post_save, sender=Annotation, dispatch_uid="search-annotation-saved")
def _annotation_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not raw and (created or update_fields is None or "body" in update_fields):
        reindex([instance.article_id])


@receiver(post_save, sender=Reply, dispatch_uid="search-reply-saved")
def _reply_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not raw and (created or update_fields is None or "body" in update_fields):
        reindex([instance.annotation.article_id])


@receiver(post_delete, sender=Annotation, dispatch_uid="search-annotation-deleted")
@receiver(post_delete, sender=Reply, dispatch_uid="search-reply-deleted")
def _note_deleted(sender, instance, **kwargs):
    article_id = instance.article_id if sender is Annotation else (
        Annotation.objects.filter(pk=instance.annotation_id).values_list("article_id", flat=True).first()
    )
    if article_id is not None:
        reindex([article_id])
