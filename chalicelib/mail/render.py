"""Jinja2 rendering for mails and pages (HTML autoescaped). Jinja2 is imported on first
use so routes that render nothing do not pay for it at cold start."""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.clock import BERLIN

if TYPE_CHECKING:  # imported on first use (cold start)
    import jinja2

TEMPLATE_DIRS = [
    Path(__file__).parent / "templates",
    Path(__file__).parent.parent / "links" / "templates",
]

MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
          "September", "Oktober", "November", "Dezember"]


def german_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN).date()
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def german_datetime(value: datetime) -> str:
    local = value.astimezone(BERLIN)
    return f"{german_date(local)}, {local:%H:%M} Uhr"


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "svg"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["german_date"] = german_date
    env.filters["german_datetime"] = german_datetime
    return env


def render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def render_pair(name: str, **context: Any) -> tuple[str, str]:
    """Renders ``<name>.txt`` and ``<name>.html`` with the same context."""
    return render(f"{name}.txt", **context), render(f"{name}.html", **context)


def render_blocks(template: str, *names: str, **context: Any) -> dict[str, str]:
    """``{% block %}``s of a template rendered on their own (all of them unless ``names``
    are given): a page's or a text's copy (heading, paragraphs, button, labels) kept in
    one template file."""
    compiled = _environment().get_template(template)
    state = compiled.new_context(context)
    return {name: "".join(block(state)) for name, block in compiled.blocks.items()
            if not names or name in names}
