"""Flags in the app: found on save, kept through edits, acted on, and gating approval."""

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reviews import services
from reviews.models import Annotation, Flag, LexiconTerm

from .conftest import selection

HX = {"HTTP_HX_REQUEST": "true"}

TEXT = (
    "U.S. terrorist forces assassinated the commander on Tuesday.\n\n"
    "Lawmakers, irate at what they called a flagrant violation, pushed a resolution.\n\n"
    '"The regime must go," one lawmaker said. The regime denied it.'
)


@pytest.fixture
def lexicon(db):
    LexiconTerm.objects.all().delete()
    rows = [
        ("terrorist forces", "contentious_label", "high", "Takes sides.", ["forces"]),
        ("assassinate", "loaded_verb", "high", "Implies murder.", ["kill"]),
        ("irate", "editorializing", "warn", "Emotive.", ["angry"]),
        ("regime", "contentious_label", "warn", "Loaded label.", ["government"]),
    ]
    for phrase, category, severity, rationale, alts in rows:
        LexiconTerm.objects.create(phrase=phrase, category=category, severity=severity,
                                   rationale=rationale, alternatives=alts)


@pytest.fixture
def story(lexicon, make_article):
    return make_article(text=TEXT, title="Strike")


def flags_of(article, **filters):
    return sorted(
        (f.exact, f.severity, f.attributed, f.state)
        for f in Flag.objects.filter(article=article, orphaned=False, **filters)
    )


def revise(article, user, text):
    article.refresh_from_db()
    services.revise(article, user, text, article.current_revision.pk)
    article.refresh_from_db()


def test_saving_a_story_flags_it_with_selectors(story):
    assert flags_of(story) == [
        ("assassinated", "high", False, "open"),
        ("irate", "warn", False, "open"),
        ("regime", "info", True, "open"),
        ("regime", "warn", False, "open"),
        ("terrorist forces", "high", False, "open"),
    ]
    text = story.current_revision.text
    for f in Flag.objects.filter(article=story):
        assert text[f.start : f.end] == f.exact
        assert f.prefix == text[max(0, f.start - 32) : f.start] and f.suffix == text[f.end : f.end + 32]
    assert Flag.objects.get(exact="assassinated").suggestions == ["killed"]


def test_dismissed_flag_stays_dismissed_while_its_words_are_unchanged(story, editor):
    irate = Flag.objects.get(exact="irate")
    services.dismiss_flag(irate, editor, "It is their word, paraphrased.")
    revise(story, editor, "NEW LINE.\n\n" + story.current_revision.text)
    assert ("irate", "warn", False, "dismissed") in flags_of(story)
    assert Flag.objects.filter(exact="irate", state="open").count() == 0

    revise(story, editor, story.current_revision.text.replace("irate at", "so irate at"))
    # the passage around it changed but the words did not: still dismissed
    assert ("irate", "warn", False, "dismissed") in flags_of(story)


def test_open_flags_follow_edits_and_vanish_with_their_words(story, editor):
    revise(story, editor, story.current_revision.text.replace("assassinated", "killed"))
    assert "assassinated" not in [f[0] for f in flags_of(story)]
    assert ("terrorist forces", "high", False, "open") in flags_of(story)


def test_dismiss_needs_a_reason_and_an_editor(story, editor, writer):
    flag = Flag.objects.get(exact="irate")
    with pytest.raises(services.ReviewError):
        services.dismiss_flag(flag, editor, "  ")
    with pytest.raises(services.Forbidden):
        services.dismiss_flag(flag, writer, "fine")
    flag.refresh_from_db()
    assert flag.state == "open"


def test_accepting_a_suggestion_makes_a_new_revision_and_reanchors(story, editor):
    note = services.add_annotation(story, editor, category="comment", body="Source?",
                                   **selection(story, "pushed a resolution"))
    flag = Flag.objects.get(exact="assassinated")
    revision = services.accept_suggestion(flag, editor, "killed")
    story.refresh_from_db()
    assert revision.number == 2 and "forces killed the commander" in revision.text
    assert "Accepted suggestion" in revision.note
    note.refresh_from_db()
    assert revision.text[note.start : note.end] == "pushed a resolution"
    flag.refresh_from_db()
    assert flag.state == "accepted"
    with pytest.raises(services.ReviewError):
        services.accept_suggestion(Flag.objects.get(exact="irate"), editor, "furious")


