"""The German copy of the review pages and texts, read from templates
(``links/templates/review_*.txt``) so wording changes touch no Python.

A page template holds ``{% block %}``s: ``heading``, ``paragraphs`` (separated by blank
lines; line breaks inside one are spaces), ``button``, an optional ``note``, and
``labels`` (``key = Label`` per line) for the rows of details and form fields. Values
shown in those rows never pass through the template's line parsing: the caller pairs them
with the labels. The HTML the link pages render autoescapes everything, so the plain-text
blocks are safe there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.mail.render import render_blocks
from chalicelib.plural import counted

TEXTS_TEMPLATE = "review_texts.txt"


def _paragraphs(block: str) -> list[str]:
    return [" ".join(line.strip() for line in part.strip().splitlines())
            for part in block.split("\n\n") if part.strip()]


@dataclass(frozen=True)
class PageCopy:
    heading: str
    paragraphs: list[str]
    button: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    note: str = ""


def page_copy(name: str, **context: Any) -> PageCopy:
    blocks = render_blocks(f"review_page_{name}.txt", **context)
    labels = {}
    for line in blocks.get("labels", "").splitlines():
        if "=" in line:
            key, label = line.split("=", 1)
            labels[key.strip()] = label.strip()
    return PageCopy(heading=" ".join(blocks["heading"].split()),
                    paragraphs=_paragraphs(blocks.get("paragraphs", "")),
                    button=" ".join(blocks.get("button", "").split()), labels=labels,
                    note=" ".join(blocks.get("note", "").split()))


def text(name: str, **context: Any) -> str:
    """One short text (a notice, a finding's detail, a reason): the block ``name`` of
    ``review_texts.txt``, its lines joined into one paragraph."""
    rendered = render_blocks(TEXTS_TEMPLATE, name, **context)
    return " ".join(_paragraphs(rendered[name]))


# -- counts ----------------------------------------------------------------------------------

def reviews_counted(n: int) -> str:
    return counted(n, "Bewertung", "Bewertungen")


# Every count-bearing text of the checks, the flags and the public face, by name: the
# callers build their text here, and tests/unit/test_plurals.py renders each with 0, 1, 2.
COUNT_TEXTS: dict[str, Callable[[int], str]] = {
    "reviews": reviews_counted,
    "ip_reviews": lambda n: f"{reviews_counted(n)} dieses Maklers von derselben IP-Adresse "
                            "innerhalb von 24 Stunden.",
    "burst": lambda n: f"{reviews_counted(n)} von neuen E-Mail-Adressen für diesen Makler "
                       "innerhalb von 24 Stunden.",
    "burst_flag": lambda n: f"Teil einer Häufung (mindestens {reviews_counted(n)} neuer "
                            "Personen binnen 24 Stunden)",
}
