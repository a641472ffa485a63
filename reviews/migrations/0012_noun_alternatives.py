""""massacre" and "slaughter" are nouns as often as verbs: "a massacre" offered "a kill".
Their default alternatives become "killing | kill" (the scanner offers "killed" for
"massacred", since "killing" has no past tense: language.lexicon.can_inflect). A term whose
alternatives an admin has changed is left alone. default_lexicon.csv holds the same."""

from django.db import migrations
from django.utils import timezone


def revise(apps, schema_editor):
    LexiconTerm = apps.get_model("reviews", "LexiconTerm")
    for term in LexiconTerm.objects.filter(normalized__in=["massacre", "slaughter"]):
        if term.alternatives == ["kill"]:
            term.alternatives, term.updated_at = ["killing", "kill"], timezone.now()
            term.save(update_fields=["alternatives", "updated_at"])


class Migration(migrations.Migration):
    dependencies = [("reviews", "0011_article_status_recent")]

    operations = [migrations.RunPython(revise, migrations.RunPython.noop)]