def test_discuss_turns_a_flag_into_an_annotation(story, editor):
    flag = Flag.objects.get(exact="irate")
    with pytest.raises(services.ReviewError, match="Write a comment first"):
        services.discuss_flag(flag, editor, "  ")
    assert not Annotation.objects.filter(exact="irate").exists()
    annotation = services.discuss_flag(flag, editor, "Is “irate” ours or the source's?")
    assert (annotation.category, annotation.exact) == ("loaded_language", "irate")
    assert annotation.body == "Is “irate” ours or the source's?"
    flag.refresh_from_db()
    assert flag.state == "discussed" and flag.annotation == annotation


def test_editor_flags_a_passage_by_hand_but_a_writer_may_not(story, editor, writer):
    sel = selection(story, "pushed a resolution")
    flag = services.add_manual_flag(story, editor, category="editorializing", severity="warn",
                                    note="Pushed is loaded here.", suggestion="proposed", **sel)
    assert (flag.source, flag.exact, flag.suggestions) == ("manual", "pushed a resolution", ["proposed"])
    with pytest.raises(services.Forbidden):
        services.add_manual_flag(story, writer, category="editorializing", severity="warn",
                                 note="x", **sel)


def test_approval_is_refused_while_high_flags_are_open(story, editor, settings):
    services.transition(story, editor, "submit")
    from reviews.workflow import TransitionRefused

    with pytest.raises(TransitionRefused, match="“terrorist forces”.*“assassinated”|“assassinated”.*“terrorist forces”"):
        services.transition(story, editor, "approve")
    settings.REVIEWS_BLOCK_APPROVAL_ON_HIGH_FLAGS = False
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    assert story.status == "approved"


def test_approval_goes_through_once_high_flags_are_dealt_with(story, editor):
    services.transition(story, editor, "submit")
    for flag in Flag.objects.filter(severity="high"):
        services.dismiss_flag(flag, editor, "Checked with the desk.")
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    assert story.status == "approved"


def test_an_edit_after_approval_that_brings_in_high_flags_blocks_publishing(story, editor, settings):
    from reviews.workflow import TransitionRefused

    settings.REVIEWS_EDIT_REOPENS_APPROVAL = False  # else the edit sends it back to review
    services.transition(story, editor, "submit")
    for flag in Flag.objects.filter(severity="high"):
        services.dismiss_flag(flag, editor, "Checked with the desk.")
    services.transition(story, editor, "approve")
    story.refresh_from_db()
    text = story.current_revision.text + "\n\nLater, terrorist forces assassinated a second commander."
    services.revise(story, editor, text, story.current_revision_id)
    with pytest.raises(TransitionRefused, match="cannot be published.*“terrorist forces”"):
        services.transition(story, editor, "publish")
    story.refresh_from_db()
    assert story.status == "approved"
    for flag in services.open_high_flags(story):
        services.dismiss_flag(flag, editor, "Attributed in the next paragraph.")
    services.transition(story, editor, "publish", confirm_open=True)  # lesser flags stay open
    story.refresh_from_db()
    assert story.status == "published"


def test_rescan_after_a_term_is_disabled_keeps_decisions(story, editor):
    services.dismiss_flag(Flag.objects.get(exact="irate"), editor, "fine")
    LexiconTerm.objects.filter(phrase="regime").update(enabled=False)
    LexiconTerm.objects.get(phrase="regime").save()  # bumps the lexicon version
    LexiconTerm.objects.filter(phrase="regime").update(enabled=False)
    call_command("rescan")
    exacts = [f[0] for f in flags_of(story)]
    assert "regime" not in exacts and ("irate", "warn", False, "dismissed") in flags_of(story)
    LexiconTerm.objects.create(phrase="lawmaker", category="contentious_label", severity="info",
                               rationale="Test.")
    call_command("rescan")
    assert "Lawmakers" in [f[0] for f in flags_of(story)]


# --- screens ------------------------------------------------------------------------------


def test_article_page_shows_flags_grouped_by_category(client, story, editor):
    client.force_login(editor)
    html = client.get(story.get_absolute_url()).content.decode()
    assert "Language flags" in html and "Contentious label" in html and "Loaded verb" in html
    flag = Flag.objects.get(exact="assassinated")
    assert f'data-flag="{flag.pk}">assassinated</mark>' in html
    assert 'value="killed"' in html and "In direct quotations" in html


