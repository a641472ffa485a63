import json
import zipfile

from playwright.sync_api import expect

from reviews import services

TEXT = (
    "The plan will cost $4.2 million, the committee said.\n\n"
    "Councillor Tom Birch said buses run up to 20 minutes late."
)


def test_download_each_format_from_the_story_page(page, login, editor, writer, tmp_path):
    article = services.create_article(writer, title="Bus lane", text=TEXT)
    start = TEXT.index("$4.2 million")
    services.add_annotation(article, editor, category="fact_check", body="Check the figure.",
                            revision_id=article.current_revision.pk, start=start,
                            end=start + len("$4.2 million"), exact="$4.2 million")
    login("editor")
    page.goto(article.get_absolute_url())
    for label, suffix in [
        ("Word (.docx) with comments", ".docx"), ("W3C Web Annotation (JSON-LD)", ".jsonld"),
        ("Markdown with CriticMarkup", ".md"), ("HTML (one file)", ".html"),
        ("CSV of notes and flags", ".csv"),
    ]:
        page.get_by_text("Export", exact=True).click()
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        download = info.value
        assert download.suggested_filename == f"bus-lane-r1{suffix}"
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        data = path.read_bytes()
        if suffix == ".docx":
            assert "word/comments.xml" in zipfile.ZipFile(path).namelist()
        elif suffix == ".jsonld":
            assert json.loads(data)["type"] == "AnnotationCollection"
        else:
            assert "4.2 million" in data.decode("utf-8-sig")
        page.keyboard.press("Escape")


def test_bulk_export_shows_progress_then_a_download(page, login, editor, writer, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    for i in range(8):
        services.create_article(writer, title=f"Story {i}", text=f"Paragraph {i} of the story.")
    services.create_article(writer, title="Unrelated budget item", text="Budget text.")
    login("editor")
    page.get_by_label("Search titles").fill("Story")
    expect(page.locator("#results")).to_contain_text("8 stories")
    page.get_by_label("all that match the filter").check()
    page.get_by_label("Format").select_option("md")
    page.get_by_role("button", name="Export ZIP").click()
    link = page.get_by_role("link", name="Download ZIP")
    expect(link).to_be_visible()
    expect(page.locator("#export-status")).to_contain_text("8 stories")
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "all.zip"
    info.value.save_as(path)
    assert len(zipfile.ZipFile(path).namelist()) == 8


def test_queued_export_runs_on_the_worker_fails_visibly_and_retries(page, login, editor, writer, settings, tmp_path):
    """Production-style: the database task backend, the real db_worker, the polled progress."""
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the export folder should be")
    settings.EXPORT_ROOT = blocked
    for i in range(6):
        services.create_article(writer, title=f"Ferry timetable {i}", text=f"Ferry paragraph {i}.")
    login("editor")
    for box in page.get_by_role("checkbox").all()[:6]:
        box.check()
    page.get_by_label("Format").select_option("html")
    page.get_by_role("button", name="Export ZIP").click()
    status = page.locator("#export-status")
    expect(status).to_contain_text("is waiting to start")

    def worker():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    worker()  # the folder is unusable: the job fails, and the polling page says so
    expect(status).to_contain_text("The export stopped after 0 of 6 stories", timeout=5000)
    expect(status).to_contain_text("could not write the export file")
    settings.EXPORT_ROOT = tmp_path / "exports"
    page.get_by_role("button", name="Retry").click()
    expect(status).to_contain_text("is waiting to start")
    worker()
    link = page.get_by_role("link", name="Download ZIP")
    expect(link).to_be_visible(timeout=5000)
    expect(status).to_contain_text("Your ZIP of 6 stories is ready")
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "retried.zip"
    info.value.save_as(path)
    assert len(zipfile.ZipFile(path).namelist()) == 6
    page.get_by_role("link", name="Jobs").click()
    expect(page.locator("table.jobs")).to_contain_text("attempt 2")


def test_escape_closes_the_import_notes_menu_from_its_file_chooser(page, login, editor, writer):
    article = services.create_article(writer, title="Bus lane", text=TEXT)
    login("editor")
    page.goto(article.get_absolute_url())
    page.get_by_text("Import notes", exact=True).click()
    chooser = page.get_by_label("W3C Web Annotation file (JSON-LD)")
    expect(chooser).to_be_visible()
    chooser.focus()
    page.keyboard.press("Escape")
    expect(chooser).to_be_hidden()
    expect(page.get_by_text("Import notes", exact=True)).to_be_focused()
