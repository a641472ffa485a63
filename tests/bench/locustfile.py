"""Simulated editors for `make bench` (tests/bench/load.py runs this file; see its docstring).

Each simulated user logs in as its own editor account (the login page for the CSRF token, then
the credentials), then, with think time between actions, opens the review queue, opens stories,
annotates a passage with the same POST the browser's annotate dialog sends through htmx, and
replies to notes. Every request is recorded with its name, time and outcome in a JSON file for
load.py to report (BENCH_RESULTS), with the ids of the annotations the server confirmed.

    EditorUser   the mixed load (queue, story, annotate, reply)
    HealthUser   GET /health/ as fast as possible (the minimal Django view)
    StoryUser    GET a story page as fast as possible (the review page)

Environment: BENCH_RESULTS (output file), BENCH_PASSWORD, BENCH_PREFIX ("bench-"),
BENCH_EDITORS (how many editor accounts exist: {prefix}editor-1 .. -N).
"""

import html
import itertools
import json
import os
import random
import re
import time
from urllib.parse import urlencode

from locust import between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

PASSWORD = os.environ.get("BENCH_PASSWORD", "")
PREFIX = os.environ.get("BENCH_PREFIX", "bench-")
EDITORS = int(os.environ.get("BENCH_EDITORS", "50"))
RESULTS = os.environ.get("BENCH_RESULTS", "")
CONTEXT = 32  # characters of prefix and suffix, as app.js sends

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
STORY_LINK = re.compile(r'href="/articles/(\d+)/"')
STORY_TEXT = re.compile(r'data-revision="(\d+)" data-source="([^"]*)"')
NOTE_CARD = re.compile(r'data-ann-id="(\d+)"')
WORD = re.compile(r"\w+")

COMMENTS = [
    "Who said this? Needs attribution.",
    "Can we confirm this figure with the council's own report?",
    "This reads as opinion in our voice; rephrase or attribute.",
    "Check the spelling of the name against the byline list.",
    "Source for this claim?",
    "Tighten: the sentence runs long.",
]
REPLIES = ["Agreed, fixing.", "Checked with the desk: it stands.", "Added the source.", "Done."]
CATEGORIES = ["comment", "needs_source", "fact_check", "style", "loaded_language"]

_accounts = itertools.count()
samples: list[list] = []  # [name, milliseconds, ok, error or None, finished at (epoch seconds)]
confirmed_annotations: list[int] = []  # ids from X-Annotation-Focus on a successful create
phase: dict[str, float] = {}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    error = None if exception is None else f"{request_type} {name}: {exception}"
    samples.append([name, response_time, exception is None, error, time.time()])


@events.test_start.add_listener
def _started(**kwargs):
    phase["start"] = time.time()


@events.test_stop.add_listener
def _stopped(**kwargs):
    phase["stop"] = time.time()


@events.quitting.add_listener
def _write_results(**kwargs):
    if RESULTS:
        with open(RESULTS, "w", encoding="utf-8") as out:
            json.dump(
                {"samples": samples, "annotations": confirmed_annotations, "phase": phase}, out
            )