def test_accept_dismiss_discuss_over_htmx(client, story, editor):
    client.force_login(editor)
    irate = Flag.objects.get(exact="irate")
    url = reverse("reviews:flag_dismiss", args=[story.pk, irate.pk])
    assert client.post(url, {"reason": ""}, **HX).status_code == 422
    assert client.post(url, {"reason": "Their word."}, **HX).status_code == 200
    regime = Flag.objects.get(exact="regime", attributed=False)
    url = reverse("reviews:flag_discuss", args=[story.pk, regime.pk])
    assert client.post(url, {"body": ""}, **HX).status_code == 422  # the comment comes first
    assert not Annotation.objects.filter(exact="regime").exists()
    response = client.post(url, {"body": "Whose word is this?"}, **HX)
    assert response.status_code == 200 and Annotation.objects.filter(exact="regime").exists()
    flag = Flag.objects.get(exact="assassinated")
    response = client.post(reverse("reviews:flag_accept", args=[story.pk, flag.pk]),
                           {"replacement": "killed"}, **HX)
    assert response.status_code == 200 and "Revision 2" in response.content.decode()


def test_writer_may_not_dismiss_or_accept_on_a_story_in_review(client, story, writer, editor):
    services.transition(story, writer, "submit")
    client.force_login(writer)
    flag = Flag.objects.get(exact="irate")
    assert client.post(reverse("reviews:flag_dismiss", args=[story.pk, flag.pk]),
                       {"reason": "x"}, **HX).status_code == 403
    assert client.post(reverse("reviews:flag_accept", args=[story.pk, flag.pk]),
                       {"replacement": "angry"}, **HX).status_code == 403
    flag.refresh_from_db()
    assert flag.state == "open"


def test_manual_flag_view(client, story, editor):
    client.force_login(editor)
    sel = selection(story, "pushed a resolution")
    sel["revision"] = sel.pop("revision_id")
    data = {**sel, "category": "editorializing", "severity": "warn", "note": "Loaded."}
    response = client.post(reverse("reviews:flag_create", args=[story.pk]), data, **HX)
    assert response.status_code == 200
    assert Flag.objects.filter(source="manual", exact="pushed a resolution").exists()
    data["exact"] = "tampered"
    assert client.post(reverse("reviews:flag_create", args=[story.pk]), data, **HX).status_code == 400


def test_approve_refusal_names_the_flags_on_the_page(client, story, editor):
    services.transition(story, editor, "submit")
    client.force_login(editor)
    response = client.post(reverse("reviews:article_transition", args=[story.pk]),
                           {"transition": "approve", "revision": story.current_revision_id}, **HX)
    assert response.status_code == 403 and "terrorist forces" in response.content.decode()


# --- flag_text ----------------------------------------------------------------------------


