"""Load the default house lexicon (reviews/language/default_lexicon.csv)."""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

CSV = Path(__file__).resolve().parent.parent / "language" / "default_lexicon.csv"


def load(apps, schema_editor):
    from reviews.language.formats import parse_csv
    from reviews.language.lexicon import fold_phrase

    LexiconTerm = apps.get_model("reviews", "LexiconTerm")
    terms, errors = parse_csv(CSV.read_text(encoding="utf-8"))
    if errors:
        raise ValueError("default lexicon has bad rows: " + "; ".join(map(str, errors[:10])))
    taken = set(LexiconTerm.objects.values_list("normalized", flat=True))
    now = timezone.now()
    LexiconTerm.objects.bulk_create(
        LexiconTerm(
            phrase=t.phrase, normalized=fold_phrase(t.phrase), category=t.category,
            severity=t.severity, rationale=t.rationale, alternatives=list(t.alternatives),
            style_note=t.style_note, exceptions=list(t.exceptions), created_at=now, updated_at=now,
        )
        for t in terms
        if fold_phrase(t.phrase) not in taken
    )


def unload(apps, schema_editor):
    apps.get_model("reviews", "LexiconTerm").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_lexicon_and_flags")]
    operations = [migrations.RunPython(load, unload)]