class _SignedIn(FastHttpUser):
    abstract = True
    # One connection per simulated user, kept alive, as a browser tab does.
    concurrency = 1

    def on_start(self):
        number = next(_accounts) % EDITORS + 1
        self.username = f"{PREFIX}editor-{number}"
        self.csrf = ""
        self.stories: list[int] = []
        self.story = None  # the story page last opened: id, revision, text, notes
        with self.client.get("/accounts/login/", name="login form", catch_response=True) as r:
            match = CSRF_INPUT.search(r.text or "")
            if r.status_code != 200 or not match:
                r.failure(f"login page: status {r.status_code}")
        if not match:
            raise StopUser()
        body = urlencode(
            {"csrfmiddlewaretoken": match.group(1), "username": self.username, "password": PASSWORD}
        )
        with self.client.post(
            "/accounts/login/",
            name="login",
            data=body,
            headers=self._form_headers(referer="/accounts/login/"),
            allow_redirects=False,
            catch_response=True,
        ) as r:
            signed_in = r.status_code == 302 and "/accounts/login/" not in (
                r.headers.get("Location") or ""
            )
            if not signed_in:
                r.failure(f"login as {self.username}: status {r.status_code}")
        if not signed_in:
            raise StopUser()
        self.open_queue("/")

    def _form_headers(self, referer: str, htmx: bool = False, target: str = "") -> dict:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.host,
            "Referer": self.host + referer,
        }
        if htmx:  # what htmx 2 adds to a request from hx-post
            headers.update(
                {
                    "HX-Request": "true",
                    "HX-Current-URL": self.host + referer,
                    "HX-Target": target,
                    "X-CSRFToken": self.csrf,
                }
            )
        return headers

    def open_queue(self, page=None):
        """The queue, its first pages or a status filter (which may list nothing)."""
        page = page or random.choice(["/", "/", "/?page=2", "/?status=in_review"])
        with self.client.get(page, name="queue", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:  # a redirect would be to the login page
                r.failure(f"queue {page}: status {r.status_code}")
                return
            ids = [int(i) for i in STORY_LINK.findall(r.text)]
            if ids:
                self.stories = sorted(set(ids))

    def open_story(self):
        if not self.stories:
            self.open_queue()
            if not self.stories:
                return
        pk = random.choice(self.stories)
        with self.client.get(
            f"/articles/{pk}/", name="story", allow_redirects=False, catch_response=True
        ) as r:
            text = r.text or ""
            found = STORY_TEXT.search(text)
            token = CSRF_HEADER.search(text)
            if r.status_code != 200 or not found or not token:
                r.failure(f"story {pk}: status {r.status_code}")
                self.story = None
                return
            self.csrf = html.unescape(token.group(1))
            self.story = {
                "id": pk,
                "revision": int(found.group(1)),
                "text": html.unescape(found.group(2)),
                "notes": [int(i) for i in NOTE_CARD.findall(text)],
            }


class EditorUser(_SignedIn):
    """An editor working through the queue: reads a lot, annotates some, replies less."""

    wait_time = between(1, 3)

    @task(2)
    def queue(self):
        self.open_queue()

    @task(4)
    def read_story(self):
        self.open_story()

    @task(2)
    def annotate(self):
        if self.story is None:
            self.open_story()
            if self.story is None:
                return
        story = self.story
        text = story["text"]
        words = list(WORD.finditer(text))
        if not words:
            return
        first = random.randrange(len(words))
        last = min(len(words) - 1, first + random.randint(0, 5))
        start, end = words[first].start(), words[last].end()
        fields = {
            "csrfmiddlewaretoken": self.csrf,
            "revision": story["revision"],
            "start": start,
            "end": end,
            "exact": text[start:end],
            "prefix": text[max(0, start - CONTEXT) : start],
            "suffix": text[end : end + CONTEXT],
            "category": random.choice(CATEGORIES),
            "body": random.choice(COMMENTS),
        }
        url = f"/articles/{story['id']}/"
        with self.client.post(
            f"{url}annotations/",
            name="annotate",
            data=urlencode(fields),
            headers=self._form_headers(url, htmx=True, target="workspace"),
            allow_redirects=False,
            catch_response=True,
        ) as r:
            focus = r.headers.get("X-Annotation-Focus") if r.headers else None
            if r.status_code != 200 or not focus:
                r.failure(f"annotate: status {r.status_code}: {(r.text or '')[:200]}")
                return
            confirmed_annotations.append(int(focus))
            # The swapped-in workspace lists the notes, the new one included.
            story["notes"] = [int(i) for i in NOTE_CARD.findall(r.text or "")] or story["notes"]

    @task(1)
    def reply(self):
        if self.story is None or not self.story["notes"]:
            self.open_story()
            if self.story is None or not self.story["notes"]:
                return
        story = self.story
        note = random.choice(story["notes"])
        url = f"/articles/{story['id']}/"
        with self.client.post(
            f"{url}annotations/{note}/replies/",
            name="reply",
            data=urlencode({"csrfmiddlewaretoken": self.csrf, "body": random.choice(REPLIES)}),
            headers=self._form_headers(url, htmx=True, target="workspace"),
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code != 200 or not (r.headers and r.headers.get("X-Annotation-Focus")):
                r.failure(f"reply: status {r.status_code}: {(r.text or '')[:200]}")


class HealthUser(_SignedIn):
    """The minimal Django view, back to back."""

    wait_time = constant(0)

    @task
    def health(self):
        with self.client.get("/health/", name="health", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200 or (r.text or "").strip() != "ok":
                r.failure(f"health: status {r.status_code}")


class StoryUser(_SignedIn):
    """The review page (a story with its text, notes and flags), back to back."""

    wait_time = constant(0)

    @task
    def story_page(self):
        self.open_story()