def run_flag_text(*args, stdin: bytes | None = None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    try:
        call_command("flag_text", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code, err = exc.returncode, io.StringIO(str(exc))
    return code, out.getvalue(), err.getvalue()


def test_flag_text_json_lists_findings_with_python_offsets(tmp_path, lexicon):
    path = tmp_path / "story.txt"
    text = "Zoë 😀 said the regime assassinated him. \"Irate,\" she said."
    path.write_text(text, encoding="utf-8")
    code, out, _ = run_flag_text(str(path), "--format", "json", "--min-severity", "info")
    findings = json.loads(out)
    assert code == 1
    assert [(f["text"], f["severity"], f["attributed"]) for f in findings] == [
        ("regime", "warn", False), ("assassinated", "high", False), ("Irate", "info", True)
    ]
    for f in findings:
        assert set(f) == {"file", "start", "end", "text", "term", "category", "severity",
                          "attributed", "rationale", "suggestions"}
        assert text[f["start"] : f["end"]] == f["text"] and f["file"] == str(path)


def test_flag_text_exit_codes(tmp_path, lexicon, monkeypatch):
    clean = tmp_path / "clean.txt"
    clean.write_text("Officials said the vote passed.", encoding="utf-8")
    assert run_flag_text(str(clean))[0] == 0
    quoted = tmp_path / "quoted.txt"
    quoted.write_text('"The regime lied," he said.', encoding="utf-8")
    assert run_flag_text(str(quoted))[0] == 0  # attributed speech is info, below warn
    assert run_flag_text(str(quoted), "--min-severity", "info")[0] == 1
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 latin-1")
    code, _, err = run_flag_text(str(bad))
    assert code == 2 and "not UTF-8" in err
    code, _, err = run_flag_text(str(tmp_path / "missing.txt"))
    assert code == 2 and "cannot read" in err
    code, out, _ = run_flag_text("-", stdin=b"The regime fell.", monkeypatch=monkeypatch)
    assert code == 1 and "regime" in out


# --- the lexicon screens ------------------------------------------------------------------


def test_only_admins_manage_the_lexicon(client, editor, lexicon):
    client.force_login(editor)
    assert client.get(reverse("reviews:lexicon")).status_code == 403
    assert client.get(reverse("reviews:lexicon_export")).status_code == 403


def test_lexicon_list_search_filter_and_export(client, admin_user, lexicon):
    client.force_login(admin_user)
    html = client.get(reverse("reviews:lexicon"), {"q": "assass"}).content.decode()
    assert "assassinate" in html and "irate" not in html
    html = client.get(reverse("reviews:lexicon"), {"category": "editorializing"}).content.decode()
    assert "irate" in html and "assassinate" not in html
    csv_text = client.get(reverse("reviews:lexicon_export")).content.decode()
    assert csv_text.startswith("phrase,category,severity") and "terrorist forces" in csv_text


def test_add_edit_disable_a_term_rescans_open_stories(client, admin_user, story):
    client.force_login(admin_user)
    response = client.post(reverse("reviews:lexicon_add"), {
        "phrase": "the", "category": "editorializing", "severity": "warn", "rationale": "x",
        "enabled": "on",
    })
    assert response.status_code == 200 and "common word" in response.content.decode()
    response = client.post(reverse("reviews:lexicon_add"), {
        "phrase": "lawmakers", "category": "contentious_label", "severity": "info",
        "rationale": "Test term.", "alternatives_text": "legislators | MPs", "enabled": "on",
    })
    assert response.status_code == 302
    assert Flag.objects.filter(article=story, exact="Lawmakers").exists()
    term = LexiconTerm.objects.get(phrase="lawmakers")
    assert term.alternatives == ["legislators", "MPs"]
    client.post(reverse("reviews:lexicon_toggle", args=[term.pk]))
    term.refresh_from_db()
    assert not term.enabled and not Flag.objects.filter(article=story, exact="Lawmakers").exists()


def test_import_csv_with_bad_rows_imports_nothing(client, admin_user, lexicon):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_user)
    before = LexiconTerm.objects.count()
    bad = ("phrase,category,severity,rationale\nbrazen,editorializing,warn,Emotive.\n"
           "a,editorializing,warn,One letter.\nirate,editorializing,warn,Already there.\n")
    response = client.post(reverse("reviews:lexicon_import"), {
        "file": SimpleUploadedFile("terms.csv", bad.encode()), "category": "editorializing",
    })
    html = response.content.decode()
    assert response.status_code == 400 and "row 3" in html and "row 4" in html
    assert LexiconTerm.objects.count() == before
    rule = "extends: substitution\nlevel: error\nswap:\n  brazen: bold\n"
    response = client.post(reverse("reviews:lexicon_import"), {
        "file": SimpleUploadedFile("house.yml", rule.encode()), "category": "editorializing",
    })
    assert response.status_code == 302
    assert LexiconTerm.objects.get(phrase="brazen").alternatives == ["bold"]


def test_export_edit_and_import_the_lexicon_again_updates_it(client, admin_user, lexicon):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_user)
    exported = client.get(reverse("reviews:lexicon_export")).content.decode("utf-8-sig")
    before = LexiconTerm.objects.count()
    lines = exported.splitlines()
    edited = [
        line.replace(",editorializing,warn,", ",editorializing,high,", 1)
        if line.startswith("irate,") else line
        for line in lines
    ] + ["brazen,editorializing,warn,Emotive.,bold,,"]
    response = client.post(reverse("reviews:lexicon_import"), {
        "file": SimpleUploadedFile("lexicon.csv", "\n".join(edited).encode()),
        "category": "editorializing", "update_existing": "on",
    }, follow=True)
    assert "Imported 1 new term and updated 1 already in the lexicon" in response.content.decode()
    assert LexiconTerm.objects.count() == before + 1
    assert LexiconTerm.objects.get(phrase="irate").severity == "high"
    again = client.post(reverse("reviews:lexicon_import"), {
        "file": SimpleUploadedFile("lexicon.csv", "\n".join(edited).encode()),
        "category": "editorializing", "update_existing": "on",
    }, follow=True)
    assert "nothing changed" in again.content.decode()


