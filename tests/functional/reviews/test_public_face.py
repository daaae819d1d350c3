"""GET /agencies/{agency_id}/profile (German HTML with schema.org JSON-LD) and
GET /agencies/{agency_id}/badge.svg (contract v2 "a public face")."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

from tests.functional.reviews.support import DynamoCalls, submit_and_confirm

NASTY = "Alles gut </script><script>alert(1)</script> & <b>fett</b> bis zum Ende."


class Scripts(HTMLParser):
    """Collects the text of every <script> element as the browser would split them."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, Any], str]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def test_the_profile_page_shows_the_reviews_and_escapes_the_json_ld(http, outbox):
    empty = http.get("/agencies/demo/profile")
    assert empty.status == 200
    assert "application/ld+json" not in empty.text  # no review: no AggregateRating
    assert "Noch keine veröffentlichten Bewertungen" in empty.text
    submit_and_confirm(http, outbox, email="eva@example.org", rating=4, text=NASTY,
                       title="Titel <i>schräg</i> & mehr")
    submit_and_confirm(http, outbox, email="max@example.org", rating=5,
                       text="Schnelle Rückmeldungen und eine realistische Preiseinschätzung.")
    page = http.get("/agencies/demo/profile")
    assert page.status == 200
    assert page.headers["cache-control"] == "public, max-age=300"
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script>alert(1)" not in html and "<b>fett</b>" not in html
    assert "&lt;/script&gt;&lt;script&gt;" in html  # shown as text
    assert "4,5 von 5" in html and "2 Bewertungen" in html
    assert "Bewertung melden" in html and "So prüfen wir Bewertungen" in html
    parser = Scripts()
    parser.feed(html)
    assert len(parser.scripts) == 1, parser.scripts  # the review cannot open a second one
    attrs, body = parser.scripts[0]
    assert attrs["type"] == "application/ld+json"
    assert not re.search(r"[<>&]", body)
    data = json.loads(body)
    assert data["@type"] == "AggregateRating"
    assert data["itemReviewed"]["name"] and data["ratingValue"] == 4.5
    assert data["ratingCount"] == 2
    bodies = {r["reviewBody"] for r in data["review"]}
    assert NASTY in bodies
    for review in data["review"]:
        assert review["author"]["name"] and review["reviewRating"]["ratingValue"] in (4, 5)
    assert http.get("/agencies/nobody/profile").status == 404


def test_the_badge_is_an_escaped_cacheable_svg_with_title_and_desc(http, outbox, container):
    submit_and_confirm(http, outbox, email="eva@example.org", rating=3,
                       text="Solide Arbeit, aber die Rückrufe dauerten manchmal etwas länger.")
    calls = DynamoCalls(container.dynamodb)
    reply = http.get("/agencies/demo/badge.svg")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("image/svg+xml")
    assert reply.headers["cache-control"] == "public, max-age=300"
    assert reply.headers["content-security-policy"] == "default-src 'none'"
    svg = ET.fromstring(reply.text)  # noqa: S314 - our own answer, parsed to check its shape
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.find(f"{ns}title").text.startswith("Bewertungen von ")
    assert svg.find(f"{ns}desc").text == "3,0 von 5 Sternen aus 1 Bewertung"
    # One read of the agency and one of the summary.
    assert calls.calls.count("GetItem") + calls.calls.count("Query") <= 2, calls.calls
    assert http.get("/agencies/nobody/badge.svg").status == 404
