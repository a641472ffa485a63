"""Generate realistic-looking stories in bulk for the benchmarks (and for trying the app at
scale). Everything is made with bulk inserts in batches; the search documents are built in
bulk per batch. Deterministic for a given --seed.

    manage.py generate_data --stories 100000 --annotations 2
    manage.py generate_data --stories 1 --words 10000 --annotations 500 --replies 250 --flags 200

The first line printed names the first story created ("First story id: 123"); then
progress, then a summary.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from reviews import anchoring, language, search, services, workflow
from reviews.models import Annotation, Article, Flag, Reply, ReviewEvent, Revision

DEFAULT_PASSWORD = "newsroom-generated"
BATCH = 1000

PLACES = (
    "Ashford Bramley Carrow Dunmore Eastleigh Fenwick Glenrock Halden Ivybridge Jarrow Kelso "
    "Larkhill Marston Northgate Oakridge Pendle Queensferry Redcar Saltash Thornbury Upwell "
    "Ventnor Whitby Yarmouth Alderney Brixham Corbridge Dornoch Elgin Falmouth Girvan Hexham "
    "Ilkley Keswick Ludlow Malton Nairn Otley Penrith Ripon Selby Tenby Ullapool Wells Wigton "
    "Barnard Clifton Dalby Eskdale Fairlie Greystoke Hawick Innerleith Kirkby Lowther Millom "
    "Newbiggin Ormsby Polwarth Rothbury Stanhope Tarbert Usk Walsham Yeadon Zennor"
).split()
FIRST = (
    "Amara Ben Chloe Dev Elena Farid Grace Hamid Ines Jonah Kiri Lena Marco Nadia Owen Priya "
    "Quinn Rosa Sami Tara Umar Vera Wes Xin Yara Zoltan Aled Bea Ciaran Dana Emeka Fiona Gus "
    "Hana Ivo Jess Kofi Lior Mei Niamh Oskar Pilar Rhys Sofia Tomasz Uma Vikram Wanjiru"
).split()
LAST = (
    "Abara Bellamy Castellanos Dunleavy Eriksen Fairweather Gallagher Hollis Iwu Jankowski "
    "Kaur Lindqvist Mbeki Nakamura Okonjo Pellegrini Quayle Rahman Sorensen Tremblay Uddin "
    "Varga Whitlock Xu Yilmaz Zamora Achebe Brannigan Cho Delacroix Esposito Fontaine Gupta "
    "Haddad Ivanova Jovanovic Kowalczyk Laurent Moreau Novak Osei Petrov Rossi Silva Tanaka "
    "Urquhart Vasquez Wojcik Yamada Ziegler Adeyemi Borg Cardoso Dimitrov Ekwueme Ferreira"
).split()
# Rare surnames (2,000 of them) for each story's lead: searches for a rare word.
RARE_SURNAMES = [
    a + b + c
    for a in "Al Bre Cor Dun Ek Fal Gor Hal Ist Jar Kel Lum Mor Nes Orm Pell Quin Rav Sten Tor".split()
    for b in "ber dal fen gar lin mer nor ros tan vel".split()
    for c in "by croft ford ham ley more ton wick worth ridge".split()
]
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
ROLES = (
    "council leader,transport officer,head teacher,consultant surgeon,chief constable,"
    "harbour master,planning officer,union representative,finance director,parish clerk,"
    "housing officer,ward councillor,site manager,chief executive,spokeswoman,spokesman,"
    "ecologist,economist,magistrate,fire officer,librarian,club secretary,curator"
).split(",")

# Each topic: organisations, things, actions done to them, and its own words.
TOPICS = {
    "transport": ("county council|bus company|rail operator|highways agency|ferry service",
                  "bus lane|timetable|level crossing|ring road|cycle path|tram extension|parking charge|ferry route|station car park|bypass",
                  "approved|delayed|rerouted|consulted on|resurfaced|extended|paused|funded",
                  "commuters passengers drivers cyclists fares junction roadworks signalling depot platform"),
    "health": ("hospital trust|health board|ambulance service|medical practice|care home",
               "waiting list|maternity unit|vaccination clinic|emergency department|cancer screening|mental health service|pharmacy rota|staffing plan",
               "expanded|reviewed|inspected|relocated|merged|staffed|audited|reopened",
               "patients nurses doctors appointments beds referrals inspectors clinicians ward outpatients"),
    "education": ("academy trust|school governors|university|college|education authority",
                  "catchment area|school meals contract|exam timetable|new science block|teaching assistant posts|admissions policy|apprenticeship scheme",
                  "published|revised|expanded|consulted on|approved|postponed|funded|inspected",
                  "pupils teachers parents students lecturers headteacher curriculum classrooms enrolment"),
    "housing": ("housing association|planning committee|developer|tenants group|landlord",
                "affordable homes|tower block|rent increase|planning application|cladding repairs|housing waiting list|brownfield site",
                "approved|refused|appealed|delayed|surveyed|demolished|refurbished|rezoned",
                "tenants residents flats terraces leaseholders planning surveyors mortgage deposit"),
    "courts": ("crown court|magistrates court|tribunal|coroner|prosecution service",
               "fraud trial|sentencing hearing|inquest|appeal|bail application|jury verdict|compensation claim",
               "adjourned|heard|concluded|upheld|dismissed|scheduled|reopened",
               "defendant jurors barrister solicitor witness evidence testimony judge hearing"),
    "environment": ("environment agency|wildlife trust|water company|national park authority|flood board",
                    "flood defences|sewage outflow|tree planting scheme|river survey|recycling centre|air quality monitor|wetland reserve",
                    "monitored|restored|reported|cleaned|expanded|tested|protected",
                    "otters salmon hedgerows emissions rainfall wetlands pollution estuary moorland"),
    "economy": ("chamber of commerce|retail park|factory|credit union|enterprise zone",
                "business rates|jobs fair|shop closures|market hall|energy costs|export orders|high street grant",
                "announced|cut|raised|frozen|forecast|secured|expanded",
                "employers traders shoppers inflation wages turnover apprentices investors exports"),
    "sport": ("football club|cricket club|rugby union side|leisure centre|athletics club",
              "stadium lease|youth academy|cup tie|floodlights|pitch renovation|season ticket prices|swimming pool",
              "signed|renovated|hosted|reopened|won|drew|lost",
              "supporters striker goalkeeper league fixtures tournament coach spectators referee"),
    "culture": ("arts council|museum|theatre company|library service|festival committee",
                "summer festival|exhibition|archive collection|grant round|opening hours|heritage trail",
                "opened|curated|announced|extended|digitised|restored|funded",
                "visitors artists audiences manuscripts orchestra volunteers gallery performances"),
    "weather": ("met office|coastguard|mountain rescue|power network|highways team",
                "storm warning|gritting routes|coastal erosion|power cuts|snow ploughs|heatwave advice",
                "issued|lifted|extended|restored|cleared|updated",
                "gusts rainfall temperatures frost drifts visibility forecasters tides"),
}

GENERAL = (
    "The {org} said on {day} that the {thing} is to be {act} before {month}.",
    "A report to the {org} shows the {thing} costs about {n} thousand pounds a year.",
    "Officials expect the {thing} to be {act} within {n} weeks, according to the minutes.",
    "{Person}, the {role}, said the {thing} had been {act} after months of discussion.",
    "The figures were published on {day} and cover {n} {words}.",
    "Several {words} told the meeting in {Place} that they had not been consulted.",
    "The {org} will meet again in {month} to consider the {thing}.",
    "Questions about the {thing} were raised at a public meeting in {Place} on {day}.",
    "The {thing} was first proposed in {month} and has been {act} twice since.",
    "According to the {org}, {n} {words} have asked for more information.",
    "{Person} said: the {thing} matters to {words} across {Place}.",
    "A decision on the {thing} is due in {month}, the {org} confirmed.",
    "Figures from the {org} suggest {n} {words} used the {thing} last year.",
    "Local {words} in {Place} have set up a group to follow the {thing}.",
    "The {role} said the budget for the {thing} was {n} percent lower than planned.",
    "Work on the {thing} began in {month} and is expected to finish next year.",
)
FLAG_SENTENCES = (
    "On {day} the {thing} in {Place} was {term} for a second week.",
    "Plans for the {thing} stayed {term} as {words} waited for the {org}.",
    "In {Place} the {thing} looked {term} to {words} at the meeting.",
)
NOTE_BODIES = (
    "Check the figure of {n} against the {org} report.",
    "Who told us this? We need a named source for the {thing}.",
    "Spelling of {Person} should be confirmed with the {org}.",
    "Is {month} right for the {thing}? The minutes say otherwise.",
    "Needs context: how does the {thing} compare with {Place}?",
    "Style: shorten this sentence and lead with the {words}.",
    "Fact check the claim about the {thing} before we publish.",
    "Legal should see this paragraph about the {org}.",
)
REPLY_BODIES = (
    "Done, the {org} confirmed it by phone.",
    "Agreed. I have asked {Person} for a comment.",
    "Checked against the {month} minutes: it stands.",
    "Changed the wording; see the latest revision.",
    "Still waiting to hear back from the {org}.",
)
HEADLINES = (
    "{Place} {org} {act} {thing}",
    "{Thing} in {Place} {act} after review",
    "{Person} on why the {thing} was {act}",
    "{Place}: {thing} {act} as {words} react",
    "What the {act} {thing} means for {Place}",
)

STATUS_WEIGHTS = [
    (workflow.DRAFT, 20), (workflow.IN_REVIEW, 35), (workflow.CHANGES_REQUESTED, 15),
    (workflow.APPROVED, 15), (workflow.PUBLISHED, 10), (workflow.ARCHIVED, 5),
]


class _Vocabulary:
    """Sentence pools per topic, checked once against the lexicon so that the only loaded
    language in a generated story is what is put there on purpose (and flagged)."""

    def __init__(self, rng: random.Random, lexicon: language.CompiledLexicon):
        self.rng = rng
        self.lexicon = lexicon
        self.topics = {}
        for name, (orgs, things, acts, words) in TOPICS.items():
            topic = {"org": orgs.split("|"), "thing": things.split("|"), "act": acts.split("|"),
                     "words": words.split()}
            topic["pool"] = self._clean([self._fill(rng.choice(GENERAL), topic) for _ in range(1500)])
            self.topics[name] = topic
        self.topic_names = list(self.topics)
        self.rare = [n for n in RARE_SURNAMES if not language.scan(n, lexicon)]
        self.flag_terms = self._flag_terms()

    def _fill(self, template: str, topic: dict, **extra) -> str:
        rng = self.rng
        values = {
            "org": rng.choice(topic["org"]), "thing": rng.choice(topic["thing"]),
            "act": rng.choice(topic["act"]), "words": rng.choice(topic["words"]),
            "day": rng.choice(DAYS), "month": rng.choice(MONTHS), "n": str(rng.randint(2, 950)),
            "Place": rng.choice(PLACES), "role": rng.choice(ROLES),
            "Person": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        }
        values.update(extra)
        values["Thing"] = values["thing"][:1].upper() + values["thing"][1:]
        return template.format(**values)

    def _clean(self, sentences: list[str]) -> list[str]:
        return [s for s in sentences if not language.scan(s, self.lexicon)]

    def _flag_terms(self):
        """Lexicon terms that, set into a flag sentence, are found exactly once as written."""
        usable = []
        topic = self.topics["transport"]
        for term in self.lexicon.terms:
            phrase = term.phrase.strip()
            if term.key is None or not phrase.islower() or not phrase.replace(" ", "").isalpha():
                continue
            sentence = self._fill(FLAG_SENTENCES[0], topic, term=phrase)
            hits = language.scan(sentence, self.lexicon)
            at = sentence.find(phrase)
            if (len(hits) == 1 and hits[0].term.key == term.key
                    and (hits[0].start, hits[0].end) == (at, at + len(phrase))
                    and not hits[0].attributed and hits[0].severity == term.severity):
                usable.append(term)
        if not usable:
            raise CommandError("The lexicon has no terms to plant as flags.")
        return usable

    def title(self, topic: dict) -> str:
        return self._fill(self.rng.choice(HEADLINES), topic)[:300]

    def sentence(self, template: str, topic: dict, **extra) -> str:
        return self._fill(template, topic, **extra)


class Command(BaseCommand):
    help = (
        "Generate stories with notes, replies and loaded-language flags in bulk, plus editor "
        f"accounts {{prefix}}editor-1..E (password --password, default {DEFAULT_PASSWORD!r}). "
        "Prints the first story's id first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stories", type=int, default=10)
        parser.add_argument("--words", type=int, default=800, help="words per story (about)")
        parser.add_argument("--annotations", type=int, default=3, help="notes per story")
        parser.add_argument("--replies", type=int, default=2,
                            help="replies per story, spread over its notes")
        parser.add_argument("--flags", type=int, default=2, help="loaded-language flags per story")
        parser.add_argument("--editors", type=int, default=5)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--prefix", default="gen-", help="prefix of the generated usernames")
        parser.add_argument("--batch", type=int, default=BATCH, help="stories per transaction")

    def handle(self, *args, **o):
        for name in ("stories", "words", "annotations", "replies", "flags"):
            if o[name] < 0:
                raise CommandError(f"--{name} cannot be negative.")
        if o["stories"] < 1 or o["editors"] < 1 or o["words"] < 20:
            raise CommandError("Give --stories ≥ 1, --editors ≥ 1 and --words ≥ 20.")
        if o["replies"] and not o["annotations"]:
            raise CommandError("Replies need notes to reply to: give --annotations too.")
        started = time.perf_counter()
        rng = random.Random(o["seed"])
        editors = self._editors(o["prefix"], o["editors"], o["password"])
        vocab = _Vocabulary(rng, services.current_lexicon())
        totals = {"stories": 0, "annotations": 0, "replies": 0, "flags": 0}
        if connection.vendor == "postgresql":
            # Let the GIN index collect many new entries before merging them (in bulk).
            with connection.cursor() as cursor:
                cursor.execute("SET gin_pending_list_limit = '64MB'")
        first = last = None
        now = timezone.now()
        for offset in range(0, o["stories"], o["batch"]):
            count = min(o["batch"], o["stories"] - offset)
            with transaction.atomic():
                ids, counts = self._batch(count, o, rng, vocab, editors, now)
            if first is None:
                first = ids[0]
                self.stdout.write(f"First story id: {first}")
            last = ids[-1]
            for k, v in counts.items():
                totals[k] += v
            elapsed = time.perf_counter() - started
            self.stdout.write(f"  {totals['stories']:,} of {o['stories']:,} stories ({elapsed:.1f} s)")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT gin_clean_pending_list('reviews_search_document'::regclass)")
                cursor.execute("RESET gin_pending_list_limit")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Created {totals['stories']:,} stor{'y' if totals['stories'] == 1 else 'ies'} (ids {first}–{last}) with "
            f"{totals['annotations']:,} notes, {totals['replies']:,} replies and "
            f"{totals['flags']:,} flags in {elapsed:.1f} s; search index built."
        )
        self.stdout.write(
            f"Editors: {editors[0].username} … {editors[-1].username} "
            f"(password: {o['password']})"
        )

    def _editors(self, prefix, count, password):
        User = get_user_model()
        group = Group.objects.get(name=workflow.EDITOR)
        hashed = make_password(password)  # one hash for all: PBKDF2 is slow on purpose
        editors = []
        for i in range(1, count + 1):
            user, _ = User.objects.get_or_create(
                username=f"{prefix}editor-{i}",
                defaults={"first_name": FIRST[(i - 1) % len(FIRST)],
                          "last_name": LAST[(i * 7) % len(LAST)]},
            )
            user.password, user.is_active = hashed, True
            user.save(update_fields=["password", "is_active"])
            user.groups.add(group)
            editors.append(user)
        return editors

    def _story_text(self, o, rng, vocab, topic, flag_count):
        """(text, sentence spans, flag spans with their terms) for one story."""
        own = vocab.topics[rng.choice(vocab.topic_names)]["pool"]
        pool = topic["pool"]
        pieces, spans, flags = [], [], []
        words = 0
        pos = 0
        flag_slots = set()
        approx = max(1, o["words"] // 13)
        if flag_count:
            flag_slots = {rng.randrange(approx + flag_count) for _ in range(flag_count)}
        planted = 0
        in_para = 0
        i = 0
        person = f"{rng.choice(FIRST)} {rng.choice(vocab.rare)}"
        lead = vocab.sentence(GENERAL[3], topic, Person=person)
        while words < o["words"] or planted < flag_count:
            if i == 0:
                sentence, term = lead, None
            elif (i in flag_slots or words >= o["words"]) and planted < flag_count:
                term = rng.choice(vocab.flag_terms)
                sentence = vocab.sentence(rng.choice(FLAG_SENTENCES), topic, term=term.phrase)
                planted += 1
            else:
                sentence = rng.choice(pool) if rng.random() < 0.8 else rng.choice(own)
                term = None
            if pieces:
                sep = "\n\n" if in_para >= rng.randint(3, 5) else " "
                in_para = 0 if sep == "\n\n" else in_para
                pieces.append(sep)
                pos += len(sep)
            pieces.append(sentence)
            spans.append((pos, pos + len(sentence)))
            if term is not None:
                at = pos + sentence.find(term.phrase)
                flags.append((at, at + len(term.phrase), term))
            pos += len(sentence)
            words += sentence.count(" ") + 1
            in_para += 1
            i += 1
        return "".join(pieces), spans, flags

    def _batch(self, count, o, rng, vocab, editors, now):
        statuses = [s for s, _ in STATUS_WEIGHTS]
        weights = [w for _, w in STATUS_WEIGHTS]
        articles, stories = [], []
        for _ in range(count):
            topic = vocab.topics[rng.choice(vocab.topic_names)]
            created = now - timedelta(days=rng.uniform(0, 120))
            updated = min(now, created + timedelta(hours=rng.uniform(0, 72)))
            status = rng.choices(statuses, weights)[0]
            author = rng.choice(editors)
            articles.append(Article(
                title=vocab.title(topic), byline=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                desk=rng.choice(list(TOPICS)).title(), status=status,
                restore_status=workflow.APPROVED if status == workflow.ARCHIVED else "",
                created_by=author, created_at=created, updated_at=updated,
            ))
            stories.append((topic, author, created, self._story_text(o, rng, vocab, topic, o["flags"])))
        articles = Article.objects.bulk_create(articles)
        ids = [a.pk for a in articles]
        revisions = Revision.objects.bulk_create(
            Revision(article=a, number=1, text=text, author=author, created_at=created,
                     note="Generated")
            for a, (_, author, created, (text, _, _)) in zip(articles, stories, strict=True)
        )
        Article.objects.filter(pk__in=ids).update(current_revision=Subquery(
            Revision.objects.filter(article=OuterRef("pk"), number=1).values("pk")[:1]
        ))
        through = Article.assignees.through
        assignments, events = [], []
        for a in articles:
            for editor in rng.sample(editors, min(len(editors), rng.choice([0, 1, 1, 2]))):
                assignments.append(through(article_id=a.pk, user_id=editor.pk))
            events.append(ReviewEvent(article=a, actor=a.created_by, to_status=workflow.DRAFT,
                                      comment="Created", created_at=a.created_at))
            if a.status != workflow.DRAFT:
                events.append(ReviewEvent(article=a, actor=rng.choice(editors),
                                          from_status=workflow.IN_REVIEW, to_status=a.status,
                                          created_at=a.updated_at))
        through.objects.bulk_create(assignments)
        ReviewEvent.objects.bulk_create(events)

        notes, flags = [], []
        categories = [c for c, _ in Annotation.CATEGORY_CHOICES]
        for a, rev, (topic, _, _, (text, spans, planted)) in zip(articles, revisions, stories, strict=True):
            for _ in range(o["annotations"]):
                s_start, s_end = rng.choice(spans)
                start, end = self._words_within(text, s_start, s_end, rng)
                quote = anchoring.quote_selector(text, start, end)
                resolved = rng.random() < 0.3
                editor = rng.choice(editors)
                notes.append(Annotation(
                    article=a, revision=rev, start=start, end=end, exact=quote.exact,
                    prefix=quote.prefix, suffix=quote.suffix, category=rng.choice(categories),
                    body=vocab.sentence(rng.choice(NOTE_BODIES), topic), author=editor,
                    created_at=a.updated_at,
                    state=Annotation.RESOLVED if resolved else Annotation.OPEN,
                    resolved_by=editor if resolved else None,
                    resolved_at=a.updated_at if resolved else None,
                ))
            for start, end, term in planted:
                hit = language.Hit(start=start, end=end, text=text[start:end], term=term,
                                   severity=term.severity, attributed=False, tag="base")
                quote = anchoring.quote_selector(text, start, end)
                flags.append(Flag(
                    article=a, revision=rev, start=start, end=end, exact=quote.exact,
                    prefix=quote.prefix, suffix=quote.suffix, term_id=term.key,
                    phrase=term.phrase, category=term.category, severity=hit.severity,
                    attributed=False, rationale=term.rationale, suggestions=hit.suggestions,
                    source=Flag.SCAN, created_at=a.created_at,
                ))
        notes = Annotation.objects.bulk_create(notes, batch_size=2000)
        Flag.objects.bulk_create(flags, batch_size=2000)
        replies = []
        if o["replies"]:
            per = o["annotations"]
            for n, a in enumerate(articles):
                story_notes = notes[n * per : (n + 1) * per]
                topic = stories[n][0]
                for r in range(o["replies"]):
                    note = story_notes[r % per]
                    replies.append(Reply(
                        annotation=note, author=rng.choice(editors),
                        body=vocab.sentence(rng.choice(REPLY_BODIES), topic),
                        created_at=a.updated_at,
                    ))
        Reply.objects.bulk_create(replies, batch_size=2000)
        search.reindex_range(min(ids), max(ids))
        return ids, {"stories": len(ids), "annotations": len(notes), "replies": len(replies),
                     "flags": len(flags)}

    @staticmethod
    def _words_within(text, s_start, s_end, rng):
        """A run of one to six whole words inside the sentence at [s_start, s_end)."""
        bounds = []
        i = s_start
        for word in text[s_start:s_end].split(" "):
            bounds.append((i, i + len(word.rstrip(".,:;"))))
            i += len(word) + 1
        bounds = [b for b in bounds if b[1] > b[0]]
        first = rng.randrange(len(bounds))
        last = min(len(bounds) - 1, first + rng.randint(0, 5))
        return bounds[first][0], bounds[last][1]