def test_a_vale_rule_adds_alternatives_but_keeps_the_house_rationale(client, admin_user, lexicon):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_user)
    rule = ("extends: substitution\nmessage: \"Use %s instead of %s\"\nlevel: error\n"
            "swap:\n  irate: Angry|furious\n  decimated: destroyed\n")
    response = client.post(reverse("reviews:lexicon_import"), {
        "file": SimpleUploadedFile("house.yml", rule.encode()), "category": "editorializing",
        "update_existing": "on",
    }, follow=True)
    assert "Imported 1 new term and updated 1 already in the lexicon" in response.content.decode()
    irate = LexiconTerm.objects.get(phrase="irate")
    assert (irate.severity, irate.rationale, irate.alternatives) == ("warn", "Emotive.", ["angry", "furious"])
    decimated = LexiconTerm.objects.get(phrase="decimated")
    assert (decimated.severity, decimated.rationale) == ("high", "Use destroyed instead of decimated.")


def test_import_lexicon_command(tmp_path, lexicon):
    path = tmp_path / "more.csv"
    path.write_text("phrase,category,severity,rationale\nbrazen,editorializing,warn,Emotive.\n")
    call_command("import_lexicon", str(path), stdout=io.StringIO())
    assert LexiconTerm.objects.filter(phrase="brazen").exists()
    path.write_text("phrase,category,severity,rationale\nx,editorializing,warn,Bad.\n")
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_lexicon", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_acting_on_a_flag_from_a_stale_page_says_reload(client, story, editor):
    flag = Flag.objects.get(exact="irate")
    client.force_login(editor)
    text = story.current_revision.text.replace("irate", "angry")
    services.revise(story, editor, text, story.current_revision_id)  # someone else's edit
    hx = {"HTTP_HX_REQUEST": "true"}
    for url, data in [
        (reverse("reviews:flag_dismiss", args=[story.pk, flag.pk]), {"reason": "Fine."}),
        (reverse("reviews:flag_accept", args=[story.pk, flag.pk]), {"replacement": "angry"}),
        (reverse("reviews:flag_discuss", args=[story.pk, flag.pk]), {}),
    ]:
        response = client.post(url, data, **hx)
        assert response.status_code == 409
        assert "Reload the page" in response.content.decode()


def test_editing_a_published_story_into_high_flags_says_so(client, story, editor):
    services.transition(story, editor, "submit")
    for flag in Flag.objects.filter(severity="high"):
        services.dismiss_flag(flag, editor, "Checked with the desk.")
    services.transition(story, editor, "approve")
    services.transition(story, editor, "publish", confirm_open=True)
    story.refresh_from_db()
    client.force_login(editor)
    edit = client.get(reverse("reviews:article_edit", args=[story.pk]))
    assert edit.status_code == 200
    response = client.post(reverse("reviews:article_edit", args=[story.pk]), {
        "title": story.title, "byline": story.byline, "desk": story.desk,
        "body": story.current_revision.text + "\n\nLater, terrorist forces struck.", "note": "",
        "base_revision": story.current_revision_id,
    }, follow=True)
    page = response.content.decode()
    assert "This published story now has high-severity language open: “terrorist forces”" in page


def test_words_inside_a_quotation_are_never_replaced_in_one_click(client, story, editor):
    client.force_login(editor)
    quoted = Flag.objects.get(exact="regime", attributed=True)
    html = client.get(story.get_absolute_url()).content.decode()
    card = html[html.index(f'id="flag-{quoted.pk}"'):]
    card = card[: card.index("</li>")]
    assert 'name="replacement"' not in card
    assert "The speaker's own words, so not replaced here" in card and "government" in card
    response = client.post(reverse("reviews:flag_accept", args=[story.pk, quoted.pk]),
                           {"replacement": "government"}, **HX)
    assert response.status_code == 400
    assert "inside a direct quotation" in response.content.decode()
    story.refresh_from_db()
    assert story.current_revision.number == 1 and '"The regime must go,"' in story.current_revision.text
    quoted.refresh_from_db()
    assert quoted.state == "open"
